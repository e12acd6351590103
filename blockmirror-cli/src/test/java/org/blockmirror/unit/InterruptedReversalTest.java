package org.blockmirror.unit;

import static org.blockmirror.unit.UnitPair.BLOCK;
import static org.blockmirror.unit.UnitPair.await;
import static org.blockmirror.unit.UnitPair.drained;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalOptions;
import org.blockmirror.journal.RecordType;
import org.blockmirror.role.HandshakeDecision;
import org.blockmirror.role.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A role reversal the peer cannot complete leaves two secondaries, never two primaries; a plain
 * `role promote` (peer secondary and in sync) then restores a primary. The peer refuses here because
 * its journal still holds records from an earlier time as primary: redoing them on promotion would
 * overwrite the data it has received since.
 */
class InterruptedReversalTest {

    @TempDir
    Path dir;
    private UnitPair pair;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void aRefusedTakeOverLeavesTwoSecondariesAndPromoteRecovers() throws Exception {
        pair = UnitPair.prepare(dir);
        // B's journal holds a record it never sent (left from a time it was primary)
        JournalOptions options = JournalOptions.of(BLOCK).withLabel("demo").withMaxRecordDataBytes(4 << 20);
        try (Journal j = Journal.format(dir.resolve("b.journal"), 64L << 20, options)) {
            j.append(RecordType.WRITE, 7, 1, ByteBuffer.allocate(BLOCK), Long.MAX_VALUE);
            j.sync();
        }
        pair.startB();
        pair.startA();
        await("A streams to B", 10_000, () -> drained(pair.a));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pair.a.reverse(false));
        assertTrue(e.getMessage().startsWith("this unit is now secondary, but the peer refused to take over"
                + " (REVERSE_REFUSED: the journal " + dir.resolve("b.journal") + " still holds 1 record(s)"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("both units are secondary: run 'blockmirror role promote' on the unit that"
                + " should serve the host"), e.getMessage());
        assertEquals(Role.SECONDARY, pair.a.roleState().role());
        assertEquals(Role.SECONDARY, pair.b.roleState().role());
        assertFalse(pair.a.device().isReady());
        assertFalse(pair.b.device().isReady());

        // B cannot be promoted while its journal holds those records, even with --force
        RuntimeException refused = assertThrows(RuntimeException.class, () -> pair.b.promoteForce());
        assertTrue(refused.getMessage().contains("still holds 1 record(s)"), refused.getMessage());
        assertEquals(Role.SECONDARY, pair.b.roleState().role());

        pair.a.promote(); // the peer is secondary and in sync: the generation is kept
        assertEquals(Role.PRIMARY, pair.a.roleState().role());
        await("A streams to B again", 15_000, () -> drained(pair.a));
        assertEquals(HandshakeDecision.Kind.IN_SYNC_STREAM, pair.a.lastDecision().kind());
        assertEquals(pair.a.roleState().current(), pair.b.roleState().current());
        pair.a.device().write(3, ByteBuffer.allocate(BLOCK)).get();
    }
}
