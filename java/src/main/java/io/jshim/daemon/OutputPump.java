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
 *
 * <p>Threads: the loop thread only watches the pipe ({@link #watch}, {@link #onEvents}, which
 * tells the container); {@link #pump} and {@link #drain} run as the container's I/O jobs
 * ({@link IoPool}), one at a time, while the pipe is not watched, so a log write that blocks
 * stalls this container alone and its pipe fills up (back-pressure), never the loop.
 */
final class OutputPump implements EventLoop.Handler {
    /**
     * Work per {@link #pump} call: its records are written and committed at its end, and a
     * caught-up spool is rewound, so the spool's pages (about one pipeful) stay hot in the cache.
     */
    static final long BUDGET = 1 << 20;
    static final long PUNCH_EVERY = 1 << 20;
    /**
     * Flush formatted records to the log once this many bytes are pending: a chunk's records
     * (about 48 KiB for a chunk of 80-byte lines) then rarely take a flush past one bounce
     * buffer ({@link IoScratch#BOUNCE}), so most flushes are one write(2) instead of a full one
     * and a short one.
     */
    static final int FLUSH_AT = IoScratch.BOUNCE - 64 * 1024;
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
    private boolean watched; // loop thread
    private boolean eof;
    private boolean failed;

    OutputPump(Container container, int stream, int pipeFd, int spoolFd, long committedDone) {
        this.container = container;
        this.stream = stream;
        this.pipeFd = pipeFd;
        this.spoolFd = spoolFd;
        this.done = committedDone;
        this.punched = committedDone & ~4095L;
    }

    /** Finds the spool's end (its file position, shared with the launcher). */
    void start() throws NativeIoException {
        position = Errno.check(Native.lseek(spoolFd, 0, Native.SEEK_CUR), "lseek", name() + " spool");
        if (done > position) {
            // a daemon was killed between rewinding the spool and committing offset 0
            Daemon.LOG.debug("{}: committed offset {} is past the spool end {}; the spool was rewound",
                    name(), done, position);
            done = position;
        }
    }

    long done() {
        return done;
    }

    /** Spooled output not processed yet (a job ran out of budget): no pipe event will say so. */
    boolean backlog() {
        return !failed && done < position;
    }

    private String name() {
        return container.id() + (stream == LogFormat.STDOUT ? " stdout" : " stderr");
    }

    /** Loop thread: the pipe is readable; the container starts a job. */
    @Override
    public void onEvents(int events) {
        container.outputReady();
    }

    /** Loop thread: watch the pipe (unless it ended). */
    void watch() throws NativeIoException {
        if (!watched && !eof && !failed) {
            container.loop().add(pipeFd, Native.EPOLLIN, this);
            watched = true;
        }
    }

    /** Loop thread: stop watching the pipe; the fd itself is closed by the container's release(). */
    void unwatch() {
        if (watched) {
            container.loop().remove(pipeFd);
            watched = false;
        }
    }

    /**
     * I/O job: splices and processes up to {@link #BUDGET} bytes; attach frames go to
     * {@code frames}. The bytes processed.
     */
    long pump(LogBuffer frames) {
        return pump(BUDGET, frames);
    }

    /** The pipe while it may still bring output, else -1 (for {@link Native#pollIn}). */
    int pipeFd() {
        return eof || failed ? -1 : pipeFd;
    }

    /**
     * I/O job, after EXITED: splices and processes what is readable now. Bounded, so a process
     * outside the container that keeps writing into the pipe cannot hold the exit file up.
     */
    void drain(LogBuffer frames) {
        pump(position - done + DRAIN_EXTRA, frames);
    }

    private long pump(long budget, LogBuffer frames) {
        IoScratch s = IoScratch.get();
        LogFile log = container.log();
        Container.Journald journald = container.journald();
        long sizeMax = container.logSizeMax();
        int maxChunk = Math.min(Scratch.CHUNK, container.maxChunk());
        // whole chunks per pread, so the chunks are the same as with one pread per chunk
        int blockMax = IoScratch.BLOCK / maxChunk * maxChunk;
        byte[] block = null;
        long blockStart = 0; // spool offset of block[0]; the block is this call's (per thread)
        int blockLen = 0;
        long processed = 0;
        while (processed < budget && !failed && !container.released()) {
            if (done >= position) {
                if (eof || !splice()) {
                    break;
                }
                continue;
            }
            if (done < blockStart || done >= blockStart + blockLen) {
                int want = (int) Math.min(blockMax, position - done);
                block = s.block(want);
                int n = Native.preadArray(spoolFd, block, 0, want, done);
                if (n == -Native.EINTR) {
                    continue;
                }
                if (n <= 0) {
                    Daemon.LOG.error("{}: pread spool at {}: {}", name(), done,
                            n == 0 ? "unexpected end of file" : Native.strerror(-n));
                    failed = true;
                    break;
                }
                blockStart = done;
                blockLen = n;
            }
            int at = (int) (done - blockStart);
            int n = Math.min(maxChunk, blockLen - at);
            if (log != null) {
                Instant now = Instant.now();
                if (sizeMax > 0) {
                    logLines(s, log, block, at, n, sizeMax, now);
                } else {
                    container.logFormat().format(block, at, n, stream, now.getEpochSecond(), now.getNano(),
                            s.logRecords);
                }
            }
            if (frames != null) {
                frames.putFrame(stream, block, at, n);
            }
            if (journald != null) {
                journald.write(stream, block, at, n);
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
        return processed;
    }

    /**
     * --log-size-max (conmon's semantics, per record). Records of earlier chunks are written
     * first. If the chunk src[at..at+n) does not fit whole, it is formatted again one line at a
     * time (both formats split at every newline and carry nothing over, so the records are the
     * same), and before a line's records would take the bytes written since the last (re)open
     * past the limit, the log is replaced. The replacement commits log size 0 with this
     * stream's offset at the start of that line: the earlier lines went to the discarded file,
     * the line itself is not counted yet, and nothing formatted is pending.
     */
    private void logLines(IoScratch s, LogFile log, byte[] src, int at, int n, long sizeMax, Instant now) {
        if (s.logRecords.size() > 0) {
            log.write(s.logRecords); // records of earlier chunks, counted in done
            container.commit();
        }
        container.logFormat().format(src, at, n, stream, now.getEpochSecond(), now.getNano(), s.logRecords);
        if (log.sinceOpen() + s.logRecords.size() <= sizeMax) {
            return; // the common case: the whole chunk fits, its records stay pending
        }
        s.logRecords.clear(); // only this chunk's records: done again, line by line
        int end = at + n;
        for (int off = at; off < end; ) {
            int nl = ShimmyLogFormat.indexOfNewline(src, off, end);
            int lineEnd = nl < end ? nl + 1 : end;
            container.logFormat().format(src, off, lineEnd - off, stream, now.getEpochSecond(), now.getNano(),
                    s.logRecords);
            if (log.sinceOpen() > 0 && log.sinceOpen() + s.logRecords.size() > sizeMax) {
                container.replaceLog(stream, done + (off - at));
            }
            log.write(s.logRecords);
            off = lineEnd;
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
                return false;
            }
            if (n < 0) {
                Daemon.LOG.error("{}: splice pipe to spool: {}", name(), Native.strerror((int) -n));
                eof = true;
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
