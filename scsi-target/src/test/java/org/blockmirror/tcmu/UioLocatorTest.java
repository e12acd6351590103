package org.blockmirror.tcmu;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UioLocatorTest {
    @TempDir
    Path root;

    private void fakeUio(String node, String name, String size) throws IOException {
        Path dir = root.resolve("sys/class/uio").resolve(node);
        Files.createDirectories(dir.resolve("maps/map0"));
        Files.writeString(dir.resolve("name"), name + "\n");
        Files.writeString(dir.resolve("maps/map0/size"), size + "\n");
    }

    private UioLocator locator() {
        return new UioLocator(root.resolve("sys/class/uio"), root.resolve("dev"));
    }

    @Test
    void findsTheUioDeviceByItsTcmuName() throws IOException {
        fakeUio("uio0", "tcm-user/0/other/blockmirror/x", "0x1000");
        fakeUio("uio3", UioLocator.tcmuName(1, "bm-disk0", "blockmirror", "disk0"), "0x40800000");

        Optional<UioLocator.UioInfo> found = locator().find("tcm-user/1/bm-disk0/blockmirror/disk0");

        assertTrue(found.isPresent());
        assertEquals("uio3", found.get().node());
        assertEquals(root.resolve("dev/uio3"), found.get().devicePath());
        assertEquals(0x40800000L, found.get().mapSize());
    }

    @Test
    void nameMustMatchExactly() throws IOException {
        fakeUio("uio0", "tcm-user/1/bm-disk01/blockmirror/disk0", "4096");
        assertTrue(locator().find("tcm-user/1/bm-disk0/blockmirror/disk0").isEmpty());
    }

    @Test
    void noUioClassMeansNotFound() throws IOException {
        assertTrue(locator().find("tcm-user/1/x/y/z").isEmpty());
    }

    @Test
    void unreadableSizeIsAClearError() throws IOException {
        fakeUio("uio2", "tcm-user/1/d/s/c", "lots");
        IOException e = assertThrows(IOException.class, () -> locator().find("tcm-user/1/d/s/c"));
        assertTrue(e.getMessage().contains("not a size: 'lots'"), e.getMessage());
    }
}
