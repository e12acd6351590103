package org.blockmirror.protocol;

/**
 * The fixed 16-byte header that starts every frame (big-endian):
 *
 * <pre>
 *  0  u32  magic            0x424D5750 ("BMWP")
 *  4  u8   version          2 (HELLO_REJECT: always 1, its layout is frozen)
 *  5  u8   frame type       {@link FrameType}
 *  6  u16  flags            0 (no version defines flags yet)
 *  8  u32  payload length   bytes after the header
 * 12  u32  CRC32C           over header bytes 0..11 followed by the payload (for WRITE: by
 *                           the fixed fields only, see {@link #crcCoveredPayloadLength})
 * </pre>
 *
 * See docs/wire-protocol.md.
 */
public final class FrameHeader {

    public static final int MAGIC = 0x424D5750; // "BMWP"
    public static final int VERSION = 2;
    /**
     * The version HELLO_REJECT frames are always written in and that is accepted for them: their
     * layout is frozen, so a peer of any version can read why it was refused.
     */
    public static final int HELLO_REJECT_VERSION = 1;
    public static final int LENGTH = 16;

    /** Offsets within the header. */
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int TYPE_OFFSET = 5;
    public static final int FLAGS_OFFSET = 6;
    public static final int PAYLOAD_LENGTH_OFFSET = 8;
    public static final int CRC_OFFSET = 12;

    /** The CRC covers the header up to (not including) the CRC field, then the payload. */
    public static final int CRC_COVERED_HEADER_BYTES = CRC_OFFSET;

    /** Fixed part of a WRITE payload, before the data. */
    public static final int WRITE_FIELDS_LENGTH = 33;

    /** Fixed part of a REMIRROR_DATA payload, before the data. */
    public static final int REMIRROR_DATA_FIELDS_LENGTH = 24;

    /** Default cap on one frame's payload: 64 MiB. */
    public static final int DEFAULT_MAX_PAYLOAD = 64 << 20;

    /**
     * How many payload bytes, from the start of the payload, the frame CRC32C covers: all of them,
     * except in WRITE and REMIRROR_DATA frames, where it stops before the data. The data is covered end to end by
     * the record's data CRC32C (a field the frame CRC does cover), computed when the write was
     * journalled and checked by the remote before it applies the write; checking it per hop too
     * would cost two more passes over every byte for no extra protection. READ_DATA likewise: its
     * data is covered by the CRC32C the remote computed when it read the blocks.
     */
    public static int crcCoveredPayloadLength(FrameType type, int payloadLength) {
        return switch (type) {
            case WRITE -> Math.min(payloadLength, WRITE_FIELDS_LENGTH);
            case REMIRROR_DATA -> Math.min(payloadLength, REMIRROR_DATA_FIELDS_LENGTH);
            case READ_DATA -> Math.min(payloadLength, ReadData.FIELDS_LENGTH);
            default -> payloadLength;
        };
    }

    private FrameHeader() {
    }
}
