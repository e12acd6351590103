package org.blockmirror.protocol;

/**
 * One frame's worth of protocol: what {@link FrameEncoder} writes and {@link FrameDecoder} reads.
 * Constructors validate their arguments, so an instance always encodes to a frame a peer accepts.
 */
public sealed interface Message permits Hello, HelloOk, HelloReject, Write, Ack, Nak, Goodbye,
        Verify, VerifyReply, Generations, RoleReject, RoleReverse, RoleReverseOk,
        RemirrorBegin, RemirrorReady, RangeSums, ChecksumDiff, BlockSums, RemirrorData, RemirrorAck, RemirrorDone,
        RemirrorDoneAck, Read, ReadData {

    FrameType frameType();
}
