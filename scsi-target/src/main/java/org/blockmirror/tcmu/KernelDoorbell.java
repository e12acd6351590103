package org.blockmirror.tcmu;

import java.io.IOException;

/** Tells the kernel that cmd_tail moved (a 4-byte write(2) on the uio fd). */
@FunctionalInterface
public interface KernelDoorbell {
    void kick() throws IOException;
}
