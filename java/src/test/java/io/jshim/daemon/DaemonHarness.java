package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** A daemon running its loop on a thread of the test JVM. */
final class DaemonHarness implements AutoCloseable {
    final String socket;
    final EventLoop loop;
    final Daemon daemon;
    private final Thread thread;

    DaemonHarness(Path dir) throws Exception {
        socket = dir.resolve("jshimd.sock").toString();
        Native.unlink(socket);
        int fd = Errno.check(Native.unixListen(socket, Native.SOCK_SEQPACKET, 16), "listen", socket);
        loop = new EventLoop();
        daemon = new Daemon(loop, fd);
        daemon.start();
        thread = new Thread(loop::run, "test-jshimd");
        thread.start();
    }

    /** Runs a query on the loop thread and returns its result. */
    <T> T onLoop(Supplier<T> query) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(query.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f.get(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        daemon.shutdown();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertFalse(thread.isAlive(), "the loop did not stop");
        loop.close();
    }
}
