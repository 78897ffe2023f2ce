package io.jshim.nativeio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-threaded, level-triggered epoll loop over raw fds.
 *
 * <p>Threading: {@link #execute}, {@link #stop} and {@link #inLoop} may be called from any
 * thread. Everything else ({@link #add}, {@link #modify}, {@link #remove}, {@link #schedule},
 * {@link Timer#cancel}) must be called on the loop thread, or before {@link #run} starts; a call
 * from another thread while the loop runs throws {@link IllegalStateException}.
 *
 * <p>Each registration gets a fresh token that epoll carries as its data, so an event queued
 * for an fd that was removed (and maybe re-added, or its number recycled) earlier in the same
 * batch is dropped instead of being delivered to the wrong handler. A handler or task that
 * throws is logged and the loop goes on. Once {@link #stop} was called, {@link #run} returns
 * (immediately, if it had not started yet).
 */
public final class EventLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
    private static final int MAX_EVENTS = 64;
    private static final long WAKE_TOKEN = 0;

    /** Called on the loop thread with the epoll event bits ready for the fd. */
    public interface Handler {
        void onEvents(int events) throws Exception;

        /**
         * onEvents threw an exception or an OutOfMemoryError (direct memory is capped): the loop
         * goes on either way. By default it is logged; a handler that serves one container (or
         * one connection) overrides this to fail just that one.
         */
        default void onError(Throwable e) {
            LOG.error("event handler failed", e);
        }
    }

    /** A scheduled task; {@link #cancel} is a no-op once it ran or was cancelled. */
    public interface Timer {
        void cancel();
    }

    private static final class Registration {
        final int fd;
        final long token;
        final Handler handler;
        int events;

        Registration(int fd, long token, int events, Handler handler) {
            this.fd = fd;
            this.token = token;
            this.events = events;
            this.handler = handler;
        }
    }

    private final class ScheduledTask implements Timer, Comparable<ScheduledTask> {
        final long deadline;
        final long seq;
        final Runnable task;

        ScheduledTask(long deadline, long seq, Runnable task) {
            this.deadline = deadline;
            this.seq = seq;
            this.task = task;
        }

        @Override
        public void cancel() {
            checkThread();
            timers.remove(this);
        }

        @Override
        public int compareTo(ScheduledTask o) {
            int c = Long.compare(deadline - o.deadline, 0); // overflow-safe nanoTime order
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final int epfd;
    private final int wakeFd;
    private final ByteBuffer events =
            ByteBuffer.allocateDirect(MAX_EVENTS * Native.EPOLL_EVENT_SIZE).order(ByteOrder.nativeOrder());
    private final Map<Integer, Registration> byFd = new HashMap<>();
    private final Map<Long, Registration> byToken = new HashMap<>();
    private final PriorityQueue<ScheduledTask> timers = new PriorityQueue<>();
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private volatile boolean stopped;
    private volatile Thread loopThread;
    private boolean closed;
    private long nextToken = WAKE_TOKEN + 1;
    private long nextSeq;

    /** Creates the epoll fd and the eventfd used to wake the loop. */
    public EventLoop() throws NativeIoException {
        epfd = Errno.check(Native.epollCreate(), "epoll_create1", null);
        int w = Native.eventfd();
        if (w < 0) {
            Native.close(epfd);
            Errno.check(w, "eventfd", null);
        }
        wakeFd = w;
        int r = Native.epollCtl(epfd, Native.EPOLL_CTL_ADD, wakeFd, Native.EPOLLIN, WAKE_TOKEN);
        if (r < 0) {
            Native.close(wakeFd);
            Native.close(epfd);
            Errno.check(r, "epoll_ctl ADD", "eventfd " + wakeFd);
        }
    }

    /** Watches {@code fd} for {@code events} (EPOLLIN, EPOLLOUT...), level-triggered. */
    public void add(int fd, int events, Handler handler) throws NativeIoException {
        checkThread();
        if (handler == null) {
            throw new NullPointerException("handler");
        }
        long token = nextToken++;
        Errno.check(Native.epollCtl(epfd, Native.EPOLL_CTL_ADD, fd, events, token), "epoll_ctl ADD", "fd " + fd);
        // A stale entry means the fd was closed without remove(): the kernel dropped it already.
        Registration stale = byFd.put(fd, new Registration(fd, token, events, handler));
        if (stale != null) {
            byToken.remove(stale.token);
        }
        byToken.put(token, byFd.get(fd));
    }

    /** Changes the events watched for a registered fd. */
    public void modify(int fd, int events) throws NativeIoException {
        checkThread();
        Registration reg = byFd.get(fd);
        if (reg == null) {
            throw new NativeIoException("epoll_ctl MOD", "fd " + fd + " (not registered)", Native.ENOENT);
        }
        Errno.check(Native.epollCtl(epfd, Native.EPOLL_CTL_MOD, fd, events, reg.token), "epoll_ctl MOD", "fd " + fd);
        reg.events = events;
    }

    /** Stops watching {@code fd}; call it before closing the fd. No-op if not registered. */
    public void remove(int fd) {
        checkThread();
        Registration reg = byFd.remove(fd);
        if (reg == null) {
            return;
        }
        byToken.remove(reg.token);
        int r = Native.epollCtl(epfd, Native.EPOLL_CTL_DEL, fd, 0, 0);
        if (r < 0) {
            LOG.debug("epoll_ctl DEL fd {}: {}", fd, Native.strerror(-r));
        }
    }

    /** Runs {@code task} on the loop thread after {@code delayMillis} (loop thread only). */
    public Timer schedule(long delayMillis, Runnable task) {
        checkThread();
        long delay = TimeUnit.MILLISECONDS.toNanos(Math.max(0, delayMillis));
        ScheduledTask t = new ScheduledTask(System.nanoTime() + delay, nextSeq++, task);
        timers.add(t);
        return t;
    }

    /** Runs {@code task} on the loop thread soon, in submission order; callable from any thread. */
    public void execute(Runnable task) {
        if (task == null) {
            throw new NullPointerException("task");
        }
        tasks.add(task);
        if (!inLoop()) {
            wakeup();
        }
    }

    /** Runs the loop on the calling thread until {@link #stop} is called. */
    public void run() {
        Thread me = Thread.currentThread();
        synchronized (this) {
            if (loopThread != null) {
                throw new IllegalStateException("event loop already runs on " + loopThread.getName());
            }
            if (closed) {
                throw new IllegalStateException("event loop is closed");
            }
            loopThread = me;
        }
        try {
            while (!stopped) {
                runTasks();
                runDueTimers();
                if (stopped) {
                    break;
                }
                int n = Native.epollWait(epfd, events, MAX_EVENTS, timeoutMillis());
                if (n == -Native.EINTR) {
                    continue;
                }
                if (n < 0) {
                    throw new IllegalStateException("epoll_wait: " + Native.strerror(-n));
                }
                dispatch(n);
            }
        } finally {
            synchronized (this) {
                loopThread = null;
            }
        }
    }

    /** Makes {@link #run} return after the current handler; callable from any thread. */
    public void stop() {
        stopped = true;
        if (!inLoop()) {
            wakeup();
        }
    }

    /** True on the thread that currently runs the loop. */
    public boolean inLoop() {
        return Thread.currentThread() == loopThread;
    }

    /** Closes the epoll fd and the eventfd (not the registered fds). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (loopThread != null && loopThread != Thread.currentThread()) {
            throw new IllegalStateException("close() while the loop runs on " + loopThread.getName());
        }
        closed = true;
        stopped = true;
        byFd.clear();
        byToken.clear();
        timers.clear();
        Native.close(wakeFd);
        Native.close(epfd);
    }

    private void checkThread() {
        Thread t = loopThread;
        if (t != null && t != Thread.currentThread()) {
            throw new IllegalStateException("must be called on the event loop thread " + t.getName());
        }
    }

    /**
     * Writes the eventfd, under the lock that {@link #close} takes: a wakeup from another thread
     * that raced with close() must not write into whatever file reuses the eventfd's number.
     */
    private void wakeup() {
        if (!wakePending.compareAndSet(false, true)) {
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            int r = Native.eventfdWrite(wakeFd, 1);
            if (r < 0) {
                LOG.warn("eventfd write fd {}: {}", wakeFd, Native.strerror(-r));
            }
        }
    }

    private int timeoutMillis() {
        if (!tasks.isEmpty() || stopped) {
            return 0;
        }
        ScheduledTask next = timers.peek();
        if (next == null) {
            return -1;
        }
        long nanos = next.deadline - System.nanoTime();
        if (nanos <= 0) {
            return 0;
        }
        long ms = (nanos + 999_999) / 1_000_000; // round up: never wake before the deadline
        return (int) Math.min(ms, Integer.MAX_VALUE);
    }

    private void dispatch(int n) {
        for (int i = 0; i < n; i++) {
            int ev = events.getInt(i * Native.EPOLL_EVENT_SIZE);
            long token = events.getLong(i * Native.EPOLL_EVENT_SIZE + 8);
            if (token == WAKE_TOKEN) {
                // Drain first, then re-arm: a wakeup() that lands after the read writes the
                // eventfd again; one that found the flag still set added its task before, and
                // runTasks() runs after this dispatch, so it is not lost.
                Native.eventfdRead(wakeFd); // EAGAIN is fine: nothing was pending
                wakePending.set(false);
                continue;
            }
            Registration reg = byToken.get(token);
            if (reg == null) {
                continue; // removed earlier in this batch
            }
            try {
                reg.handler.onEvents(ev);
            } catch (Exception | OutOfMemoryError e) {
                try {
                    reg.handler.onError(e);
                } catch (RuntimeException | OutOfMemoryError e2) {
                    LOG.error("event handler for fd {} failed, and so did its error handler", reg.fd, e2);
                }
            }
        }
    }

    private void runTasks() {
        // Only the tasks present now: a task that re-submits itself waits for the next turn.
        for (int n = tasks.size(); n > 0; n--) {
            Runnable task = tasks.poll();
            if (task == null) {
                break;
            }
            runSafely(task, "task");
        }
    }

    private void runDueTimers() {
        long now = System.nanoTime();
        ScheduledTask t;
        while ((t = timers.peek()) != null && t.deadline - now <= 0) {
            timers.poll();
            runSafely(t.task, "timer");
        }
    }

    private static void runSafely(Runnable task, String what) {
        try {
            task.run();
        } catch (RuntimeException | OutOfMemoryError e) { // out of (direct) memory: not the daemon's end
            LOG.error("event loop {} failed", what, e);
        }
    }
}
