package org.blockmirror.role;

import static org.blockmirror.role.States.primary;
import static org.blockmirror.role.States.secondary;
import static org.blockmirror.role.States.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.blockmirror.role.GenerationState.Flag;
import org.junit.jupiter.api.Test;

class GenerationStateCodecTest {

    private static void assertMalformed(String messagePart, byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        GenerationStateFormatException e = assertThrows(GenerationStateFormatException.class,
                () -> GenerationStateCodec.decode(in));
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
        assertEquals(0, in.position(), "nothing consumed on error");
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void layoutIsAsDocumented() {
        GenerationState s = with(secondary(0x0102030405060708L, 0x1111L, 0x22L, 0x33L), Flag.DISCARD_LOCAL, Flag.INCONSISTENT);
        byte[] expected = hex("01 02 0006 0102030405060708 0000000000001111 02 0000000000000022 0000000000000033");
        assertArrayEquals(expected, GenerationStateCodec.encode(s));
        assertEquals(s, GenerationStateCodec.decode(ByteBuffer.wrap(expected)));
    }

    @Test
    void randomStatesRoundTrip() {
        SplittableRandom r = new SplittableRandom(11);
        GenerationState s = GenerationState.fresh();
        for (int i = 0; i < 500; i++) {
            s = step(s, r);
            byte[] bytes = GenerationStateCodec.encode(s);
            assertTrue(bytes.length <= GenerationStateCodec.MAX_LENGTH);
            ByteBuffer in = ByteBuffer.wrap(bytes);
            assertEquals(s, GenerationStateCodec.decode(in));
            assertEquals(bytes.length, in.position());
        }
    }

    /** A random transition (the state itself if the transition is refused). */
    private static GenerationState step(GenerationState s, SplittableRandom r) {
        try {
            return switch (r.nextInt(7)) {
                case 0 -> s.isPrimary() ? s.demote(r.nextBoolean(), r) : s.promoteForce(r);
                case 1 -> s.linkLost(r.nextBoolean(), r);
                case 2 -> s.isPrimary() ? s.beforeHostWrite(r) : s.resyncStarted();
                case 3 -> s.has(Flag.INCONSISTENT) ? s.syncedFrom(primary(r.nextLong(1, 1000), 0)) : s.inSyncWithPeer();
                case 4 -> s.has(Flag.INCONSISTENT) ? s : s.resolve(r.nextBoolean() ? Resolution.KEEP_LOCAL : Resolution.KEEP_PEER, r.nextBoolean(), r);
                case 5 -> s.observePeer(secondary(r.nextLong(1, 1000), s.current().value()));
                default -> s;
            };
        } catch (RoleTransitionException refused) {
            return s;
        }
    }

    @Test
    void decodingConsumesExactlyTheRemainingBytesFromTheBuffersPosition() {
        byte[] state = GenerationStateCodec.encode(primary(9, 7, 3));
        ByteBuffer in = ByteBuffer.allocate(state.length + 5);
        in.position(5);
        in.put(state).position(5);
        assertEquals(primary(9, 7, 3), GenerationStateCodec.decode(in));
        assertEquals(in.limit(), in.position());
    }

    @Test
    void malformedInputIsRejectedWithTheReason() {
        assertMalformed("generation state is empty", new byte[0]);
        assertMalformed("encoding version 2 is not supported", hex("02 02 0000 0000000000000001 0000000000000000 00"));
        assertMalformed("encoding version 0 is not supported", hex("00"));
        assertMalformed("is 4 bytes, at least 21 needed", hex("01 02 0000"));
        assertMalformed("unknown role 3", hex("01 03 0000 0000000000000001 0000000000000000 00"));
        assertMalformed("unknown role 0", hex("01 00 0000 0000000000000001 0000000000000000 00"));
        assertMalformed("unknown flag bits 0x8020", hex("01 02 8021 0000000000000001 0000000000000000 00"));
        assertMalformed("history count 5 exceeds 4", hex("01 02 0000 0000000000000001 0000000000000000 05"));
        assertMalformed("is 22 bytes, but history count 0 needs exactly 21",
                hex("01 02 0000 0000000000000001 0000000000000000 00 ff"));
        assertMalformed("is 28 bytes, but history count 1 needs exactly 29",
                hex("01 02 0000 0000000000000001 0000000000000000 01 00000000000002"));
        assertMalformed("inconsistent: a primary must have a data generation",
                hex("01 01 0000 0000000000000000 0000000000000000 00"));
        assertMalformed("inconsistent: history",
                hex("01 02 0000 0000000000000001 0000000000000000 01 0000000000000001"));
        assertMalformed("inconsistent: DETACHED", hex("01 02 0001 0000000000000001 0000000000000000 00"));
        assertMalformed("inconsistent: FENCED", hex("01 02 0010 0000000000000001 0000000000000000 00"));
    }

    @Test
    void everyTruncationOfAValidEncodingIsRejected() {
        byte[] full = GenerationStateCodec.encode(primary(9, 7, 3, 2));
        for (int n = 0; n < full.length; n++) {
            byte[] cut = Arrays.copyOf(full, n);
            assertThrows(GenerationStateFormatException.class, () -> GenerationStateCodec.decode(ByteBuffer.wrap(cut)),
                    "truncated to " + n);
        }
    }
}
