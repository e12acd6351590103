package org.blockmirror.tcmu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** {@link ConfigFsTree} on the real (or any) file system; default root /sys/kernel/config/target. */
public final class KernelConfigFs implements ConfigFsTree {
    public static final Path DEFAULT_ROOT = Path.of("/sys/kernel/config/target");

    private final Path root;

    public KernelConfigFs(Path root) {
        this.root = root;
    }

    public static KernelConfigFs system() {
        return new KernelConfigFs(DEFAULT_ROOT);
    }

    public Path root() {
        return root;
    }

    private Path at(String path) {
        return root.resolve(path);
    }

    @Override
    public boolean exists(String path) {
        return Files.exists(at(path), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public void mkdir(String path) throws IOException {
        Files.createDirectory(at(path));
    }

    @Override
    public void rmdir(String path) throws IOException {
        Files.delete(at(path));
    }

    @Override
    public void write(String path, String value) throws IOException {
        // The shell's "echo -n v > attr": configfs stores the attribute on the write itself.
        Files.write(at(path), value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    @Override
    public String read(String path) throws IOException {
        return new String(Files.readAllBytes(at(path)), StandardCharsets.US_ASCII).trim();
    }

    @Override
    public void symlink(String link, String target) throws IOException {
        Files.createSymbolicLink(at(link), at(target));
    }

    @Override
    public void unlink(String link) throws IOException {
        Files.delete(at(link));
    }

    @Override
    public String readLink(String path) throws IOException {
        Path p = at(path);
        if (!Files.isSymbolicLink(p)) {
            return null;
        }
        Path target = Files.readSymbolicLink(p);
        Path absolute = target.isAbsolute() ? target : p.getParent().resolve(target).normalize();
        return absolute.startsWith(root) ? root.relativize(absolute).toString().replace('\\', '/') : null;
    }

    @Override
    public List<String> subdirectories(String path) throws IOException {
        return children(path, true);
    }

    @Override
    public List<String> links(String path) throws IOException {
        return children(path, false);
    }

    private List<String> children(String path, boolean directories) throws IOException {
        Path dir = at(path);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                boolean link = Files.isSymbolicLink(entry);
                boolean match = directories
                        ? !link && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)
                        : link;
                if (match) {
                    names.add(entry.getFileName().toString());
                }
            }
        }
        Collections.sort(names);
        return names;
    }
}
