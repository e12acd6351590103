package org.blockmirror.tcmu;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The kernel's configfs semantics over plain directories in a temp dir: mkdir of a known
 * object creates its attribute files and default groups, rmdir removes them but refuses an
 * object with user-created children (ENOTEMPTY) or one a LUN links to (EBUSY), attributes
 * must exist to be written, and a TCMU backstore's enable checks the control writes before it
 * (dev_config and dev_size set; without nl_reply_supported=-1 the real kernel would block).
 * Every operation is recorded so tests can check the exact sequence.
 */
final class FakeKernelConfigFs implements ConfigFsTree {
    final KernelConfigFs real;
    final Path root;
    final List<String> ops = new ArrayList<>();
    private final Map<String, Set<String>> defaults = new HashMap<>();
    private final Map<String, List<String>> controlWrites = new HashMap<>();

    FakeKernelConfigFs(Path root) throws IOException {
        this.root = root;
        this.real = new KernelConfigFs(root);
        Files.createDirectories(root.resolve("core/alua/default_lu_gp"));
    }

    private static boolean matches(String path, String regex) {
        return path.matches(regex);
    }

    @Override
    public boolean exists(String path) {
        return real.exists(path);
    }

    @Override
    public void mkdir(String path) throws IOException {
        ops.add("mkdir " + path);
        real.mkdir(path);
        Set<String> made = new HashSet<>();
        if (matches(path, "core/user_\\d+")) {
            files(path, made, "hba_info", "hba_mode");
        } else if (matches(path, "core/user_\\d+/[^/]+")) {
            files(path, made, "control", "enable", "info", "udev_path");
            dirs(path, made, "attrib", "pr", "statistics", "alua", "wwn");
            Files.createFile(root.resolve(path + "/wwn/vpd_unit_serial"));
            Files.writeString(root.resolve(path + "/attrib/hw_block_size"), "512");
        } else if (matches(path, "iscsi")) {
            dirs(path, made, "discovery_auth");
        } else if (matches(path, "loopback/[^/]+/tpgt_\\d+")) {
            files(path, made, "nexus", "transport_status");
            dirs(path, made, "lun", "acls", "np", "attrib", "param", "auth");
        } else if (matches(path, "iscsi/[^/]+/tpgt_\\d+")) {
            files(path, made, "enable");
            dirs(path, made, "lun", "np", "acls", "attrib", "param", "auth");
            for (String a : new String[] {"generate_node_acls", "authentication", "demo_mode_write_protect",
                    "cache_dynamic_acls"}) {
                Files.writeString(root.resolve(path + "/attrib/" + a), "0");
            }
        } else if (matches(path, ".*/lun/lun_\\d+")) {
            files(path, made, "alua_tg_pt_gp");
            dirs(path, made, "statistics");
        } else if (matches(path, ".*/np/[^/]+")) {
            files(path, made, "iser");
        }
        defaults.put(path, made);
    }

    private void files(String dir, Set<String> made, String... names) throws IOException {
        for (String n : names) {
            Files.createFile(root.resolve(dir + "/" + n));
            made.add(n);
        }
    }

    private void dirs(String dir, Set<String> made, String... names) throws IOException {
        for (String n : names) {
            Files.createDirectory(root.resolve(dir + "/" + n));
            made.add(n);
        }
    }

    @Override
    public void rmdir(String path) throws IOException {
        ops.add("rmdir " + path);
        Path dir = root.resolve(path);
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString());
        }
        if (isLinkTarget(path)) {
            throw new FileSystemException(dir.toString(), null, "Device or resource busy");
        }
        Set<String> own = defaults.getOrDefault(path, Set.of());
        try (Stream<Path> children = Files.list(dir)) {
            for (Path child : children.toList()) {
                if (!own.contains(child.getFileName().toString())) {
                    throw new FileSystemException(dir.toString(), null, "Directory not empty");
                }
            }
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        defaults.remove(path);
        controlWrites.remove(path);
    }

    private boolean isLinkTarget(String path) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(Files::isSymbolicLink).toList()) {
                if (Files.readSymbolicLink(p).equals(root.resolve(path))) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public void write(String path, String value) throws IOException {
        ops.add("write " + path + "=" + value);
        if (!Files.isRegularFile(root.resolve(path))) {
            throw new NoSuchFileException(root.resolve(path).toString());
        }
        if (path.matches("core/user_\\d+/[^/]+/control")) {
            controlWrites.computeIfAbsent(path.substring(0, path.lastIndexOf('/')), k -> new ArrayList<>()).add(value);
        }
        if (path.matches("core/user_\\d+/[^/]+/enable") && value.equals("1")) {
            List<String> control = controlWrites.getOrDefault(path.substring(0, path.lastIndexOf('/')), List.of());
            if (control.stream().noneMatch(v -> v.startsWith("dev_config=")) ||
                    control.stream().noneMatch(v -> v.startsWith("dev_size="))) {
                throw new FileSystemException(path, null, "Invalid argument");
            }
            if (!control.contains("nl_reply_supported=-1")) {
                throw new AssertionError("the real kernel would block this enable waiting for a netlink reply");
            }
        }
        real.write(path, value);
    }

    @Override
    public String read(String path) throws IOException {
        return real.read(path);
    }

    @Override
    public void symlink(String link, String target) throws IOException {
        ops.add("symlink " + link + " -> " + target);
        if (!Files.isDirectory(root.resolve(target))) {
            throw new NoSuchFileException(target);
        }
        real.symlink(link, target);
    }

    @Override
    public void unlink(String link) throws IOException {
        ops.add("unlink " + link);
        real.unlink(link);
    }

    @Override
    public String readLink(String path) throws IOException {
        return real.readLink(path);
    }

    @Override
    public List<String> subdirectories(String path) throws IOException {
        return real.subdirectories(path);
    }

    @Override
    public List<String> links(String path) throws IOException {
        return real.links(path);
    }
}
