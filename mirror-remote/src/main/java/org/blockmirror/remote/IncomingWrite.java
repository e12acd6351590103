package org.blockmirror.remote;

import io.netty.buffer.ByteBuf;

/**
 * A write (or trim) received from the local unit, waiting to be applied in sequence order.
 * Owns {@code data} (a retained buffer; released by whoever drops or applies the write).
 */
record IncomingWrite(long seq, boolean trim, long lba, int blockCount, int dataCrc32c, ByteBuf data,
                     WriteResponder responder) {

    long sizeBytes() {
        return data == null ? 0 : data.readableBytes();
    }

    void release() {
        if (data != null && data.refCnt() > 0) {
            data.release();
        }
    }
}
