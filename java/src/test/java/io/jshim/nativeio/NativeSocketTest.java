package io.jshim.nativeio;

import static io.jshim.nativeio.NativeFdTest.bytes;
import static io.jshim.nativeio.NativeFdTest.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class NativeSocketTest {
    static final int EBADF = 9;
    static final int EINVAL = 22;
    static final int ENAMETOOLONG = 36;
    static final int ECONNREFUSED = 111;
    static final int EADDRINUSE = 98;
    static final int S_IFMT = 0170000;
    static final int S_IFSOCK = 0140000;

    @TempDir
    Path dir;

    private final int[] pair = {-1, -1};

    @AfterEach
    void closePair() {
        for (int fd : pair) {
            if (fd >= 0) {
                Native.close(fd);
            }
        }
    }

    @Test
    void listenConnectAcceptSendRecv() throws Exception {
        String path = dir.resolve("s.sock").toString();
        int lfd = Errno.check(Native.unixListen(path, Native.SOCK_SEQPACKET, 8), "listen", path);
        int cfd = -1;
        int afd = -1;
        try {
            assertEquals(S_IFSOCK, Native.lstatMode(path) & S_IFMT);
            assertEquals(-Native.EAGAIN, Native.accept(lfd), "listener is non-blocking");
            cfd = Errno.check(Native.unixConnect(path, Native.SOCK_SEQPACKET), "connect", path);
            afd = Errno.check(Native.accept(lfd), "accept", path);
            assertEquals(5, Native.send(cfd, bytes("hello"), 0, 5));
            ByteBuffer buf = ByteBuffer.allocateDirect(64);
            int[] fds = new int[4];
            int[] counts = {-1};
            assertEquals(5, Native.recvWithFds(afd, buf, 0, 64, fds, counts));
            assertEquals("hello", string(buf, 0, 5));
            assertEquals(0, counts[0]);
            assertEquals(-Native.EAGAIN, Native.recvWithFds(afd, buf, 0, 64, fds, counts), "MSG_DONTWAIT");
            assertEquals(0, Native.shutdown(cfd, Native.SHUT_WR));
            assertEquals(0, Native.recvWithFds(afd, buf, 0, 64, fds, counts), "EOF after shutdown");
        } finally {
            Native.close(lfd);
            Native.close(cfd);
            Native.close(afd);
        }
        assertEquals(-ECONNREFUSED, Native.unixConnect(path, Native.SOCK_SEQPACKET), "nobody listens");
        assertEquals(-EADDRINUSE, Native.unixListen(path, Native.SOCK_SEQPACKET, 8),
                "unixListen does not unlink");
    }

    @Test
    void pathsLongerThanSunPathAreRefused() {
        String longPath = "/tmp/" + "x".repeat(200);
        assertEquals(-ENAMETOOLONG, Native.unixListen(longPath, Native.SOCK_STREAM, 1));
        assertEquals(-ENAMETOOLONG, Native.unixConnect(longPath, Native.SOCK_STREAM));
        assertEquals(-EINVAL, Native.unixListen("", Native.SOCK_STREAM, 1));
    }

    @Test
    void pipeFdTravelsThroughASeqpacketPair() throws Exception {
        assertEquals(0, Native.socketpair(Native.SOCK_SEQPACKET, pair));
        int[] p = new int[2];
        assertEquals(0, Native.pipe(p));
        assertEquals(5, Native.sendWithFds(pair[0], bytes("HELLO"), 0, 5, new int[] {p[0], p[1]}, 2));
        // the sender's copies go away: only the received duplicates remain
        Native.close(p[0]);
        Native.close(p[1]);

        ByteBuffer buf = ByteBuffer.allocateDirect(16);
        int[] fds = new int[8];
        int[] counts = new int[1];
        assertEquals(5, Native.recvWithFds(pair[1], buf, 0, 16, fds, counts));
        assertEquals("HELLO", string(buf, 0, 5));
        assertEquals(2, counts[0]);
        try {
            assertEquals(3, Native.write(fds[1], bytes("abc"), 0, 3));
            assertEquals(3, Native.read(fds[0], buf, 8, 3));
            assertEquals("abc", string(buf, 8, 3));
        } finally {
            Native.close(fds[0]);
            Native.close(fds[1]);
        }
    }

    @Test
    void tooManyFdsAreClosedAndRefused() throws Exception {
        assertEquals(0, Native.socketpair(Native.SOCK_SEQPACKET, pair));
        int[] p = new int[2];
        assertEquals(0, Native.pipe(p));
        try {
            assertEquals(1, Native.sendWithFds(pair[0], bytes("x"), 0, 1, new int[] {p[0], p[1], p[0]}, 3));
        } finally {
            Native.close(p[0]);
        }
        // p[1] stays open here; if the receiver leaked its duplicate of p[0], no EOF would come
        ByteBuffer buf = ByteBuffer.allocateDirect(16);
        int[] fds = {-1, -1};
        int[] counts = {-1};
        assertEquals(-Native.EMSGSIZE, Native.recvWithFds(pair[1], buf, 0, 16, fds, counts));
        assertEquals(-1, fds[0], "nothing is handed out on failure");
        // every read end is closed now: writing the pipe fails with EPIPE
        assertEquals(-Native.EPIPE, Native.write(p[1], bytes("y"), 0, 1));
        Native.close(p[1]);
    }

    @Test
    void truncatedPacketIsRefusedAndItsFdsClosed() throws Exception {
        assertEquals(0, Native.socketpair(Native.SOCK_SEQPACKET, pair));
        int[] p = new int[2];
        assertEquals(0, Native.pipe(p));
        try {
            assertEquals(10, Native.sendWithFds(pair[0], bytes("0123456789"), 0, 10, new int[] {p[0]}, 1));
        } finally {
            Native.close(p[0]);
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(16);
        int[] fds = new int[8];
        int[] counts = new int[1];
        assertEquals(-Native.EMSGSIZE, Native.recvWithFds(pair[1], buf, 0, 4, fds, counts), "MSG_TRUNC");
        assertEquals(-Native.EPIPE, Native.write(p[1], bytes("y"), 0, 1), "received read end was closed");
        Native.close(p[1]);
    }

    @Test
    void sendAndRecvCheckTheirArguments() {
        assertEquals(0, Native.socketpair(Native.SOCK_STREAM, pair));
        ByteBuffer buf = ByteBuffer.allocateDirect(4);
        assertEquals(-EINVAL, Native.recvWithFds(pair[0], buf, 0, 4, null, new int[1]));
        assertEquals(-EINVAL, Native.recvWithFds(pair[0], buf, 0, 4, new int[1], new int[0]));
        assertEquals(-EINVAL, Native.recvWithFds(pair[0], buf, 2, 4, new int[1], new int[1]));
        assertEquals(-EINVAL, Native.sendWithFds(pair[0], buf, 0, 4, new int[1], 2));
        assertEquals(-EINVAL, Native.send(pair[0], ByteBuffer.allocate(4), 0, 4));
        assertEquals(-EINVAL, Native.socketpair(Native.SOCK_STREAM, new int[1]));
        assertEquals(-EBADF, Native.send(-1, buf, 0, 4));
        assertEquals(-EBADF, Native.accept(-1));
        assertEquals(-EBADF, Native.shutdown(-1, Native.SHUT_RD));
        assertNotEquals(pair[0], pair[1]);
    }

    @Test
    void sendToAClosedPeerGivesEpipeNotASignal() {
        assertEquals(0, Native.socketpair(Native.SOCK_STREAM, pair));
        Native.close(pair[1]);
        pair[1] = -1;
        int r = Native.send(pair[0], bytes("x"), 0, 1);
        assertTrue(r == -Native.EPIPE || r == -Native.ECONNRESET, "got " + r);
    }

    @Test
    void peerUidOfASocketpairIsOurs() throws Exception {
        Errno.check(Native.socketpair(Native.SOCK_SEQPACKET, pair), "socketpair", "pair");
        assertEquals(Native.geteuid(), Native.peerUid(pair[0]));
        assertEquals(-EBADF, Native.peerUid(-1));
    }
}
