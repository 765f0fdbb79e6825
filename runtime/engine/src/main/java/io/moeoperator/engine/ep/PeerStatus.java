package io.moeoperator.engine.ep;

/**
 * @param address where the rank is reached (host:port, or "in-process")
 * @param up      whether calls to it can be made now
 * @param detail  why it is down (refused, unreachable, authentication failed), or "connected"
 */
public record PeerStatus(int rank, String address, boolean up, String detail) {}
