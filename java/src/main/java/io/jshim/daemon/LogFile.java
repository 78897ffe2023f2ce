package io.jshim.daemon;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import io.jshim.protocol.Protocol;

/**
 * The container log, opened append-only. The first daemon to serve a container creates and
 * truncates it (shimmy does); a later daemon truncates it back to the committed size, which
 * drops a record that a killed daemon wrote but never committed.
 */
final class LogFile {
    private final String path;
    private int fd = -1;
    private long size;
    private boolean broken;

    private LogFile(String path) {
        this.path = path;
    }

    static LogFile open(String path, Journal journal) throws NativeIoException {
        LogFile log = new LogFile(path);
        int flags = Native.O_WRONLY | Native.O_CREAT | Native.O_APPEND;
        if (!journal.hasFlag(Protocol.JOURNAL_LOG_OPENED)) {
            log.fd = Errno.check(Native.open(path, flags | Native.O_TRUNC, 0640), "open", path);
            journal.setFlag(Protocol.JOURNAL_LOG_OPENED);
            log.size = 0;
            return log;
        }
        log.fd = Errno.check(Native.open(path, flags, 0640), "open", path);
        try {
            long committed = journal.logSize();
            long actual = Errno.check(Native.fstatSize(log.fd), "fstat", path);
            if (actual > committed) {
                Errno.check(Native.ftruncate(log.fd, committed), "ftruncate", path);
                Daemon.LOG.info("log {}: dropped {} uncommitted bytes", path, actual - committed);
                actual = committed;
            } else if (actual < committed) {
                Daemon.LOG.warn("log {} is shorter ({}) than committed ({}); someone truncated it",
                        path, actual, committed);
            }
            log.size = actual;
        } catch (NativeIoException e) {
            log.close();
            throw e;
        }
        return log;
    }

    String path() {
        return path;
    }

    long size() {
        return size;
    }

    /**
     * Writes every record in {@code records} and empties it. A failing log is reported once,
     * then skipped (the records are lost, the container is not blocked).
     */
    void write(LogBuffer records) {
        int from = 0;
        int total = records.size();
        while (from < total && fd >= 0) {
            int n = records.writeTo(fd, from, total - from);
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
            from += n;
        }
        records.clear();
        records.shrinkIfEmpty(1 << 20);
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
}
