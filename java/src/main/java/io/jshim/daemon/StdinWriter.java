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

    private final ByteSink queue = new ByteSink(64 * 1024, MAX_QUEUE);
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
        return queue.size();
    }

    void offer(ByteBuffer buf, int pos, int len) {
        if (!open()) {
            return;
        }
        try {
            queue.put(buf, pos, len);
        } catch (IllegalStateException | OutOfMemoryError e) {
            Daemon.LOG.error("{}: stdin queue: {}; {} bytes of input dropped", container.id(), e.getMessage(), len);
            container.attach().pauseInput(true);
            return;
        }
        flush();
        if (open && queue.size() > HIGH_WATER) {
            container.attach().pauseInput(true);
        }
    }

    @Override
    public void onEvents(int events) {
        flush();
    }

    private void flush() {
        while (!queue.isEmpty()) {
            int n = Native.write(fd, queue.buffer(), queue.start(), queue.size());
            if (n == -Native.EINTR) {
                continue;
            }
            if (n == -Native.EAGAIN) {
                watch(true);
                return;
            }
            if (n < 0) {
                // EPIPE: the container closed its stdin; nothing more can be delivered
                Daemon.LOG.info("{}: write stdin: {}; discarding stdin input", container.id(), Native.strerror(-n));
                queue.clear();
                closeNow(false);
                return;
            }
            queue.consume(n);
        }
        queue.shrinkIfEmpty(64 * 1024);
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
        if (queue.isEmpty()) {
            closeNow(true);
        }
    }

    private void closeNow(boolean tellLauncher) {
        if (!open) {
            return;
        }
        watch(false);
        open = false;
        queue.clear();
        container.attach().pauseInput(false);
        container.stdinClosed(tellLauncher);
    }

    /** Teardown: stop watching; the container closes the fd. */
    void release() {
        watch(false);
        open = false;
        queue.clear();
    }
}
