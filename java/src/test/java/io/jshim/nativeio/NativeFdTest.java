package io.jshim.nativeio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class NativeFdTest {
    static final int EBADF = 9;
    static final int EINVAL = 22;
    static final int S_IFMT = 0170000;
    static final int S_IFREG = 0100000;
    static final int S_IFSOCK = 0140000;

    @TempDir
    Path dir;

    static ByteBuffer bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocateDirect(b.length).put(b).flip();
    }

    static String string(ByteBuffer buf, int pos, int len) {
        byte[] b = new byte[len];
        buf.get(pos, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void pollInReportsWhichPipeIsReadable() throws Exception {
        int[] a = new int[2];
        int[] b = new int[2];
        Errno.check(Native.pipe(a), "pipe", "a");
        Errno.check(Native.pipe(b), "pipe", "b");
        try {
            assertEquals(0, Native.pollIn(a[0], b[0], 10), "nothing readable: timeout");
            ByteBuffer one = ByteBuffer.allocateDirect(1);
            assertEquals(1, Native.write(b[1], one, 0, 1));
            assertEquals(2, Native.pollIn(a[0], b[0], 1000), "the second fd");
            assertEquals(0, Native.pollIn(a[0], -1, 10), "a negative fd is ignored");
            Native.close(a[1]);
            a[1] = -1;
            assertEquals(1, Native.pollIn(a[0], -1, 1000), "a hung-up pipe counts as readable");
        } finally {
            for (int fd : new int[] {a[0], a[1], b[0], b[1]}) {
                if (fd >= 0) {
                    Native.close(fd);
                }
            }
        }
    }

    @Test
    void errorsAreNegativeErrno() {
        assertEquals(-EBADF, Native.close(-1));
        assertEquals(-Native.ENOENT, Native.open(dir.resolve("missing").toString(), Native.O_RDONLY, 0));
        assertEquals(-Native.ENOENT, Native.lstatMode(dir.resolve("missing").toString()));
        assertEquals(-Native.ENOENT, Native.unlink(dir.resolve("missing").toString()));
        assertEquals(-Native.ENOENT, Native.rename(dir.resolve("a").toString(), dir.resolve("b").toString()));
        assertEquals(-EBADF, Native.read(-1, ByteBuffer.allocateDirect(4), 0, 4));
        assertEquals(-EBADF, Native.fstatSize(-1));
        assertEquals(-EBADF, Native.fsync(-1));
        assertEquals(-EBADF, Native.setNonBlocking(-1, true));
        assertEquals(-EINVAL, Native.open(null, Native.O_RDONLY, 0));
        assertTrue(Native.strerror(Native.ENOENT).contains("No such file"), Native.strerror(Native.ENOENT));
    }

    @Test
    void bufferBoundsAreChecked() throws Exception {
        int[] p = new int[2];
        assertEquals(0, Native.pipe(p));
        try {
            ByteBuffer direct = ByteBuffer.allocateDirect(8);
            assertEquals(-EINVAL, Native.write(p[1], ByteBuffer.allocate(8), 0, 8), "heap buffer");
            assertEquals(-EINVAL, Native.write(p[1], direct, 4, 5), "past capacity");
            assertEquals(-EINVAL, Native.write(p[1], direct, -1, 2), "negative pos");
            assertEquals(-EINVAL, Native.read(p[0], direct, 0, -1), "negative len");
            assertEquals(-EINVAL, Native.pipe(new int[1]), "short array");
            assertEquals(8, Native.write(p[1], direct, 0, 8), "exactly the capacity");
        } finally {
            Native.close(p[0]);
            Native.close(p[1]);
        }
    }

    @Test
    void fileLifecycle() throws Exception {
        String a = dir.resolve("a").toString();
        String b = dir.resolve("b").toString();
        int fd = Errno.check(Native.open(a, Native.O_RDWR | Native.O_CREAT | Native.O_EXCL, 0640), "open", a);
        try {
            assertEquals(-Native.EEXIST, Native.open(a, Native.O_RDWR | Native.O_CREAT | Native.O_EXCL, 0640));
            assertEquals(11, Native.write(fd, bytes("hello world"), 0, 11));
            assertEquals(0, Native.fsync(fd));
            assertEquals(11, Native.fstatSize(fd));
            ByteBuffer buf = ByteBuffer.allocateDirect(32);
            assertEquals(5, Native.pread(fd, buf, 10, 5, 6));
            assertEquals("world", string(buf, 10, 5));
            assertEquals(11, Native.lseek(fd, 0, Native.SEEK_CUR));
            assertEquals(0, Native.lseek(fd, 0, Native.SEEK_SET));
            assertEquals(11, Native.read(fd, buf, 0, 32));
            assertEquals(0, Native.ftruncate(fd, 5));
            assertEquals(5, Native.fstatSize(fd));
            assertEquals(S_IFREG, Native.lstatMode(a) & S_IFMT);
            assertEquals(0640, Native.lstatMode(a) & 0777);
            assertEquals(0, Native.rename(a, b));
            assertEquals(-Native.ENOENT, Native.lstatMode(a));
            assertEquals(0, Native.unlink(b));
            assertTrue(Files.notExists(dir.resolve("b")));
        } finally {
            assertEquals(0, Native.close(fd));
        }
        assertEquals(-EBADF, Native.close(fd), "closed exactly once");
    }

    @Test
    void arraysAreReadAndWrittenInPlaceWithBoundsChecked() throws Exception {
        int fd = Errno.check(Native.memfdCreate("arrays"), "memfd_create", "arrays");
        try {
            byte[] out = "..hello world..".getBytes(StandardCharsets.US_ASCII);
            assertEquals(11, Native.writeArray(fd, out, 2, 11));
            byte[] in = new byte[20];
            assertEquals(5, Native.preadArray(fd, in, 3, 5, 6), "pread at offset 6 into in[3..8)");
            assertEquals("world", new String(in, 3, 5, StandardCharsets.US_ASCII));
            assertEquals(0, in[2]);
            assertEquals(0, in[8]);
            assertEquals(0, Native.preadArray(fd, in, 0, 4, 11), "end of file");
            assertEquals(-EINVAL, Native.preadArray(fd, in, 18, 3, 0));
            assertEquals(-EINVAL, Native.preadArray(fd, in, -1, 1, 0));
            assertEquals(-EINVAL, Native.preadArray(fd, in, 0, 1, -1));
            assertEquals(-EINVAL, Native.writeArray(fd, out, 10, 6));
            assertEquals(-EINVAL, Native.writeArray(fd, null, 0, 0));
            assertEquals(-EBADF, Native.writeArray(-1, out, 0, 1));
            assertEquals(-EBADF, Native.preadArray(-1, in, 0, 1, 0));
        } finally {
            Native.close(fd);
        }
    }

    @Test
    void pipeIsNonBlockingOnRequest() {
        int[] p = new int[2];
        assertEquals(0, Native.pipe(p));
        try {
            assertEquals(0, Native.setNonBlocking(p[0], true));
            ByteBuffer buf = ByteBuffer.allocateDirect(4);
            assertEquals(-Native.EAGAIN, Native.read(p[0], buf, 0, 4));
            assertEquals(3, Native.write(p[1], bytes("abc"), 0, 3));
            assertEquals(3, Native.read(p[0], buf, 0, 4));
            assertEquals("abc", string(buf, 0, 3));
            Native.close(p[1]);
            assertEquals(0, Native.read(p[0], buf, 0, 4), "EOF after the writer closed");
        } finally {
            Native.close(p[0]);
        }
    }

    @Test
    void spliceAppendsPipeIntoMemfdAtItsPosition() throws Exception {
        int[] p = new int[2];
        assertEquals(0, Native.pipe(p));
        int memfd = Errno.check(Native.memfdCreate("spool"), "memfd_create", "spool");
        try {
            assertEquals(6, Native.write(p[1], bytes("first "), 0, 6));
            assertEquals(6, Native.splice(p[0], memfd, 65536, Native.SPLICE_F_NONBLOCK));
            assertEquals(6, Native.write(p[1], bytes("second"), 0, 6));
            assertEquals(6, Native.splice(p[0], memfd, 65536, Native.SPLICE_F_NONBLOCK));
            assertEquals(-Native.EAGAIN, Native.splice(p[0], memfd, 65536, Native.SPLICE_F_NONBLOCK), "empty pipe");
            assertEquals(12, Native.lseek(memfd, 0, Native.SEEK_CUR), "position advanced");
            ByteBuffer buf = ByteBuffer.allocateDirect(12);
            assertEquals(12, Native.pread(memfd, buf, 0, 12, 0));
            assertEquals("first second", string(buf, 0, 12));
            assertEquals(-EINVAL, Native.splice(p[0], memfd, -1, 0));
        } finally {
            Native.close(p[0]);
            Native.close(p[1]);
            Native.close(memfd);
        }
    }

    @Test
    void punchHoleZeroesARangeAndKeepsTheSize() throws Exception {
        int fd = Errno.check(Native.memfdCreate("holes"), "memfd_create", "holes");
        try {
            ByteBuffer data = ByteBuffer.allocateDirect(3 * 4096);
            for (int i = 0; i < data.capacity(); i++) {
                data.put(i, (byte) 'x');
            }
            assertEquals(3 * 4096, Native.write(fd, data, 0, 3 * 4096));
            assertEquals(0, Native.punchHole(fd, 4096, 4096));
            assertEquals(3 * 4096, Native.fstatSize(fd));
            ByteBuffer back = ByteBuffer.allocateDirect(3 * 4096);
            assertEquals(3 * 4096, Native.pread(fd, back, 0, 3 * 4096, 0));
            assertEquals('x', back.get(4095));
            assertEquals(0, back.get(4096));
            assertEquals(0, back.get(8191));
            assertEquals('x', back.get(8192));
            assertEquals(-EINVAL, Native.punchHole(fd, 0, 0));
        } finally {
            Native.close(fd);
        }
    }

    @Test
    void startWritebackTakesAFileRangeOnly(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String path = dir.resolve("log").toString();
        int fd = Errno.check(Native.open(path, Native.O_WRONLY | Native.O_CREAT, 0600), "open", path);
        int[] p = new int[2];
        Errno.check(Native.pipe(p), "pipe", "writeback");
        try {
            ByteBuffer data = ByteBuffer.allocateDirect(2 * 4096);
            assertEquals(2 * 4096, Native.write(fd, data, 0, 2 * 4096));
            assertEquals(0, Native.startWriteback(fd, 0, 2 * 4096));
            assertEquals(0, Native.fsync(fd));
            assertEquals(-EINVAL, Native.startWriteback(fd, 0, 0));
            assertEquals(-EINVAL, Native.startWriteback(fd, -4096, 4096));
            assertEquals(-29 /* ESPIPE */, Native.startWriteback(p[1], 0, 4096));
            assertEquals(2 * 4096, Native.fstatSize(fd));
        } finally {
            Native.close(p[0]);
            Native.close(p[1]);
            Native.close(fd);
        }
    }

    @Test
    void sharedMappingIsVisibleThroughTheFd() throws Exception {
        int fd = Errno.check(Native.memfdCreate("journal"), "memfd_create", "journal");
        long addr = 0;
        try {
            assertEquals(0, Native.ftruncate(fd, 4096));
            addr = Errno.check(Native.mmapShared(fd, 4096), "mmap", "journal");
            ByteBuffer map = Native.directBuffer(addr, 4096);
            assertNotNull(map);
            assertEquals(4096, map.capacity());
            map.put(100, (byte) 42);
            ByteBuffer buf = ByteBuffer.allocateDirect(1);
            assertEquals(1, Native.pread(fd, buf, 0, 1, 100));
            assertEquals(42, buf.get(0));
            assertEquals(-EINVAL, Native.mmapShared(fd, 0));
            assertEquals(-EBADF, Native.mmapShared(-1, 4096));
        } finally {
            if (addr > 0) {
                assertEquals(0, Native.munmap(addr, 4096));
            }
            Native.close(fd);
        }
    }

    @Test
    void readFillsOnlyTheAddressedRange() {
        int[] p = new int[2];
        assertEquals(0, Native.pipe(p));
        try {
            ByteBuffer buf = ByteBuffer.allocateDirect(8);
            assertEquals(2, Native.write(p[1], bytes("zz"), 0, 2));
            assertEquals(2, Native.read(p[0], buf, 3, 2));
            byte[] all = new byte[8];
            buf.get(0, all);
            assertArrayEquals(new byte[] {0, 0, 0, 'z', 'z', 0, 0, 0}, all, Arrays.toString(all));
        } finally {
            Native.close(p[0]);
            Native.close(p[1]);
        }
    }
}
