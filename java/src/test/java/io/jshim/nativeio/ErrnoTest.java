package io.jshim.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class ErrnoTest {
    @Test
    void checkPassesResultsThrough() throws Exception {
        assertEquals(0, Errno.check(0, "close", "fd 3"));
        assertEquals(7, Errno.check(7, "read", "fd 3"));
        assertEquals(1L << 40, Errno.check(1L << 40, "lseek", "fd 3"));
    }

    @Test
    void failureBecomesNativeIoExceptionWithSyscallObjectAndText() {
        NativeIoException e = assertThrows(NativeIoException.class,
                () -> Errno.check(Native.open("/nonexistent/x", Native.O_RDONLY, 0), "open", "/nonexistent/x"));
        assertEquals(Native.ENOENT, e.errno());
        assertEquals("open /nonexistent/x: No such file or directory", e.getMessage());
        assertTrue(e instanceof IOException);
        NativeIoException l = assertThrows(NativeIoException.class, () -> Errno.check(-9L, "lseek", "fd 99"));
        assertEquals(9, l.errno());
        assertEquals("lseek fd 99: Bad file descriptor", l.getMessage());
        assertEquals("epoll_create1: Too many open files", new NativeIoException("epoll_create1", null, 24).getMessage());
    }
}
