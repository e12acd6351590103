package org.blockmirror.protocol;

import static org.blockmirror.protocol.WireTestSupport.decode;
import static org.blockmirror.protocol.WireTestSupport.encode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

/** Messages refuse to be built with values that could not be sent, so the encoder never writes a bad frame. */
@ExtendWith(ParanoidLeakDetection.class)
class MessageValidationTest {

    private static void assertInvalid(String message, Executable construction) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construction);
        assertEquals(message, e.getMessage());
    }

    private static Hello hello(String volumeId, long size, int blockSize, int index, int count) {
        return new Hello(1, new UUID(1, 1), volumeId, size, blockSize, 0, 0, index, count, AckMode.ASYNC);
    }

    @Test
    void helloLimits() {
        assertInvalid("volume id is 0 bytes of UTF-8, must be 1..255", () -> hello("", 4096, 4096, 0, 1));
        assertInvalid("volume id is 256 bytes of UTF-8, must be 1..255", () -> hello("é".repeat(128), 4096, 4096, 0, 1));
        assertInvalid("block size 256 is not a power of two in 512..1048576", () -> hello("v", 4096, 256, 0, 1));
        assertInvalid("block size 2097152 is not a power of two in 512..1048576", () -> hello("v", 1 << 21, 1 << 21, 0, 1));
        assertInvalid("volume size 0 is not a positive multiple of block size 512", () -> hello("v", 0, 512, 0, 1));
        assertInvalid("connection count 65536 is not in 1..65535", () -> hello("v", 512, 512, 0, 65536));
        assertInvalid("connection index -1 is not below connection count 4", () -> hello("v", 512, 512, -1, 4));
        assertInvalid("protocol version 256 is not in 1..255",
                () -> new Hello(256, new UUID(1, 1), "v", 512, 512, 0, 0, 0, 1, AckMode.ASYNC));
        // The largest values that are allowed round-trip.
        Hello max = hello("x".repeat(255), Long.MAX_VALUE / 512 * 512, 512, 65534, 65535);
        assertEquals(List.of(max), decode(new EmbeddedChannel(new FrameDecoder()), encode(max)));
    }

    @Test
    void writeLimits() {
        ByteBuf data = Unpooled.buffer(4096).writeZero(4096);
        assertInvalid("WRITE seq 1: data length 4096 is not a positive multiple of block count 3",
                () -> new Write(1, 0, RecordType.WRITE, 0, 3, 0, data));
        assertInvalid("WRITE seq 1: data length 0 is not a positive multiple of block count 1",
                () -> new Write(1, 0, RecordType.WRITE, 0, 1, 0, Unpooled.EMPTY_BUFFER));
        assertInvalid("TRIM seq 1 carries 4096 bytes of data, must carry none",
                () -> new Write(1, 0, RecordType.TRIM, 0, 1, 0, data));
        assertInvalid("seq 0 is not in 1..2^63-1", () -> new Write(0, 0, RecordType.WRITE, 0, 1, 0, data));
        assertInvalid("LBA 18446744073709551615 is above 2^63-1", () -> new Write(1, 0, RecordType.WRITE, -1, 1, 0, data));
        assertInvalid("block count 0 is not in 1..2^31-1", () -> new Write(1, 0, RecordType.WRITE, 0, 0, 0, data));
        assertEquals(1, data.refCnt(), "a refused Write leaves the data with the caller");
        data.release();
    }

    @Test
    void seqAndCounterLimits() {
        assertInvalid("seq 0 is not in 1..2^63-1", () -> new Ack(0));
        assertInvalid("seq 18446744073709551615 is not in 1..2^63-1", () -> new Nak(-1, NakStatus.IO_ERROR, ""));
        assertInvalid("applied seq 9223372036854775808 is above 2^63-1", () -> new HelloOk(new UUID(0, 0), Long.MIN_VALUE, 0, 0));
        assertInvalid("reorder window 18446744073709551615 is above 2^63-1", () -> new HelloOk(new UUID(0, 0), 0, -1, 0));
    }

    @Test
    void messageLengthLimit() {
        String longest = "ß".repeat(512); // 1024 bytes
        assertInvalid("message is 1026 bytes of UTF-8, at most 1024 allowed",
                () -> new Goodbye(GoodbyeReason.SHUTDOWN, longest + "ß"));
        assertInvalid("message is 1025 bytes of UTF-8, at most 1024 allowed",
                () -> new HelloReject(RejectReason.BUSY, "x".repeat(1025)));
        Nak nak = new Nak(1, NakStatus.IO_ERROR, longest);
        assertEquals(List.of(nak), decode(new EmbeddedChannel(new FrameDecoder()), encode(nak)));
    }

    @Test
    void truncationNeverSplitsACharacter() {
        assertEquals("ab", WireStrings.truncateUtf8("ab€", 4)); // € is 3 bytes
        assertEquals("ab€", WireStrings.truncateUtf8("ab€", 5));
        assertEquals("a", WireStrings.truncateUtf8("a\uD83D\uDE00", 4)); // surrogate pair, 4 bytes
        assertEquals("short", WireStrings.truncateUtf8("short", 1024));
    }
}
