package org.blockmirror.tcmu;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.blockmirror.time.MonotonicClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TcmuTargetTest {
    @TempDir
    Path root;

    @Test
    void aMissingUioDeviceRollsTheBackstoreBack() throws IOException {
        FakeKernelConfigFs fake = new FakeKernelConfigFs(root.resolve("configfs"));
        TcmuConfigFs configFs = new TcmuConfigFs(fake, "bm-");
        UioLocator locator = new UioLocator(root.resolve("sys/class/uio"), root.resolve("dev"));
        TcmuTargetConfig config = TcmuTargetConfig.loopback(2, "bm-d", "blockmirror", "d", 1 << 20, 512,
                "naa.5001405000000011", "naa.5001405000000012");

        IOException e = assertThrows(IOException.class, () -> TcmuTarget.start(configFs, locator, PosixIo.load(),
                config, new RamDisk(8), MonotonicClock.system(), 50));

        assertEquals("uio device tcm-user/2/bm-d/blockmirror/d did not appear within 50 ms", e.getMessage());
        assertFalse(Files.exists(root.resolve("configfs/core/user_2")), "backstore removed again");
        assertFalse(Files.exists(root.resolve("configfs/loopback/naa.5001405000000011")));
        assertEquals("rmdir core/user_2", fake.ops.get(fake.ops.size() - 1));
    }

    @Test
    void aBadMailboxRollsBackAndNamesTheProblem() throws IOException {
        FakeKernelConfigFs fake = new FakeKernelConfigFs(root.resolve("configfs"));
        TcmuConfigFs configFs = new TcmuConfigFs(fake, "bm-");
        TcmuTargetConfig config = TcmuTargetConfig.loopback(2, "bm-d", "blockmirror", "d", 1 << 20, 512,
                "naa.5001405000000011", "naa.5001405000000012");
        // A "uio" whose region is all zeroes: mailbox version 0.
        Path uioDir = root.resolve("sys/class/uio/uio4");
        Files.createDirectories(uioDir.resolve("maps/map0"));
        Files.writeString(uioDir.resolve("name"), config.uioName() + "\n");
        Files.writeString(uioDir.resolve("maps/map0/size"), "0x10000\n");
        Files.createDirectories(root.resolve("dev"));
        Files.write(root.resolve("dev/uio4"), new byte[0x10000]);
        UioLocator locator = new UioLocator(root.resolve("sys/class/uio"), root.resolve("dev"));

        TcmuRingException e = assertThrows(TcmuRingException.class, () -> TcmuTarget.start(configFs, locator,
                PosixIo.load(), config, new RamDisk(8), MonotonicClock.system(), 1000));

        assertEquals("bm-d: TCMU mailbox version 0, expected 2", e.getMessage());
        assertFalse(Files.exists(root.resolve("configfs/core/user_2")));
    }
}
