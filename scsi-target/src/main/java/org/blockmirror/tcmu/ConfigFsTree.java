package org.blockmirror.tcmu;

import java.io.IOException;
import java.util.List;

/**
 * The LIO configfs tree ({@code /sys/kernel/config/target}) as the few operations target set-up
 * needs. Paths are relative to the target root, '/'-separated. The kernel gives these
 * operations side effects plain directories do not have (mkdir populates attribute files and
 * default groups, rmdir removes them, a LUN link pins its backstore); {@link KernelConfigFs} is
 * the real tree, tests use a fake that emulates those effects.
 */
public interface ConfigFsTree {

    boolean exists(String path);

    /** Creates one directory (its parent must exist): a configfs object. */
    void mkdir(String path) throws IOException;

    /** Removes one configfs object directory. */
    void rmdir(String path) throws IOException;

    /** Writes an attribute, as {@code echo -n value > path} does. */
    void write(String path, String value) throws IOException;

    String read(String path) throws IOException;

    /** Creates {@code link} pointing at the object {@code target} (both relative to the root). */
    void symlink(String link, String target) throws IOException;

    void unlink(String link) throws IOException;

    /** The target of a link, relative to the root, or null if {@code path} is not a link into the tree. */
    String readLink(String path) throws IOException;

    /** Names of the subdirectories (objects and groups) of {@code path}; empty if it does not exist. */
    List<String> subdirectories(String path) throws IOException;

    /** Names of the symlinks directly in {@code path}; empty if it does not exist. */
    List<String> links(String path) throws IOException;
}
