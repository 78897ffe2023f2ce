package io.jshim.daemon;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The attach socket of one container: a SOCK_STREAM listener and its clients. Output goes to
 * every client as one frame per chunk; input goes to the container's stdin, or is discarded.
 * The socket file stays when the container is done (shimmy leaves it too).
 */
final class AttachServer implements EventLoop.Handler {
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Container container;
    private final String path;
    private int listenFd = -1;
    private boolean registered;
    private final List<AttachClient> clients = new ArrayList<>();
    private boolean inputPaused;

    private AttachServer(Container container, String path) {
        this.container = container;
        this.path = path;
    }

    /** Binds the attach socket, replacing a stale socket file but nothing else. */
    static AttachServer listen(Container container, String path) throws NativeIoException, ServeException {
        int mode = Native.lstatMode(path);
        if (mode >= 0) {
            if ((mode & S_IFMT) != S_IFSOCK) {
                throw new ServeException(Native.EEXIST, "attach socket " + path + ": exists and is not a socket");
            }
            Errno.check(Native.unlink(path), "unlink", path);
        } else if (mode != -Native.ENOENT) {
            Errno.check(mode, "lstat", path);
        }
        AttachServer server = new AttachServer(container, path);
        server.listenFd = Errno.check(Native.unixListen(path, Native.SOCK_STREAM, 128), "listen", path);
        return server;
    }

    void start(EventLoop loop) throws NativeIoException {
        loop.add(listenFd, Native.EPOLLIN, this);
        registered = true;
    }

    Container container() {
        return container;
    }

    boolean inputPaused() {
        return inputPaused;
    }

    int clientCount() {
        return clients.size();
    }

    @Override
    public void onEvents(int events) {
        for (int i = 0; i < 64; i++) {
            int fd = Native.accept(listenFd);
            if (fd == -Native.EINTR) {
                continue;
            }
            if (fd == -Native.EAGAIN) {
                return;
            }
            if (fd < 0) {
                Daemon.LOG.warn("{}: accept on {}: {}", container.id(), path, Native.strerror(-fd));
                return;
            }
            AttachClient client = new AttachClient(this, fd);
            try {
                client.start(container.loop());
                clients.add(client);
                Daemon.LOG.debug("{}: attach client connected (fd {})", container.id(), fd);
            } catch (NativeIoException e) {
                Daemon.LOG.warn("{}: attach client: {}", container.id(), e.getMessage());
                Native.close(fd);
            }
        }
    }

    /** Sends one frame to every client; clients that fail or fall too far behind are dropped. */
    void broadcast(ByteBuffer frame, int pos, int len) {
        for (int i = 0; i < clients.size(); ) {
            AttachClient c = clients.get(i);
            if (c.send(frame, pos, len)) {
                i++;
            } else {
                clients.remove(i);
                c.disconnect();
            }
        }
    }

    /** Drops one client (write error, hang-up or backlog too big). */
    void drop(AttachClient client) {
        if (clients.remove(client)) {
            client.disconnect();
        }
    }

    /** Back-pressure from stdin: stop (or resume) reading input from every client. */
    void pauseInput(boolean pause) {
        if (inputPaused == pause) {
            return;
        }
        inputPaused = pause;
        for (AttachClient c : new ArrayList<>(clients)) {
            c.updateEvents();
        }
    }

    /** Closes every client and the listener, once. The socket file stays. */
    void close() {
        for (AttachClient c : clients) {
            c.close();
        }
        clients.clear();
        if (listenFd >= 0) {
            if (registered) {
                container.loop().remove(listenFd);
                registered = false;
            }
            int r = Native.close(listenFd);
            if (r < 0) {
                Daemon.LOG.warn("close attach listener {}: {}", path, Native.strerror(-r));
            }
            listenFd = -1;
        }
    }
}
