package org.blockmirror.frontend;

import java.util.Locale;
import java.util.regex.Pattern;
import org.blockmirror.config.ConfigReader;

/**
 * The {@code frontend.*} keys (docs/configuration.md, "Front end").
 *
 * @param type          none, loopback or iscsi
 * @param backstoreName LIO backstore name; starts with {@link #NAME_PREFIX} so a restarted unit
 *                      recognises (and removes) what a crashed run left behind
 * @param hwMaxSectors  largest transfer in logical blocks ({@code hw_max_sectors})
 * @param iscsiIqn      iSCSI target name (used when type is ISCSI)
 * @param iscsiPortal   iSCSI portal {@code ip:port} (used when type is ISCSI)
 */
public record FrontEndConfig(FrontEndType type, String backstoreName, int hwMaxSectors, String iscsiIqn,
                             String iscsiPortal) {

    public static final String NAME_PREFIX = "bm-";
    public static final int DEFAULT_HW_MAX_SECTORS = 2048;
    public static final int MIN_HW_MAX_SECTORS = 8;
    public static final int MAX_HW_MAX_SECTORS = 65536;
    public static final String DEFAULT_PORTAL = "127.0.0.1:3260";
    public static final String IQN_PREFIX = "iqn.2024-01.org.blockmirror:";

    private static final Pattern NAME = Pattern.compile("bm-[A-Za-z0-9_.-]{1,61}");
    private static final Pattern IQN = Pattern.compile("iqn\\.[0-9]{4}-[0-9]{2}\\.[a-z0-9.-]+(:[a-z0-9.:-]+)?");
    private static final Pattern PORTAL = Pattern.compile("([0-9]{1,3}(\\.[0-9]{1,3}){3}|\\[[0-9a-fA-F:]+\\]):([0-9]{1,5})");

    public static FrontEndConfig none() {
        return new FrontEndConfig(FrontEndType.NONE, null, DEFAULT_HW_MAX_SECTORS, null, null);
    }

    /**
     * Reads the keys; every problem is recorded in {@code r}.
     *
     * @param defaultName      backstore name when {@code frontend.name} is not set
     * @param blockSize        the volume's logical block size
     * @param maxTransferBytes the largest single write the unit takes in one piece (the local
     *                         unit's journal record limit); bounds {@code frontend.hw-max-sectors}
     */
    public static FrontEndConfig read(ConfigReader r, String defaultName, int blockSize, long maxTransferBytes) {
        FrontEndType type = r.choice("frontend", FrontEndType.class, FrontEndType.NONE);
        String name = r.string("frontend.name", defaultName);
        r.check(NAME.matcher(name).matches(), "frontend.name",
                "must be '" + NAME_PREFIX + "' followed by 1 to 61 letters, digits, '.', '_' or '-' (the prefix marks "
                        + "the LIO objects blockmirror owns and may remove after a crash)");
        long blocksFit = Math.max(MIN_HW_MAX_SECTORS, maxTransferBytes / blockSize);
        int defaultSectors = (int) Math.min(DEFAULT_HW_MAX_SECTORS, blocksFit);
        int sectors = r.intInRange("frontend.hw-max-sectors", defaultSectors, MIN_HW_MAX_SECTORS, MAX_HW_MAX_SECTORS);
        r.check((long) sectors * blockSize <= maxTransferBytes, "frontend.hw-max-sectors",
                "times volume.block-size (" + blockSize + ") must not exceed the largest journal record ("
                        + ConfigReader.formatSize(maxTransferBytes) + "), so at most " + blocksFit);
        String iqn = r.string("frontend.iscsi.iqn", defaultIqn(name));
        r.check(IQN.matcher(iqn).matches(), "frontend.iscsi.iqn",
                "must be an iSCSI qualified name in lower case, e.g. " + IQN_PREFIX + "db01");
        String portal = r.string("frontend.iscsi.portal", DEFAULT_PORTAL);
        var m = PORTAL.matcher(portal);
        r.check(m.matches() && Integer.parseInt(m.group(3)) >= 1 && Integer.parseInt(m.group(3)) <= 65535,
                "frontend.iscsi.portal", "must be a numeric ip:port, e.g. 127.0.0.1:3260 or [::1]:3260");
        return new FrontEndConfig(type, name, sectors, iqn, portal);
    }

    /** {@code bm-} + the volume id, cut to the 64 characters LIO allows, plus an optional suffix. */
    public static String defaultName(String volumeId, String suffix) {
        int room = 64 - NAME_PREFIX.length() - suffix.length();
        String id = volumeId.length() > room ? volumeId.substring(0, room) : volumeId;
        return NAME_PREFIX + id + suffix;
    }

    static String defaultIqn(String backstoreName) {
        return IQN_PREFIX + backstoreName.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public boolean enabled() {
        return type != FrontEndType.NONE;
    }
}
