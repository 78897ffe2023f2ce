package io.jshim.daemon;

import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import java.nio.ByteBuffer;

/**
 * One attach connection. Frames are written with a single non-blocking write; what does not
 * fit is queued and sent on EPOLLOUT. A client more than MAX_BACKLOG behind is dropped, so a
 * slow client never stalls the log or other containers.
 */
final class AttachClient implements EventLoop.Handler {
    static final int MAX_BACKLOG = 4 << 20;

    private final AttachServer server;
    private int fd;
    private ByteSink backlog;
    private boolean input = true;
    private int events = -1;

    AttachClient(AttachServer server, int fd) {
        this.server = server;
        this.fd = fd;
    }

    void start(EventLoop loop) throws NativeIoException {
        events = wantedEvents();
        loop.add(fd, events, this);
    }

    private String id() {
        return server.container().id();
    }

    private int wantedEvents() {
        int e = 0;
        if (input && !server.inputPaused()) {
            e |= Native.EPOLLIN;
        }
        if (backlog != null && !backlog.isEmpty()) {
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
                server.container().loop().modify(fd, want);
                events = want;
            } catch (NativeIoException e) {
                Daemon.LOG.warn("{}: attach client: {}", id(), e.getMessage());
            }
        }
    }

    /** Queues or writes one frame; false when the client must be dropped. */
    boolean send(ByteBuffer frame, int pos, int len) {
        if (backlog != null && !backlog.isEmpty()) {
            if (backlog.size() + (long) len > MAX_BACKLOG) {
                Daemon.LOG.warn("{}: attach client is {} bytes behind; disconnecting it", id(), backlog.size());
                return false;
            }
            return queue(frame, pos, len);
        }
        int n;
        do {
            n = Native.write(fd, frame, pos, len);
        } while (n == -Native.EINTR);
        if (n == len) {
            return true;
        }
        if (n == -Native.EAGAIN) {
            n = 0;
        } else if (n < 0) {
            Daemon.LOG.debug("{}: attach client write: {}", id(), Native.strerror(-n));
            return false;
        }
        if (!queue(frame, pos + n, len - n)) {
            return false;
        }
        updateEvents();
        return true;
    }

    /** Appends to the backlog; false (drop the client) when direct memory runs out. */
    private boolean queue(ByteBuffer frame, int pos, int len) {
        try {
            if (backlog == null) {
                backlog = new ByteSink(len);
            }
            backlog.put(frame, pos, len);
            return true;
        } catch (OutOfMemoryError e) {
            Daemon.LOG.error("{}: no memory for an attach client backlog; disconnecting it", id());
            return false;
        }
    }

    @Override
    public void onEvents(int ev) {
        if ((ev & Native.EPOLLOUT) != 0 && !flush()) {
            server.drop(this);
            return;
        }
        if ((ev & Native.EPOLLIN) != 0 && input && !readInput()) {
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

    /** Writes queued frames; false on a write error. */
    private boolean flush() {
        while (backlog != null && !backlog.isEmpty()) {
            int n = Native.write(fd, backlog.buffer(), backlog.start(), backlog.size());
            if (n == -Native.EINTR) {
                continue;
            }
            if (n == -Native.EAGAIN) {
                return true;
            }
            if (n < 0) {
                Daemon.LOG.debug("{}: attach client write: {}", id(), Native.strerror(-n));
                return false;
            }
            backlog.consume(n);
        }
        if (backlog != null) {
            backlog.shrinkIfEmpty(64 * 1024);
        }
        updateEvents();
        return true;
    }

    /** One read of input; false when the client is gone (read error). */
    private boolean readInput() {
        ByteBuffer buf = server.container().scratch().input;
        int n;
        do {
            n = Native.read(fd, buf, 0, Scratch.INPUT);
        } while (n == -Native.EINTR);
        if (n > 0) {
            server.container().stdinInput(buf, 0, n);
            return true;
        }
        if (n == -Native.EAGAIN) {
            return true;
        }
        endInput();
        if (n < 0) {
            Daemon.LOG.debug("{}: attach client read: {}", id(), Native.strerror(-n));
            return false;
        }
        return true; // half-closed: keeps getting frames
    }

    private void endInput() {
        input = false;
        updateEvents();
        server.container().inputSessionEnded();
    }

    /** Dropped while serving (write error, hang-up, backlog): its input session ends too. */
    void disconnect() {
        if (input && fd >= 0) {
            input = false;
            server.container().inputSessionEnded();
        }
        close();
    }

    /** Closes the connection once; at teardown, without ending an input session. */
    void close() {
        if (fd >= 0) {
            server.container().loop().remove(fd);
            int r = Native.close(fd);
            if (r < 0) {
                Daemon.LOG.warn("{}: close attach client: {}", id(), Native.strerror(-r));
            }
            fd = -1;
        }
    }
}
