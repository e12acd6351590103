package org.blockmirror.tcmu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

import org.blockmirror.block.BlockDevice;
import org.blockmirror.frontend.FrontEnd;
import org.blockmirror.frontend.FrontEndConfig;
import org.blockmirror.frontend.FrontEndFactory;
import org.blockmirror.frontend.FrontEndStatus;
import org.blockmirror.frontend.FrontEndType;
import org.blockmirror.scsi.DiskIdentity;
import org.blockmirror.scsi.DiskLimits;
import org.blockmirror.scsi.ScsiDisk;
import org.blockmirror.time.MonotonicClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A unit's disk shown to the host through LIO: a {@link ScsiDisk} over the unit's
 * {@link BlockDevice}, served from a TCMU backstore and exported through tcm_loop (/dev/sdX) or
 * an iSCSI target. The disk's identity (serial, WWN) comes from the volume id alone, so both
 * units of a pair present the same disk.
 */
public final class TcmuFrontEnd implements FrontEnd {
    private static final Logger log = LoggerFactory.getLogger(TcmuFrontEnd.class);

    /** {@code dev_config=blockmirror/<volume id>}: how the backstore's uio device is named. */
    public static final String SUBTYPE = "blockmirror";

    /** Where the kernel lives; injectable for tests. */
    public record Environment(TcmuKernelCheck kernel, ConfigFsTree configFs, Path sysClassScsiDisk, UioLocator uio,
                              Supplier<PosixIo> io, MonotonicClock clock, long uioWaitMillis) {
        public static Environment system() {
            return new Environment(TcmuKernelCheck.system(), KernelConfigFs.system(),
                    Path.of("/sys/class/scsi_disk"), UioLocator.system(), PosixIo::load, MonotonicClock.system(),
                    10_000);
        }
    }

    private final TcmuTarget target;
    private final Environment env;
    private final BlockDevice device;
    private final CountingHandler commands;
    private volatile String hostDevice; // found lazily: the kernel scans the LUN asynchronously

    private TcmuFrontEnd(TcmuTarget target, Environment env, BlockDevice device, CountingHandler commands) {
        this.target = target;
        this.env = env;
        this.device = device;
        this.commands = commands;
    }

    public static FrontEndFactory factory() {
        return factory(Environment.system());
    }

    public static FrontEndFactory factory(Environment env) {
        return (config, volumeId, device) -> start(env, config, volumeId, device);
    }

    /** Checks the kernel, removes this backstore's leftovers from a crashed run, and serves. */
    public static TcmuFrontEnd start(Environment env, FrontEndConfig config, String volumeId, BlockDevice device)
            throws IOException {
        TcmuTargetConfig target = targetConfig(config, volumeId, device);
        env.kernel().require(target.fabric());
        TcmuConfigFs configFs = new TcmuConfigFs(env.configFs(), FrontEndConfig.NAME_PREFIX);
        var removed = configFs.removeStale(name -> name.equals(config.backstoreName()));
        if (!removed.isEmpty()) {
            log.warn("removed LIO objects left by an earlier run: {}", removed);
        }
        ensureReservationDirectory(env.configFs());
        DiskLimits limits = DiskLimits.defaults(device.blockSize()).withMaxTransferBlocks(config.hwMaxSectors());
        ScsiDisk disk = new ScsiDisk(device, DiskIdentity.forVolume(volumeId), limits);
        CountingHandler counting = new CountingHandler(disk);
        TcmuTarget started = TcmuTarget.start(configFs, env.uio(), env.io().get(), target, counting, env.clock(),
                env.uioWaitMillis());
        return new TcmuFrontEnd(started, env, device, counting);
    }

    /** Derives the LIO objects' names from the configuration (see docs/tcmu.md, "Front end"). */
    static TcmuTargetConfig targetConfig(FrontEndConfig config, String volumeId, BlockDevice device) {
        String name = config.backstoreName();
        int hba = hbaFor(name);
        long size = device.blockCount() * device.blockSize();
        String serial = DiskIdentity.forVolume(volumeId).serial();
        if (config.type() == FrontEndType.ISCSI) {
            return new TcmuTargetConfig(hba, name, SUBTYPE, volumeId, size, device.blockSize(), config.hwMaxSectors(),
                    TcmuTargetConfig.Fabric.ISCSI, config.iscsiIqn(), null, config.iscsiPortal(), serial);
        }
        if (config.type() != FrontEndType.LOOPBACK) {
            throw new IllegalArgumentException("frontend = none has no LIO objects");
        }
        long h = crc(name);
        return new TcmuTargetConfig(hba, name, SUBTYPE, volumeId, size, device.blockSize(), config.hwMaxSectors(),
                TcmuTargetConfig.Fabric.LOOPBACK, String.format("naa.50014050%08x", h),
                String.format("naa.50014051%08x", h), null, serial);
    }

    /**
     * LIO emulates PERSISTENT RESERVE IN/OUT for TCMU backstores itself and keeps APTPL
     * reservations in {@code <dbroot>/pr}; when that directory is missing every PR OUT fails
     * with NOT READY, LOGICAL UNIT COMMUNICATION FAILURE. Create it (not fatal if we cannot).
     */
    static void ensureReservationDirectory(ConfigFsTree configFs) {
        try {
            if (!configFs.exists("dbroot")) {
                return;
            }
            Path pr = Path.of(configFs.read("dbroot").strip()).resolve("pr");
            if (!Files.isDirectory(pr)) {
                Files.createDirectories(pr);
                log.info("created {} for LIO's persistent reservation state", pr);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("cannot prepare LIO's persistent reservation directory: {}; PERSISTENT RESERVE OUT "
                    + "will fail", e.toString());
        }
    }

    /** {@code core/user_N}: N from the backstore name, so units sharing a host do not share an HBA. */
    static int hbaFor(String backstoreName) {
        return (int) (crc(backstoreName) % 100_000);
    }

    private static long crc(String s) {
        CRC32C crc = new CRC32C();
        crc.update(s.getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }

    @Override
    public FrontEndStatus status() {
        TcmuTargetConfig c = target.config();
        String where = c.fabric() == TcmuTargetConfig.Fabric.ISCSI
                ? "iscsi://" + c.portal() + "/" + c.targetWwn() + "/0"
                : hostDevice();
        CompletableFuture<Void> terminated = target.device().terminated();
        String error = null;
        if (terminated.isCompletedExceptionally()) {
            error = terminated.handle((v, t) -> t == null ? null : String.valueOf(t.getMessage())).join();
        }
        return new FrontEndStatus(c.fabric().name().toLowerCase(), TcmuConfigFs.backstorePath(c), where,
                device.isReady(), commands.served(), commands.failed(), commands.inFlight(), error);
    }

    /**
     * The /dev/sdX of our tcm_loop LUN: the TPG's {@code address} attribute is
     * {@code <scsi host>:0:<target>}, and the LUN is 0.
     */
    private String hostDevice() {
        String known = hostDevice;
        if (known != null) {
            return known;
        }
        try {
            String hct = env.configFs().read(TcmuConfigFs.tpgPath(target.config()) + "/address").strip();
            Path block = env.sysClassScsiDisk().resolve(hct + ":0").resolve("device").resolve("block");
            try (DirectoryStream<Path> disks = Files.newDirectoryStream(block)) {
                for (Path disk : disks) {
                    hostDevice = "/dev/" + disk.getFileName();
                    return hostDevice;
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("no /dev/sdX for {} yet: {}", target.config().deviceName(), e.toString());
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        target.close();
    }
}
