package org.blockmirror.tcmu;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TcmuConfigFsTest {
    private static final long SIZE = 64L << 20;

    @TempDir
    Path root;
    FakeKernelConfigFs fake;
    TcmuConfigFs configFs;

    private final TcmuTargetConfig loop = TcmuTargetConfig.loopback(1, "bm-disk0", "blockmirror", "disk0", SIZE, 512,
            "naa.5001405000000001", "naa.5001405000000002");
    private final TcmuTargetConfig iscsi = TcmuTargetConfig.iscsi(1, "bm-disk1", "blockmirror", "disk1", SIZE, 4096,
            "iqn.2003-01.org.blockmirror:disk1", TcmuTargetConfig.DEFAULT_PORTAL);

    @BeforeEach
    void setUp() throws IOException {
        fake = new FakeKernelConfigFs(root);
        configFs = new TcmuConfigFs(fake, "bm-");
    }

    @Test
    void loopbackSetUpAndTearDownInTheKernelsOrder() throws IOException {
        configFs.createBackstore(loop);
        configFs.exportLun(loop);
        assertEquals(List.of(
                "mkdir core/user_1",
                "mkdir core/user_1/bm-disk0",
                "write core/user_1/bm-disk0/control=dev_config=blockmirror/disk0",
                "write core/user_1/bm-disk0/control=dev_size=67108864",
                "write core/user_1/bm-disk0/control=hw_block_size=512",
                "write core/user_1/bm-disk0/control=hw_max_sectors=2048",
                "write core/user_1/bm-disk0/control=nl_reply_supported=-1",
                "write core/user_1/bm-disk0/enable=1",
                "mkdir loopback",
                "mkdir loopback/naa.5001405000000001",
                "mkdir loopback/naa.5001405000000001/tpgt_1",
                "write loopback/naa.5001405000000001/tpgt_1/nexus=naa.5001405000000002",
                "mkdir loopback/naa.5001405000000001/tpgt_1/lun/lun_0",
                "symlink loopback/naa.5001405000000001/tpgt_1/lun/lun_0/bm-disk0 -> core/user_1/bm-disk0"),
                fake.ops);
        assertEquals("core/user_1/bm-disk0", fake.readLink("loopback/naa.5001405000000001/tpgt_1/lun/lun_0/bm-disk0"));
        assertEquals("1", fake.read("core/user_1/bm-disk0/enable"));
        assertEquals("tcm-user/1/bm-disk0/blockmirror/disk0", loop.uioName());

        fake.ops.clear();
        configFs.unexportLun(loop);
        configFs.removeBackstore(loop);
        assertEquals(List.of(
                "unlink loopback/naa.5001405000000001/tpgt_1/lun/lun_0/bm-disk0",
                "rmdir loopback/naa.5001405000000001/tpgt_1/lun/lun_0",
                "rmdir loopback/naa.5001405000000001/tpgt_1",
                "rmdir loopback/naa.5001405000000001",
                "rmdir core/user_1/bm-disk0",
                "rmdir core/user_1"),
                fake.ops);
        assertFalse(Files.exists(root.resolve("core/user_1")));
        assertTrue(Files.exists(root.resolve("core/alua")), "kernel objects not ours are left alone");
    }

    @Test
    void iscsiSetUpAndTearDownInTheKernelsOrder() throws IOException {
        configFs.createBackstore(iscsi);
        fake.ops.clear();
        configFs.exportLun(iscsi);
        String tpg = "iscsi/iqn.2003-01.org.blockmirror:disk1/tpgt_1";
        assertEquals(List.of(
                "mkdir iscsi",
                "mkdir iscsi/iqn.2003-01.org.blockmirror:disk1",
                "mkdir " + tpg,
                "mkdir " + tpg + "/lun/lun_0",
                "symlink " + tpg + "/lun/lun_0/bm-disk1 -> core/user_1/bm-disk1",
                "mkdir " + tpg + "/np/127.0.0.1:3260",
                "write " + tpg + "/attrib/generate_node_acls=1",
                "write " + tpg + "/attrib/authentication=0",
                "write " + tpg + "/attrib/demo_mode_write_protect=0",
                "write " + tpg + "/attrib/cache_dynamic_acls=1",
                "write " + tpg + "/enable=1"),
                fake.ops);

        fake.ops.clear();
        configFs.unexportLun(iscsi);
        configFs.removeBackstore(iscsi);
        assertEquals(List.of(
                "unlink " + tpg + "/lun/lun_0/bm-disk1",
                "rmdir " + tpg + "/lun/lun_0",
                "write " + tpg + "/enable=0",
                "rmdir " + tpg + "/np/127.0.0.1:3260",
                "rmdir " + tpg,
                "rmdir iscsi/iqn.2003-01.org.blockmirror:disk1",
                "rmdir core/user_1/bm-disk1",
                "rmdir core/user_1"),
                fake.ops);
    }

    @Test
    void tearDownTwiceDoesNothingTheSecondTime() throws IOException {
        configFs.createBackstore(loop);
        configFs.exportLun(loop);
        configFs.unexportLun(loop);
        configFs.removeBackstore(loop);
        fake.ops.clear();
        configFs.unexportLun(loop);
        configFs.removeBackstore(loop);
        assertEquals(List.of(), fake.ops);
    }

    @Test
    void staleObjectsOfACrashedRunAreRemovedAndForeignOnesKept() throws IOException {
        // A foreign backstore exported through its own target, which also carries one of our LUNs.
        fake.mkdir("core/user_0");
        fake.mkdir("core/user_0/foreign");
        fake.mkdir("loopback");
        fake.mkdir("loopback/naa.6000000000000001");
        fake.mkdir("loopback/naa.6000000000000001/tpgt_1");
        fake.mkdir("loopback/naa.6000000000000001/tpgt_1/lun/lun_0");
        fake.symlink("loopback/naa.6000000000000001/tpgt_1/lun/lun_0/p", "core/user_0/foreign");
        configFs.createBackstore(loop);
        configFs.exportLun(loop);
        configFs.createBackstore(iscsi);
        configFs.exportLun(iscsi);
        fake.mkdir("loopback/naa.6000000000000001/tpgt_1/lun/lun_1");
        fake.symlink("loopback/naa.6000000000000001/tpgt_1/lun/lun_1/x", "core/user_1/bm-disk0");

        // The process dies; the next one starts with a fresh TcmuConfigFs.
        TcmuConfigFs next = new TcmuConfigFs(fake, "bm-");
        List<String> removed = next.removeStale();

        assertEquals(List.of(
                "loopback/naa.5001405000000001/tpgt_1/lun/lun_0",
                "loopback/naa.5001405000000001/tpgt_1",
                "loopback/naa.5001405000000001",
                "loopback/naa.6000000000000001/tpgt_1/lun/lun_1",
                "iscsi/iqn.2003-01.org.blockmirror:disk1/tpgt_1/lun/lun_0",
                "iscsi/iqn.2003-01.org.blockmirror:disk1/tpgt_1",
                "iscsi/iqn.2003-01.org.blockmirror:disk1",
                "core/user_1/bm-disk0",
                "core/user_1/bm-disk1",
                "core/user_1"),
                removed);
        assertEquals("core/user_0/foreign", fake.readLink("loopback/naa.6000000000000001/tpgt_1/lun/lun_0/p"));
        assertTrue(Files.isDirectory(root.resolve("core/user_0/foreign")));

        fake.ops.clear();
        assertEquals(List.of(), next.removeStale(), "nothing left the second time");
        assertEquals(List.of(), fake.ops);

        next.createBackstore(loop);
        next.exportLun(loop);
        assertEquals("1", fake.read("core/user_1/bm-disk0/enable"));
    }

    @Test
    void anExistingBackstoreIsAClearError() throws IOException {
        configFs.createBackstore(loop);
        IOException e = assertThrows(IOException.class, () -> configFs.createBackstore(loop));
        assertEquals("configfs: backstore core/user_1/bm-disk0 already exists (left by a crashed run? "
                + "call removeStale() first)", e.getMessage());
    }

    @Test
    void theKernelsRefusalIsReportedWithTheOperation() throws IOException {
        configFs.createBackstore(loop);
        configFs.exportLun(loop);
        IOException e = assertThrows(IOException.class, () -> configFs.removeBackstore(loop));
        assertTrue(e.getMessage().startsWith("configfs: rmdir core/user_1/bm-disk0 failed: FileSystemException: "),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("Device or resource busy"), e.getMessage());
    }

    @Test
    void exportingWithoutABackstoreIsAClearError() {
        IOException e = assertThrows(IOException.class, () -> configFs.exportLun(loop));
        assertEquals("configfs: cannot export core/user_1/bm-disk0: it does not exist", e.getMessage());
    }

    @Test
    void namesWithoutOurPrefixAreRefused() {
        TcmuTargetConfig other = TcmuTargetConfig.loopback(1, "disk0", "blockmirror", "disk0", SIZE, 512,
                "naa.5001405000000001", "naa.5001405000000002");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> configFs.createBackstore(other));
        assertEquals("backstore name 'disk0' must start with 'bm-' so a later run can recognise it", e.getMessage());
    }

    @Test
    void configIsValidated() {
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () ->
                TcmuTargetConfig.loopback(1, "bm-a", "blockmirror", "a", 1000, 512, "naa.5001405000000001",
                        "naa.5001405000000002"));
        assertEquals("size 1000 must be a positive multiple of the block size 512", size.getMessage());
        IllegalArgumentException wwn = assertThrows(IllegalArgumentException.class, () ->
                TcmuTargetConfig.loopback(1, "bm-a", "blockmirror", "a", SIZE, 512, "naa.12", "naa.5001405000000002"));
        assertEquals("tcm_loop target WWN must be naa.<16 hex digits>, got 'naa.12'", wwn.getMessage());
        IllegalArgumentException cfg = assertThrows(IllegalArgumentException.class, () ->
                TcmuTargetConfig.loopback(1, "bm-a", "blockmirror", "a,b", SIZE, 512, "naa.5001405000000001",
                        "naa.5001405000000002"));
        assertEquals("handler config must be non-empty without ',' or newline: 'a,b'", cfg.getMessage());
        IllegalArgumentException portal = assertThrows(IllegalArgumentException.class, () ->
                TcmuTargetConfig.iscsi(1, "bm-a", "blockmirror", "a", SIZE, 512, "iqn.2003-01.org.x:a", "localhost"));
        assertEquals("iSCSI portal must be ip:port, got 'localhost'", portal.getMessage());
    }

    @Test
    void kernelConfigFsOnPlainDirectories() throws IOException {
        KernelConfigFs tree = new KernelConfigFs(root.resolve("t"));
        Files.createDirectory(root.resolve("t"));
        tree.mkdir("a");
        tree.mkdir("a/b");
        tree.write("a/attr", "x=1");
        tree.write("a/attr", "y");
        assertEquals("y", tree.read("a/attr"), "each write replaces the attribute like echo >");
        tree.symlink("a/link", "a/b");
        assertEquals("a/b", tree.readLink("a/link"));
        assertNull(tree.readLink("a/attr"));
        assertEquals(List.of("b"), tree.subdirectories("a"));
        assertEquals(List.of("link"), tree.links("a"));
        assertEquals(List.of(), tree.subdirectories("missing"));
        tree.unlink("a/link");
        tree.rmdir("a/b");
        assertFalse(tree.exists("a/b"));
    }
}
