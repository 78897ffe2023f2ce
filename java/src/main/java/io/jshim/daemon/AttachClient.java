package io.jshim.daemon;

import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import java.nio.ByteBuffer;

/**
 * One attach connection. Frames are written with a single non-blocking write; what does not
 * fit is queued and sent on EPOLLOUT. A client more than MAX_BACKLOG behind is dropped, so a
 * slow client never stalls the log or other containers.
 *
 * <p>A stream client (shimmy) may take part of a frame; a record client (conmon, SOCK_SEQPACKET)
 * takes whole records or nothing, so its backlog keeps record boundaries ({@code [u16 length]
 * [record]} entries, one send each). Record clients follow conmon: EOF on input is answered with
 * shutdown(SHUT_RD) and output keeps flowing; a failed send is answered with shutdown(SHUT_WR)
 * and input keeps being read; the client is dropped once both directions are done.
 */
final class AttachClient implements EventLoop.Handler {
    static final int MAX_BACKLOG = 4 << 20;
    static final int RECORD_HEADER = 2;
    /** The backlog's direct memory cap: MAX_BACKLOG plus one frame that fails the check. */
    static final int MAX_BACKLOG_CAPACITY = MAX_BACKLOG + Scratch.CHUNK + 1 + RECORD_HEADER;
    /** At teardown, how long a record client may take to read the output queued for it. */
    static final long LINGER_MS = 5000;

    private final AttachServer server;
    private final boolean records;
    private int fd;
    private ByteSink backlog;
    private boolean input = true;
    private boolean output = true;
    private int events = -1;
    private boolean lingering;
    private EventLoop.Timer lingerTimer;

    AttachClient(AttachServer server, int fd, boolean records) {
        this.server = server;
        this.fd = fd;
        this.records = records;
    }

    void start(EventLoop loop) throws NativeIoException {
        events = wantedEvents();
        loop.add(fd, events, this);
    }

    private String id() {
        return server.host().id();
    }

    /** For tests: still reading input / still sending output. */
    boolean readsInput() {
        return input;
    }

    boolean sendsOutput() {
        return output;
    }

    private int wantedEvents() {
        int e = 0;
        if (input && !server.inputPaused()) {
            e |= Native.EPOLLIN;
        }
        if (output && backlog != null && !backlog.isEmpty()) {
            e |= Native.EPOLLOUT;
        }
        return e;
    }

    void updateEvents() {
        if (fd < 0) {
            return;
        }
        int want = wantedEvents();
        if (want != events) {
            try {
                server.host().loop().modify(fd, want);
                events = want;
            } catch (NativeIoException e) {
                Daemon.LOG.warn("{}: attach client: {}", id(), e.getMessage());
            }
        }
    }

    /** Queues or writes one frame; false when the client must be dropped. */
    boolean send(ByteBuffer frame, int pos, int len) {
        if (!output) {
            return true; // shut for writing after a failed send; its input is still read
        }
        if (backlog != null && !backlog.isEmpty()) {
            if (backlog.size() + (long) len > MAX_BACKLOG) {
                Daemon.LOG.warn("{}: attach client is {} bytes behind; disconnecting it", id(), backlog.size());
                return false;
            }
            return queue(frame, pos, len);
        }
        int n = write(frame, pos, len);
        if (n == len) {
            return true;
        }
        if (n == -Native.EAGAIN) {
            n = 0;
        } else if (n < 0) {
            return writeFailed(-n);
        }
        if (!queue(frame, pos + n, len - n)) {
            return false;
        }
        updateEvents();
        return true;
    }

    /** One write (stream) or send (one record); the count, or -errno (never EINTR). */
    private int write(ByteBuffer buf, int pos, int len) {
        int n;
        do {
            n = records ? Native.send(fd, buf, pos, len) : Native.write(fd, buf, pos, len);
        } while (n == -Native.EINTR);
        return n;
    }

    /**
     * A send failed: a stream client is dropped (false); a record client whose input is still
     * open is shut for writing and kept for its input (true), as conmon does.
     */
    private boolean writeFailed(int errno) {
        Daemon.LOG.debug("{}: attach client write: {}", id(), Native.strerror(errno));
        if (!records || !input) {
            return false;
        }
        output = false;
        if (backlog != null) {
            backlog.clear();
            backlog.shrinkIfEmpty(64 * 1024);
        }
        int r = Native.shutdown(fd, Native.SHUT_WR);
        if (r < 0) {
            Daemon.LOG.debug("{}: attach client shutdown(SHUT_WR): {}", id(), Native.strerror(-r));
        }
        updateEvents();
        return true;
    }

    /** Appends to the backlog; false (drop the client) when direct memory runs out. */
    private boolean queue(ByteBuffer frame, int pos, int len) {
        try {
            if (backlog == null) {
                backlog = new ByteSink(len + RECORD_HEADER, MAX_BACKLOG_CAPACITY);
            }
            if (records) {
                backlog.ensure(RECORD_HEADER + len);
                backlog.putUnchecked((byte) (len >>> 8));
                backlog.putUnchecked((byte) len);
            }
            backlog.put(frame, pos, len);
            return true;
        } catch (OutOfMemoryError | IllegalStateException e) {
            Daemon.LOG.error("{}: no memory for an attach client backlog ({}); disconnecting it", id(),
                    e.getMessage());
            return false;
        }
    }

    /** A failure while serving this client (a bug, no direct memory) drops this client only. */
    @Override
    public void onError(Throwable e) {
        Daemon.LOG.error("{}: attach client failed; disconnecting it", id(), e);
        if (lingering) {
            close();
        } else {
            server.drop(this);
        }
    }

    @Override
    public void onEvents(int ev) {
        if (lingering) {
            boolean more = (ev & Native.EPOLLOUT) != 0 && flush() && backlog != null && !backlog.isEmpty();
            if (!more || (ev & (Native.EPOLLHUP | Native.EPOLLERR)) != 0) {
                close();
            }
            return;
        }
        if ((ev & Native.EPOLLOUT) != 0 && !flush()) {
            server.drop(this);
            return;
        }
        // paused (stdin is full): no read, even for an event that arrived before the pause
        if ((ev & Native.EPOLLIN) != 0 && input && !server.inputPaused() && !readInput()) {
            server.drop(this);
            return;
        }
        if ((ev & (Native.EPOLLHUP | Native.EPOLLERR)) != 0 && fd >= 0) {
            if (input && (ev & (Native.EPOLLIN | Native.EPOLLERR)) == Native.EPOLLIN) {
                return; // read what is left first; the read reaches EOF, then we drop it
            }
            if (input) {
                endInput();
            }
            server.drop(this);
        }
    }

    /** Writes queued frames; false when the client must be dropped. */
    private boolean flush() {
        while (output && backlog != null && !backlog.isEmpty()) {
            ByteBuffer b = backlog.buffer();
            int at = backlog.start();
            int len = backlog.size();
            int header = 0;
            if (records) {
                header = RECORD_HEADER;
                len = (b.get(at) & 0xFF) << 8 | (b.get(at + 1) & 0xFF);
            }
            int n = write(b, at + header, len);
            if (n == -Native.EAGAIN) {
                return true;
            }
            if (n < 0) {
                return writeFailed(-n);
            }
            backlog.consume(records ? header + len : n);
        }
        if (backlog != null) {
            backlog.shrinkIfEmpty(64 * 1024);
        }
        updateEvents();
        return true;
    }

    /** One read of input; false when the client must be dropped. */
    private boolean readInput() {
        ByteBuffer buf = server.host().scratch().input;
        int n;
        do {
            n = Native.read(fd, buf, 0, Scratch.INPUT);
        } while (n == -Native.EINTR);
        if (n > 0) {
            server.host().stdinInput(buf, 0, n);
            return true;
        }
        if (n == -Native.EAGAIN) {
            return true;
        }
        if (n < 0) {
            Daemon.LOG.debug("{}: attach client read: {}", id(), Native.strerror(-n));
            endInput();
            return false;
        }
        if (records) {
            int r = Native.shutdown(fd, Native.SHUT_RD);
            if (r < 0) {
                Daemon.LOG.debug("{}: attach client shutdown(SHUT_RD): {}", id(), Native.strerror(-r));
            }
        }
        endInput();
        return output; // half-closed: keeps getting frames (a record client shut both ways goes)
    }

    private void endInput() {
        input = false;
        updateEvents();
        server.host().inputSessionEnded();
    }

    /** Dropped while serving (write error, hang-up, backlog): its input session ends too. */
    void disconnect() {
        if (input && fd >= 0) {
            input = false;
            server.host().inputSessionEnded();
        }
        close();
    }

    /**
     * Teardown (the container is done): a record client with output still queued stops being
     * read and keeps its connection until it has taken that output, for at most
     * {@code lingerMs}, as conmon's blocking writes deliver everything before it closes; any
     * other client is closed now. No input session ends either way.
     */
    void closeAfterOutput(long lingerMs) {
        if (fd < 0 || lingering) {
            return;
        }
        if (!records || !output || backlog == null || backlog.isEmpty() || lingerMs <= 0) {
            close();
            return;
        }
        lingering = true;
        input = false;
        updateEvents();
        lingerTimer = server.host().loop().schedule(lingerMs, () -> {
            lingerTimer = null;
            if (fd >= 0) {
                Daemon.LOG.debug("{}: attach client took not all of its output in {} ms; closing it", id(),
                        lingerMs);
            }
            close();
        });
    }

    /** Closes the connection once; at teardown, without ending an input session. */
    void close() {
        if (lingerTimer != null) {
            lingerTimer.cancel();
            lingerTimer = null;
        }
        if (fd >= 0) {
            server.host().loop().remove(fd);
            int r = Native.close(fd);
            if (r < 0) {
                Daemon.LOG.warn("{}: close attach client: {}", id(), Native.strerror(-r));
            }
            fd = -1;
        }
    }
}
