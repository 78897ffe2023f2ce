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

    private final Daemon daemon;
    private int fd;
    private Container container;
    private int version = 1;

    LauncherConnection(Daemon daemon, int fd) {
        this.daemon = daemon;
        this.fd = fd;
    }

    void start() throws NativeIoException {
        daemon.loop().add(fd, Native.EPOLLIN, this);
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
            try {
                dispatch(s.packet, n, received);
            } catch (ProtocolException e) {
                Daemon.LOG.warn("launcher connection {}: protocol error: {}", fd, e.getMessage());
                closeAll(received);
                close();
                return;
            }
        }
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
                container = daemon.adopt(this, hello, received);
                container.start();
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

    /** Releases the container and closes the socket, once. */
    void close() {
        if (fd < 0) {
            return;
        }
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
