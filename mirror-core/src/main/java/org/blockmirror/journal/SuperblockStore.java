package org.blockmirror.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the newest valid superblock copy and writes updates to both copies. */
final class SuperblockStore {
    private static final Logger log = LoggerFactory.getLogger(SuperblockStore.class);

    private SuperblockStore() {
    }

    /**
     * The valid copy with the higher checkpoint number.
     *
     * @throws JournalException naming the journal if no copy is usable: not a journal,
     *                          unsupported version, or both copies corrupt
     */
    static Superblock read(JournalFile file) throws IOException {
        Path path = file.path();
        if (file.size() < Journal.REGION_OFFSET) {
            throw new JournalException("journal " + path + " is not a blockmirror journal: only " + file.size()
                    + " bytes, too short for its superblocks");
        }
        List<Superblock.Copy> copies = new ArrayList<>();
        Superblock best = null;
        for (int i = 0; i < Superblock.COPIES; i++) {
            ByteBuffer b = ByteBuffer.allocate(Superblock.SIZE);
            file.read(Superblock.copyOffset(i), b);
            Superblock.Copy copy = Superblock.decode(b);
            copies.add(copy);
            if (copy instanceof Superblock.Valid v && (best == null || v.superblock().checkpoint() > best.checkpoint())) {
                best = v.superblock();
            }
        }
        if (best != null) {
            for (int i = 0; i < copies.size(); i++) {
                if (!(copies.get(i) instanceof Superblock.Valid)) {
                    log.warn("journal {}: superblock copy {} is unusable ({}); using checkpoint {} from the other copy",
                            path, i, describe(copies.get(i)), best.checkpoint());
                }
            }
            return best;
        }
        for (Superblock.Copy c : copies) {
            if (c instanceof Superblock.UnsupportedVersion u) {
                throw new JournalException("journal " + path + " has unsupported format version " + u.version()
                        + " (this build reads versions " + Superblock.MIN_VERSION + " to " + Superblock.VERSION + ")");
            }
        }
        if (copies.stream().allMatch(c -> c instanceof Superblock.NotAJournal)) {
            throw new JournalException("journal " + path + " is not a blockmirror journal (no superblock magic at offset 0 or "
                    + Superblock.SIZE + ")");
        }
        throw new JournalException("journal " + path + ": both superblock copies are corrupt (copy 0: "
                + describe(copies.get(0)) + "; copy 1: " + describe(copies.get(1)) + ")");
    }

    private static String describe(Superblock.Copy c) {
        if (c instanceof Superblock.Valid v) {
            return "valid, checkpoint " + v.superblock().checkpoint();
        } else if (c instanceof Superblock.UnsupportedVersion u) {
            return "format version " + u.version();
        } else if (c instanceof Superblock.Corrupt k) {
            return k.reason();
        }
        return "bad magic";
    }

    /**
     * Persists {@code sb} in both superblock copies, one after the other, each forced: first as
     * checkpoint n into the copy holding the older state, then as n + 1 into the other. A torn
     * write can only hit the copy being written while the other holds a complete state, and once
     * this returns both copies agree, so losing either one later (rot) never rolls the epoch or
     * the tail back to a point that reused space has overwritten.
     *
     * @return the superblock as last written (checkpoint n + 1)
     */
    static Superblock writeBoth(JournalFile file, Superblock sb) throws IOException {
        file.write(Superblock.copyOffset(sb.checkpoint()), sb.encode());
        file.force();
        Superblock second = sb.next(sb.epoch(), sb.tailSeq(), sb.tailOffset(), sb.checkpointMillis());
        file.write(Superblock.copyOffset(second.checkpoint()), second.encode());
        file.force();
        return second;
    }

}
