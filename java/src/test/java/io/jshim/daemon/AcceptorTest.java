package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class AcceptorTest {
    private EventLoop loop;
    private final List<Integer> fds = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        loop = new EventLoop();
    }

    @AfterEach
    void closeAll() {
        loop.close();
        for (int fd : fds) {
            Native.close(fd);
        }
    }

    private void runFor(long millis) {
        loop.schedule(millis, loop::stop);
        loop.run();
    }

    @Test
    void acceptedConnectionsReachTheTarget(@TempDir Path dir) throws Exception {
        String path = dir.resolve("l.sock").toString();
        int listenFd = Errno.check(Native.unixListen(path, Native.SOCK_STREAM, 8), "listen", path);
        List<Integer> accepted = new ArrayList<>();
        Acceptor a = new Acceptor(loop, listenFd, "test connection", accepted::add);
        a.start();
        for (int i = 0; i < 3; i++) {
            fds.add(Errno.check(Native.unixConnect(path, Native.SOCK_STREAM), "connect", path));
        }
        runFor(200);
        fds.addAll(accepted);
        assertEquals(3, accepted.size());
        assertEquals(0, a.failures());
        a.close();
        a.close(); // idempotent
        assertTrue(Native.unixConnect(path, Native.SOCK_STREAM) < 0, "the listener is closed");
    }

    /**
     * accept() on a readable fd that fails (here ENOTSOCK on a pipe, in production EMFILE)
     * must not spin the loop: the listener sleeps BACKOFF_MS between attempts.
     */
    @Test
    void aFailingAcceptBacksOffInsteadOfSpinning() throws Exception {
        int[] p = new int[2];
        assertEquals(0, Native.pipe(p));
        fds.add(p[1]);
        ByteBuffer x = ByteBuffer.allocateDirect(1);
        assertEquals(1, Native.write(p[1], x, 0, 1));
        Acceptor a = new Acceptor(loop, p[0], "test connection", fd -> fds.add(fd));
        a.start();
        runFor(5 * Acceptor.BACKOFF_MS + 50);
        int failures = a.failures();
        assertTrue(failures >= 2 && failures <= 7, "accept() failed " + failures + " times in ~550 ms");
        a.close(); // closes the pipe's read end, and cancels the pending re-arm
        runFor(2 * Acceptor.BACKOFF_MS);
        assertEquals(failures, a.failures(), "no accept after close");
    }
}
