package io.jshim.daemon;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import java.nio.ByteBuffer;
import io.jshim.protocol.Hello;
import io.jshim.protocol.Messages;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The attach socket of one container: a listener and its clients. Output goes to every client
 * as one frame per chunk; input goes to the container's stdin, or is discarded.
 * <ul>
 * <li>shimmy ({@link #FORMAT_SHIMMY}): SOCK_STREAM, frames {@code [1|2][chunk <= 32767]}; a
 * client whose input ends keeps getting frames.
 * <li>conmon ({@link #FORMAT_CONMON}, conmon-protocol.md 4.3): SOCK_SEQPACKET, one record
 * {@code [2|3][chunk <= 8192]} per chunk; input records are raw stdin bytes; a client's EOF is
 * answered with shutdown(SHUT_RD) and it keeps getting output; a client that cannot take
 * output any more gets shutdown(SHUT_WR) and is read until its input ends.
 * </ul>
 * The listener is owned here and closed by {@link #close()}; the socket file is never unlinked
 * by the daemon (v1: shimmy leaves it; v2: the launcher unlinks it).
 *
 * <p>Clients that survive the daemon (conmon format only): each accepted client gets a token
 * and a duplicate of its fd goes to the launcher ({@link Host#attachClientKept}, ATTACH_CLIENT),
 * which keeps it while no daemon runs and hands it to the next one ({@link #adoptClients}). A
 * client this server closes while serving is reported gone ({@link Host#attachClientGone}), so
 * the launcher closes its copy and the client sees EOF; {@link #close()} (the container is done
 * or released) reports nothing: after DONE the launcher closes its copies itself, otherwise
 * they keep the clients connected for the next daemon. Shimmy's SOCK_STREAM clients are not
 * kept: a frame cut short by a dying daemon would corrupt their stream.
 */
final class AttachServer {
    /** Protocol.ATTACH_SHIMMY (jshim_protocol.h JSHIM_ATTACH_SHIMMY). */
    static final int FORMAT_SHIMMY = 1;
    /** Protocol.ATTACH_CONMON (jshim_protocol.h JSHIM_ATTACH_CONMON). */
    static final int FORMAT_CONMON = 2;
    static final int SHIMMY_MAX_CHUNK = Scratch.CHUNK; // 32767
    /** conmon's STDIO_BUF_SIZE: a record is at most 8193 bytes, podman's read buffer. */
    static final int CONMON_MAX_CHUNK = 8192;

    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    /** What the server needs from its container (a test can play it). */
    interface Host {
        String id();

        EventLoop loop();

        Scratch scratch();

        /** Input from a client, for the container's stdin (or discarded). */
        void stdinInput(ByteBuffer buf, int pos, int len);

        /** A client's input ended (EOF, error or drop). */
        void inputSessionEnded();

        /** A conmon client was accepted: its fd ({@code fd} stays the server's) goes to the launcher. */
        default void attachClientKept(int token, int fd) {}

        /** A kept client was closed while serving: the launcher closes its copy. */
        default void attachClientGone(int token) {}
    }

    private final Host host;
    private final int format;
    private final Acceptor acceptor;
    private final List<AttachClient> clients = new ArrayList<>();
    /** The tokens of kept clients (conmon format): the launcher holds a duplicate of each. */
    private final Map<AttachClient, Integer> tokens = new IdentityHashMap<>();
    /** The next token: never 0, above every adopted one. */
    private int nextToken = 1;
    private boolean inputPaused;
    private long lingerMs = AttachClient.LINGER_MS;

    AttachServer(Host host, int listenFd, int format) {
        this.host = host;
        this.format = format;
        this.acceptor = new Acceptor(host.loop(), listenFd, host.id() + " attach client", this::accepted);
    }

    /** v1: binds the attach socket (shimmy format), replacing a stale socket file but nothing else. */
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
        return new AttachServer(hostOf(container), fd, FORMAT_SHIMMY);
    }

    /**
     * v2: serves a listener the launcher bound (SOCK_STREAM for shimmy, SOCK_SEQPACKET for
     * conmon). Takes ownership of {@code listenFd} at the call, whether it returns or throws:
     * the caller must not close it. Sets it non-blocking (the launcher never accepts on it).
     */
    static AttachServer fromListener(Container container, int listenFd, int attachFormat)
            throws NativeIoException, ServeException {
        return fromListener(hostOf(container), listenFd, attachFormat);
    }

    static AttachServer fromListener(Host host, int listenFd, int attachFormat)
            throws NativeIoException, ServeException {
        if (attachFormat != FORMAT_SHIMMY && attachFormat != FORMAT_CONMON) {
            Native.close(listenFd);
            throw new ServeException(ServeException.EINVAL, "unknown attach format " + attachFormat);
        }
        int r = Native.setNonBlocking(listenFd, true);
        if (r < 0) {
            Native.close(listenFd);
            Errno.check(r, "fcntl O_NONBLOCK", host.id() + " attach listener");
        }
        return new AttachServer(host, listenFd, attachFormat);
    }

    private static Host hostOf(Container c) {
        return new Host() {
            @Override
            public String id() {
                return c.id();
            }

            @Override
            public EventLoop loop() {
                return c.loop();
            }

            @Override
            public Scratch scratch() {
                return c.scratch();
            }

            @Override
            public void stdinInput(ByteBuffer buf, int pos, int len) {
                c.stdinInput(buf, pos, len);
            }

            @Override
            public void inputSessionEnded() {
                c.inputSessionEnded();
            }

            @Override
            public void attachClientKept(int token, int fd) {
                c.connection().sendWithFd(Messages.attachClient(token), fd);
            }

            @Override
            public void attachClientGone(int token) {
                c.connection().send(Messages.attachClientGone(token));
            }
        };
    }

    void start() throws NativeIoException {
        acceptor.start();
    }

    Host host() {
        return host;
    }

    int format() {
        return format;
    }

    /** The largest chunk one frame carries: 32767 (shimmy) or 8192 (conmon). */
    int maxChunk() {
        return format == FORMAT_CONMON ? CONMON_MAX_CHUNK : SHIMMY_MAX_CHUNK;
    }

    boolean inputPaused() {
        return inputPaused;
    }

    int clientCount() {
        return clients.size();
    }

    /**
     * Accepts every connection waiting in the backlog now (non-blocking); returns how many.
     * Call it before forwarding output, so a client that connected before the output was
     * produced gets all of it.
     */
    int acceptPending() {
        return acceptor.acceptPending();
    }

    private void accepted(int fd) throws NativeIoException {
        AttachClient client = new AttachClient(this, fd, format == FORMAT_CONMON);
        client.start(host.loop());
        clients.add(client);
        Daemon.LOG.debug("{}: attach client connected (fd {})", host.id(), fd);
        if (format == FORMAT_CONMON) {
            int token = nextToken;
            nextToken = token + 1 == 0 ? 1 : token + 1;
            tokens.put(client, token);
            host.attachClientKept(token, fd);
        }
    }

    /**
     * Serves the attach clients a launcher handed over with its HELLO, like accepted ones; takes
     * their fds out of {@code fds} (this server owns them from the call on). Call before
     * {@link #start()}, so new clients get tokens above the adopted ones.
     */
    void adoptClients(Hello hello, int[] fds) {
        int[] t = hello.attachTokens();
        for (int i = 0; i < t.length; i++) {
            int at = hello.attachClientFd(i);
            int fd = fds[at];
            fds[at] = -1;
            adopt(t[i], fd);
        }
        if (t.length > 0) {
            Daemon.LOG.info("{}: {} attach clients kept by the launcher are served again", host.id(), t.length);
        }
    }

    private void adopt(int token, int fd) {
        if (Integer.compareUnsigned(token, nextToken) >= 0) {
            nextToken = token + 1 == 0 ? 1 : token + 1;
        }
        AttachClient client = new AttachClient(this, fd, format == FORMAT_CONMON);
        int r = Native.setNonBlocking(fd, true);
        try {
            if (r < 0) {
                Errno.check(r, "fcntl O_NONBLOCK", host.id() + " attach client");
            }
            client.start(host.loop());
        } catch (NativeIoException e) {
            Daemon.LOG.warn("{}: cannot serve a kept attach client: {}; closing it", host.id(), e.getMessage());
            client.close();
            host.attachClientGone(token);
            return;
        }
        clients.add(client);
        tokens.put(client, token);
    }

    /**
     * Sends chunk[off..off+len) of {@code stream} (LogFormat.STDOUT or STDERR) to every client:
     * one frame per client, built in the scratch frame buffer. A chunk longer than
     * {@link #maxChunk()} (a caller's mistake) is sent as several frames, never as one.
     */
    void broadcastChunk(int stream, byte[] chunk, int off, int len) {
        if (clients.isEmpty() || len <= 0) {
            return;
        }
        ByteBuffer frame = host.scratch().frame;
        byte type = (byte) (format == FORMAT_CONMON ? stream + 1 : stream);
        int max = maxChunk();
        for (int at = 0; at < len; at += max) {
            int n = Math.min(max, len - at);
            frame.put(0, type);
            frame.put(1, chunk, off + at, n);
            broadcast(frame, 0, n + 1);
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
                gone(c);
            }
        }
    }

    /** Drops one client (write error, hang-up or backlog too big). */
    void drop(AttachClient client) {
        if (clients.remove(client)) {
            gone(client);
        }
    }

    /** Closes a client while serving; the launcher closes its copy too, so the client sees EOF. */
    private void gone(AttachClient client) {
        client.disconnect();
        Integer token = tokens.remove(client);
        if (token != null) {
            host.attachClientGone(token);
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

    /** For tests: how long {@link #close()} lets conmon clients take their queued output. */
    void lingerMs(long ms) {
        lingerMs = ms;
    }

    /**
     * Closes the listener and every client, once. A conmon client with output still queued is
     * closed once it has read it (at most {@link AttachClient#LINGER_MS} later), so a reader
     * that was a little behind at the container's exit still gets everything. The socket file
     * stays.
     */
    void close() {
        for (AttachClient c : clients) {
            c.closeAfterOutput(lingerMs);
        }
        clients.clear();
        tokens.clear(); // no GONE: after DONE the launcher closes its copies; else they outlive us
        acceptor.close();
    }
}
