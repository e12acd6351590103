package org.blockmirror.remote;

import io.netty.channel.Channel;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which local unit is attached to this volume, and the connections of its current session.
 *
 * <p>Only one local unit may feed a volume at a time: a HELLO from another unit is refused
 * while the attached one has a connection open. A HELLO with a new session id from the
 * attached unit supersedes its old session (the local unit gave up on it, e.g. after a link
 * cut the remote has not noticed yet): the old connections are closed.
 */
final class Attachment {

    /** The answer to a HELLO. */
    sealed interface Admission permits Admitted, Busy {
    }

    record Admitted(boolean newSession) implements Admission {
    }

    record Busy(UUID attachedUnit) implements Admission {
    }

    private static final Logger log = LoggerFactory.getLogger(Attachment.class);

    private UUID unit;
    private long sessionId;
    private final Set<Channel> channels = new HashSet<>();

    synchronized Admission admit(UUID localUnit, long session, Channel channel) {
        channels.removeIf(c -> !c.isActive());
        if (unit != null && !unit.equals(localUnit) && !channels.isEmpty()) {
            return new Busy(unit);
        }
        boolean fresh = !localUnit.equals(unit) || session != sessionId;
        if (fresh) {
            if (!channels.isEmpty()) {
                log.info("local unit {} opened session {}; closing {} connection(s) of its previous session",
                        localUnit, Long.toHexString(session), channels.size());
                channels.forEach(Channel::close);
                channels.clear();
            }
            unit = localUnit;
            sessionId = session;
        }
        channels.add(channel);
        return new Admitted(fresh);
    }

    synchronized void closed(Channel channel) {
        channels.remove(channel);
    }

    /** Closes every connection (the heartbeat link went down). */
    synchronized int closeAll() {
        int n = channels.size();
        channels.forEach(Channel::close);
        channels.clear();
        return n;
    }

    synchronized int connections() {
        channels.removeIf(c -> !c.isActive());
        return channels.size();
    }

    synchronized UUID attachedUnit() {
        return channels.isEmpty() ? null : unit;
    }
}
