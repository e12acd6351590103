package org.blockmirror.frontend;

/**
 * What {@code blockmirror status} shows about a front end.
 *
 * @param type           loopback or iscsi
 * @param backstore      the LIO backstore, e.g. {@code core/user_4711/bm-db01}
 * @param device         where the host finds the disk: {@code /dev/sdX} (null until the kernel
 *                       has created it) or {@code iscsi://portal/iqn/0}
 * @param ready          whether data commands are served (false: standby, NOT READY)
 * @param commandsServed SCSI commands answered
 * @param commandsFailed of those, answered with CHECK CONDITION (or another non-GOOD status)
 * @param inFlight       commands being executed now
 * @param error          why the front end stopped serving, or null
 */
public record FrontEndStatus(String type, String backstore, String device, boolean ready, long commandsServed,
                             long commandsFailed, int inFlight, String error) {
}
