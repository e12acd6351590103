package org.blockmirror.volume;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A {@link Volume} that passes every call on to {@link #delegate()}; a subclass overrides only
 * what it changes (a replaceable backing store, fault injection in tests).
 */
public abstract class ForwardingVolume implements Volume {

    /** The volume calls go to; may change between calls. */
    protected abstract Volume delegate();

    @Override
    public int blockSize() {
        return delegate().blockSize();
    }

    @Override
    public long sizeBytes() {
        return delegate().sizeBytes();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        delegate().read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        delegate().write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        delegate().flush();
    }

    @Override
    public String describe() {
        return delegate().describe();
    }

    @Override
    public void close() throws IOException {
        delegate().close();
    }
}
