package io.jshim.daemon;

import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import io.jshim.protocol.Exited;
import io.jshim.protocol.Hello;
import io.jshim.protocol.Messages;
import io.jshim.protocol.ProtocolException;
import io.jshim.protocol.Protocol;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One accepted launcher socket (SOCK_SEQPACKET): receives HELLO, EXITED and REOPEN_LOG, answers
 * READY, FAILED, CLOSE_STDIN and DONE in the version of the connection's HELLO. A protocol
 * error closes every fd that came with the packet and the connection; a lost connection
 * releases the container it serves.
 */
final class LauncherConnection implements EventLoop.Handler {
    /** Packets handled per wakeup before giving other fds a turn. */
    private static final int PACKETS_PER_WAKEUP = 16;
    /** A connection that sent no HELLO within this long is closed (tests shorten it). */
    static volatile long helloTimeoutMs = 2000;
    /** Tests: runs before each HELLO is adopted (e.g. throws OutOfMemoryError). */
    static volatile Runnable helloHook;

    private final Daemon daemon;
    private int fd;
    private Container container;
    private int version = 1;
    private EventLoop.Timer helloDeadline;

    LauncherConnection(Daemon daemon, int fd) {
        this.daemon = daemon;
        this.fd = fd;
    }

    void start() throws NativeIoException {
        daemon.loop().add(fd, Native.EPOLLIN, this);
        helloDeadline = daemon.loop().schedule(helloTimeoutMs, this::helloTimedOut);
    }

    private void helloTimedOut() {
        helloDeadline = null;
        if (fd >= 0 && container == null) {
            daemon.silentLog.warn("launcher connection {}: no HELLO within {} ms; closing it", fd, helloTimeoutMs);
            close();
        }
    }

    Container container() {
        return container;
    }

    boolean closed() {
        return fd < 0;
    }

    @Override
    public void onEvents(int events) {
        Scratch s = daemon.scratch();
        for (int i = 0; i < PACKETS_PER_WAKEUP && fd >= 0; i++) {
            s.counts[0] = 0;
            int n = Native.recvWithFds(fd, s.packet, 0, Protocol.MSG_MAX, s.fds, s.counts);
            if (n == -Native.EINTR) {
                continue;
            }
            if (n == -Native.EAGAIN) {
                return;
            }
            if (n == 0) {
                // EOF, or an empty packet, which may still have carried fds: close them too
                closeAll(Arrays.copyOf(s.fds, Math.min(s.counts[0], s.fds.length)));
                Daemon.LOG.debug("launcher connection {}: closed by the launcher", fd);
                close();
                return;
            }
            if (n < 0) {
                // EMSGSIZE: truncated packet or fds; the native closed what arrived
                Daemon.LOG.warn("launcher connection {}: recvmsg: {}", fd, Native.strerror(-n));
                close();
                return;
            }
            int nfds = Math.min(s.counts[0], s.fds.length);
            int[] received = Arrays.copyOf(s.fds, nfds);
            pending = received;
            try {
                dispatch(s.packet, n, received);
            } catch (ProtocolException e) {
                Daemon.LOG.warn("launcher connection {}: protocol error: {}", fd, e.getMessage());
                closeAll(received);
                close();
                return;
            } catch (RuntimeException | OutOfMemoryError e) {
                // a bug or no memory for this packet: this launcher fails, never the daemon
                crashed(e);
                return;
            } finally {
                pending = null;
            }
        }
    }

    /** The fds of the packet being dispatched until a Container owns them. */
    private int[] pending;
    /** Container.start() of a HELLO runs: a failure in it is answered with FAILED. */
    private boolean helloInProgress;

    /**
     * Handling a packet threw: the fds that nobody owns yet are closed, a launcher whose HELLO
     * failed gets FAILED (so it reports the failure instead of handing it to the next daemon
     * start again and again), and the connection is closed.
     */
    private void crashed(Throwable e) {
        boolean oom = e instanceof OutOfMemoryError;
        Daemon.LOG.error("launcher connection {}: handling a packet failed{}", fd, oom ? " (out of memory)" : "", e);
        if (pending != null) {
            closeAll(pending);
            pending = null;
        }
        if (container == null || helloInProgress || container.released()) {
            send(Messages.failed(version, oom ? 12 /* ENOMEM */ : 5 /* EIO */,
                    "jshimd: internal error: " + e.getClass().getSimpleName()));
        }
        close();
    }

    /** Called by the event loop when a handler threw (e.g. out of direct memory). */
    @Override
    public void onError(Throwable e) {
        crashed(e);
    }

    private void dispatch(ByteBuffer packet, int len, int[] received) throws ProtocolException {
        int type = Messages.decodeType(packet, 0, len);
        int packetVersion = Messages.version(packet, 0);
        if (type != Protocol.MSG_HELLO && container != null && packetVersion != version) {
            throw new ProtocolException("a version " + packetVersion + " packet on a version " + version
                    + " connection");
        }
        switch (type) {
            case Protocol.MSG_HELLO: {
                Hello hello = Messages.decodeHello(packet, 0, len, received.length);
                if (container != null && !container.released()) {
                    throw new ProtocolException("second HELLO on one connection");
                }
                version = hello.version();
                Runnable hook = helloHook;
                if (hook != null) {
                    hook.run();
                }
                container = daemon.adopt(this, hello, received);
                pending = null; // the container owns them now and closes them in release()
                cancelHelloDeadline();
                helloInProgress = true;
                container.start();
                helloInProgress = false;
                return;
            }
            case Protocol.MSG_EXITED: {
                Exited exited = Messages.decodeExited(packet, 0, len, received.length);
                if (container == null) {
                    throw new ProtocolException("EXITED before HELLO");
                }
                container.exited(exited);
                return;
            }
            case Protocol.MSG_REOPEN_LOG: {
                Messages.decodeReopenLog(packet, 0, len, received.length);
                if (container == null) {
                    throw new ProtocolException("REOPEN_LOG before HELLO");
                }
                container.reopenLog();
                return;
            }
            default:
                throw new ProtocolException("unexpected message type " + type + " from a launcher");
        }
    }

    /** The protocol version of this connection's HELLO (1 before any). */
    int version() {
        return version;
    }

    private static void closeAll(int[] fds) {
        for (int f : fds) {
            if (f >= 0) {
                Native.close(f);
            }
        }
    }

    /** Sends one message; a failure closes the connection (later, not under the caller's feet). */
    void send(ByteBuffer msg) {
        if (fd < 0) {
            return;
        }
        int n;
        do {
            n = Native.send(fd, msg, 0, msg.limit());
        } while (n == -Native.EINTR);
        if (n != msg.limit()) {
            Daemon.LOG.warn("launcher connection {}: send: {}", fd,
                    n < 0 ? Native.strerror(-n) : "short send");
            daemon.loop().execute(this::close);
        }
    }

    private void cancelHelloDeadline() {
        if (helloDeadline != null) {
            helloDeadline.cancel();
            helloDeadline = null;
        }
    }

    /**
     * Sends one message carrying one fd (SCM_RIGHTS; {@code passFd} stays the caller's); a
     * failure closes the connection, as {@link #send} does.
     */
    void sendWithFd(ByteBuffer msg, int passFd) {
        if (fd < 0) {
            return;
        }
        int n;
        do {
            n = Native.sendWithFds(fd, msg, 0, msg.limit(), new int[] {passFd}, 1);
        } while (n == -Native.EINTR);
        if (n != msg.limit()) {
            Daemon.LOG.warn("launcher connection {}: send with an fd: {}", fd,
                    n < 0 ? Native.strerror(-n) : "short send");
            daemon.loop().execute(this::close);
        }
    }

    /** Releases the container and closes the socket, once. */
    void close() {
        if (fd < 0) {
            return;
        }
        cancelHelloDeadline();
        if (container != null) {
            container.release();
        }
        daemon.loop().remove(fd);
        int r = Native.close(fd);
        if (r < 0) {
            Daemon.LOG.warn("close launcher connection {}: {}", fd, Native.strerror(-r));
        }
        fd = -1;
        daemon.forget(this);
    }
}
