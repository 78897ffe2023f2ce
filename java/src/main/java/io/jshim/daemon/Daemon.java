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
 * connections and the containers they serve, keyed by {@link Hello#key()}: the session id of a
 * v2 launcher, the container id and launcher pid of a v1 one, so two launchers that serve one
 * container id (another runtime root, an exec session) never replace each other. No locks: everything
 * here runs on the loop thread, except {@link #shutdown()} which hands over to it.
 */
public final class Daemon {
    static final Logger LOG = LoggerFactory.getLogger("jshimd");

    private final EventLoop loop;
    private final Acceptor acceptor;
    private final Scratch scratch = new Scratch();
    private final Map<String, Container> containers = new HashMap<>();
    private final Set<LauncherConnection> connections = new LinkedHashSet<>();
    private final long ownUid = Native.geteuid();
    /** Launcher connections served at once; beyond it a connection is accepted and closed. */
    static final int MAX_CONNECTIONS = 4096;
    private int maxConnections = MAX_CONNECTIONS;
    private final RateLimitedLog refusedLog = new RateLimitedLog("refused launcher connections");
    private final RateLimitedLog overCapLog = new RateLimitedLog("launcher connections over the cap");
    final RateLimitedLog silentLog = new RateLimitedLog("launcher connections without HELLO");

    /** Takes ownership of the listening socket (non-blocking, close-on-exec). */
    public Daemon(EventLoop loop, int listenFd) {
        this.loop = loop;
        this.acceptor = new Acceptor(loop, listenFd, "launcher connection", this::accepted);
    }

    EventLoop loop() {
        return loop;
    }

    Scratch scratch() {
        return scratch;
    }

    /** Launchers of root and of the daemon's own uid are served (SO_PEERCRED); nobody else. */
    static boolean allowedPeer(long peerUid, long ownUid) {
        return peerUid == 0 || (peerUid > 0 && peerUid == ownUid);
    }

    /** Starts accepting; call before {@code loop.run()} or on the loop thread. */
    public void start() throws NativeIoException {
        acceptor.start();
    }

    /** For tests: a lower connection cap (loop thread, or before the loop runs). */
    void maxConnections(int max) {
        maxConnections = max;
    }

    /** Launcher connections open now (loop thread; tests). */
    int connectionCount() {
        return connections.size();
    }

    /**
     * A new launcher connection: nothing is read from it before its peer's credentials passed;
     * a refused or surplus one is closed at once (logged at most once per period).
     */
    private void accepted(int fd) throws NativeIoException {
        long uid = Native.peerUid(fd);
        if (!allowedPeer(uid, ownUid)) {
            // the socket's directory should keep them out already; this is the second lock
            refusedLog.warn("launcher connection refused: peer uid {}; jshimd serves root and uid {} only",
                    uid < 0 ? "unknown (" + Native.strerror((int) -uid) + ")" : Long.toString(uid), ownUid);
            Native.close(fd);
            return;
        }
        if (connections.size() >= maxConnections) {
            overCapLog.warn("launcher connection refused: {} connections open, the cap is {}", connections.size(),
                    maxConnections);
            Native.close(fd);
            return;
        }
        LauncherConnection c = new LauncherConnection(this, fd);
        c.start();
        connections.add(c);
    }

    /** A HELLO: a new Container for it, after tearing down whoever served that launcher before. */
    Container adopt(LauncherConnection connection, Hello hello, int[] fds) {
        Container old = containers.get(hello.key());
        if (old != null) {
            LOG.info("{}: a new launcher connection replaces the old one", hello.containerId());
            if (old.connection() != connection) {
                old.connection().close();
            }
            old.release();
        }
        Container c = new Container(this, connection, hello, fds);
        containers.put(hello.key(), c);
        return c;
    }

    void forget(Container c) {
        containers.remove(c.key(), c);
    }

    void forget(LauncherConnection c) {
        connections.remove(c);
    }

    /** A container served under this container id (any launcher), or null (loop thread; tests). */
    Container container(String id) {
        for (Container c : containers.values()) {
            if (c.id().equals(id)) {
                return c;
            }
        }
        return null;
    }

    /** The container served under this key ({@link Hello#key()}), or null (loop thread). */
    Container containerByKey(String key) {
        return containers.get(key);
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
            acceptor.close();
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
