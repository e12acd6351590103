package org.blockmirror.protocol;

import static org.blockmirror.protocol.WireTestSupport.bytes;
import static org.blockmirror.protocol.WireTestSupport.decode;
import static org.blockmirror.protocol.WireTestSupport.encode;
import static org.blockmirror.protocol.WireTestSupport.rawFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.blockmirror.role.GenerationId;
import org.blockmirror.role.GenerationState;
import org.blockmirror.role.GenerationStateCodec;
import org.blockmirror.role.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The role frames (codes 20–23, docs/wire-protocol.md §4.10–4.13): round trips, the documented
 * layouts, and malformed payloads refused with a clear message.
 */
@ExtendWith(ParanoidLeakDetection.class)
class RoleFramesTest {

    private static final GenerationState PRIMARY = GenerationState.fresh().promoteForce(new SplittableRandom(1));
    private static final GenerationState DIVERGED = new GenerationState(Role.PRIMARY, new GenerationId(7),
            new GenerationId(5), List.of(new GenerationId(3)), Set.of(GenerationState.Flag.FENCED));

    @Test
    void everyRoleFrameRoundTrips() {
        List<Message> messages = List.of(new Generations(Generations.JOURNAL_COVERS_PEER, PRIMARY),
                new Generations(0, GenerationState.fresh()),
                new RoleReject(RoleRejectReason.SPLIT_BRAIN, DIVERGED, "both units changed the data — résolvez"),
                new RoleReverse(GenerationState.fresh()), new RoleReverseOk(DIVERGED));
        assertEquals(messages, decode(new EmbeddedChannel(new FrameDecoder()), encode(messages)));
    }

    @Test
    void layoutsAreTheDocumentedOnes() {
        byte[] state = GenerationStateCodec.encode(DIVERGED);
        // GENERATIONS: flags u8, state length u8, state
        assertLayout(new Generations(1, DIVERGED), Unpooled.buffer().writeByte(1).writeByte(state.length).writeBytes(state));
        // ROLE_REJECT: reason u8, state length u8, state, message length u16, message
        assertLayout(new RoleReject(RoleRejectReason.BOTH_PRIMARY, DIVERGED, "ab"), Unpooled.buffer().writeByte(1)
                .writeByte(state.length).writeBytes(state).writeShort(2).writeBytes(new byte[] {'a', 'b'}));
        // ROLE_REVERSE / ROLE_REVERSE_OK: state length u8, state
        assertLayout(new RoleReverse(DIVERGED), Unpooled.buffer().writeByte(state.length).writeBytes(state));
        assertLayout(new RoleReverseOk(DIVERGED), Unpooled.buffer().writeByte(state.length).writeBytes(state));
        assertEquals(20, FrameType.GENERATIONS.code());
        assertEquals(21, FrameType.ROLE_REJECT.code());
        assertEquals(22, FrameType.ROLE_REVERSE.code());
        assertEquals(23, FrameType.ROLE_REVERSE_OK.code());
    }

    private static void assertLayout(Message expected, ByteBuf handWritten) {
        byte[] payload = bytes(handWritten);
        handWritten.release();
        assertEquals(List.of(expected), decode(new EmbeddedChannel(new FrameDecoder()),
                rawFrame(expected.frameType(), payload)));
        ByteBuf encoded = encode(expected);
        byte[] all = bytes(encoded);
        encoded.release();
        assertArrayEquals(payload, Arrays.copyOfRange(all, FrameHeader.LENGTH, all.length));
    }

    @Test
    void malformedPayloadsAreRefused() {
        byte[] state = GenerationStateCodec.encode(PRIMARY);
        assertRefused(FrameType.GENERATIONS, Unpooled.buffer().writeByte(2).writeByte(state.length).writeBytes(state),
                "GENERATIONS: unknown flag bits 0x02");
        assertRefused(FrameType.GENERATIONS, Unpooled.buffer().writeByte(0).writeByte(state.length + 1).writeBytes(state),
                "GENERATIONS payload is " + (2 + state.length) + " bytes, but state length " + (state.length + 1)
                        + " needs exactly " + (3 + state.length));
        byte[] badRole = state.clone();
        badRole[1] = 9;
        assertRefused(FrameType.ROLE_REVERSE, Unpooled.buffer().writeByte(badRole.length).writeBytes(badRole),
                "ROLE_REVERSE: generation state: unknown role 9");
        assertRefused(FrameType.ROLE_REJECT, Unpooled.buffer().writeByte(99).writeByte(state.length).writeBytes(state)
                .writeShort(0), "ROLE_REJECT: unknown reason 99");
        byte[] secondaryWithoutData = GenerationStateCodec.encode(GenerationState.fresh());
        secondaryWithoutData[1] = 1; // a primary without a generation
        assertRefused(FrameType.ROLE_REVERSE_OK, Unpooled.buffer().writeByte(secondaryWithoutData.length)
                .writeBytes(secondaryWithoutData),
                "ROLE_REVERSE_OK: generation state is inconsistent: a primary must have a data generation");
    }

    private static void assertRefused(FrameType type, ByteBuf payload, String message) {
        byte[] p = bytes(payload);
        payload.release();
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder());
        ProtocolException e = assertThrows(ProtocolException.class, () -> ch.writeInbound(rawFrame(type, p)));
        assertEquals(message, e.getMessage());
        ch.finishAndReleaseAll();
    }
}
