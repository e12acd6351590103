package org.blockmirror.dirtymap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.zip.CRC32C;

/**
 * The persistent dirty-block map: one bit per chunk of the volume (a chunk is
 * {@link #blocksPerChunk()} blocks), set when the chunk may differ on the remote and the
 * journal no longer says how. Remirror reads it to know what to compare and send.
 *
 * <p>Durability is asymmetric on purpose. {@link #mark} is durable when it returns (the bit must
 * be on disk before the volume write it covers, or a crash could hide a difference), but it
 * only writes when a bit actually flips from 0 to 1, so a host rewriting hot chunks pays
 * nothing. {@link #clear} is lazy ({@link #sync()} writes it): losing a clear in a crash only
 * makes remirror compare a chunk that is already equal, which costs a checksum, not data.
 *
 * <p>On-disk format (version 1, big-endian; docs/dirty-map-format.md): a 4096-byte header page
 * and then bitmap pages of 4096 bytes, each {@code CRC32C u32 | page number u32 | 4088 bytes of
 * bits}, chunk {@code c} being bit {@code c % 8} (least significant first) of byte {@code c / 8}
 * of the bitmap. A page whose CRC does not match (a torn write) is read as all dirty: the safe
 * side, never a silent loss.
 *
 * <p>Thread-safe: the write path marks while remirror clears.
 */
public final class DirtyMap implements AutoCloseable {

    public static final int PAGE_SIZE = 4096;
    static final int PAGE_HEADER = 8;
    public static final int CHUNKS_PER_PAGE = (PAGE_SIZE - PAGE_HEADER) * 8;
    private static final int MAGIC = 0x424D444D; // "BMDM"
    private static final short VERSION = 1;
    private static final int HEADER_FIELDS = 40;

    private final Path path;
    private final FileChannel channel;
    private final int blockSize;
    private final long blockCount;
    private final int blocksPerChunk;
    private final long chunkCount;
    private final BitSet bits;
    /** Pages changed by clears and not yet written. */
    private final BitSet pagesToWrite = new BitSet();
    private final int recoveredPages;
    private long dirtyChunks;

    private DirtyMap(Path path, FileChannel channel, int blockSize, long blockCount, int blocksPerChunk,
                     BitSet bits, int recoveredPages) {
        this.path = path;
        this.channel = channel;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        this.blocksPerChunk = blocksPerChunk;
        this.chunkCount = chunkCount(blockCount, blocksPerChunk);
        this.bits = bits;
        this.recoveredPages = recoveredPages;
        this.dirtyChunks = bits.cardinality();
    }

    private static long chunkCount(long blockCount, int blocksPerChunk) {
        return (blockCount + blocksPerChunk - 1) / blocksPerChunk;
    }

    /**
     * Opens the map at {@code path}, creating it (all clean) if the file does not exist. An
     * existing map must describe the same geometry: a map of another volume is an error, not
     * something to reinterpret.
     */
    public static DirtyMap openOrCreate(Path path, int blockSize, long blockCount, int blocksPerChunk)
            throws IOException {
        if (blockSize <= 0 || blockCount <= 0 || blocksPerChunk <= 0) {
            throw new IllegalArgumentException("dirty map geometry must be positive: block size " + blockSize
                    + ", blocks " + blockCount + ", blocks per chunk " + blocksPerChunk);
        }
        long chunks = chunkCount(blockCount, blocksPerChunk);
        if (chunks > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("dirty map of " + chunks + " chunks is too large: use larger chunks");
        }
        if (!Files.exists(path) || Files.size(path) == 0) {
            return create(path, blockSize, blockCount, blocksPerChunk);
        }
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            ByteBuffer header = readFully(ch, 0, PAGE_SIZE, path);
            checkHeader(header, path, blockSize, blockCount, blocksPerChunk);
            int pages = pageCount(chunks);
            BitSet bits = new BitSet((int) chunks);
            int recovered = 0;
            for (int p = 0; p < pages; p++) {
                ByteBuffer page = readFully(ch, (long) (p + 1) * PAGE_SIZE, PAGE_SIZE, path);
                if (!pageValid(page, p)) {
                    recovered++;
                    long first = (long) p * CHUNKS_PER_PAGE;
                    bits.set((int) first, (int) Math.min(chunks, first + CHUNKS_PER_PAGE));
                    continue;
                }
                for (int i = 0; i < CHUNKS_PER_PAGE; i++) {
                    long c = (long) p * CHUNKS_PER_PAGE + i;
                    if (c >= chunks) {
                        break;
                    }
                    if ((page.get(PAGE_HEADER + i / 8) & (1 << (i % 8))) != 0) {
                        bits.set((int) c);
                    }
                }
            }
            return new DirtyMap(path, ch, blockSize, blockCount, blocksPerChunk, bits, recovered);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static DirtyMap create(Path path, int blockSize, long blockCount, int blocksPerChunk)
            throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        try {
            ByteBuffer header = ByteBuffer.allocate(PAGE_SIZE);
            header.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putInt(blockSize).putInt(blocksPerChunk)
                    .putLong(blockCount).putLong(chunkCount(blockCount, blocksPerChunk)).putInt(PAGE_SIZE);
            CRC32C crc = new CRC32C();
            crc.update(header.array(), 0, HEADER_FIELDS - 4);
            header.putInt((int) crc.getValue());
            writeFully(ch, header.clear(), 0);
            DirtyMap map = new DirtyMap(path, ch, blockSize, blockCount, blocksPerChunk, new BitSet(), 0);
            for (int p = 0; p < pageCount(map.chunkCount); p++) {
                map.writePage(p);
            }
            ch.force(true);
            return map;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void checkHeader(ByteBuffer h, Path path, int blockSize, long blockCount, int blocksPerChunk)
            throws IOException {
        if (h.getInt(0) != MAGIC) {
            throw new IOException(path + " is not a blockmirror dirty map (bad magic)");
        }
        if (h.getShort(4) != VERSION) {
            throw new IOException(path + ": dirty map format version " + h.getShort(4) + " is not supported (this build reads "
                    + VERSION + ")");
        }
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, HEADER_FIELDS - 4);
        if ((int) crc.getValue() != h.getInt(HEADER_FIELDS - 4)) {
            throw new IOException(path + ": dirty map header is damaged (CRC mismatch)");
        }
        int bs = h.getInt(8);
        int bpc = h.getInt(12);
        long bc = h.getLong(16);
        if (bs != blockSize || bc != blockCount || bpc != blocksPerChunk) {
            throw new IOException(path + ": dirty map describes " + bc + " blocks of " + bs + " bytes in chunks of "
                    + bpc + " blocks, but the volume has " + blockCount + " blocks of " + blockSize
                    + " bytes and the configured chunk is " + blocksPerChunk + " blocks");
        }
    }

    private static int pageCount(long chunks) {
        return (int) Math.max(1, (chunks + CHUNKS_PER_PAGE - 1) / CHUNKS_PER_PAGE);
    }

    private static boolean pageValid(ByteBuffer page, int number) {
        CRC32C crc = new CRC32C();
        crc.update(page.array(), 4, PAGE_SIZE - 4);
        return (int) crc.getValue() == page.getInt(0) && page.getInt(4) == number;
    }

    private static ByteBuffer readFully(FileChannel ch, long pos, int len, Path path) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(len);
        while (buf.hasRemaining()) {
            if (ch.read(buf, pos + buf.position()) < 0) {
                throw new IOException(path + ": dirty map is truncated at byte " + (pos + buf.position()));
            }
        }
        return buf.flip();
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf, pos + buf.position());
        }
    }

    /** Writes bitmap page {@code p} from memory (caller holds the lock or is constructing). */
    private void writePage(int p) throws IOException {
        ByteBuffer page = ByteBuffer.allocate(PAGE_SIZE);
        page.putInt(4, p);
        long first = (long) p * CHUNKS_PER_PAGE;
        for (int i = bits.nextSetBit((int) first); i >= 0 && i < first + CHUNKS_PER_PAGE; i = bits.nextSetBit(i + 1)) {
            int bit = (int) (i - first);
            int at = PAGE_HEADER + bit / 8;
            page.put(at, (byte) (page.get(at) | (1 << (bit % 8))));
        }
        CRC32C crc = new CRC32C();
        crc.update(page.array(), 4, PAGE_SIZE - 4);
        page.putInt(0, (int) crc.getValue());
        writeFully(channel, page, (long) (p + 1) * PAGE_SIZE);
    }

    // ---- geometry ----

    public int blockSize() {
        return blockSize;
    }

    public long blockCount() {
        return blockCount;
    }

    public int blocksPerChunk() {
        return blocksPerChunk;
    }

    public long chunkCount() {
        return chunkCount;
    }

    /** First block of chunk {@code c}. */
    public long chunkFirstBlock(long c) {
        return c * blocksPerChunk;
    }

    /** Blocks in chunk {@code c} (the last chunk may be short). */
    public int chunkBlocks(long c) {
        return (int) Math.min(blocksPerChunk, blockCount - c * blocksPerChunk);
    }

    /** Pages found damaged at open and therefore read as all dirty. */
    public int recoveredPages() {
        return recoveredPages;
    }

    public Path path() {
        return path;
    }

    // ---- marking and clearing ----

    /**
     * Marks blocks {@code [lba, lba + blocks)} dirty. When it returns the marks are on disk.
     *
     * @return true if at least one chunk was newly marked (and a page was written)
     */
    public synchronized boolean mark(long lba, long blocks) throws IOException {
        if (lba < 0 || blocks < 0 || lba > blockCount || blocks > blockCount - lba) {
            throw new IllegalArgumentException("blocks " + lba + "+" + blocks + " are outside the map ("
                    + blockCount + " blocks)");
        }
        if (blocks == 0) {
            return false;
        }
        long first = lba / blocksPerChunk;
        long last = (lba + blocks - 1) / blocksPerChunk;
        if (bits.nextClearBit((int) first) > last) {
            return false; // already dirty: the usual case in bitmap mode, no I/O
        }
        BitSet pages = new BitSet();
        for (int c = bits.nextClearBit((int) first); c <= last; c = bits.nextClearBit(c + 1)) {
            bits.set(c);
            dirtyChunks++;
            pages.set(c / CHUNKS_PER_PAGE);
        }
        if (pages.isEmpty()) {
            return false;
        }
        for (int p = pages.nextSetBit(0); p >= 0; p = pages.nextSetBit(p + 1)) {
            writePage(p);
            pagesToWrite.clear(p); // its pending clears went out with it
        }
        channel.force(false);
        return true;
    }

    /**
     * Marks the given chunks dirty, durably, with one fdatasync for all of them (remirror records
     * the chunks it has in flight this way).
     *
     * @return true if at least one chunk was newly marked
     */
    public synchronized boolean markChunks(long[] chunks) throws IOException {
        BitSet pages = new BitSet();
        for (long c : chunks) {
            if (c < 0 || c >= chunkCount) {
                throw new IllegalArgumentException("chunk " + c + " is outside the map (" + chunkCount + " chunks)");
            }
            if (!bits.get((int) c)) {
                bits.set((int) c);
                dirtyChunks++;
                pages.set((int) (c / CHUNKS_PER_PAGE));
            }
        }
        if (pages.isEmpty()) {
            return false;
        }
        for (int p = pages.nextSetBit(0); p >= 0; p = pages.nextSetBit(p + 1)) {
            writePage(p);
            pagesToWrite.clear(p);
        }
        channel.force(false);
        return true;
    }

    /** Marks the whole volume dirty (initial sync of a new pair), durably. */
    public boolean markAll() throws IOException {
        return mark(0, blockCount);
    }

    /** Clears chunk {@code c}; written by the next {@link #sync()} (see the class comment). */
    public synchronized void clear(long c) {
        if (bits.get((int) c)) {
            bits.clear((int) c);
            dirtyChunks--;
            pagesToWrite.set((int) (c / CHUNKS_PER_PAGE));
        }
    }

    /** Writes pending clears to disk. */
    public synchronized void sync() throws IOException {
        if (pagesToWrite.isEmpty()) {
            return;
        }
        for (int p = pagesToWrite.nextSetBit(0); p >= 0; p = pagesToWrite.nextSetBit(p + 1)) {
            writePage(p);
        }
        pagesToWrite.clear();
        channel.force(false);
    }

    // ---- queries ----

    public synchronized boolean isDirty(long c) {
        return bits.get((int) c);
    }

    /** The first dirty chunk at or after {@code from}, or -1. */
    public synchronized long nextDirtyChunk(long from) {
        if (from >= chunkCount) {
            return -1;
        }
        int c = bits.nextSetBit((int) Math.max(0, from));
        return c < 0 || c >= chunkCount ? -1 : c;
    }

    public synchronized long dirtyChunks() {
        return dirtyChunks;
    }

    /** Blocks covered by dirty chunks (an upper bound of the blocks that differ). */
    public synchronized long dirtyBlocks() {
        long n = dirtyChunks * blocksPerChunk;
        long lastChunk = chunkCount - 1;
        if (bits.get((int) lastChunk)) {
            n -= blocksPerChunk - chunkBlocks(lastChunk);
        }
        return n;
    }

    public synchronized boolean isEmpty() {
        return dirtyChunks == 0;
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            sync();
        } finally {
            channel.close();
        }
    }

    @Override
    public String toString() {
        return "dirty map " + path + " (" + dirtyChunks() + " of " + chunkCount + " chunks dirty)";
    }
}
