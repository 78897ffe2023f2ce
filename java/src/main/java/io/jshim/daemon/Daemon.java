package io.jshim.daemon;

import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import io.jshim.protocol.Hello;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon: one epoll loop on one thread, the launcher listener, the accepted launcher
 * connections and the containers they serve (keyed by container id). No locks: everything
 * here runs on the loop thread, except {@link #shutdown()} which hands over to it.
 */
public final class Daemon implements EventLoop.Handler {
    static final Logger LOG = LoggerFactory.getLogger("jshimd");

    private final EventLoop loop;
    private int listenFd;
    private final Scratch scratch = new Scratch();
    private final Map<String, Container> containers = new HashMap<>();
    private final Set<LauncherConnection> connections = new LinkedHashSet<>();
    /** How long the listener sleeps after accept() fails (EMFILE, ENFILE, ENOBUFS...). */
    static final long ACCEPT_BACKOFF_MS = 100;
    private int acceptFailures;

    /** Takes ownership of the listening socket (non-blocking, close-on-exec). */
    public Daemon(EventLoop loop, int listenFd) {
        this.loop = loop;
        this.listenFd = listenFd;
    }

    EventLoop loop() {
        return loop;
    }

    Scratch scratch() {
        return scratch;
    }

    /** Starts accepting; call before {@code loop.run()} or on the loop thread. */
    public void start() throws NativeIoException {
        loop.add(listenFd, Native.EPOLLIN, this);
    }

    @Override
    public void onEvents(int events) {
        for (int i = 0; i < 64 && listenFd >= 0; i++) {
            int fd = Native.accept(listenFd);
            if (fd == -Native.EINTR) {
                continue;
            }
            if (fd == -Native.EAGAIN) {
                return;
            }
            if (fd < 0) {
                acceptFailed(-fd);
                return;
            }
            if (acceptFailures > 0) {
                LOG.info("accepting launcher connections again after {} failed accept() calls", acceptFailures);
                acceptFailures = 0;
            }
            LauncherConnection c = new LauncherConnection(this, fd);
            try {
                c.start();
                connections.add(c);
            } catch (NativeIoException e) {
                LOG.warn("launcher connection: {}", e.getMessage());
                Native.close(fd);
            }
        }
    }

    /**
     * accept() failed. The listener stays readable, so retrying at once would spin: take it out
     * of epoll for {@link #ACCEPT_BACKOFF_MS} and log only the first failure of a run.
     */
    private void acceptFailed(int errno) {
        if (acceptFailures++ == 0) {
            LOG.warn("accept launcher connection: {}; pausing accept for {} ms (logged once until it"
                    + " works again)", Native.strerror(errno), ACCEPT_BACKOFF_MS);
        }
        loop.remove(listenFd);
        loop.schedule(ACCEPT_BACKOFF_MS, () -> {
            if (listenFd < 0) {
                return;
            }
            try {
                loop.add(listenFd, Native.EPOLLIN, this);
            } catch (NativeIoException e) {
                LOG.error("re-arm the launcher listener: {}", e.getMessage());
            }
        });
    }

    /** Failed accept() calls since the last success (loop thread). */
    int acceptFailures() {
        return acceptFailures;
    }

    /** A HELLO: a new Container for it, after tearing down whoever served that id before. */
    Container adopt(LauncherConnection connection, Hello hello, int[] fds) {
        Container old = containers.get(hello.containerId());
        if (old != null) {
            LOG.info("{}: a new launcher connection replaces the old one", hello.containerId());
            if (old.connection() != connection) {
                old.connection().close();
            }
            old.release();
        }
        Container c = new Container(this, connection, hello, fds);
        containers.put(hello.containerId(), c);
        return c;
    }

    void forget(Container c) {
        containers.remove(c.id(), c);
    }

    void forget(LauncherConnection c) {
        connections.remove(c);
    }

    /** The container served under this id, or null (loop thread). */
    Container container(String id) {
        return containers.get(id);
    }

    /** Number of containers being served (loop thread). */
    int containerCount() {
        return containers.size();
    }

    /**
     * Graceful stop, from any thread: commit every journal, close every fd and connection
     * once, stop accepting, then stop the loop.
     */
    public void shutdown() {
        loop.execute(() -> {
            LOG.info("shutting down: {} connections, {} containers", connections.size(), containers.size());
            // Listener first: launchers that see their connection close must not reach this
            // daemon again; they start (or find) the next one, which re-takes every container.
            if (listenFd >= 0) {
                loop.remove(listenFd);
                Native.close(listenFd);
                listenFd = -1;
            }
            for (LauncherConnection c : new ArrayList<>(connections)) {
                c.close();
            }
            for (Container c : new ArrayList<>(containers.values())) {
                c.release();
            }
            loop.stop();
        });
    }
}
