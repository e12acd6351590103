package org.blockmirror.tcmu;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and removes the LIO objects that put a TCMU backstore in front of an initiator.
 *
 * <p>Order of a start: {@link #createBackstore} (the kernel creates /dev/uioN on enable), then the
 * caller opens the uio device and starts serving the ring, then {@link #exportLun} (the initiator
 * starts sending commands as soon as the LUN exists). A stop is the reverse:
 * {@link #unexportLun}, stop serving, {@link #removeBackstore}. Removal steps skip what is
 * already gone, so they are idempotent.
 *
 * <p>Crash recovery: every backstore we create is named with our prefix. {@link #removeStale()}
 * finds such backstores left by a dead process, removes every LUN linking to them (and the
 * target portal group / target if that leaves them without LUNs), then the backstores.
 */
public final class TcmuConfigFs {
    private static final Logger log = LoggerFactory.getLogger(TcmuConfigFs.class);
    private static final Pattern HBA = Pattern.compile("user_[0-9]+");
    private static final String[] FABRICS = {"loopback", "iscsi"};
    private static final String TPG = "tpgt_1";

    private final ConfigFsTree tree;
    private final String ownerPrefix;

    public TcmuConfigFs(ConfigFsTree tree, String ownerPrefix) {
        if (ownerPrefix == null || ownerPrefix.isEmpty()) {
            throw new IllegalArgumentException("an owner prefix is required to recognise our objects");
        }
        this.tree = tree;
        this.ownerPrefix = ownerPrefix;
    }

    public static String backstorePath(TcmuTargetConfig config) {
        return "core/user_" + config.hba() + "/" + config.deviceName();
    }

    public static String targetPath(TcmuTargetConfig config) {
        return (config.fabric() == TcmuTargetConfig.Fabric.LOOPBACK ? "loopback/" : "iscsi/") + config.targetWwn();
    }

    public static String tpgPath(TcmuTargetConfig config) {
        return targetPath(config) + "/" + TPG;
    }

    public static String lunPath(TcmuTargetConfig config) {
        return tpgPath(config) + "/lun/lun_0";
    }

    /**
     * Creates and enables {@code core/user_N/<name>}. {@code nl_reply_supported=-1} goes in before
     * {@code enable}: no daemon answers the kernel's netlink message, and it would wait for one.
     */
    public void createBackstore(TcmuTargetConfig config) throws IOException {
        requireOurs(config);
        String backstore = backstorePath(config);
        if (tree.exists(backstore)) {
            throw new IOException("configfs: backstore " + backstore
                    + " already exists (left by a crashed run? call removeStale() first)");
        }
        mkdirIfAbsent("core/user_" + config.hba());
        mkdir(backstore);
        String control = backstore + "/control";
        write(control, "dev_config=" + config.subtype() + "/" + config.handlerConfig());
        write(control, "dev_size=" + config.sizeBytes());
        write(control, "hw_block_size=" + config.blockSize());
        write(control, "hw_max_sectors=" + config.maxSectors());
        write(control, "nl_reply_supported=-1");
        write(backstore + "/enable", "1");
        if (config.unitSerial() != null) {
            // Only possible before the LUN is exported. Not fatal: it only names the kernel's
            // APTPL reservation file, and without it the kernel falls back to "aptpl_".
            try {
                write(backstore + "/wwn/vpd_unit_serial", config.unitSerial());
            } catch (IOException e) {
                log.warn("{}; persistent reservations with APTPL will use the kernel's default file name",
                        e.getMessage());
            }
        }
    }

    /** Exports the backstore as LUN 0 of the configured fabric target. */
    public void exportLun(TcmuTargetConfig config) throws IOException {
        requireOurs(config);
        String backstore = backstorePath(config);
        if (!tree.exists(backstore)) {
            throw new IOException("configfs: cannot export " + backstore + ": it does not exist");
        }
        String target = targetPath(config);
        if (tree.exists(target)) {
            throw new IOException("configfs: target " + target + " already exists");
        }
        String tpg = tpgPath(config);
        String lun = lunPath(config);
        if (config.fabric() == TcmuTargetConfig.Fabric.LOOPBACK) {
            mkdirIfAbsent("loopback");
            mkdir(target);
            mkdir(tpg);
            write(tpg + "/nexus", config.nexusWwn());
            mkdir(lun);
            symlink(lun + "/" + config.deviceName(), backstore);
        } else {
            mkdirIfAbsent("iscsi");
            mkdir(target);
            mkdir(tpg);
            mkdir(lun);
            symlink(lun + "/" + config.deviceName(), backstore);
            mkdir(tpg + "/np/" + config.portal());
            // Demo mode: any initiator may log in, no CHAP, writable.
            write(tpg + "/attrib/generate_node_acls", "1");
            write(tpg + "/attrib/authentication", "0");
            write(tpg + "/attrib/demo_mode_write_protect", "0");
            write(tpg + "/attrib/cache_dynamic_acls", "1");
            write(tpg + "/enable", "1");
        }
    }

    /** Removes the LUN and its target; whatever is already gone is skipped. */
    public void unexportLun(TcmuTargetConfig config) throws IOException {
        String tpg = tpgPath(config);
        if (tree.exists(tpg)) {
            removeLun(lunPath(config));
            removeTpgIfEmpty(tpg, config.fabric() == TcmuTargetConfig.Fabric.ISCSI);
        }
        removeTargetIfEmpty(targetPath(config));
    }

    /** Removes the backstore, and its HBA if no other backstore is in it; idempotent. */
    public void removeBackstore(TcmuTargetConfig config) throws IOException {
        String backstore = backstorePath(config);
        if (tree.exists(backstore)) {
            rmdir(backstore);
        }
        removeHbaIfEmpty("core/user_" + config.hba());
    }

    /**
     * Removes every backstore named with our prefix, and every LUN that links to one.
     *
     * @return the configfs paths removed, in removal order
     */
    public List<String> removeStale() throws IOException {
        return removeStale(device -> true);
    }

    /**
     * As {@link #removeStale()}, but only for our backstores whose name passes {@code which}: a
     * unit sharing the host with other units (e.g. a local and a remote unit in one test
     * machine) removes only its own leftovers, never a live neighbour's disk.
     */
    public List<String> removeStale(Predicate<String> which) throws IOException {
        Set<String> staleBackstores = new LinkedHashSet<>();
        for (String hba : tree.subdirectories("core")) {
            if (!HBA.matcher(hba).matches()) {
                continue;
            }
            for (String device : tree.subdirectories("core/" + hba)) {
                if (device.startsWith(ownerPrefix) && which.test(device)) {
                    staleBackstores.add("core/" + hba + "/" + device);
                }
            }
        }
        List<String> removed = new ArrayList<>();
        if (staleBackstores.isEmpty()) {
            return removed;
        }
        log.warn("configfs: found stale backstores {}; removing them and their LUNs", staleBackstores);
        for (String fabric : FABRICS) {
            for (String wwn : tree.subdirectories(fabric)) {
                if (!wwn.startsWith("naa.") && !wwn.startsWith("iqn.") && !wwn.startsWith("eui.")) {
                    continue; // e.g. iscsi/discovery_auth
                }
                String target = fabric + "/" + wwn;
                boolean touched = false;
                for (String tpgName : tree.subdirectories(target)) {
                    if (!tpgName.startsWith("tpgt_")) {
                        continue;
                    }
                    String tpg = target + "/" + tpgName;
                    boolean tpgTouched = false;
                    for (String lunName : tree.subdirectories(tpg + "/lun")) {
                        String lun = tpg + "/lun/" + lunName;
                        if (linksToAny(lun, staleBackstores)) {
                            removeLun(lun);
                            removed.add(lun);
                            tpgTouched = true;
                        }
                    }
                    if (tpgTouched && removeTpgIfEmpty(tpg, fabric.equals("iscsi"))) {
                        removed.add(tpg);
                    }
                    touched |= tpgTouched;
                }
                if (touched && removeTargetIfEmpty(target)) {
                    removed.add(target);
                }
            }
        }
        for (String backstore : staleBackstores) {
            rmdir(backstore);
            removed.add(backstore);
            String hba = backstore.substring(0, backstore.lastIndexOf('/'));
            if (removeHbaIfEmpty(hba)) {
                removed.add(hba);
            }
        }
        return removed;
    }

    // ---- steps -----------------------------------------------------------------------------

    private boolean linksToAny(String lun, Set<String> backstores) throws IOException {
        for (String link : tree.links(lun)) {
            if (backstores.contains(tree.readLink(lun + "/" + link))) {
                return true;
            }
        }
        return false;
    }

    private void removeLun(String lun) throws IOException {
        if (!tree.exists(lun)) {
            return;
        }
        for (String link : tree.links(lun)) {
            unlink(lun + "/" + link);
        }
        rmdir(lun);
    }

    private boolean removeTpgIfEmpty(String tpg, boolean iscsi) throws IOException {
        if (!tree.exists(tpg) || !tree.subdirectories(tpg + "/lun").isEmpty()) {
            return false;
        }
        if (iscsi) {
            if (tree.exists(tpg + "/enable")) {
                write(tpg + "/enable", "0");
            }
            for (String portal : tree.subdirectories(tpg + "/np")) {
                rmdir(tpg + "/np/" + portal);
            }
        }
        rmdir(tpg);
        return true;
    }

    private boolean removeTargetIfEmpty(String target) throws IOException {
        if (!tree.exists(target)) {
            return false;
        }
        for (String child : tree.subdirectories(target)) {
            if (child.startsWith("tpgt_")) {
                return false;
            }
        }
        rmdir(target);
        return true;
    }

    private boolean removeHbaIfEmpty(String hba) throws IOException {
        if (!tree.exists(hba) || !tree.subdirectories(hba).isEmpty()) {
            return false;
        }
        rmdir(hba);
        return true;
    }

    private void requireOurs(TcmuTargetConfig config) {
        if (!config.deviceName().startsWith(ownerPrefix)) {
            throw new IllegalArgumentException("backstore name '" + config.deviceName()
                    + "' must start with '" + ownerPrefix + "' so a later run can recognise it");
        }
    }

    private void mkdirIfAbsent(String path) throws IOException {
        if (!tree.exists(path)) {
            mkdir(path);
        }
    }

    private void mkdir(String path) throws IOException {
        log.info("configfs: mkdir {}", path);
        wrap(() -> tree.mkdir(path), "mkdir " + path);
    }

    private void rmdir(String path) throws IOException {
        log.info("configfs: rmdir {}", path);
        wrap(() -> tree.rmdir(path), "rmdir " + path);
    }

    private void write(String path, String value) throws IOException {
        log.info("configfs: {} <- {}", path, value);
        wrap(() -> tree.write(path, value), "write '" + value + "' to " + path);
    }

    private void symlink(String link, String target) throws IOException {
        log.info("configfs: ln -s {} {}", target, link);
        wrap(() -> tree.symlink(link, target), "link " + link + " -> " + target);
    }

    private void unlink(String link) throws IOException {
        log.info("configfs: rm {}", link);
        wrap(() -> tree.unlink(link), "unlink " + link);
    }

    private interface Step {
        void run() throws IOException;
    }

    /** Every failure names the configfs operation and path, then the kernel's reason. */
    private static void wrap(Step step, String what) throws IOException {
        try {
            step.run();
        } catch (IOException e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new IOException("configfs: " + what + " failed: " + e.getClass().getSimpleName() + ": " + reason, e);
        }
    }
}
