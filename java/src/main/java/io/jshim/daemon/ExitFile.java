package io.jshim.daemon;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** shimmy's exit file: one JSON object, no newline, written to a temp file and renamed. */
final class ExitFile {
    private ExitFile() {}

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
        int slash = path.lastIndexOf('/');
        String tmp = path.substring(0, slash + 1) + "." + path.substring(slash + 1) + ".jshimd-tmp";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocateDirect(bytes.length);
        buf.put(0, bytes);
        int fd = Errno.check(Native.open(tmp, Native.O_WRONLY | Native.O_CREAT | Native.O_TRUNC, 0644),
                "open", tmp);
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
        r = Native.rename(tmp, path);
        if (r < 0) {
            Native.unlink(tmp);
            Errno.check(r, "rename", tmp + " to " + path);
        }
    }
}
