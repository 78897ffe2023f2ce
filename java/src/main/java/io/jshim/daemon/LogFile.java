package io.jshim.daemon;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import io.jshim.protocol.Protocol;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The container log, opened append-only.
 *
 * <p>v1 (a path): the first daemon to serve a container creates and truncates it (shimmy
 * does); a later daemon truncates it back to the committed size, which drops a record that a
 * killed daemon wrote but never committed.
 *
 * <p>v2 (a name in the log dir fd, the launcher created the file): the first daemon takes the
 * file's current size as committed (conmon appends across {@code podman start}); later daemons
 * truncate to the committed size. {@link #replace} puts a fresh empty file at the name
 * (--log-size-max, REOPEN_LOG): {@code <name>.tmp} created O_EXCL, log size 0 committed, then
 * renamed over the name. A daemon killed between the commit and the rename finds the old file
 * and truncates it to 0, which is what the replacement wanted.
 */
final class LogFile {
    /** Commits {log size, the pumps' current offsets} to the journal. */
    interface Committer {
        void commit(long logSize);
    }

    private static final int FLAGS = Native.O_WRONLY | Native.O_CREAT | Native.O_APPEND;
    /**
     * The log opens O_NONBLOCK, so a FIFO at its name that nobody reads fails with ENXIO instead
     * of blocking forever; the flag is cleared right after, so writes block as on any file.
     */
    private static final int OPEN_FLAGS = FLAGS | Native.O_NONBLOCK;
    /**
     * Writeback of the log's pages is started (not waited for) every this many bytes written,
     * so the fsync before the exit file (and before a replacement) finds at most this much
     * not yet on its way to the disk: without it, a container that wrote 400 MiB waited
     * 230-400 ms for that fsync here, longer than the output itself took. Not with
     * --no-sync-log, which has no such fsync.
     */
    static final long WRITEBACK_EVERY = 4 << 20;

    private final String path;
    private final int dirFd; // v2: the container's log dir fd (not owned); -1 for v1
    private final byte[] name;
    private final byte[] tmpName;
    private final int mode;
    private int fd = -1;
    private long size;
    private long sinceOpen;
    /** Writeback was started for [0, writebackFrom) (page aligned, at most size). */
    private long writebackFrom;
    /** sync_file_range failed here (a file system without it): not tried again for this file. */
    private boolean noWriteback;
    /** --log-global-size-max: no record is written once {@link #total} reached it; 0 = no cap. */
    private long totalMax;
    /** Bytes written over the container's life, replacements included (a resumed daemon: the committed size). */
    private long total;
    private boolean broken;
    /** false: --no-sync-log, {@link #sync} does nothing. */
    private boolean syncs = true;

    private LogFile(String path, int dirFd, byte[] name, int mode) {
        this.path = path;
        this.dirFd = dirFd;
        this.name = name;
        this.tmpName = name == null ? null : tmpName(name);
        this.mode = mode;
    }

    /** A v2 dir fd must be a directory: FAILED at HELLO rather than files that never appear. */
    static void requireDirectory(int dirFd, String what) throws ServeException {
        int mode = Native.fstatatMode(dirFd, new byte[] {'.'});
        if (mode < 0 || (mode & 0170000) != 0040000) {
            int errno = mode < 0 ? -mode : Native.ENOTDIR;
            throw new ServeException(errno, what + " fd: " + Native.strerror(errno));
        }
    }

    static byte[] tmpName(byte[] name) {
        byte[] t = Arrays.copyOf(name, name.length + 4);
        System.arraycopy(new byte[] {'.', 't', 'm', 'p'}, 0, t, name.length, 4);
        return t;
    }

    /** v1: the log at an absolute path. */
    static LogFile open(String path, Journal journal) throws NativeIoException {
        LogFile log = new LogFile(path, -1, null, 0640);
        if (!journal.hasFlag(Protocol.JOURNAL_LOG_OPENED)) {
            log.fd = blocking(Native.open(path, OPEN_FLAGS | Native.O_TRUNC, 0640), path);
            journal.setFlag(Protocol.JOURNAL_LOG_OPENED);
            log.size = 0;
            return log;
        }
        log.fd = blocking(Native.open(path, OPEN_FLAGS, 0640), path);
        log.resume(journal.logSize());
        return log;
    }

    /**
     * v2: {@code name} in {@code dirFd} (which stays the caller's), O_NOFOLLOW, created with
     * {@code mode} (0600 k8s-file, 0640 shimmy). {@code what} names it in messages.
     */
    static LogFile openAt(int dirFd, byte[] name, String what, int mode, Journal journal) throws NativeIoException {
        LogFile log = new LogFile(what, dirFd, name, mode);
        log.unlinkTmp(); // a daemon killed during a replacement leaves one
        log.fd = blocking(Native.openat(dirFd, name, OPEN_FLAGS | Native.O_NOFOLLOW, mode), what);
        if (!journal.hasFlag(Protocol.JOURNAL_LOG_OPENED)) {
            try {
                log.size = Errno.check(Native.fstatSize(log.fd), "fstat", what);
                log.writebackFrom = log.size & ~4095L;
            } catch (NativeIoException e) {
                log.close();
                throw e;
            }
            journal.commit(log.size, journal.spoolDone(0), journal.spoolDone(1));
            journal.setFlag(Protocol.JOURNAL_LOG_OPENED);
            return log;
        }
        log.resume(journal.logSize());
        return log;
    }

    /** Checks an O_NONBLOCK open and clears the flag. */
    private static int blocking(int fd, String what) throws NativeIoException {
        Errno.check(fd, "open", what);
        int r = Native.setNonBlocking(fd, false);
        if (r < 0) {
            Native.close(fd);
            Errno.check(r, "fcntl", what);
        }
        return fd;
    }

    private void resume(long committed) throws NativeIoException {
        try {
            long actual = Errno.check(Native.fstatSize(fd), "fstat", path);
            if (actual > committed) {
                Errno.check(Native.ftruncate(fd, committed), "ftruncate", path);
                Daemon.LOG.info("log {}: dropped {} uncommitted bytes", path, actual - committed);
                actual = committed;
            } else if (actual < committed) {
                Daemon.LOG.warn("log {} is shorter ({}) than committed ({}); someone truncated it",
                        path, actual, committed);
            }
            size = actual;
            total = actual;
            writebackFrom = actual & ~4095L;
        } catch (NativeIoException e) {
            close();
            throw e;
        }
    }

    String path() {
        return path;
    }

    long size() {
        return size;
    }

    /** Bytes written since this daemon opened (or last replaced) the file: --log-size-max counts these. */
    long sinceOpen() {
        return sinceOpen;
    }

    /**
     * conmon's --log-global-size-max (CRI-O's ExecSync cap): records are written while fewer
     * than {@code max} bytes were written in total; the record that crosses it is the last.
     */
    void totalMax(long max) {
        totalMax = max;
    }

    /** Whether {@link #sync} fsyncs (conmon's --no-sync-log: not at exit, not at replacement). */
    void syncs(boolean on) {
        syncs = on;
    }

    long total() {
        return total;
    }

    /** How much of records[0..end) the global cap lets through: whole records (lines) only. */
    private int capped(LogBuffer records, int end) {
        if (totalMax <= 0 || total + end <= totalMax) {
            return end;
        }
        if (total >= totalMax) {
            return 0;
        }
        Daemon.LOG.info("log {}: {} bytes written, --log-global-size-max reached: no more records", path,
                totalMax);
        int last = records.indexOf((byte) '\n', (int) (totalMax - total - 1));
        return last < 0 ? end : last + 1;
    }

    boolean replaceable() {
        return dirFd >= 0;
    }

    /**
     * Writes every record in {@code records} and empties it. A failing log is reported once,
     * then skipped (the records are lost, the container is not blocked).
     */
    void write(LogBuffer records) {
        int from = 0;
        int end = capped(records, records.size());
        while (from < end && fd >= 0) {
            int n = records.writeTo(fd, from, end - from);
            if (n == -Native.EINTR) {
                continue;
            }
            if (n < 0) {
                if (!broken) {
                    Daemon.LOG.error("write log {}: {}; output is being lost", path, Native.strerror(-n));
                    broken = true;
                }
                break;
            }
            if (broken) {
                Daemon.LOG.info("write log {}: works again", path);
                broken = false;
            }
            size += n;
            sinceOpen += n;
            total += n;
            from += n;
        }
        records.clear();
        records.shrinkIfEmpty(1 << 20);
        if (size - writebackFrom >= WRITEBACK_EVERY && syncs && !noWriteback) {
            startWriteback();
        }
    }

    /**
     * Starts writeback of the whole pages written since the last call. It may block while the
     * device's queue is full, like a write: it runs on the container's lane, never the loop.
     */
    private void startWriteback() {
        long to = size & ~4095L;
        if (to > writebackFrom && fd >= 0) {
            int r = Native.startWriteback(fd, writebackFrom, to - writebackFrom);
            if (r < 0) {
                Daemon.LOG.debug("log {}: sync_file_range: {}; no early writeback for it", path, Native.strerror(-r));
                noWriteback = true;
            }
        }
        writebackFrom = to;
    }

    /** fsync(2) unless --no-sync-log; a failure is logged (the exit file still follows). */
    void sync() {
        if (fd >= 0 && syncs) {
            int r = Native.fsync(fd);
            if (r < 0) {
                Daemon.LOG.warn("fsync log {}: {}", path, Native.strerror(-r));
            }
        }
    }

    /**
     * Replaces the file with a fresh empty one (v2 only). Call with no record pending: every
     * formatted record written and committed, so committing size 0 with the pumps' offsets
     * loses nothing and repeats nothing. On failure the old file stays in use and no
     * {@code <name>.tmp} is left; false then.
     */
    boolean replace(Committer committer) {
        if (dirFd < 0 || fd < 0) {
            return false;
        }
        sync(); // the old content is complete on disk before it disappears from the name
        int tmp;
        try {
            tmp = createTmp();
        } catch (NativeIoException e) {
            Daemon.LOG.error("log {}: cannot replace it: {}; appending to the old file", path, e.getMessage());
            sinceOpen = 0; // not again at every chunk
            return false;
        }
        committer.commit(0);
        finishReplace(tmp, committer);
        return true;
    }

    /** Step 1 of {@link #replace}: unlinks a stale {@code <name>.tmp} and creates a new one. */
    int createTmp() throws NativeIoException {
        unlinkTmp();
        return Errno.check(Native.openat(dirFd, tmpName, FLAGS | Native.O_EXCL | Native.O_NOFOLLOW, mode),
                "openat", path + ".tmp");
    }

    /** Step 3 of {@link #replace}, after log size 0 was committed: rename over the name and switch. */
    void finishReplace(int tmp, Committer committer) {
        int r = Native.renameat(dirFd, tmpName, dirFd, name);
        if (r < 0) {
            // committed 0 already: empty the old file instead, as a restarted daemon would
            Daemon.LOG.error("log {}: renameat {}.tmp: {}; truncating the old file instead", path, path,
                    Native.strerror(-r));
            Native.close(tmp);
            unlinkTmp();
            r = Native.ftruncate(fd, 0);
            if (r < 0) {
                Daemon.LOG.error("log {}: ftruncate: {}", path, Native.strerror(-r));
                committer.commit(size); // what the file really holds
                sinceOpen = 0;
                return;
            }
        } else {
            close();
            fd = tmp;
        }
        size = 0;
        sinceOpen = 0;
        writebackFrom = 0;
        noWriteback = false;
        Daemon.LOG.info("log {}: replaced by an empty file", path);
    }

    private void unlinkTmp() {
        int r = Native.unlinkat(dirFd, tmpName);
        if (r < 0 && r != -Native.ENOENT) {
            Daemon.LOG.warn("log {}: unlinkat {}.tmp: {}", path, path, Native.strerror(-r));
        }
    }

    void close() {
        if (fd >= 0) {
            int r = Native.close(fd);
            if (r < 0) {
                Daemon.LOG.warn("close log {}: {}", path, Native.strerror(-r));
            }
            fd = -1;
        }
    }

    /** The name for messages (lenient UTF-8). */
    static String text(byte[] name) {
        return new String(name, StandardCharsets.UTF_8);
    }
}
