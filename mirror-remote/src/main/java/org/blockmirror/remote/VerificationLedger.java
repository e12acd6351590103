package org.blockmirror.remote;

import java.util.HashMap;
import java.util.Map;

/**
 * Verified ack mode (SPEC F5): which held writes still wait for the local unit's verdict on the
 * CRC32C this unit computed over their data.
 *
 * <p>A write received on a verified connection is entered here when it is put into the reorder
 * buffer, with the connection it came on and the CRC32C reported in its VERIFY. It may be applied
 * only once the ACK_ACK for exactly that copy has arrived (same seq, same connection, same CRC).
 * A verdict that names another copy — the connection of an earlier session, or a copy since
 * replaced by a resend — is stale and changes nothing. Writes of non-verified connections are
 * never entered and may always be applied.
 *
 * <p>Not thread-safe: the {@link Applier} guards it with its lock, together with the reorder
 * buffer, so a write can never be seen in the buffer without its entry.
 */
final class VerificationLedger {

    private record Entry(WriteResponder from, int crc32c, boolean confirmed) {
    }

    private final Map<Long, Entry> entries = new HashMap<>();

    /** The copy of {@code seq} from {@code from}, with data CRC32C {@code crc32c}, waits for its verdict. */
    void awaitVerdict(long seq, WriteResponder from, int crc32c) {
        entries.put(seq, new Entry(from, crc32c, false));
    }

    /** No verdict is needed for {@code seq} any more (applied, dropped, or replaced by an unverified copy). */
    void forget(long seq) {
        entries.remove(seq);
    }

    /** Whether {@code seq} may be applied: it needs no verdict, or got ACK_ACK. */
    boolean mayApply(long seq) {
        Entry e = entries.get(seq);
        return e == null || e.confirmed();
    }

    /** ACK_ACK for the copy described: true if it is the copy waiting (now confirmed), false if stale. */
    boolean confirm(long seq, WriteResponder from, int crc32c) {
        Entry e = entries.get(seq);
        if (!waiting(e, from, crc32c)) {
            return false;
        }
        entries.put(seq, new Entry(from, crc32c, true));
        return true;
    }

    /** NAK for the copy described: true if it is the copy waiting (now forgotten), false if stale. */
    boolean reject(long seq, WriteResponder from, int crc32c) {
        Entry e = entries.get(seq);
        if (!waiting(e, from, crc32c)) {
            return false;
        }
        entries.remove(seq);
        return true;
    }

    private static boolean waiting(Entry e, WriteResponder from, int crc32c) {
        return e != null && !e.confirmed() && e.from() == from && e.crc32c() == crc32c;
    }

    /** Writes waiting for a verdict. */
    int awaiting() {
        int n = 0;
        for (Entry e : entries.values()) {
            if (!e.confirmed()) {
                n++;
            }
        }
        return n;
    }

    void clear() {
        entries.clear();
    }
}
