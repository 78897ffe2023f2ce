package io.jshim.daemon;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import java.nio.ByteBuffer;

/**
 * The container's stdin: input from attach clients is queued and written non-blocking. Past
 * HIGH_WATER queued bytes the attach server stops reading clients until the queue drains.
 */
final class StdinWriter implements EventLoop.Handler {
    static final int HIGH_WATER = 1 << 20;

    private final Container container;
    private final int fd;
    /** Clients stop being read past HIGH_WATER, so at most one more read (Scratch.INPUT) lands. */
    static final int MAX_QUEUE = HIGH_WATER + 2 * Scratch.INPUT;

    /**
     * Input the pipe did not take yet; null while none waits. Most containers never get input
     * and most input goes straight into the pipe, so no container holds a buffer it does not
     * use (a 64 KiB direct buffer each was 6.4 MiB of jshimd at 100 containers).
     */
    private ByteSink queue;
    private boolean registered;
    private boolean closeRequested;
    private boolean open = true;

    StdinWriter(Container container, int fd) throws NativeIoException {
        this.container = container;
        this.fd = fd;
        // the write end is shared with the launcher, which never writes to it
        Errno.check(Native.setNonBlocking(fd, true), "fcntl O_NONBLOCK", container.id() + " stdin");
    }

    boolean open() {
        return open && !closeRequested;
    }

    int queued() {
        return queue == null ? 0 : queue.size();
    }

    void offer(ByteBuffer buf, int pos, int len) {
        if (!open()) {
            return;
        }
        if (queue == null) {
            int n = write(buf, pos, len);
            if (n < 0 || n == len) {
                return;
            }
            pos += n;
            len -= n;
        }
        try {
            if (queue == null) {
                queue = new ByteSink(len, MAX_QUEUE);
            }
            queue.put(buf, pos, len);
        } catch (IllegalStateException | OutOfMemoryError e) {
            Daemon.LOG.error("{}: stdin queue: {}; {} bytes of input dropped", container.id(), e.getMessage(), len);
            container.attach().pauseInput(true);
            return;
        }
        // a queue means the pipe was full and is watched: onEvents writes it
        if (open && queued() > HIGH_WATER) {
            container.attach().pauseInput(true);
        }
    }

    @Override
    public void onEvents(int events) {
        flush();
    }

    /**
     * Writes what the pipe takes now: the bytes written, or -1 after a write error closed stdin.
     * A full pipe leaves the rest to the caller and watches for room.
     */
    private int write(ByteBuffer buf, int pos, int len) {
        int done = 0;
        while (done < len) {
            int n = Native.write(fd, buf, pos + done, len - done);
            if (n == -Native.EINTR) {
                continue;
            }
            if (n == -Native.EAGAIN) {
                watch(true);
                return done;
            }
            if (n < 0) {
                // EPIPE: the container closed its stdin; nothing more can be delivered
                Daemon.LOG.info("{}: write stdin: {}; discarding stdin input", container.id(), Native.strerror(-n));
                queue = null;
                closeNow(false);
                return -1;
            }
            done += n;
        }
        return done;
    }

    private void flush() {
        if (queue != null) {
            int n = write(queue.buffer(), queue.start(), queue.size());
            if (n < 0) {
                return;
            }
            queue.consume(n);
            if (!queue.isEmpty()) {
                return;
            }
            queue = null;
        }
        watch(false);
        container.attach().pauseInput(false);
        if (closeRequested) {
            closeNow(true);
        }
    }

    private void watch(boolean on) {
        if (on == registered || !open) {
            return;
        }
        try {
            if (on) {
                container.loop().add(fd, Native.EPOLLOUT, this);
            } else {
                container.loop().remove(fd);
            }
            registered = on;
        } catch (NativeIoException e) {
            Daemon.LOG.error("{}: watch stdin: {}", container.id(), e.getMessage());
        }
    }

    /** --stdin-once: close stdin once the queue is written, then tell the launcher. */
    void requestClose() {
        if (!open || closeRequested) {
            return;
        }
        closeRequested = true;
        if (queue == null) {
            closeNow(true);
        }
    }

    private void closeNow(boolean tellLauncher) {
        if (!open) {
            return;
        }
        watch(false);
        open = false;
        queue = null;
        container.attach().pauseInput(false);
        container.stdinClosed(tellLauncher);
    }

    /** Teardown: stop watching; the container closes the fd. */
    void release() {
        watch(false);
        open = false;
        queue = null;
    }
}
