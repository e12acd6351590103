package org.blockmirror.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** Feeds a region of a ByteBuf (heap, direct or composite) to a CRC32C without copying it. */
final class ByteBufCrc32c {

    private ByteBufCrc32c() {
    }

    static void update(CRC32C crc, ByteBuf buf, int index, int length) {
        if (length == 0) {
            return;
        }
        if (buf.hasArray()) {
            crc.update(buf.array(), buf.arrayOffset() + index, length);
            return;
        }
        for (ByteBuffer region : buf.nioBuffers(index, length)) {
            crc.update(region);
        }
    }

    /** CRC32C of the readable bytes of {@code buf} (indices unchanged). */
    static int of(ByteBuf buf) {
        CRC32C crc = new CRC32C();
        update(crc, buf, buf.readerIndex(), buf.readableBytes());
        return (int) crc.getValue();
    }
}
