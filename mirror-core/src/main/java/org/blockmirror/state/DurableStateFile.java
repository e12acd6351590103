package org.blockmirror.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * A small record (≤ {@link #MAX_PAYLOAD} bytes) kept durably in a file with two slots written
 * alternately, so a write torn by a crash never loses the previous good value. Used for the
 * remote's applied sequence number and the unit's identity.
 *
 * <p>Slot layout (4096 bytes each, big-endian): magic u32 'BMST', format version u16 = 1,
 * reserved u16, counter u64, payload length u32, payload, CRC32C u32 over everything before it.
 * The slot with the valid CRC and the higher counter wins. A write covers the slot up to the CRC
 * only (the remote persists its applied seq once per batch: 36 bytes, not 4 KiB); what follows
 * in the slot is left from earlier writes and never read.
 */
public final class DurableStateFile implements AutoCloseable {

    public static final int SLOT_SIZE = 4096;
    public static final int MAX_PAYLOAD = SLOT_SIZE - 24;
    private static final int MAGIC = 0x424D5354; // "BMST"
    private static final short VERSION = 1;

    private final Path path;
    private final FileChannel channel;
    private long counter;
    /** The slot image of the next write; direct, so the file write copies it once. Guarded by this. */
    private final ByteBuffer slotImage = ByteBuffer.allocateDirect(SLOT_SIZE);

    private DurableStateFile(Path path, FileChannel channel, long counter) {
        this.path = path;
        this.channel = channel;
        this.counter = counter;
    }

    /** Opens (creating if needed) a state file; {@link #read()} tells whether it holds a value. */
    public static DurableStateFile open(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        DurableStateFile f = new DurableStateFile(path, ch, 0);
        f.counter = Math.max(f.readSlot(0).map(Slot::counter).orElse(0L), f.readSlot(1).map(Slot::counter).orElse(0L));
        return f;
    }

    private record Slot(long counter, byte[] payload) {
    }

    private Optional<Slot> readSlot(int index) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(SLOT_SIZE);
        long pos = (long) index * SLOT_SIZE;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, pos + buf.position());
            if (n < 0) {
                break;
            }
        }
        if (buf.position() < 24) {
            return Optional.empty();
        }
        buf.flip();
        if (buf.getInt(0) != MAGIC || buf.getShort(4) != VERSION) {
            return Optional.empty();
        }
        long ctr = buf.getLong(8);
        int len = buf.getInt(16);
        if (len < 0 || len > MAX_PAYLOAD || 20 + len + 4 > buf.limit()) {
            return Optional.empty();
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, 20 + len);
        if ((int) crc.getValue() != buf.getInt(20 + len)) {
            return Optional.empty();
        }
        byte[] payload = new byte[len];
        System.arraycopy(buf.array(), 20, payload, 0, len);
        return Optional.of(new Slot(ctr, payload));
    }

    /** The newest valid value, or empty if none was ever written (or both slots are corrupt). */
    public synchronized Optional<byte[]> read() throws IOException {
        Optional<Slot> a = readSlot(0);
        Optional<Slot> b = readSlot(1);
        if (a.isEmpty()) {
            return b.map(Slot::payload);
        }
        if (b.isEmpty()) {
            return a.map(Slot::payload);
        }
        return Optional.of(a.get().counter() >= b.get().counter() ? a.get().payload() : b.get().payload());
    }

    /** Durably replaces the value (write to the older slot, then fdatasync). */
    public synchronized void write(byte[] payload) throws IOException {
        if (payload.length > MAX_PAYLOAD) {
            throw new IOException(path + ": state record of " + payload.length + " bytes exceeds " + MAX_PAYLOAD);
        }
        long next = counter + 1;
        ByteBuffer buf = slotImage.clear();
        buf.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putLong(next).putInt(payload.length).put(payload);
        CRC32C crc = new CRC32C();
        crc.update(buf.duplicate().flip());
        buf.putInt((int) crc.getValue());
        buf.flip();
        long pos = (next % 2) * SLOT_SIZE;
        while (buf.hasRemaining()) {
            pos += channel.write(buf, pos);
        }
        channel.force(false);
        counter = next;
    }

    public Path path() {
        return path;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}
