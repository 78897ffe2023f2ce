package io.jshim.daemon;

/** Why the daemon cannot serve a container: becomes FAILED(errno, message). */
final class ServeException extends Exception {
    private static final long serialVersionUID = 1L;
    static final int EINVAL = 22;

    private final int errno;

    ServeException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    int errno() {
        return errno;
    }
}
