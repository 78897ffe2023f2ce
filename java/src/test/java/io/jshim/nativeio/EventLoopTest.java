package io.jshim.nativeio;

import static io.jshim.nativeio.NativeFdTest.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class EventLoopTest {
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

    /** A pipe whose read end already holds one byte. */
    private int[] readablePipe() {
        int[] p = new int[2];
        assertEquals(0, Native.pipe(p));
        fds.add(p[0]);
        fds.add(p[1]);
        assertEquals(1, Native.write(p[1], bytes("x"), 0, 1));
        return p;
    }

    /** Runs the loop on this thread; a safety timer stops it after 5 s and fails the test. */
    private void runBounded() {
        AtomicInteger timedOut = new AtomicInteger();
        EventLoop.Timer guard = loop.schedule(5000, () -> {
            timedOut.incrementAndGet();
            loop.stop();
        });
        loop.run();
        assertEquals(0, timedOut.get(), "loop did not stop by itself");
        assertFalse(loop.inLoop());
        guard.cancel();
    }

    @Test
    void timersRunInDeadlineOrderAndCancelledOnesNever() {
        List<String> order = new ArrayList<>();
        long start = System.nanoTime();
        loop.schedule(60, () -> {
            order.add("c");
            loop.stop();
        });
        loop.schedule(20, () -> order.add("a1"));
        loop.schedule(40, () -> order.add("b"));
        loop.schedule(20, () -> order.add("a2"));
        EventLoop.Timer cancelled = loop.schedule(30, () -> order.add("cancelled"));
        cancelled.cancel();
        runBounded();
        assertEquals(List.of("a1", "a2", "b", "c"), order);
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(60), "not before the deadline");
    }

    @Test
    void executeFromAnotherThreadWakesTheLoopAndStopEndsIt() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            started.countDown();
            loop.run();
        }, "loop");
        t.start();
        assertTrue(started.await(5, TimeUnit.SECONDS));
        CountDownLatch ran = new CountDownLatch(2);
        loop.execute(() -> {
            seen.add("first:" + loop.inLoop());
            ran.countDown();
        });
        loop.execute(() -> {
            seen.add("second:" + loop.inLoop());
            ran.countDown();
        });
        assertTrue(ran.await(5, TimeUnit.SECONDS), "tasks ran while the loop was blocked in epoll_wait");
        assertEquals(List.of("first:true", "second:true"), seen);
        assertFalse(loop.inLoop());
        assertThrows(IllegalStateException.class, () -> loop.schedule(1, () -> {}), "schedule off-loop");
        assertThrows(IllegalStateException.class, () -> loop.remove(0), "remove off-loop");
        loop.stop();
        t.join(5000);
        assertFalse(t.isAlive(), "stop() from another thread ended run()");
    }

    @Test
    void stopBeforeRunMakesRunReturnAtOnce() {
        loop.stop();
        loop.run();
        assertFalse(loop.inLoop());
    }

    @Test
    void levelTriggeredHandlerKeepsFiringUntilRemoved() throws Exception {
        int[] p = readablePipe();
        AtomicInteger calls = new AtomicInteger();
        loop.add(p[0], Native.EPOLLIN, ev -> {
            assertTrue((ev & Native.EPOLLIN) != 0);
            if (calls.incrementAndGet() == 3) {
                loop.remove(p[0]);
                loop.schedule(30, loop::stop);
            }
        });
        runBounded();
        assertEquals(3, calls.get(), "unread byte fired again and again, never after remove");
    }

    @Test
    void removeDuringABatchDropsThatFdsPendingEvents() throws Exception {
        int[] a = readablePipe();
        int[] b = readablePipe();
        List<String> calls = new ArrayList<>();
        AtomicInteger recycled = new AtomicInteger();
        int[] both = {a[0], b[0]};
        for (int i = 0; i < 2; i++) {
            int mine = both[i];
            int other = both[1 - i];
            String name = i == 0 ? "a" : "b";
            loop.add(mine, Native.EPOLLIN, ev -> {
                calls.add(name);
                loop.remove(mine);
                loop.remove(other);
                // close the other read end and reuse its number right away for a new, empty pipe
                Native.close(other);
                fds.remove(Integer.valueOf(other));
                int[] q = new int[2];
                assertEquals(0, Native.pipe(q));
                fds.add(q[0]);
                fds.add(q[1]);
                loop.add(q[0], Native.EPOLLIN, ev2 -> recycled.incrementAndGet());
                loop.schedule(50, loop::stop);
            });
        }
        runBounded();
        assertEquals(1, calls.size(), "the removed fd got no event: " + calls);
        assertEquals(0, recycled.get(), "a stale event never reaches the fd number's new owner");
    }

    @Test
    void handlerExceptionIsLoggedAndTheLoopGoesOn() throws Exception {
        int[] p = readablePipe();
        AtomicInteger calls = new AtomicInteger();
        loop.add(p[0], Native.EPOLLIN, ev -> {
            if (calls.incrementAndGet() == 1) {
                throw new java.io.IOException("boom");
            }
            loop.remove(p[0]);
            loop.stop();
        });
        loop.execute(() -> {
            throw new IllegalStateException("task boom");
        });
        runBounded();
        assertEquals(2, calls.get());
    }

    @Test
    void modifyChangesTheWatchedEvents() throws Exception {
        int[] p = new int[2];
        assertEquals(0, Native.pipe(p));
        fds.add(p[0]);
        fds.add(p[1]);
        List<Integer> got = new ArrayList<>();
        loop.add(p[1], Native.EPOLLIN, ev -> {
            got.add(ev);
            loop.remove(p[1]);
            loop.stop();
        });
        loop.schedule(30, () -> {
            try {
                loop.modify(p[1], Native.EPOLLOUT);
            } catch (NativeIoException e) {
                throw new AssertionError(e);
            }
        });
        runBounded();
        assertEquals(List.of(Native.EPOLLOUT), got, "nothing before modify, then writable");
        NativeIoException e = assertThrows(NativeIoException.class, () -> loop.modify(p[1], Native.EPOLLIN));
        assertEquals(Native.ENOENT, e.errno());
    }

    @Test
    void addTwiceFailsAndRemoveUnknownIsANoOp() throws Exception {
        int[] p = readablePipe();
        loop.add(p[0], Native.EPOLLIN, ev -> {});
        NativeIoException e = assertThrows(NativeIoException.class, () -> loop.add(p[0], Native.EPOLLIN, ev -> {}));
        assertEquals(Native.EEXIST, e.errno());
        assertTrue(e.getMessage().startsWith("epoll_ctl ADD fd " + p[0] + ": "), e.getMessage());
        loop.remove(12345);
        NativeIoException bad = assertThrows(NativeIoException.class, () -> loop.add(-1, Native.EPOLLIN, ev -> {}));
        assertEquals(9, bad.errno());
    }

    @Test
    void closeIsIdempotentAndRunAfterCloseIsRefused() {
        loop.close();
        loop.close();
        assertThrows(IllegalStateException.class, loop::run);
    }

    @Test
    void wakeupsAfterCloseWriteIntoNoFdThatReusedTheEventfdNumber() throws Exception {
        loop.close();
        // the numbers of the epoll fd and the eventfd are free again: new pipes take them
        List<Integer> readEnds = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int[] p = new int[2];
            assertEquals(0, Native.pipe(p));
            fds.add(p[0]);
            fds.add(p[1]);
            assertEquals(0, Native.setNonBlocking(p[0], true));
            readEnds.add(p[0]);
        }
        Thread other = new Thread(() -> {
            loop.execute(() -> { });
            loop.stop();
        });
        other.start();
        other.join(5000);
        ByteBuffer buf = ByteBuffer.allocateDirect(16);
        for (int fd : readEnds) {
            assertEquals(-Native.EAGAIN, Native.read(fd, buf, 0, 16), "pipe read end " + fd + " got bytes");
        }
    }

    @Test
    void manyExecutesFromManyThreadsAllRun() throws Exception {
        AtomicInteger count = new AtomicInteger();
        int threads = 4;
        int each = 2000;
        Thread t = new Thread(loop::run, "loop");
        t.start();
        List<Thread> producers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread p = new Thread(() -> {
                for (int j = 0; j < each; j++) {
                    loop.execute(count::incrementAndGet);
                }
            });
            producers.add(p);
            p.start();
        }
        for (Thread p : producers) {
            p.join();
        }
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(done::countDown);
        assertTrue(done.await(5, TimeUnit.SECONDS));
        assertEquals(threads * each, count.get());
        loop.stop();
        t.join(5000);
        assertFalse(t.isAlive());
        ByteBuffer unused = ByteBuffer.allocateDirect(1);
        assertEquals(1, unused.capacity());
    }
}
