package org.blockmirror.dirtymap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirtyMapTest {

    @TempDir
    Path dir;

    /** 100 000 blocks in chunks of 16: 6250 chunks, one page. */
    private DirtyMap small() throws IOException {
        return DirtyMap.openOrCreate(dir.resolve("map"), 4096, 100_000, 16);
    }

    @Test
    void marksAreDurableAndCoverWholeChunks() throws IOException {
        try (DirtyMap map = small()) {
            assertTrue(map.isEmpty());
            assertTrue(map.mark(15, 2)); // chunks 0 and 1
            assertFalse(map.mark(0, 16), "re-marking a dirty chunk writes nothing");
            assertTrue(map.mark(99_999, 1)); // the last, short chunk
            assertEquals(3, map.dirtyChunks());
        }
        try (DirtyMap map = small()) {
            assertEquals(3, map.dirtyChunks());
            assertEquals(0, map.nextDirtyChunk(0));
            assertEquals(1, map.nextDirtyChunk(1));
            assertEquals(6249, map.nextDirtyChunk(2));
            assertEquals(-1, map.nextDirtyChunk(6250));
            assertEquals(16 + 16 + 16, map.dirtyBlocks(), "100 000 = 6249 * 16 + 16: the last chunk is full");
            assertEquals(0, map.recoveredPages());
        }
    }

    @Test
    void markChunksMarksTheGivenChunksDurably() throws IOException {
        try (DirtyMap map = small()) {
            map.mark(40 * 16, 1);
            assertTrue(map.markChunks(new long[] {3, 40, 6249}));
            assertFalse(map.markChunks(new long[] {3, 40}), "nothing new to mark");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> map.markChunks(new long[] {6250}));
            assertEquals("chunk 6250 is outside the map (6250 chunks)", e.getMessage());
        }
        try (DirtyMap map = small()) {
            assertEquals(3, map.dirtyChunks());
            assertTrue(map.isDirty(3) && map.isDirty(40) && map.isDirty(6249));
        }
    }

    @Test
    void lastChunkMayBeShort() throws IOException {
        try (DirtyMap map = DirtyMap.openOrCreate(dir.resolve("m"), 512, 100, 16)) {
            assertEquals(7, map.chunkCount());
            assertEquals(4, map.chunkBlocks(6));
            map.markAll();
            assertEquals(100, map.dirtyBlocks());
        }
    }

    @Test
    void clearsAreWrittenBySyncAndClose() throws IOException {
        try (DirtyMap map = small()) {
            map.mark(0, 100_000);
            map.clear(5);
            map.clear(6);
            map.sync();
            map.clear(7); // written by close
        }
        try (DirtyMap map = small()) {
            assertEquals(6250 - 3, map.dirtyChunks());
            assertFalse(map.isDirty(5));
            assertFalse(map.isDirty(7));
            assertTrue(map.isDirty(8));
        }
    }

    @Test
    void aLostClearOnlyLeavesTheChunkDirty() throws IOException {
        Path p = dir.resolve("map");
        DirtyMap map = DirtyMap.openOrCreate(p, 4096, 100_000, 16);
        map.mark(0, 32);
        map.clear(0);
        // simulate a crash: the file is never synced or closed through the map
        try (DirtyMap again = DirtyMap.openOrCreate(p, 4096, 100_000, 16)) {
            assertTrue(again.isDirty(0));
            assertTrue(again.isDirty(1));
        }
    }

    @Test
    void aTornPageReadsAsAllDirty() throws IOException {
        Path p = dir.resolve("map");
        // 40 000 chunks: two bitmap pages
        try (DirtyMap map = DirtyMap.openOrCreate(p, 4096, 40_000L * 16, 16)) {
            map.mark(16 * 5, 1);
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xFF}), DirtyMap.PAGE_SIZE * 2 + 100); // page 1
        }
        try (DirtyMap map = DirtyMap.openOrCreate(p, 4096, 40_000L * 16, 16)) {
            assertEquals(1, map.recoveredPages());
            assertEquals(1 + (40_000 - DirtyMap.CHUNKS_PER_PAGE), map.dirtyChunks());
            assertTrue(map.isDirty(5));
            assertFalse(map.isDirty(6));
            assertTrue(map.isDirty(DirtyMap.CHUNKS_PER_PAGE));
        }
    }

    @Test
    void aMapOfAnotherGeometryIsRefused() throws IOException {
        small().close();
        IOException e = assertThrows(IOException.class,
                () -> DirtyMap.openOrCreate(dir.resolve("map"), 4096, 200_000, 16));
        assertTrue(e.getMessage().contains("describes 100000 blocks of 4096 bytes in chunks of 16 blocks"), e.getMessage());
        assertTrue(e.getMessage().contains("200000 blocks"), e.getMessage());
    }

    @Test
    void damagedHeaderOrForeignFileIsRefused() throws IOException {
        Path foreign = dir.resolve("foreign");
        Files.write(foreign, new byte[8192]);
        IOException e = assertThrows(IOException.class, () -> DirtyMap.openOrCreate(foreign, 4096, 100, 16));
        assertTrue(e.getMessage().contains("not a blockmirror dirty map"), e.getMessage());

        small().close();
        try (FileChannel ch = FileChannel.open(dir.resolve("map"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {9}), 20);
        }
        e = assertThrows(IOException.class, this::small);
        assertTrue(e.getMessage().contains("header is damaged"), e.getMessage());

        Path cut = dir.resolve("cut");
        DirtyMap.openOrCreate(cut, 4096, 100, 16).close();
        try (FileChannel ch = FileChannel.open(cut, StandardOpenOption.WRITE)) {
            ch.truncate(DirtyMap.PAGE_SIZE + 10);
        }
        e = assertThrows(IOException.class, () -> DirtyMap.openOrCreate(cut, 4096, 100, 16));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void rangeChecks() throws IOException {
        try (DirtyMap map = small()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> map.mark(99_999, 2));
            assertTrue(e.getMessage().contains("outside the map"), e.getMessage());
            assertFalse(map.mark(10, 0));
        }
    }
}
