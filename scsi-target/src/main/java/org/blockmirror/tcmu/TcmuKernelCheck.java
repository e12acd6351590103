package org.blockmirror.tcmu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before anything is created, that the running kernel has what a TCMU front end needs,
 * so a missing feature is reported by name instead of as a failed mkdir deep in configfs.
 *
 * @param configFsMount where configfs is mounted ({@code /sys/kernel/config})
 * @param sysModule     {@code /sys/module}: one directory per loaded module
 */
public record TcmuKernelCheck(Path configFsMount, Path sysModule) {

    public static TcmuKernelCheck system() {
        return new TcmuKernelCheck(Path.of("/sys/kernel/config"), Path.of("/sys/module"));
    }

    /** Throws an IOException naming the first missing piece and how to add it. */
    public void require(TcmuTargetConfig.Fabric fabric) throws IOException {
        if (!Files.isDirectory(configFsMount)) {
            throw new IOException("the kernel has no configfs (" + configFsMount + " does not exist); the SCSI front "
                    + "end needs configfs, LIO (target_core_mod) and TCMU (target_core_user)");
        }
        if (!Files.isDirectory(configFsMount.resolve("target"))) {
            throw new IOException("LIO is not available: " + configFsMount.resolve("target") + " does not exist "
                    + "(mount configfs: 'mount -t configfs none " + configFsMount + "', and load the target core: "
                    + "'modprobe target_core_user')");
        }
        if (!Files.isDirectory(sysModule.resolve("target_core_user"))) {
            throw new IOException("the kernel module target_core_user (TCMU userspace backstores) is not loaded "
                    + "('modprobe target_core_user')");
        }
        String module = fabric == TcmuTargetConfig.Fabric.LOOPBACK ? "tcm_loop" : "iscsi_target_mod";
        String fabricDir = fabric == TcmuTargetConfig.Fabric.LOOPBACK ? "loopback" : "iscsi";
        if (!Files.isDirectory(sysModule.resolve(module))
                && !Files.isDirectory(configFsMount.resolve("target").resolve(fabricDir))) {
            throw new IOException("the kernel module " + module + " (LIO " + fabricDir + " fabric) is not loaded "
                    + "('modprobe " + module + "')");
        }
    }
}
