package org.blockmirror.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableStateFileTest {

    @TempDir
    Path dir;

    @Test
    void newestValueSurvivesReopen() throws Exception {
        Path p = dir.resolve("s");
        try (DurableStateFile f = DurableStateFile.open(p)) {
            assertTrue(f.read().isEmpty());
            for (int i = 0; i < 5; i++) {
                f.write(new byte[] {(byte) i});
            }
        }
        try (DurableStateFile f = DurableStateFile.open(p)) {
            assertArrayEquals(new byte[] {4}, f.read().orElseThrow());
            f.write(new byte[] {5});
            assertArrayEquals(new byte[] {5}, f.read().orElseThrow());
        }
    }

    @Test
    void aWriteCoversItsSlotOnlyUpToTheCrcAndAnOlderLongerValueLeftBehindIsNeverRead() throws Exception {
        Path p = dir.resolve("s");
        byte[] longer = new byte[3000];
        java.util.Arrays.fill(longer, (byte) 0x77);
        try (DurableStateFile f = DurableStateFile.open(p)) {
            f.write(new byte[] {1}); // counter 1: slot 1, 20 header + 1 payload + 4 CRC bytes
            assertEquals(DurableStateFile.SLOT_SIZE + 25, java.nio.file.Files.size(p));
            f.write(longer); // counter 2: slot 0
            f.write(new byte[] {3}); // counter 3: slot 1
            f.write(new byte[] {4, 4}); // counter 4: slot 0, over the longer value's first bytes
        }
        try (DurableStateFile f = DurableStateFile.open(p)) {
            assertArrayEquals(new byte[] {4, 4}, f.read().orElseThrow());
            f.write(new byte[] {5});
        }
        try (DurableStateFile f = DurableStateFile.open(p)) {
            assertArrayEquals(new byte[] {5}, f.read().orElseThrow());
        }
    }

    @Test
    void aTornWriteFallsBackToThePreviousValue() throws Exception {
        Path p = dir.resolve("s");
        try (DurableStateFile f = DurableStateFile.open(p)) {
            f.write(new byte[] {1});
            f.write(new byte[] {2}); // counter 2 → slot 0
        }
        // tear the newest slot at every byte of its header and payload: the older value must win
        for (int off = 0; off < 25; off++) {
            Path copy = dir.resolve("copy" + off);
            java.nio.file.Files.copy(p, copy);
            try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
                ByteBuffer b = ByteBuffer.allocate(1);
                ch.read(b, off);
                b.flip();
                byte flipped = (byte) (b.get(0) ^ 0x5A);
                ch.write(ByteBuffer.wrap(new byte[] {flipped}), off);
            }
            try (DurableStateFile f = DurableStateFile.open(copy)) {
                assertArrayEquals(new byte[] {1}, f.read().orElseThrow(), "corrupt byte " + off);
            }
        }
    }

    @Test
    void unitIdIsGeneratedOnceThenKept() throws Exception {
        UUID first = UnitIdentity.loadOrCreate(dir, null, UUID::randomUUID);
        UUID again = UnitIdentity.loadOrCreate(dir, null, UUID::randomUUID);
        assertEquals(first, again);
        UUID configured = UUID.randomUUID();
        assertEquals(configured, UnitIdentity.loadOrCreate(dir, configured, UUID::randomUUID));
    }
}
