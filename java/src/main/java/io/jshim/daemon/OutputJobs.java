package io.jshim.daemon;

import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;

/**
 * A container's two output pumps as its I/O jobs see them: the pump job, the pipes' watch on
 * the loop, and the attach output a job collects for the loop to send.
 */
final class OutputJobs {
    /** A pump job's work before it returns to the loop (exit, REOPEN_LOG, release wait for it). */
    static final long JOB_BUDGET = 16 << 20;
    /** How long a pump job without attach clients waits for more output before it returns. */
    static final int LINGER_MS = 2;

    private final Container container;
    private final OutputPump[] pumps; // the Container's, filled at setup
    private LogBuffer frames; // attach output collected by a job, sent on the loop

    OutputJobs(Container container, OutputPump[] pumps) {
        this.container = container;
        this.pumps = pumps;
    }

    /** Spooled output not processed yet (loop, between jobs). */
    boolean backlog() {
        return pumps[0].backlog() || pumps[1].backlog();
    }

    /**
     * I/O job: pumps both streams while output keeps coming, up to {@link #JOB_BUDGET} bytes.
     * Without attach clients it waits up to {@link #LINGER_MS} on the pipes before returning to
     * the loop: a container streaming output is then served by one thread without a loop round
     * trip (two epoll_ctl pairs, two thread wakeups) for every pipeful.
     */
    void pumpJob(LogBuffer f) {
        long total = 0;
        while (true) {
            total += pumps[0].pump(f) + pumps[1].pump(f);
            if (f != null || total >= JOB_BUDGET || container.released()) {
                return; // attach clients get this output now; schedule() goes on with any backlog
            }
            if (backlog()) {
                continue;
            }
            int out = pumps[0].pipeFd();
            int err = pumps[1].pipeFd();
            if ((out < 0 && err < 0) || Native.pollIn(out, err, LINGER_MS) <= 0) {
                return;
            }
        }
    }

    /** Loop: a buffer for the attach output of the next job, when some client is attached. */
    LogBuffer collectFrames(AttachServer attach) {
        if (attach == null) {
            return null;
        }
        attach.acceptPending(); // a client waiting in the backlog gets this output too
        if (attach.clientCount() == 0) {
            frames = null;
            return null;
        }
        if (frames == null) {
            frames = new LogBuffer(64 * 1024);
        }
        return frames;
    }

    /** Loop, after the job: the collected output to the attach clients (none once released). */
    void sendFrames(LogBuffer f, AttachServer attach) {
        if (f != null) {
            if (!container.released()) {
                f.broadcastFrames(attach);
            }
            f.clear();
            f.shrinkIfEmpty(1 << 20);
        }
    }

    /** Loop: watch the pipes (those that have not ended). */
    void watch() {
        for (OutputPump p : pumps) {
            try {
                p.watch();
            } catch (NativeIoException e) {
                Daemon.LOG.error("{}: cannot watch its output: {}", container.id(), e.getMessage());
            }
        }
    }

    /** Loop: stop watching the pipes. */
    void unwatch() {
        for (OutputPump p : pumps) {
            if (p != null) {
                p.unwatch();
            }
        }
    }
}
