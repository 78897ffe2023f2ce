package io.jshim.nativeio;

import java.io.IOException;

/** A failed system call: {@code "<syscall> <object>: <strerror>"} plus the errno value. */
public final class NativeIoException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    /**
     * @param syscall the call that failed, e.g. {@code "open"}
     * @param what the object it was applied to (a path, "fd 7"...), or null
     * @param errno the positive errno value
     */
    public NativeIoException(String syscall, Object what, int errno) {
        super(message(syscall, what, errno));
        this.errno = errno;
    }

    /** The positive errno value. */
    public int errno() {
        return errno;
    }

    private static String message(String syscall, Object what, int errno) {
        StringBuilder sb = new StringBuilder(syscall);
        if (what != null) {
            sb.append(' ').append(what);
        }
        return sb.append(": ").append(Native.strerror(errno)).toString();
    }
}
