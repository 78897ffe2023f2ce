package io.jshim.daemon;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that do the daemon's file I/O, so the event loop never blocks on a file:
 * opening, writing, fsync'ing and replacing logs, writing exit files.
 *
 * <p>Why not a fixed pool: a write that never returns (a hung NFS mount, a FIFO nobody reads)
 * keeps its thread forever, so a pool of k threads would be stopped for every container by k
 * such logs. Threads are made on demand instead and end after {@link #IDLE_SECONDS} idle, and
 * each container's jobs run one at a time, in order, in its {@link Lane}: a busy host has about
 * as many I/O threads as containers writing at that moment (on 2 CPUs: one or two), an idle one
 * none, and a stuck log holds exactly one thread.
 *
 * <p>A lane is per container key, not per Container object: a Container that replaces an
 * earlier one for the same launcher (same fds) queues behind the earlier one's last job.
 * Thread-safe.
 */
final class IoPool {
    static final int IDLE_SECONDS = 30;
    /** The jobs only use small frames: native calls and the formatters. */
    private static final long STACK_SIZE = 256 * 1024;

    static final IoPool SHARED = new IoPool();

    private final AtomicInteger threads = new AtomicInteger();
    private final ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_SECONDS,
            TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                Thread t = new Thread(null, r, "jshimd-io-" + threads.incrementAndGet(), STACK_SIZE);
                t.setDaemon(true); // a stuck write must not keep the JVM from exiting
                return t;
            });
    private final Map<String, Lane> lanes = new HashMap<>();

    /** Runs a job on its own (an exit file: it must not wait behind a stuck log). */
    void execute(Runnable job) {
        pool.execute(() -> run(job));
    }

    /** The lane of this key, shared with an earlier Container of the same key still in it. */
    synchronized Lane acquire(String key) {
        Lane lane = lanes.computeIfAbsent(key, Lane::new);
        lane.refs++;
        return lane;
    }

    synchronized void release(Lane lane) {
        if (--lane.refs == 0) {
            lanes.remove(lane.key, lane);
        }
    }

    /** Threads alive now (tests, diagnostics). */
    int threadCount() {
        return pool.getPoolSize();
    }

    private static void run(Runnable job) {
        try {
            job.run();
        } catch (RuntimeException | Error e) {
            Daemon.LOG.error("I/O job failed", e);
        }
    }

    /** Runs its jobs one at a time, in submission order, on the pool. */
    final class Lane {
        private final String key;
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        private boolean running;
        private int refs; // guarded by IoPool.this

        private Lane(String key) {
            this.key = key;
        }

        void submit(Runnable job) {
            synchronized (this) {
                queue.add(job);
                if (running) {
                    return;
                }
                running = true;
            }
            pool.execute(this::drain);
        }

        private void drain() {
            while (true) {
                Runnable job;
                synchronized (this) {
                    job = queue.poll();
                    if (job == null) {
                        running = false;
                        return;
                    }
                }
                run(job);
            }
        }
    }
}
