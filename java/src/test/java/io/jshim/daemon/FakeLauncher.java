package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.protocol.Hello;
import io.jshim.protocol.Messages;
import io.jshim.protocol.Protocol;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Test helper that plays the launcher: owns the container's fds and talks the protocol. */
final class FakeLauncher implements AutoCloseable {
    final String id;
    final Path log;
    /** Where the daemon is told to write the exit file; a test may point it elsewhere before hello(). */
    Path exit;
    final Path attach;
    final int journal;
    final ByteBuffer journalBuf;
    private final long journalAddr;
    final int[] out = new int[2];
    final int[] err = new int[2];
    final int[] in = {-1, -1};
    final int outSpool;
    final int errSpool;
    int conn = -1;

    FakeLauncher(Path dir, String id, boolean stdin) throws Exception {
        this.id = id;
        this.log = dir.resolve(id + ".log");
        this.exit = dir.resolve(id + ".exit");
        this.attach = dir.resolve(id + ".attach");
        journal = Errno.check(Native.memfdCreate("journal"), "memfd_create", "journal");
        Errno.check(Native.ftruncate(journal, Protocol.JOURNAL_SIZE), "ftruncate", "journal");
        journalAddr = Errno.check(Native.mmapShared(journal, Protocol.JOURNAL_SIZE), "mmap", "journal");
        journalBuf = Native.directBuffer(journalAddr, Protocol.JOURNAL_SIZE).order(ByteOrder.nativeOrder());
        journalBuf.putInt(Protocol.JOURNAL_OFF_MAGIC, Protocol.JOURNAL_MAGIC);
        journalBuf.putInt(Protocol.JOURNAL_OFF_VERSION, Protocol.JOURNAL_VERSION);
        Errno.check(Native.pipe(out), "pipe", "stdout");
        Errno.check(Native.pipe(err), "pipe", "stderr");
        Errno.check(Native.setNonBlocking(out[0], true), "fcntl", "stdout");
        Errno.check(Native.setNonBlocking(err[0], true), "fcntl", "stderr");
        outSpool = Errno.check(Native.memfdCreate("stdout"), "memfd_create", "stdout");
        errSpool = Errno.check(Native.memfdCreate("stderr"), "memfd_create", "stderr");
        if (stdin) {
            Errno.check(Native.pipe(in), "pipe", "stdin");
        }
    }

    void connect(String socket) throws Exception {
        if (conn >= 0) {
            Native.close(conn);
        }
        conn = Errno.check(Native.unixConnect(socket, Native.SOCK_SEQPACKET), "connect", socket);
        Errno.check(Native.setNonBlocking(conn, true), "fcntl", "conn");
    }

    int flags(boolean stdinOnce) {
        return (in[1] >= 0 ? Protocol.HELLO_STDIN : 0) | (stdinOnce ? Protocol.HELLO_STDIN_ONCE : 0);
    }

    void hello(int flags, int state, int waitStatus) throws Exception {
        int[] fds = (flags & Protocol.HELLO_STDIN) != 0
                ? new int[] {journal, out[0], outSpool, err[0], errSpool, in[1]}
                : new int[] {journal, out[0], outSpool, err[0], errSpool};
        Hello h = new Hello(flags, state, 4242, 4343, waitStatus, Protocol.LOG_SHIMMY,
                Protocol.EXIT_SHIMMY_JSON, fds.length, id, log.toString(), exit.toString(), attach.toString());
        send(Messages.hello(h), fds);
    }

    void send(ByteBuffer msg, int[] fds) throws Exception {
        int n = Native.sendWithFds(conn, msg, 0, msg.limit(), fds, fds.length);
        assertEquals(msg.limit(), Errno.check(n, "sendmsg", "conn"));
    }

    void exited(int status) throws Exception {
        send(Messages.exited(status), new int[0]);
    }

    /** The next packet from the daemon: {type, errno or 0}; type 0 means EOF. Fails on timeout. */
    int[] receive(long timeoutMs) throws Exception {
        ByteBuffer b = ByteBuffer.allocateDirect(Protocol.MSG_MAX).order(ByteOrder.nativeOrder());
        int[] fds = new int[Protocol.MAX_FDS];
        int[] counts = new int[1];
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (true) {
            int n = Native.recvWithFds(conn, b, 0, Protocol.MSG_MAX, fds, counts);
            if (n == 0) {
                return new int[] {0, 0};
            }
            if (n > 0) {
                assertEquals(0, counts[0], "the daemon never sends fds");
                int type = Messages.decodeType(b, 0, n);
                return new int[] {type, type == Protocol.MSG_FAILED ? b.getInt(8) : 0};
            }
            assertEquals(-Native.EAGAIN, n, "recvmsg");
            assertTrue(System.nanoTime() < deadline, "no message from the daemon in " + timeoutMs + " ms");
            Thread.sleep(2);
        }
    }

    static void writeAll(int fd, String s) throws Exception {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
        b.put(0, bytes);
        int off = 0;
        while (off < bytes.length) {
            off += Errno.check(Native.write(fd, b, off, bytes.length - off), "write", "fd " + fd);
        }
    }

    int journalInt(int off) {
        return journalBuf.getInt(off);
    }

    /**
     * True when every byte spooled for stream 1 (stdout) or 2 (stderr) is in the log and
     * committed. The daemon rewinds a spool that it has caught up with, so the committed
     * offset is not a byte count; compare it with the spool's file position instead.
     */
    boolean caughtUp(int stream) {
        long position = Native.lseek(stream == 1 ? outSpool : errSpool, 0, Native.SEEK_CUR);
        return position >= 0 && position == committed(stream);
    }

    long committed(int field) {
        int cur = journalBuf.getInt(Protocol.JOURNAL_OFF_CURRENT);
        return journalBuf.getLong(Protocol.JOURNAL_OFF_SLOTS + cur * Protocol.JOURNAL_SLOT_SIZE + 8 * field);
    }

    @Override
    public void close() {
        for (int fd : new int[] {conn, out[0], out[1], err[0], err[1], in[0], in[1], outSpool, errSpool, journal}) {
            if (fd >= 0) {
                Native.close(fd);
            }
        }
        Native.munmap(journalAddr, Protocol.JOURNAL_SIZE);
    }
}
