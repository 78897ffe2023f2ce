package io.jshim.daemon;

import io.jshim.nativeio.Errno;
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
final class AttachServer {
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Container container;
    private final Acceptor acceptor;
    private final List<AttachClient> clients = new ArrayList<>();
    private boolean inputPaused;

    private AttachServer(Container container, int listenFd) {
        this.container = container;
        this.acceptor = new Acceptor(container.loop(), listenFd, container.id() + " attach client", this::accepted);
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
        int fd = Errno.check(Native.unixListen(path, Native.SOCK_STREAM, 128), "listen", path);
        return new AttachServer(container, fd);
    }

    void start() throws NativeIoException {
        acceptor.start();
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

    private void accepted(int fd) throws NativeIoException {
        AttachClient client = new AttachClient(this, fd);
        client.start(container.loop());
        clients.add(client);
        Daemon.LOG.debug("{}: attach client connected (fd {})", container.id(), fd);
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
        acceptor.close();
    }
}
