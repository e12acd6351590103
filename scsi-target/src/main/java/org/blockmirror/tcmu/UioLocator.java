package org.blockmirror.tcmu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the {@code /dev/uioN} the kernel created for a TCMU backstore: the uio device whose
 * {@code /sys/class/uio/uioN/name} is {@code tcm-user/<hba>/<device>/<subtype>/<config>}; its
 * mapping size is {@code maps/map0/size}. Roots are injectable so tests use a fake tree.
 */
public final class UioLocator {
    private final Path sysClassUio;
    private final Path dev;

    public UioLocator(Path sysClassUio, Path dev) {
        this.sysClassUio = sysClassUio;
        this.dev = dev;
    }

    public static UioLocator system() {
        return new UioLocator(Path.of("/sys/class/uio"), Path.of("/dev"));
    }

    /** A found uio device: {@code node} is e.g. "uio0", {@code mapSize} the bytes to mmap. */
    public record UioInfo(String node, Path devicePath, long mapSize) {
    }

    /** The uio name the kernel gives a TCMU device (target_core_user: tcmu_configure_device). */
    public static String tcmuName(int hba, String device, String subtype, String config) {
        return "tcm-user/" + hba + "/" + device + "/" + subtype + "/" + config;
    }

    public Optional<UioInfo> find(String uioName) throws IOException {
        if (!Files.isDirectory(sysClassUio)) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(sysClassUio, "uio*")) {
            for (Path entry : entries) {
                Path nameFile = entry.resolve("name");
                if (!Files.isReadable(nameFile) || !read(nameFile).equals(uioName)) {
                    continue;
                }
                String node = entry.getFileName().toString();
                Path sizeFile = entry.resolve("maps/map0/size");
                String size = read(sizeFile);
                long mapSize;
                try {
                    mapSize = size.startsWith("0x") ? Long.parseLong(size.substring(2), 16) : Long.parseLong(size);
                } catch (NumberFormatException e) {
                    throw new IOException(sizeFile + ": not a size: '" + size + "'");
                }
                if (mapSize <= 0) {
                    throw new IOException(sizeFile + ": map size " + mapSize);
                }
                return Optional.of(new UioInfo(node, dev.resolve(node), mapSize));
            }
        }
        return Optional.empty();
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
    }
}
