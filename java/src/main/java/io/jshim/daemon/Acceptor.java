package io.jshim.daemon;

import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;

/**
 * Accepts connections on a non-blocking listening socket that it owns, up to 64 per wakeup.
 * When accept() fails (EMFILE, ENFILE, ENOBUFS...) the listener stays readable, so retrying
 * at once would spin the loop: it is taken out of epoll for {@link #BACKOFF_MS}, and only the
 * first failure of a run is logged.
 */
final class Acceptor implements EventLoop.Handler {
    /** Takes an accepted fd (non-blocking, close-on-exec). On an exception the acceptor closes it. */
    interface Target {
        void accepted(int fd) throws NativeIoException;
    }

    /** How long the listener sleeps after accept() fails. */
    static final long BACKOFF_MS = 100;
    private static final int ACCEPTS_PER_WAKEUP = 64;

    private final EventLoop loop;
    private final String what;
    private final Target target;
    private int fd;
    private boolean registered;
    private EventLoop.Timer rearm;
    private int failures;

    /** {@code what} names the connections in messages, e.g. "launcher connection". */
    Acceptor(EventLoop loop, int listenFd, String what, Target target) {
        this.loop = loop;
        this.fd = listenFd;
        this.what = what;
        this.target = target;
    }

    /** Starts watching the listener (loop thread, or before the loop runs); idempotent. */
    void start() throws NativeIoException {
        if (registered || fd < 0) {
            return;
        }
        loop.add(fd, Native.EPOLLIN, this);
        registered = true;
    }

    /** Failed accept() calls since the last success (loop thread). */
    int failures() {
        return failures;
    }

    @Override
    public void onEvents(int events) {
        acceptSome(ACCEPTS_PER_WAKEUP);
    }

    /**
     * Accepts every connection waiting in the backlog right now, without waiting for epoll
     * (loop thread): for callers that must serve early clients before they do anything else.
     * Does nothing while the listener backs off after a failure. Returns how many it accepted.
     */
    int acceptPending() {
        return rearm != null ? 0 : acceptSome(Integer.MAX_VALUE);
    }

    /** Up to max accept() calls until EAGAIN or a failure; returns the number accepted. */
    private int acceptSome(int max) {
        int accepted = 0;
        for (int i = 0; i < max && fd >= 0; i++) {
            int c = Native.accept(fd);
            if (c == -Native.EINTR) {
                continue;
            }
            if (c == -Native.EAGAIN) {
                break;
            }
            if (c < 0) {
                failed(-c);
                break;
            }
            if (failures > 0) {
                Daemon.LOG.info("accepting {}s again after {} failed accept() calls", what, failures);
                failures = 0;
            }
            try {
                target.accepted(c);
                accepted++;
            } catch (NativeIoException e) {
                Daemon.LOG.warn("{}: {}", what, e.getMessage());
                Native.close(c);
            }
        }
        return accepted;
    }

    private void failed(int errno) {
        if (failures++ == 0) {
            Daemon.LOG.warn("accept {}: {}; pausing accept for {} ms (logged once until it works again)",
                    what, Native.strerror(errno), BACKOFF_MS);
        }
        loop.remove(fd);
        registered = false;
        rearm = loop.schedule(BACKOFF_MS, () -> {
            rearm = null;
            if (fd < 0) {
                return;
            }
            try {
                start();
            } catch (NativeIoException e) {
                Daemon.LOG.error("re-arm the listener for {}s: {}", what, e.getMessage());
            }
        });
    }

    /** Stops accepting and closes the listener, once. */
    void close() {
        if (fd < 0) {
            return;
        }
        if (rearm != null) {
            rearm.cancel();
            rearm = null;
        }
        if (registered) {
            loop.remove(fd);
            registered = false;
        }
        int r = Native.close(fd);
        if (r < 0) {
            Daemon.LOG.warn("close the listener for {}s: {}", what, Native.strerror(-r));
        }
        fd = -1;
    }
}
