package org.blockmirror.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileVolumeTest {

    @TempDir
    Path dir;

    @Test
    void writesAndReadsBackPositionally() throws Exception {
        try (FileVolume v = FileVolume.createFile(dir.resolve("v"), 64 * 4096, 4096)) {
            byte[] data = new byte[8192];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31);
            }
            v.write(4096 * 10, ByteBuffer.wrap(data));
            v.flush();
            ByteBuffer back = ByteBuffer.allocate(8192);
            v.read(4096 * 10, back);
            assertArrayEquals(data, back.array());
            assertEquals(64, v.blockCount());
        }
    }

    @Test
    void missingVolumeIsAClearError() {
        VolumeException e = assertThrows(VolumeException.class,
                () -> FileVolume.open(dir.resolve("nope"), 512, 0));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void tooSmallVolumeIsAClearError() throws Exception {
        Path p = dir.resolve("small");
        Files.write(p, new byte[4096]);
        VolumeException e = assertThrows(VolumeException.class, () -> FileVolume.open(p, 512, 8192));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
    }

    @Test
    void readOnlyVolumeIsAClearError() throws Exception {
        Path p = dir.resolve("ro");
        Files.write(p, new byte[4096]);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("r--r--r--"));
        assumeFalse(Files.isWritable(p), "root ignores permission bits");
        VolumeException e = assertThrows(VolumeException.class, () -> FileVolume.open(p, 512, 0));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
    }

    @Test
    void ioBeyondTheEndIsRefusedWithoutExtendingTheFile() throws Exception {
        try (FileVolume v = FileVolume.createFile(dir.resolve("v"), 8 * 512, 512)) {
            assertThrows(VolumeException.class, () -> v.write(8 * 512, ByteBuffer.allocate(512)));
            assertThrows(VolumeException.class, () -> v.write(100, ByteBuffer.allocate(512)));
            assertEquals(8 * 512, Files.size(dir.resolve("v")));
        }
    }

    @Test
    void badBlockSizeIsRefused() {
        assertThrows(VolumeException.class, () -> FileVolume.createFile(dir.resolve("v"), 4096, 1000));
    }
}
