package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AttachServer and AttachClient on a real event loop (on its own thread, as in the daemon) and
 * real sockets, with a fake container. Everything the server does runs on the loop thread.
 */
@Tag("unit")
class AttachServerTest {
    @TempDir
    Path dir;
    private EventLoop loop;
    private Thread loopThread;
    private FakeAttachHost host;
    private AttachServer server;
    private String path;
    private final List<Integer> fds = new ArrayList<>();

    interface LoopAction {
        void run() throws Exception;
    }

    @BeforeEach
    void open() throws Exception {
        loop = new EventLoop();
        host = new FakeAttachHost(loop);
        loopThread = new Thread(loop::run, "test-loop");
        loopThread.start();
    }

    @AfterEach
    void closeAll() throws Exception {
        if (server != null) {
            on(server::close);
        }
        loop.stop();
        loopThread.join(5000);
        assertFalse(loopThread.isAlive(), "the loop did not stop");
        loop.close();
        for (int fd : fds) {
            Native.close(fd);
        }
    }

    /** Runs {@code c} on the loop thread and returns its result. */
    private <T> T on(Callable<T> c) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(c.call());
            } catch (Exception | Error e) {
                f.completeExceptionally(e);
            }
        });
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            throw (Error) e.getCause();
        }
    }

    private void on(LoopAction a) throws Exception {
        on(() -> {
            a.run();
            return null;
        });
    }

    private void serve(int type, int format) throws Exception {
        serve(type, format, true);
    }

    private void serve(int type, int format, boolean start) throws Exception {
        path = dir.resolve("attach").toString();
        int l = Errno.check(Native.unixListen(path, type, 10), "listen", path);
        Errno.check(Native.setNonBlocking(l, false), "fcntl", path); // the launcher's may be blocking
        server = on(() -> AttachServer.fromListener(host, l, format));
        if (start) {
            on(server::start);
        }
    }

    private void broadcast(int stream, byte[] chunk, int off, int len) throws Exception {
        on(() -> server.broadcastChunk(stream, chunk, off, len));
    }

    private int clients() throws Exception {
        return on(server::clientCount);
    }

    private int sessionsEnded() throws Exception {
        return on(() -> host.sessionsEnded);
    }

    private int connect(int type) throws Exception {
        int fd = Errno.check(Native.unixConnect(path, type), "connect", path);
        Errno.check(Native.setNonBlocking(fd, true), "fcntl", "client");
        fds.add(fd);
        return fd;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** One record (or whatever one read returns), waiting up to 2 s; null on EOF. */
    private byte[] readRecord(int fd) throws Exception {
        ByteBuffer buf = ByteBuffer.allocateDirect(65536);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (true) {
            int n = Native.read(fd, buf, 0, buf.capacity());
            if (n == 0) {
                return null;
            }
            if (n > 0) {
                byte[] r = new byte[n];
                buf.get(0, r);
                return r;
            }
            assertEquals(-Native.EAGAIN, n, "read");
            assertTrue(System.nanoTime() < deadline, "timed out reading fd " + fd);
            Thread.sleep(2);
        }
    }

    private void assertNothingToRead(int fd) {
        ByteBuffer buf = ByteBuffer.allocateDirect(16);
        assertEquals(-Native.EAGAIN, Native.read(fd, buf, 0, 16));
    }

    private static int send(int fd, byte[] data) {
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(1, data.length));
        buf.put(0, data);
        return Native.send(fd, buf, 0, data.length);
    }

    private static byte[] frame(int type, byte[] chunk, int off, int len) {
        byte[] f = new byte[len + 1];
        f[0] = (byte) type;
        System.arraycopy(chunk, off, f, 1, len);
        return f;
    }

    private void waitFor(Callable<Boolean> c, String what) throws Exception {
        Poll.until(2000, () -> on(c), what);
    }

    /** Serving a listener the launcher bound: the acceptor is not started, only acceptPending runs. */
    @Test
    void pendingConnectionsAreAcceptedBeforeOutput() throws Exception {
        serve(Native.SOCK_SEQPACKET, AttachServer.FORMAT_CONMON, false);
        int a = connect(Native.SOCK_SEQPACKET);
        int c = connect(Native.SOCK_SEQPACKET);
        assertEquals(2, (int) on(server::acceptPending));
        assertEquals(0, (int) on(server::acceptPending));
        assertEquals(2, clients());
        broadcast(LogFormat.STDOUT, b("xxout1\n"), 2, 5);
        assertArrayEquals(b("\u0002out1\n"), readRecord(a));
        assertArrayEquals(b("\u0002out1\n"), readRecord(c));
        on(server::start); // and then the loop accepts later ones
        connect(Native.SOCK_SEQPACKET);
        waitFor(() -> server.clientCount() == 3, "third client accepted");
    }

    @Test
    void conmonRecordsOnePerChunkNeverMoreThan8193Bytes() throws Exception {
        serve(Native.SOCK_SEQPACKET, AttachServer.FORMAT_CONMON);
        assertEquals(8192, (int) on(server::maxChunk));
        int a = connect(Native.SOCK_SEQPACKET);
        on(server::acceptPending);
        broadcast(LogFormat.STDOUT, b("partial-no-newline"), 0, 18);
        broadcast(LogFormat.STDERR, b("err1\n"), 0, 5);
        assertArrayEquals(b("\u0002partial-no-newline"), readRecord(a));
        assertArrayEquals(b("\u0003err1\n"), readRecord(a));
        byte[] big = new byte[20000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        broadcast(LogFormat.STDOUT, big, 0, 8192);
        assertArrayEquals(frame(2, big, 0, 8192), readRecord(a));
        broadcast(LogFormat.STDERR, big, 0, 20000); // too long: split, never one record
        assertArrayEquals(frame(3, big, 0, 8192), readRecord(a));
        assertArrayEquals(frame(3, big, 8192, 8192), readRecord(a));
        assertArrayEquals(frame(3, big, 16384, 3616), readRecord(a));
        assertNothingToRead(a);
    }

    @Test
    void conmonInputIsRawAndEofKeepsTheClientForOutput() throws Exception {
        serve(Native.SOCK_SEQPACKET, AttachServer.FORMAT_CONMON);
        int a = connect(Native.SOCK_SEQPACKET);
        on(server::acceptPending);
        assertEquals(15, send(a, b("line1\nline2-no-")));
        assertEquals(2, send(a, b("nl")));
        byte[] big = new byte[32768];
        big[0] = 'B';
        big[32767] = 'E';
        assertEquals(32768, send(a, big));
        waitFor(() -> host.inputRecords.size() == 3, "input records");
        assertEquals(List.of(15, 2, 32768), on(() -> List.copyOf(host.inputRecords)));
        byte[] in = on(host.stdin::toByteArray);
        assertEquals("line1\nline2-no-nl", new String(in, 0, 17, StandardCharsets.ISO_8859_1));
        assertEquals('B', in[17]);
        assertEquals('E', in[17 + 32767]);
        assertEquals(0, sessionsEnded());

        assertEquals(0, Native.shutdown(a, Native.SHUT_WR)); // podman without -i
        waitFor(() -> host.sessionsEnded == 1, "input session ended");
        Thread.sleep(20);
        assertEquals(1, sessionsEnded(), "one session end per client");
        assertEquals(1, clients(), "kept for output");
        broadcast(LogFormat.STDOUT, b("after eof\n"), 0, 10);
        assertArrayEquals(b("\u0002after eof\n"), readRecord(a));
        // the daemon shut its read side: the client can no longer send
        assertEquals(-Native.EPIPE, send(a, b("late")));

        Native.close(a); // full close: dropped, without a second session end
        fds.remove((Integer) a);
        waitFor(() -> server.clientCount() == 0, "client dropped");
        assertEquals(1, sessionsEnded());
    }

    @Test
    void conmonWriteErrorShutsOutputButKeepsReadingInput() throws Exception {
        serve(Native.SOCK_SEQPACKET, AttachServer.FORMAT_CONMON);
        int a = connect(Native.SOCK_SEQPACKET);
        int other = connect(Native.SOCK_SEQPACKET);
        on(server::acceptPending);
        assertEquals(0, Native.shutdown(a, Native.SHUT_RD)); // the daemon's sends to it now fail
        broadcast(LogFormat.STDOUT, b("x\n"), 0, 2);
        assertArrayEquals(b("\u0002x\n"), readRecord(other));
        assertEquals(2, clients(), "kept for its input");
        assertEquals(3, send(a, b("abc")));
        waitFor(() -> host.stdin.size() == 3, "input after the write error");
        broadcast(LogFormat.STDOUT, b("y\n"), 0, 2); // not sent to it, no error either
        assertEquals(2, clients());
        assertEquals(0, Native.shutdown(a, Native.SHUT_WR)); // both directions done: dropped
        waitFor(() -> server.clientCount() == 1, "client dropped");
        assertEquals(1, sessionsEnded());
        assertEquals(null, readRecord(a), "EOF: the daemon closed it");
        assertArrayEquals(b("\u0002y\n"), readRecord(other));
    }

    /** A record client that reads slowly gets every record whole and in order from the backlog. */
    @Test
    void conmonBacklogKeepsRecordBoundaries() throws Exception {
        serve(Native.SOCK_SEQPACKET, AttachServer.FORMAT_CONMON);
        int a = connect(Native.SOCK_SEQPACKET);
        on(server::acceptPending);
        int records = 300; // far more than the socket buffer holds (~1.2 MB, under MAX_BACKLOG)
        on(() -> {
            byte[] data = new byte[8192];
            for (int i = 0; i < records; i++) {
                java.util.Arrays.fill(data, (byte) i);
                server.broadcastChunk(i % 2 == 0 ? LogFormat.STDOUT : LogFormat.STDERR, data, 0,
                        1 + (i * 37) % 8192);
            }
        });
        assertEquals(1, clients());
        for (int i = 0; i < records; i++) {
            byte[] r = readRecord(a);
            int want = 1 + (i * 37) % 8192;
            assertEquals(want + 1, r.length, "record " + i);
            assertEquals(i % 2 == 0 ? 2 : 3, r[0]);
            assertEquals((byte) i, r[1]);
            assertEquals((byte) i, r[r.length - 1]);
        }
        Thread.sleep(10);
        assertNothingToRead(a);
        assertEquals(1, clients());
    }

    /** At teardown a conmon client still gets the output queued for it, then EOF. */
    @Test
    void closeLetsAConmonClientTakeItsQueuedOutput() throws Exception {
        serve(Native.SOCK_SEQPACKET, AttachServer.FORMAT_CONMON);
        int slow = connect(Native.SOCK_SEQPACKET);
        int stuck = connect(Native.SOCK_SEQPACKET);
        on(server::acceptPending);
        on(() -> server.lingerMs(1000));
        int records = 200;
        on(() -> {
            byte[] data = new byte[8192];
            for (int i = 0; i < records; i++) {
                java.util.Arrays.fill(data, (byte) i);
                server.broadcastChunk(LogFormat.STDOUT, data, 0, data.length);
            }
            server.close();
        });
        assertTrue(Native.unixConnect(path, Native.SOCK_SEQPACKET) < 0, "the listener is closed at once");
        for (int i = 0; i < records; i++) {
            byte[] r = readRecord(slow);
            assertEquals(8193, r.length, "record " + i);
            assertEquals((byte) i, r[8192], "record " + i);
        }
        assertEquals(null, readRecord(slow), "EOF once everything was taken");
        long t0 = System.nanoTime();
        Thread.sleep(1200);
        int n = 0;
        while (readRecord(stuck) != null) {
            n++;
        }
        assertTrue(n < records, "a client that does not read is closed after the linger time (" + n + ")");
        assertTrue(System.nanoTime() - t0 < 4_000_000_000L);
        assertEquals(0, sessionsEnded(), "teardown ends no session");
        server = null;
    }

    @Test
    void aClientThatNeverReadsIsDroppedWithoutBlocking() throws Exception {
        serve(Native.SOCK_SEQPACKET, AttachServer.FORMAT_CONMON);
        int stuck = connect(Native.SOCK_SEQPACKET);
        on(server::acceptPending);
        int sent = on(() -> {
            byte[] data = new byte[8192];
            int n = 0;
            while (server.clientCount() == 1 && n < 2000) {
                server.broadcastChunk(LogFormat.STDOUT, data, 0, data.length);
                n++;
            }
            return n;
        });
        assertEquals(0, clients(), "dropped after " + sent + " records");
        assertTrue((long) sent * 8193 > AttachClient.MAX_BACKLOG, "dropped after " + sent + " records");
        assertEquals(1, sessionsEnded(), "dropping ends its input session");
        int n = 0;
        while (readRecord(stuck) != null) {
            n++;
        }
        assertTrue(n < sent, "then EOF");
    }

    @Test
    void shimmyFramesAndHalfCloseUnchanged() throws Exception {
        serve(Native.SOCK_STREAM, AttachServer.FORMAT_SHIMMY);
        assertEquals(32767, (int) on(server::maxChunk));
        int a = connect(Native.SOCK_STREAM);
        waitFor(() -> server.clientCount() == 1, "accepted by the loop");
        broadcast(LogFormat.STDOUT, b("o\n"), 0, 2);
        broadcast(LogFormat.STDERR, b("e\n"), 0, 2);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < 6) {
            got.writeBytes(readRecord(a));
        }
        assertArrayEquals(b("\u0001o\n\u0002e\n"), got.toByteArray());
        assertEquals(2, send(a, b("in")));
        assertEquals(0, Native.shutdown(a, Native.SHUT_WR));
        waitFor(() -> host.sessionsEnded == 1, "input session ended");
        assertEquals("in", on(() -> host.stdin.toString(StandardCharsets.ISO_8859_1)));
        assertEquals(1, clients());
        broadcast(LogFormat.STDOUT, b("later"), 0, 5);
        assertArrayEquals(b("\u0001later"), readRecord(a));
    }

    @Test
    void closeClosesClientsAndTheListener() throws Exception {
        serve(Native.SOCK_SEQPACKET, AttachServer.FORMAT_CONMON);
        int a = connect(Native.SOCK_SEQPACKET);
        on(server::acceptPending);
        on(server::close);
        on(server::close); // idempotent
        assertEquals(null, readRecord(a), "EOF");
        assertTrue(Native.unixConnect(path, Native.SOCK_SEQPACKET) < 0, "the listener is closed");
        assertTrue(Native.lstatMode(path) >= 0, "the socket file is not unlinked");
        assertEquals(0, sessionsEnded(), "teardown ends no session");
        server = null;
    }

    @Test
    void unknownFormatIsRefusedAndTheFdClosed() throws Exception {
        path = dir.resolve("attach").toString();
        int l = Errno.check(Native.unixListen(path, Native.SOCK_SEQPACKET, 10), "listen", path);
        ServeException e = assertThrows(ServeException.class, () -> on(() -> AttachServer.fromListener(host, l, 3)));
        assertEquals(ServeException.EINVAL, e.errno());
        assertTrue(Native.unixConnect(path, Native.SOCK_SEQPACKET) < 0, "the listener fd was closed");
    }
}
