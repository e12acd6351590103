package org.blockmirror.tcmu;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.blockmirror.block.BlockDevice;
import org.blockmirror.frontend.FrontEndConfig;
import org.blockmirror.frontend.FrontEndType;
import org.blockmirror.time.MonotonicClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TcmuFrontEndTest {
    @TempDir
    Path root;

    private static FrontEndConfig config(FrontEndType type, String name) {
        return new FrontEndConfig(type, name, 2048, "iqn.2024-01.org.blockmirror:" + name, "127.0.0.1:3260");
    }

    private TcmuKernelCheck kernelWith(String... modules) throws IOException {
        Files.createDirectories(root.resolve("config/target"));
        for (String m : modules) {
            Files.createDirectories(root.resolve("module").resolve(m));
        }
        return new TcmuKernelCheck(root.resolve("config"), root.resolve("module"));
    }

    @Test
    void aKernelWithoutConfigfsIsNamed() {
        TcmuKernelCheck check = new TcmuKernelCheck(root.resolve("config"), root.resolve("module"));
        IOException e = assertThrows(IOException.class, () -> check.require(TcmuTargetConfig.Fabric.LOOPBACK));
        assertEquals("the kernel has no configfs (" + root.resolve("config") + " does not exist); the SCSI front end "
                + "needs configfs, LIO (target_core_mod) and TCMU (target_core_user)", e.getMessage());
    }

    @Test
    void configfsWithoutLioIsNamed() throws IOException {
        Files.createDirectories(root.resolve("config"));
        TcmuKernelCheck check = new TcmuKernelCheck(root.resolve("config"), root.resolve("module"));
        IOException e = assertThrows(IOException.class, () -> check.require(TcmuTargetConfig.Fabric.LOOPBACK));
        assertTrue(e.getMessage().startsWith("LIO is not available: " + root.resolve("config/target")
                + " does not exist (mount configfs: 'mount -t configfs none "), e.getMessage());
    }

    @Test
    void missingModulesAreNamedWithTheirModprobe() throws IOException {
        IOException e = assertThrows(IOException.class,
                () -> kernelWith().require(TcmuTargetConfig.Fabric.LOOPBACK));
        assertEquals("the kernel module target_core_user (TCMU userspace backstores) is not loaded "
                + "('modprobe target_core_user')", e.getMessage());

        e = assertThrows(IOException.class,
                () -> kernelWith("target_core_user").require(TcmuTargetConfig.Fabric.LOOPBACK));
        assertEquals("the kernel module tcm_loop (LIO loopback fabric) is not loaded ('modprobe tcm_loop')",
                e.getMessage());

        e = assertThrows(IOException.class,
                () -> kernelWith("target_core_user").require(TcmuTargetConfig.Fabric.ISCSI));
        assertEquals("the kernel module iscsi_target_mod (LIO iscsi fabric) is not loaded "
                + "('modprobe iscsi_target_mod')", e.getMessage());

        kernelWith("target_core_user", "tcm_loop").require(TcmuTargetConfig.Fabric.LOOPBACK);
        kernelWith("target_core_user", "iscsi_target_mod").require(TcmuTargetConfig.Fabric.ISCSI);
    }

    @Test
    void startOnAKernelWithoutTcmuFailsBeforeTouchingConfigfs() throws IOException {
        FakeKernelConfigFs fake = new FakeKernelConfigFs(root.resolve("configfs"));
        var env = new TcmuFrontEnd.Environment(kernelWith(), fake, root.resolve("scsi_disk"),
                new UioLocator(root.resolve("uio"), root.resolve("dev")), PosixIo::load, MonotonicClock.system(), 50);
        IOException e = assertThrows(IOException.class, () -> TcmuFrontEnd.factory(env)
                .start(config(FrontEndType.LOOPBACK, "bm-v1"), "v1", new SizedDevice(512, 2048)));
        assertTrue(e.getMessage().contains("target_core_user"), e.getMessage());
        assertEquals(List.of(), fake.ops);
    }

    @Test
    void startRemovesOnlyItsOwnLeftoversAndRollsBackAFailedStart() throws IOException {
        FakeKernelConfigFs fake = new FakeKernelConfigFs(root.resolve("configfs"));
        TcmuConfigFs configFs = new TcmuConfigFs(fake, "bm-");
        SizedDevice disk = new SizedDevice(512, 2048);
        // A crashed run of this unit, and a live neighbour (the other unit of a pair on one host).
        TcmuTargetConfig mine = TcmuFrontEnd.targetConfig(config(FrontEndType.LOOPBACK, "bm-v1"), "v1", disk);
        TcmuTargetConfig neighbour = TcmuFrontEnd.targetConfig(config(FrontEndType.LOOPBACK, "bm-v1-standby"), "v1",
                disk);
        for (TcmuTargetConfig c : List.of(mine, neighbour)) {
            configFs.createBackstore(c);
            configFs.exportLun(c);
        }
        var env = new TcmuFrontEnd.Environment(kernelWith("target_core_user", "tcm_loop"), fake,
                root.resolve("scsi_disk"), new UioLocator(root.resolve("uio"), root.resolve("dev")), PosixIo::load,
                MonotonicClock.system(), 50);

        IOException e = assertThrows(IOException.class, () -> TcmuFrontEnd.start(env,
                config(FrontEndType.LOOPBACK, "bm-v1"), "v1", disk));

        assertEquals("uio device " + mine.uioName() + " did not appear within 50 ms", e.getMessage());
        assertFalse(fake.exists(TcmuConfigFs.backstorePath(mine)), "leftover removed, new one rolled back");
        assertFalse(fake.exists(TcmuConfigFs.targetPath(mine)));
        assertTrue(fake.exists(TcmuConfigFs.lunPath(neighbour) + "/bm-v1-standby"), "neighbour untouched");
        assertEquals("1", fake.read(TcmuConfigFs.backstorePath(neighbour) + "/enable"));
    }

    @Test
    void theBackstoreCarriesTheDisksSerialAndLiosReservationDirectoryIsCreated() throws IOException {
        FakeKernelConfigFs fake = new FakeKernelConfigFs(root.resolve("configfs"));
        SizedDevice disk = new SizedDevice(512, 2048);
        TcmuTargetConfig c = TcmuFrontEnd.targetConfig(config(FrontEndType.LOOPBACK, "bm-v1"), "v1", disk);
        new TcmuConfigFs(fake, "bm-").createBackstore(c);
        String serial = org.blockmirror.scsi.DiskIdentity.forVolume("v1").serial();
        assertEquals(serial, c.unitSerial());
        assertEquals(serial, fake.read(TcmuConfigFs.backstorePath(c) + "/wwn/vpd_unit_serial"));
        assertEquals("write " + TcmuConfigFs.backstorePath(c) + "/wwn/vpd_unit_serial=" + serial,
                fake.ops.get(fake.ops.size() - 1), "written after enable, before any export");

        Path dbroot = root.resolve("var/target");
        Files.writeString(root.resolve("configfs/dbroot"), dbroot + "\n");
        TcmuFrontEnd.ensureReservationDirectory(fake);
        assertTrue(Files.isDirectory(dbroot.resolve("pr")));
        TcmuFrontEnd.ensureReservationDirectory(fake); // idempotent
    }

    @Test
    void lioNamesAreDerivedFromTheConfiguration() {
        SizedDevice disk = new SizedDevice(512, 2048);
        TcmuTargetConfig loop = TcmuFrontEnd.targetConfig(config(FrontEndType.LOOPBACK, "bm-db01"), "db01", disk);
        assertEquals("bm-db01", loop.deviceName());
        assertEquals("tcm-user/" + loop.hba() + "/bm-db01/blockmirror/db01", loop.uioName());
        assertEquals(disk.blockCount() * disk.blockSize(), loop.sizeBytes());
        assertEquals(2048, loop.maxSectors());
        assertTrue(loop.targetWwn().matches("naa\\.50014050[0-9a-f]{8}"), loop.targetWwn());
        assertNotEquals(loop.targetWwn(), loop.nexusWwn());
        TcmuTargetConfig standby = TcmuFrontEnd.targetConfig(config(FrontEndType.LOOPBACK, "bm-db01-standby"), "db01",
                disk);
        assertNotEquals(loop.hba(), standby.hba(), "units sharing a host use their own HBA");
        assertNotEquals(loop.targetWwn(), standby.targetWwn());

        TcmuTargetConfig iscsi = TcmuFrontEnd.targetConfig(config(FrontEndType.ISCSI, "bm-db01"), "db01", disk);
        assertEquals(TcmuTargetConfig.Fabric.ISCSI, iscsi.fabric());
        assertEquals("iqn.2024-01.org.blockmirror:bm-db01", iscsi.targetWwn());
        assertEquals("127.0.0.1:3260", iscsi.portal());
    }

    /** Only the geometry matters here: nothing is served in these tests. */
    private record SizedDevice(int blockSize, long blockCount) implements BlockDevice {
        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public CompletableFuture<ByteBuffer> read(long lba, int blocks) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }

        @Override
        public CompletableFuture<Void> write(long lba, ByteBuffer data) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }

        @Override
        public CompletableFuture<Void> flush() {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }

        @Override
        public CompletableFuture<Void> trim(long lba, long blocks) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }
    }
}
