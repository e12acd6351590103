package org.blockmirror.frontend;

/** How a unit shows its volume to the host ({@code frontend} key). */
public enum FrontEndType {
    /** No SCSI front end: the volume is only mirrored (embedded front ends, tests, the demo). */
    NONE,
    /** LIO + TCMU backstore exported through tcm_loop: /dev/sdX on this machine. */
    LOOPBACK,
    /** LIO + TCMU backstore exported as an LIO iSCSI target. */
    ISCSI
}
