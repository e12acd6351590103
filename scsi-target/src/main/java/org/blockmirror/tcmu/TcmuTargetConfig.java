package org.blockmirror.tcmu;

import java.util.regex.Pattern;

/**
 * One TCMU backstore and how it is exported.
 *
 * @param hba          N of the {@code core/user_N} HBA directory
 * @param deviceName   backstore name; must start with the owner's prefix (crash recovery finds
 *                     our stale objects by it)
 * @param subtype      handler subtype in {@code dev_config=<subtype>/<config>}
 * @param handlerConfig the {@code <config>} part (free text for us, e.g. the volume name)
 * @param sizeBytes    {@code dev_size}
 * @param blockSize    {@code hw_block_size}
 * @param maxSectors   {@code hw_max_sectors} (kernel default 128 = 64 KiB I/Os)
 * @param fabric       how the LUN is exported
 * @param targetWwn    tcm_loop: {@code naa.*} of the target; iSCSI: the target IQN
 * @param nexusWwn     tcm_loop only: {@code naa.*} of the initiator nexus
 * @param portal       iSCSI only: network portal {@code ip:port}
 * @param unitSerial   written to the backstore's {@code wwn/vpd_unit_serial} before export, or
 *                     null. The kernel never shows it to the initiator (we answer INQUIRY), but
 *                     names its persistent-reservation file after it ({@code pr/aptpl_<serial>})
 */
public record TcmuTargetConfig(int hba, String deviceName, String subtype, String handlerConfig, long sizeBytes,
                               int blockSize, int maxSectors, Fabric fabric, String targetWwn, String nexusWwn,
                               String portal, String unitSerial) {

    /** How the backstore's LUN is presented. */
    public enum Fabric {
        /** tcm_loop: a local SCSI host, the LUN appears as /dev/sdX on this machine. */
        LOOPBACK,
        /** LIO iSCSI target (demo mode: no ACLs, no authentication). */
        ISCSI
    }

    public static final int DEFAULT_MAX_SECTORS = 2048;
    public static final String DEFAULT_PORTAL = "127.0.0.1:3260";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern NAA = Pattern.compile("naa\\.[0-9a-fA-F]{16}");
    private static final Pattern IQN = Pattern.compile("iqn\\.[0-9]{4}-[0-9]{2}\\.[A-Za-z0-9.:-]+");
    private static final Pattern SERIAL = Pattern.compile("[!-~]{1,63}");
    private static final Pattern PORTAL = Pattern.compile("[0-9.]+:[0-9]{1,5}|\\[[0-9a-fA-F:]+\\]:[0-9]{1,5}");

    public TcmuTargetConfig {
        require(hba >= 0, "hba must be >= 0, got " + hba);
        require(deviceName != null && NAME.matcher(deviceName).matches(),
                "device name '" + deviceName + "' must be 1-64 of [A-Za-z0-9_.-]");
        require(subtype != null && NAME.matcher(subtype).matches(),
                "subtype '" + subtype + "' must be 1-64 of [A-Za-z0-9_.-]");
        require(handlerConfig != null && !handlerConfig.isEmpty() && !handlerConfig.contains(",")
                        && !handlerConfig.contains("\n"),
                "handler config must be non-empty without ',' or newline: '" + handlerConfig + "'");
        require(blockSize == 512 || blockSize == 1024 || blockSize == 2048 || blockSize == 4096,
                "block size must be 512, 1024, 2048 or 4096, got " + blockSize);
        require(sizeBytes > 0 && sizeBytes % blockSize == 0,
                "size " + sizeBytes + " must be a positive multiple of the block size " + blockSize);
        require(maxSectors >= 8 && maxSectors <= 65536, "hw_max_sectors must be in [8, 65536], got " + maxSectors);
        require(fabric != null, "fabric is required");
        if (fabric == Fabric.LOOPBACK) {
            require(targetWwn != null && NAA.matcher(targetWwn).matches(),
                    "tcm_loop target WWN must be naa.<16 hex digits>, got '" + targetWwn + "'");
            require(nexusWwn != null && NAA.matcher(nexusWwn).matches(),
                    "tcm_loop nexus WWN must be naa.<16 hex digits>, got '" + nexusWwn + "'");
        } else {
            require(targetWwn != null && IQN.matcher(targetWwn).matches(),
                    "iSCSI target name must be an IQN (iqn.yyyy-mm.reversed.domain:name), got '" + targetWwn + "'");
            require(portal != null && PORTAL.matcher(portal).matches(),
                    "iSCSI portal must be ip:port, got '" + portal + "'");
        }
        require(unitSerial == null || SERIAL.matcher(unitSerial).matches(),
                "unit serial must be 1-63 printable ASCII characters without spaces, got '" + unitSerial + "'");
    }

    public static TcmuTargetConfig loopback(int hba, String deviceName, String subtype, String handlerConfig,
                                            long sizeBytes, int blockSize, String targetWwn, String nexusWwn) {
        return new TcmuTargetConfig(hba, deviceName, subtype, handlerConfig, sizeBytes, blockSize,
                DEFAULT_MAX_SECTORS, Fabric.LOOPBACK, targetWwn, nexusWwn, null, null);
    }

    public static TcmuTargetConfig iscsi(int hba, String deviceName, String subtype, String handlerConfig,
                                         long sizeBytes, int blockSize, String iqn, String portal) {
        return new TcmuTargetConfig(hba, deviceName, subtype, handlerConfig, sizeBytes, blockSize,
                DEFAULT_MAX_SECTORS, Fabric.ISCSI, iqn, null, portal, null);
    }

    /** The name the kernel gives the backstore's uio device. */
    public String uioName() {
        return UioLocator.tcmuName(hba, deviceName, subtype, handlerConfig);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
