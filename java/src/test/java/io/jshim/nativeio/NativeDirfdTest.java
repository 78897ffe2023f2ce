package io.jshim.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** openat/renameat/unlinkat/fstatat on an O_PATH directory fd, names as bytes. */
@Tag("unit")
class NativeDirfdTest {
    static final int S_IFMT = 0170000;
    static final int S_IFREG = 0100000;
    static final int S_IFLNK = 0120000;

    @TempDir
    Path dir;
    int dirfd = -1;

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @BeforeEach
    void open() throws Exception {
        dirfd = Errno.check(Native.open(dir.toString(), Native.O_DIRECTORY | Native.O_PATH, 0), "open", dir);
    }

    @AfterEach
    void close() {
        Native.close(dirfd);
    }

    @Test
    void createWriteRenameUnlink() throws Exception {
        int fd = Errno.check(Native.openat(dirfd, b("a"), Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL
                | Native.O_NOFOLLOW, 0600), "openat", "a");
        Native.writeArray(fd, b("x"), 0, 1);
        assertTrue(Native.fstatIno(fd) > 0);
        assertEquals(0, Native.close(fd));
        assertEquals("x", Files.readString(dir.resolve("a")));
        assertEquals(S_IFREG, Native.fstatatMode(dirfd, b("a")) & S_IFMT);
        assertEquals(-Native.EEXIST, Native.openat(dirfd, b("a"), Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL,
                0600), "O_EXCL");
        assertEquals(0, Native.renameat(dirfd, b("a"), dirfd, b("b")));
        assertFalse(Files.exists(dir.resolve("a")));
        assertEquals("x", Files.readString(dir.resolve("b")));
        assertEquals(0, Native.unlinkat(dirfd, b("b")));
        assertEquals(-Native.ENOENT, Native.unlinkat(dirfd, b("b")));
        assertEquals(-Native.ENOENT, Native.fstatatMode(dirfd, b("b")));
    }

    @Test
    void noFollowRefusesASymlinkAndFstatatDoesNotFollowIt() throws Exception {
        Path target = Files.writeString(dir.resolve("target"), "keep");
        Files.createSymbolicLink(dir.resolve("link"), target);
        assertEquals(-Native.ELOOP, Native.openat(dirfd, b("link"), Native.O_WRONLY | Native.O_APPEND
                | Native.O_CREAT | Native.O_NOFOLLOW, 0600));
        assertEquals(S_IFLNK, Native.fstatatMode(dirfd, b("link")) & S_IFMT);
        assertEquals("keep", Files.readString(target));
    }

    @Test
    void badNamesAreRefusedBeforeTheSyscall() {
        assertEquals(-Native.EINVAL, Native.openat(dirfd, new byte[0], Native.O_RDONLY, 0));
        assertEquals(-Native.EINVAL, Native.openat(dirfd, new byte[] {'a', 0, 'b'}, Native.O_RDONLY, 0));
        assertEquals(-Native.EINVAL, Native.openat(dirfd, null, Native.O_RDONLY, 0));
        assertEquals(-Native.EINVAL, Native.unlinkat(dirfd, new byte[] {0}));
        assertEquals(-Native.EINVAL, Native.renameat(dirfd, b("a"), dirfd, new byte[0]));
        assertEquals(-36 /* ENAMETOOLONG */, Native.openat(dirfd, new byte[5000], Native.O_RDONLY, 0));
        assertEquals(-Native.EINVAL, Native.openat(dirfd, b("a"), 1 << 30, 0), "an O_ bit Native does not define");
    }

    @Test
    void nonUtf8NamesArePassedAsBytes() throws Exception {
        byte[] name = {'l', (byte) 0xE9};
        int fd = Errno.check(Native.openat(dirfd, name, Native.O_WRONLY | Native.O_CREAT, 0600), "openat", "latin1");
        Native.close(fd);
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count());
        }
        assertEquals(S_IFREG, Native.fstatatMode(dirfd, name) & S_IFMT);
        assertEquals(0, Native.unlinkat(dirfd, name));
    }
}
