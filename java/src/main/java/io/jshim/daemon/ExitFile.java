package io.jshim.daemon;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import io.jshim.protocol.Exited;
import io.jshim.protocol.Hello;
import io.jshim.protocol.Protocol;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/**
 * The exit file, written to a temp file and renamed over the name: shimmy's JSON object or
 * conmon's bare decimal code, no newline either way. v1 names a path; v2 a name in the exit
 * dir fd, with a unique temp name created O_EXCL|O_NOFOLLOW, so nothing planted at either
 * name is followed.
 */
final class ExitFile {
    private ExitFile() {}

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int TMP_ATTEMPTS = 8;
    static final int TMP_NAME_MAX = 200;

    /**
     * The exit file's text for this launcher: conmon's code (v2 JSHIM_EXIT_CONMON_CODE) or
     * shimmy's JSON stamped with the reap time (v2), or with now (v1 sends no time).
     */
    static String text(Hello hello, Exited exit) {
        if (hello.version() == 2 && hello.exitFormat() == Protocol.EXIT_CONMON_CODE) {
            return conmonText(exit.waitStatus(), exit.timedOut());
        }
        long ns = exit.timeNs();
        if (hello.version() == 1 || ns == 0) {
            Instant now = Instant.now();
            ns = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }
        return text(exit.waitStatus(), Math.floorDiv(ns, 1_000_000_000L), (int) Math.floorMod(ns, 1_000_000_000L));
    }

    /** conmon's text: WEXITSTATUS, 128 + signal, or -1 after --timeout. */
    static String conmonText(int waitStatus, boolean timedOut) {
        if (timedOut) {
            return "-1";
        }
        int sig = waitStatus & 0x7f;
        if (sig != 0 && sig != 0x7f) {
            return Integer.toString(128 + sig);
        }
        return Integer.toString((waitStatus >> 8) & 0xff);
    }

    /** The text for a raw wait status, stamped with the given time. */
    static String text(int waitStatus, long epochSecond, int nanos) {
        String at = Rfc3339.format(epochSecond, nanos);
        int sig = waitStatus & 0x7f;
        if (sig != 0 && sig != 0x7f) {
            return "{\"at\": \"" + at + "\", \"reason\": \"signaled\", \"signal\": " + sig + "}";
        }
        int code = (waitStatus >> 8) & 0xff;
        return "{\"at\": \"" + at + "\", \"reason\": \"exited\", \"exitCode\": " + code + "}";
    }

    /** Writes text to a temp file next to path and renames it over path. */
    static void write(String path, String text) throws NativeIoException {
        write(path, text, () -> true);
    }

    /**
     * As {@link #write(String, String)}, but asks {@code claim} (the journal's compare-and-swap)
     * right before the rename; when it says no, the temp file is removed and false returned: the
     * launcher writes the exit file, so nothing of the daemon's may appear at the name.
     */
    static boolean write(String path, String text, BooleanSupplier claim) throws NativeIoException {
        int slash = path.lastIndexOf('/');
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(1, bytes.length));
        buf.put(0, bytes);
        // a fresh random temp name, O_EXCL|O_NOFOLLOW: nothing planted next to the exit file
        // (a symlink at a predictable temp name) is followed or truncated
        String tmp = null;
        int fd = -Native.EEXIST;
        for (int i = 0; i < TMP_ATTEMPTS && fd == -Native.EEXIST; i++) {
            tmp = path.substring(0, slash + 1) + new String(tmpName(path.substring(slash + 1)
                    .getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
            fd = Native.open(tmp, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_NOFOLLOW, 0644);
        }
        Errno.check(fd, "open", tmp);
        try {
            int off = 0;
            while (off < bytes.length) {
                int n = Native.write(fd, buf, off, bytes.length - off);
                if (n == -Native.EINTR) {
                    continue;
                }
                off += Errno.check(n, "write", tmp);
            }
        } catch (NativeIoException e) {
            Native.close(fd);
            Native.unlink(tmp);
            throw e;
        }
        int r = Native.close(fd); // close(2) can report a delayed write error: no rename then
        if (r < 0) {
            Native.unlink(tmp);
            Errno.check(r, "close", tmp);
        }
        if (!claim.getAsBoolean()) {
            Native.unlink(tmp);
            return false;
        }
        r = Native.rename(tmp, path);
        if (r < 0) {
            Native.unlink(tmp);
            Errno.check(r, "rename", tmp + " to " + path);
        }
        return true;
    }

    /**
     * v2: writes text to {@code .<name>.<random>.tmp} in dirFd (O_EXCL|O_NOFOLLOW, 0644) and
     * renames it over name. The temp is removed on every failure. {@code what} names the file
     * in messages.
     */
    static void writeAt(int dirFd, byte[] name, String what, String text) throws NativeIoException {
        writeAt(dirFd, name, what, text, () -> true);
    }

    /** As {@link #write(String, String, BooleanSupplier)}, in the exit dir fd. */
    static boolean writeAt(int dirFd, byte[] name, String what, String text, BooleanSupplier claim)
            throws NativeIoException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(1, bytes.length));
        buf.put(0, bytes);
        byte[] tmp = null;
        int fd = -Native.EEXIST;
        for (int i = 0; i < TMP_ATTEMPTS && fd == -Native.EEXIST; i++) {
            tmp = tmpName(name);
            fd = Native.openat(dirFd, tmp, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_NOFOLLOW, 0644);
        }
        String tmpWhat = what + " temp " + new String(tmp, StandardCharsets.UTF_8);
        Errno.check(fd, "openat", tmpWhat);
        try {
            int off = 0;
            while (off < bytes.length) {
                int n = Native.write(fd, buf, off, bytes.length - off);
                if (n == -Native.EINTR) {
                    continue;
                }
                off += Errno.check(n, "write", tmpWhat);
            }
        } catch (NativeIoException e) {
            Native.close(fd);
            Native.unlinkat(dirFd, tmp);
            throw e;
        }
        int r = Native.close(fd);
        if (r < 0) {
            Native.unlinkat(dirFd, tmp);
            Errno.check(r, "close", tmpWhat);
        }
        if (!claim.getAsBoolean()) {
            Native.unlinkat(dirFd, tmp);
            return false;
        }
        r = Native.renameat(dirFd, tmp, dirFd, name);
        if (r < 0) {
            Native.unlinkat(dirFd, tmp);
            Errno.check(r, "renameat", tmpWhat + " to " + what);
        }
        return true;
    }

    /**
     * {@code .<name>.<16 hex digits>.tmp}, with the name cut to {@link #TMP_NAME_MAX} bytes so a
     * long name still leaves room under NAME_MAX (255).
     */
    static byte[] tmpName(byte[] name) {
        byte[] suffix = String.format(".%016x.tmp", RANDOM.nextLong()).getBytes(StandardCharsets.US_ASCII);
        int n = Math.min(name.length, TMP_NAME_MAX);
        byte[] t = new byte[1 + n + suffix.length];
        t[0] = '.';
        System.arraycopy(name, 0, t, 1, n);
        System.arraycopy(suffix, 0, t, 1 + n, suffix.length);
        return t;
    }
}
