package org.blockmirror.role;

import static org.blockmirror.role.States.primary;
import static org.blockmirror.role.States.secondary;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import org.blockmirror.state.DurableStateFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoleStateFileTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("vol/role-state");
    }

    private void assertUnusable(String messagePart) {
        RoleStateException e = assertThrows(RoleStateException.class, () -> RoleStateFile.open(file(), "vol0"));
        assertTrue(e.getMessage().startsWith(file().toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }

    private void flipByte(long offset) throws Exception {
        try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            ch.write(ByteBuffer.wrap(new byte[] {(byte) (b.get(0) ^ 0x5A)}), offset);
        }
    }

    @Test
    void createThenReopenGivesTheLastState() throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        try (RoleStateFile f = RoleStateFile.create(file(), "vol0", GenerationState.fresh())) {
            assertEquals(GenerationState.fresh(), f.state());
            f.update(s -> s.promoteForce(r));
            f.update(s -> s.linkLost(true, r));
        }
        GenerationState last;
        try (RoleStateFile f = RoleStateFile.open(file(), "vol0")) {
            last = f.state();
            assertTrue(last.isPrimary() && last.hasChangesSinceAgreement());
            f.update(s -> s.demote(false, r));
        }
        try (RoleStateFile f = RoleStateFile.open(file(), "vol0")) {
            assertEquals(last.demote(false, r), f.state());
        }
        assertFalse(Files.exists(file().resolveSibling("role-state.tmp")));
    }

    @Test
    void anUnchangedStateIsNotRewrittenAndARefusedTransitionWritesNothing() throws Exception {
        try (RoleStateFile f = RoleStateFile.create(file(), "vol0", secondary(7, 0))) {
            byte[] before = Files.readAllBytes(file());
            f.update(GenerationState::inSyncWithPeer); // no change
            assertThrows(RoleTransitionException.class, () -> f.update(s -> s.demote(false, new SplittableRandom(1))));
            assertEquals(java.util.Arrays.toString(before), java.util.Arrays.toString(Files.readAllBytes(file())));
            assertEquals(secondary(7, 0), f.state());
        }
    }

    @Test
    void createRefusesAnExistingFileAndIgnoresALeftoverTemporaryFile() throws Exception {
        Files.createDirectories(file().getParent());
        Files.write(file().resolveSibling("role-state.tmp"), "half-written".getBytes(StandardCharsets.UTF_8));
        RoleStateFile.create(file(), "vol0", primary(7, 0)).close();
        assertThrows(FileAlreadyExistsException.class, () -> RoleStateFile.create(file(), "vol0", secondary(7, 0)));
        try (RoleStateFile f = RoleStateFile.open(file(), "vol0")) {
            assertEquals(primary(7, 0), f.state());
        }
    }

    @Test
    void aTornWriteFallsBackToThePreviousState() throws Exception {
        try (RoleStateFile f = RoleStateFile.create(file(), "vol0", secondary(7, 0))) {
            f.write(primary(7, 0)); // counter 2: slot 0; the creation's write is in slot 1
        }
        flipByte(30); // inside slot 0's payload
        try (RoleStateFile f = RoleStateFile.open(file(), "vol0")) {
            assertEquals(secondary(7, 0), f.state());
        }
    }

    @Test
    void bothSlotsDamagedIsAnErrorNotAReset() throws Exception {
        try (RoleStateFile f = RoleStateFile.create(file(), "vol0", secondary(7, 0))) {
            f.write(primary(7, 0));
        }
        flipByte(30);
        flipByte(DurableStateFile.SLOT_SIZE + 30);
        assertUnusable("no valid copy of the role state");
        assertUnusable("Recovering a lost role state");
    }

    @Test
    void anEmptyOrForeignFileIsAnError() throws Exception {
        Files.createDirectories(file().getParent());
        Files.createFile(file());
        assertUnusable("no valid copy of the role state");
        Files.delete(file());
        try (DurableStateFile f = DurableStateFile.open(file())) {
            f.write(ByteBuffer.allocate(8).putLong(42).array()); // e.g. an applied-seq file
        }
        assertUnusable("not a role state file (no 'BMRL' magic)");
    }

    @Test
    void aMissingFileIsAnError() {
        assertUnusable("role state file for volume 'vol0' is missing");
    }

    @Test
    void anotherVolumesFileIsRefused() throws Exception {
        RoleStateFile.create(file(), "vol1", secondary(7, 0)).close();
        assertUnusable("belongs to volume 'vol1', not 'vol0'");
    }

    @Test
    void unknownFormatVersionAndBadPayloadAreRefused() throws Exception {
        byte[] good = RoleStateFile.payload("vol0", secondary(7, 0));
        writeRaw(ByteBuffer.wrap(good.clone()).putShort(4, (short) 2).array());
        assertUnusable("role state format version 2 is not supported");

        writeRaw(java.util.Arrays.copyOf(good, 9)); // cut inside the volume id
        assertUnusable("truncated inside the volume id");

        byte[] badUtf8 = good.clone();
        badUtf8[7] = (byte) 0xC3;
        badUtf8[8] = (byte) 0x28;
        writeRaw(badUtf8);
        assertUnusable("not valid UTF-8");

        byte[] badRole = good.clone();
        badRole[7 + 4 + 1] = 9; // role byte of the encoded state
        writeRaw(badRole);
        assertUnusable("unknown role 9");
    }

    private void writeRaw(byte[] payload) throws Exception {
        Files.deleteIfExists(file());
        Files.createDirectories(file().getParent());
        try (DurableStateFile f = DurableStateFile.open(file())) {
            f.write(payload);
        }
    }

    @Test
    void volumeIdMustFit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RoleStateFile.create(file(), "x".repeat(256), secondary(7, 0)));
        assertTrue(e.getMessage().contains("256 bytes"), e.getMessage());
        assertFalse(Files.exists(file()));
    }
}
