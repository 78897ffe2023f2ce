package io.jshim.nativeio;

/** Turns the {@code -errno} results of {@link Native} into {@link NativeIoException}s. */
public final class Errno {
    private Errno() {}

    /** Returns {@code ret} when it is >= 0, else throws for errno {@code -ret}. */
    public static int check(int ret, String syscall, Object what) throws NativeIoException {
        if (ret < 0) {
            throw new NativeIoException(syscall, what, -ret);
        }
        return ret;
    }

    /** Returns {@code ret} when it is >= 0, else throws for errno {@code -ret}. */
    public static long check(long ret, String syscall, Object what) throws NativeIoException {
        if (ret < 0) {
            throw new NativeIoException(syscall, what, (int) -ret);
        }
        return ret;
    }
}
