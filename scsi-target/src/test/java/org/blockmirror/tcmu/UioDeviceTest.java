package org.blockmirror.tcmu;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.blockmirror.scsi.ScsiResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native half without a kernel: jnr open/mmap/munmap/poll/read/write on real files and
 * FIFOs. A regular file stands in for /dev/uioN (both are MAP_SHARED mappings of an fd).
 */
class UioDeviceTest {
    private static final PosixIo IO = PosixIo.load();

    @TempDir
    Path dir;

    @Test
    void ringRoundTripOverANativeMapping() throws IOException {
        int cmdrSize = 4000;
        int blocks = 8;
        Path file = dir.resolve("uio0");
        Files.write(file, new byte[SimulatedTcmuKernel.mapSize(cmdrSize, blocks)]);
        UioLocator.UioInfo info = new UioLocator.UioInfo("uio0", file, Files.size(file));

        try (UioDevice uio = UioDevice.open(IO, info)) {
            SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(uio.memory(), TcmuAbi.FLAG_CAP_OOOC, cmdrSize, blocks);
            RamDisk disk = new RamDisk(64);
            // The simulated kernel is the doorbell here: a kick on a regular file would write into it.
            TcmuRing ring = TcmuRing.attach("native", uio.memory(), disk, kernel);
            byte[] data = new byte[4096];
            Arrays.fill(data, (byte) 0x5a);
            kernel.submit(RamDisk.write10(3, 8), data, 0);
            int readId = kernel.submit(RamDisk.read10(3, 8), null, 4096);
            assertEquals(2, ring.processNewEntries());
            List<SimulatedTcmuKernel.Completion> done = kernel.reap();
            assertEquals(2, done.size());
            assertEquals(readId, done.get(1).cmdId());
            assertEquals(ScsiResponse.GOOD, done.get(1).status());
            assertArrayEquals(data, done.get(1).dataIn());
            ring.close();
        }
        // MAP_SHARED: what the ring wrote is in the file.
        ByteBuffer mailbox = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.nativeOrder());
        assertEquals(TcmuAbi.MAILBOX_VERSION, mailbox.getShort(TcmuAbi.MB_VERSION));
        assertEquals(mailbox.getInt(TcmuAbi.MB_CMD_HEAD), mailbox.getInt(TcmuAbi.MB_CMD_TAIL));
        assertNotEquals(0, mailbox.getInt(TcmuAbi.MB_CMD_TAIL));
    }

    @Test
    void kickWritesOneNativeIntAndCloseIsIdempotent() throws IOException {
        Path file = dir.resolve("uio1");
        Files.write(file, new byte[] {9, 9, 9, 9, 9, 9, 9, 9});
        UioDevice uio = UioDevice.open(IO, new UioLocator.UioInfo("uio1", file, 8));
        uio.kick();
        uio.close();
        uio.close();
        assertArrayEquals(new byte[] {0, 0, 0, 0, 9, 9, 9, 9}, Files.readAllBytes(file));
        IOException e = assertThrows(IOException.class, uio::kick);
        assertTrue(e.getMessage().endsWith("uio1 is closed"), e.getMessage());
    }

    @Test
    void openingAMissingDeviceNamesTheErrno() {
        Path missing = dir.resolve("uio9");
        IOException e = assertThrows(IOException.class,
                () -> UioDevice.open(IO, new UioLocator.UioInfo("uio9", missing, 4096)));
        assertEquals("open " + missing + ": No such file or directory (errno 2)", e.getMessage());
    }

    @Test
    void mmapFailureIsReportedAndTheFdClosed() throws Exception {
        Path fifo = mkfifo("notmappable");
        IOException e = assertThrows(IOException.class,
                () -> UioDevice.open(IO, new UioLocator.UioInfo("fifo", fifo, 4096)));
        assertTrue(e.getMessage().startsWith("mmap 4096 bytes of fd"), e.getMessage());
        assertTrue(e.getMessage().contains("(errno 19)"), e.getMessage());
    }

    @Test
    void pollTimesOutThenSeesAnEventAndReadConsumesIt() throws Exception {
        Path fifo = mkfifo("events");
        int fd = IO.openReadWrite(fifo.toString());
        try {
            assertFalse(IO.pollReadable(fd, 20));
            IO.writeInt(fd, 7);
            assertTrue(IO.pollReadable(fd, 1000));
            assertEquals(7, IO.readInt(fd));
            assertFalse(IO.pollReadable(fd, 0));
        } finally {
            IO.close(fd);
        }
        IOException e = assertThrows(IOException.class, () -> IO.close(fd));
        assertEquals("close fd " + fd + ": Bad file descriptor (errno 9)", e.getMessage());
    }

    private Path mkfifo(String name) throws Exception {
        Path fifo = dir.resolve(name);
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, p.waitFor());
        return fifo;
    }
}
