package org.blockmirror.heartbeat;

/** The status parameter of one {@link ConnectionArray} element. */
public enum ConnectionStatus {
    /** No connection registered in this slot. */
    EMPTY,
    /** A connection is registered and may carry mirror traffic. */
    UP,
    /** The link went DOWN; the connection was closed and must not be used. */
    DOWN
}
