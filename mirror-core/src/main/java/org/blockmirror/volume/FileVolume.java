package org.blockmirror.volume;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;

/**
 * A {@link Volume} on a regular file or a block device, through a {@link FileChannel}.
 *
 * <p>{@link FileChannel#size()} reports a block device's size (the JDK asks the kernel with
 * BLKGETSIZE64), so both kinds are handled alike. Durability is {@code force(false)}, i.e.
 * fdatasync: the data and the metadata needed to read it back.
 */
public final class FileVolume implements Volume {

    private final Path path;
    private final FileChannel channel;
    private final int blockSize;
    private final long sizeBytes;

    private FileVolume(Path path, FileChannel channel, int blockSize, long sizeBytes) {
        this.path = path;
        this.channel = channel;
        this.blockSize = blockSize;
        this.sizeBytes = sizeBytes;
    }

    /**
     * Opens an existing file or block device for reading and writing.
     *
     * @param minBytes the size the caller needs; 0 accepts any size. The usable size is the
     *                 largest whole number of blocks that fits.
     */
    public static FileVolume open(Path path, int blockSize, long minBytes) throws VolumeException {
        return open(path, blockSize, minBytes, 0);
    }

    /**
     * Opens a volume and uses exactly {@code exportBytes} of it (0: all of it), e.g. when the
     * configured volume size is smaller than the device.
     */
    public static FileVolume open(Path path, int blockSize, long minBytes, long exportBytes) throws VolumeException {
        checkBlockSize(blockSize);
        if (!Files.exists(path)) {
            throw new VolumeException("volume " + path + " does not exist");
        }
        if (Files.isDirectory(path)) {
            throw new VolumeException("volume " + path + " is a directory, not a file or block device");
        }
        if (!Files.isWritable(path)) {
            throw new VolumeException("volume " + path + " is read-only (no write permission)");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new VolumeException("volume " + path + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new VolumeException("volume " + path + " cannot be opened for writing: access denied", e);
        } catch (IOException e) {
            throw new VolumeException("volume " + path + " cannot be opened: " + e.getMessage(), e);
        }
        try {
            long raw = channel.size();
            long usable = raw - raw % blockSize;
            if (usable == 0) {
                throw new VolumeException("volume " + path + " is empty (" + raw + " bytes)");
            }
            if (usable < minBytes) {
                throw new VolumeException("volume " + path + " is too small: " + usable
                        + " usable bytes, " + minBytes + " needed");
            }
            if (exportBytes > usable) {
                throw new VolumeException("volume " + path + " is too small: " + usable
                        + " usable bytes, " + exportBytes + " configured");
            }
            return new FileVolume(path, channel, blockSize, exportBytes > 0 ? exportBytes : usable);
        } catch (IOException e) {
            closeQuietly(channel);
            throw e instanceof VolumeException ve ? ve
                    : new VolumeException("volume " + path + ": cannot read its size: " + e.getMessage(), e);
        }
    }

    /**
     * Creates (or extends) a regular file of exactly {@code sizeBytes} and opens it. Existing
     * content is kept; a new file is sparse.
     */
    public static FileVolume createFile(Path path, long sizeBytes, int blockSize) throws VolumeException {
        checkBlockSize(blockSize);
        if (sizeBytes <= 0 || sizeBytes % blockSize != 0) {
            throw new VolumeException("volume size " + sizeBytes + " must be a positive multiple of the block size " + blockSize);
        }
        Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE);
        try (FileChannel ch = FileChannel.open(path, options)) {
            if (ch.size() < sizeBytes) {
                ch.write(ByteBuffer.allocate(1), sizeBytes - 1);
            }
        } catch (IOException e) {
            throw new VolumeException("cannot create volume file " + path + ": " + e.getMessage(), e);
        }
        return open(path, blockSize, sizeBytes);
    }

    private static void checkBlockSize(int blockSize) throws VolumeException {
        if (blockSize < 512 || blockSize > 65536 || Integer.bitCount(blockSize) != 1) {
            throw new VolumeException("block size " + blockSize + " is not a power of two between 512 and 65536");
        }
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        checkRange(offset, dst.remaining());
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                throw new VolumeException("volume " + path + ": unexpected end of file at offset " + pos);
            }
            pos += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        checkRange(offset, src.remaining());
        long pos = offset;
        while (src.hasRemaining()) {
            pos += channel.write(src, pos);
        }
    }

    @Override
    public void flush() throws IOException {
        channel.force(false);
    }

    private void checkRange(long offset, int length) throws VolumeException {
        if (offset < 0 || offset % blockSize != 0 || length % blockSize != 0) {
            throw new VolumeException("volume " + path + ": unaligned I/O at offset " + offset
                    + " length " + length + " (block size " + blockSize + ")");
        }
        if (offset + length > sizeBytes) {
            throw new VolumeException("volume " + path + ": I/O at offset " + offset + " length " + length
                    + " is beyond the end (" + sizeBytes + " bytes)");
        }
    }

    @Override
    public String describe() {
        return path.toString();
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already failing; the original error is the one worth reporting
        }
    }
}
