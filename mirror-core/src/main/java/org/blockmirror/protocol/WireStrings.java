package org.blockmirror.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** UTF-8 strings on the wire: length-prefixed, never NUL-terminated, always bounded. */
final class WireStrings {

    /** Longest volume id (u8 length prefix). */
    static final int MAX_VOLUME_ID_BYTES = 255;
    /** Longest free-text message in HELLO_REJECT, NAK and GOODBYE (u16 length prefix). */
    static final int MAX_MESSAGE_BYTES = 1024;

    private WireStrings() {
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Strict decoding: malformed UTF-8 is an error, not a replacement character. */
    static String decodeUtf8(ByteBuffer bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(bytes)
                .toString();
    }

    /**
     * Cuts {@code s} to at most {@code maxBytes} bytes of UTF-8 without splitting a character, so
     * that a long diagnostic still fits a message field.
     */
    static String truncateUtf8(String s, int maxBytes) {
        int bytes = 0;
        int end = 0;
        while (end < s.length()) {
            int cp = s.codePointAt(end);
            int len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + len > maxBytes) {
                break;
            }
            bytes += len;
            end += Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    /** Validates a message argument of HELLO_REJECT, NAK or GOODBYE. */
    static String checkMessage(String message) {
        if (message == null) {
            throw new NullPointerException("message");
        }
        int len = utf8(message).length;
        if (len > MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException(
                    "message is " + len + " bytes of UTF-8, at most " + MAX_MESSAGE_BYTES + " allowed");
        }
        return message;
    }
}
