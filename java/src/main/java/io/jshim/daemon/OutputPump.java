package io.jshim.daemon;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import java.time.Instant;

/**
 * One output stream of a container: pipe -> splice -> spool memfd -> chunks -> log records,
 * attach frames and journald datagrams -> journal commit. It never read()s the pipe, so a
 * killed daemon loses nothing: every byte is still in the pipe or in the spool past the
 * committed offset.
 */
final class OutputPump implements EventLoop.Handler {
    /** Work per wakeup, so one busy container cannot starve the others. */
    static final long BUDGET = 1 << 20;
    static final long PUNCH_EVERY = 1 << 20;
    /** Flush formatted records to the log once this many bytes are pending. */
    private static final int FLUSH_AT = 256 * 1024;
    private static final long SPLICE_MAX = 1 << 20;
    /** What a drain takes from the pipe beyond the spool backlog (pipes hold at most 1 MiB by default). */
    static final long DRAIN_EXTRA = 16L << 20;

    private final Container container;
    private final int stream; // LogFormat.STDOUT or STDERR, also the attach frame type
    private final int pipeFd;
    private final int spoolFd;
    private long position;
    private long done;
    private long punched;
    private boolean registered;
    private boolean eof;
    private boolean continuationQueued;
    private boolean failed;

    OutputPump(Container container, int stream, int pipeFd, int spoolFd, long committedDone) {
        this.container = container;
        this.stream = stream;
        this.pipeFd = pipeFd;
        this.spoolFd = spoolFd;
        this.done = committedDone;
        this.punched = committedDone & ~4095L;
    }

    /** Finds the spool's end (its file position, shared with the launcher) and starts watching the pipe. */
    void start(EventLoop loop) throws NativeIoException {
        position = Errno.check(Native.lseek(spoolFd, 0, Native.SEEK_CUR), "lseek", name() + " spool");
        if (done > position) {
            // a daemon was killed between rewinding the spool and committing offset 0
            Daemon.LOG.debug("{}: committed offset {} is past the spool end {}; the spool was rewound",
                    name(), done, position);
            done = position;
        }
        loop.add(pipeFd, Native.EPOLLIN, this);
        registered = true;
    }

    long done() {
        return done;
    }

    private String name() {
        return container.id() + (stream == LogFormat.STDOUT ? " stdout" : " stderr");
    }

    @Override
    public void onEvents(int events) {
        pump(BUDGET);
    }

    /**
     * After EXITED: splices and processes what is readable now. Bounded, so a process outside
     * the container that keeps writing into the pipe cannot hold the exit file up.
     */
    void drain() {
        pump(position - done + DRAIN_EXTRA);
    }

    /** Stops watching the pipe; the fd itself is closed by the container's release(). */
    void stop() {
        if (registered) {
            container.loop().remove(pipeFd);
            registered = false;
        }
    }

    private void pump(long budget) {
        if (container.released()) {
            return;
        }
        AttachServer attach = container.attach();
        if (attach != null) {
            attach.acceptPending(); // a client waiting in the backlog gets this output too
        }
        Scratch s = container.scratch();
        LogFile log = container.log();
        Container.Journald journald = container.journald();
        long sizeMax = container.logSizeMax();
        int maxChunk = Math.min(Scratch.CHUNK, container.maxChunk());
        long processed = 0;
        while (processed < budget && !failed) {
            if (done >= position) {
                if (eof || !splice()) {
                    break;
                }
                continue;
            }
            int piece = (int) Math.min(maxChunk, position - done);
            int n = Native.preadArray(spoolFd, s.chunk, 0, piece, done);
            if (n == -Native.EINTR) {
                continue;
            }
            if (n <= 0) {
                Daemon.LOG.error("{}: pread spool at {}: {}", name(), done,
                        n == 0 ? "unexpected end of file" : Native.strerror(-n));
                failed = true;
                stop();
                break;
            }
            if (log != null) {
                Instant now = Instant.now();
                if (sizeMax > 0) {
                    logLines(s, log, n, sizeMax, now);
                } else {
                    container.logFormat().format(s.chunk, 0, n, stream, now.getEpochSecond(), now.getNano(),
                            s.logRecords);
                }
            }
            if (attach != null && attach.clientCount() > 0) {
                attach.broadcastChunk(stream, s.chunk, 0, n);
            }
            if (journald != null) {
                journald.write(stream, s.chunk, 0, n);
            }
            done += n;
            processed += n;
            if (log != null && s.logRecords.size() >= FLUSH_AT) {
                log.write(s.logRecords);
            }
        }
        if (processed > 0) {
            if (log != null) {
                log.write(s.logRecords);
            }
            container.commit();
            if (done == position) {
                rewind();
            } else {
                punch();
            }
        }
        if (done < position && !continuationQueued && !failed) {
            continuationQueued = true;
            container.loop().execute(() -> {
                continuationQueued = false;
                pump(BUDGET);
            });
        }
    }

    /**
     * --log-size-max (conmon's semantics, per record). Records of earlier chunks are written
     * first. If the chunk s.chunk[0..n) does not fit whole, it is formatted again one line at a
     * time (both formats split at every newline and carry nothing over, so the records are the
     * same), and before a line's records would take the bytes written since the last (re)open
     * past the limit, the log is replaced. The replacement commits log size 0 with this
     * stream's offset at the start of that line: the earlier lines went to the discarded file,
     * the line itself is not counted yet, and nothing formatted is pending.
     */
    private void logLines(Scratch s, LogFile log, int n, long sizeMax, Instant now) {
        if (s.logRecords.size() > 0) {
            log.write(s.logRecords); // records of earlier chunks, counted in done
            container.commit();
        }
        container.logFormat().format(s.chunk, 0, n, stream, now.getEpochSecond(), now.getNano(), s.logRecords);
        if (log.sinceOpen() + s.logRecords.size() <= sizeMax) {
            return; // the common case: the whole chunk fits, its records stay pending
        }
        s.logRecords.clear(); // only this chunk's records: done again, line by line
        for (int off = 0; off < n; ) {
            int nl = ShimmyLogFormat.indexOfNewline(s.chunk, off, n);
            int end = nl < n ? nl + 1 : n;
            container.logFormat().format(s.chunk, off, end - off, stream, now.getEpochSecond(), now.getNano(),
                    s.logRecords);
            if (log.sinceOpen() > 0 && log.sinceOpen() + s.logRecords.size() > sizeMax) {
                container.replaceLog(stream, done + off);
            }
            log.write(s.logRecords);
            off = end;
        }
    }

    /** One splice from the pipe into the spool; false when nothing more can be read now. */
    private boolean splice() {
        while (true) {
            long n = Native.splice(pipeFd, spoolFd, SPLICE_MAX, Native.SPLICE_F_NONBLOCK);
            if (n == -Native.EINTR) {
                continue;
            }
            if (n == -Native.EAGAIN) {
                return false;
            }
            if (n == 0) {
                eof = true; // every writer is gone; the launcher closes its copy at teardown
                stop();
                return false;
            }
            if (n < 0) {
                Daemon.LOG.error("{}: splice pipe to spool: {}", name(), Native.strerror((int) -n));
                eof = true;
                stop();
                return false;
            }
            position += n;
            return true;
        }
    }

    /**
     * Everything spooled is in the log and committed: move the spool's file position back to 0,
     * so the next splice overwrites pages the memfd already has instead of allocating new ones
     * (the allocation, not the copy, is what a growing spool costs), then commit offset 0.
     * A daemon killed between the two finds its committed offset past the spool's end and
     * clamps it (see {@link #start}): nothing is lost or repeated either way.
     */
    private void rewind() {
        long r = Native.lseek(spoolFd, 0, Native.SEEK_SET);
        if (r < 0) {
            Daemon.LOG.warn("{}: lseek spool to 0: {}", name(), Native.strerror((int) -r));
            punch();
            return;
        }
        position = 0;
        done = 0;
        punched = 0;
        container.commit();
    }

    private void punch() {
        long to = done & ~4095L;
        if (to - punched < PUNCH_EVERY) {
            return;
        }
        int r = Native.punchHole(spoolFd, punched, to - punched);
        if (r < 0) {
            Daemon.LOG.warn("{}: punch spool [{}, {}): {}", name(), punched, to, Native.strerror(-r));
        }
        punched = to;
    }
}
