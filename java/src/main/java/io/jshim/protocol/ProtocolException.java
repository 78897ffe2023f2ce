package io.jshim.protocol;

/** A packet that breaks the wire protocol. The caller closes its fds and the connection. */
public final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }
}
