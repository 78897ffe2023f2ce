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
    /** The launcher pid a HELLO claims (v1 keys containers by it). */
    int launcherPid = 4242;
    /** v2: the session id, random and non-zero. */
    long session = java.util.concurrent.ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
    /** v2 fds this launcher owns (O_PATH dirs, a listener, a journald socket); -1 when absent. */
    int exitDir = -1;
    int logDir = -1;
    int listener = -1;
    int journald = -1;
    /** The version of the last packet received from the daemon. */
    int lastVersion;
    /** Attach clients the daemon handed over (ATTACH_CLIENT), by token; closed on GONE and at close(). */
    final java.util.Map<Integer, Integer> attachClients = new java.util.LinkedHashMap<>();
    /** Every ATTACH_CLIENT (+token) and ATTACH_CLIENT_GONE (-token), in order of arrival. */
    final java.util.List<Integer> attachEvents = new java.util.ArrayList<>();
    /** v2: attach clients the next hello2() hands over (tokens and fds, same order); empty: none. */
    int[] handTokens = new int[0];
    int[] handFds = new int[0];
    /** Other messages that arrived while waiting for attach events, for receive(). */
    private final java.util.ArrayDeque<int[]> pending = new java.util.ArrayDeque<>();

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
        Hello h = new Hello(flags, state, launcherPid, 4343, waitStatus, Protocol.LOG_SHIMMY,
                Protocol.EXIT_SHIMMY_JSON, fds.length, id, log.toString(), exit.toString(), attach.toString());
        send(Messages.hello(h), fds);
    }

    /** v2: opens the exit file's and the log's directories O_DIRECTORY|O_PATH, as the launcher does. */
    void dirs(Path exitDirPath, Path logDirPath) throws Exception {
        exitDir = Errno.check(Native.open(exitDirPath.toString(), Native.O_DIRECTORY | Native.O_PATH, 0), "open",
                exitDirPath);
        if (logDirPath != null) {
            logDir = Errno.check(Native.open(logDirPath.toString(), Native.O_DIRECTORY | Native.O_PATH, 0), "open",
                    logDirPath);
        }
    }

    /** v2 fds in the protocol's order for these flags. */
    int[] fds2(int flags) {
        java.util.List<Integer> l = new java.util.ArrayList<>(java.util.List.of(journal, out[0], outSpool, err[0],
                errSpool, exitDir));
        if ((flags & Protocol.HELLO_STDIN) != 0) {
            l.add(in[1]);
        }
        if ((flags & Protocol.HELLO_LOG_FILE) != 0) {
            l.add(logDir);
        }
        if ((flags & Protocol.HELLO_ATTACH) != 0) {
            l.add(listener);
        }
        if ((flags & Protocol.HELLO_LOG_JOURNALD) != 0) {
            l.add(journald);
        }
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A v2 HELLO; the flags decide which of this launcher's fds go with it. */
    void hello2(int flags, int state, Exit exit, long logSizeMax, int logFormat, int exitFormat, int attachFormat,
            String logName, String exitName) throws Exception {
        int[] base = fds2(flags);
        Hello h = Hello.v2(flags, state, launcherPid, 4343, exit.status, exit.flags, exit.timeNs, session,
                logSizeMax, logFormat, exitFormat, attachFormat, base.length, id, "name-" + id,
                logName.getBytes(StandardCharsets.UTF_8), exitName.getBytes(StandardCharsets.UTF_8), "")
                .withAttachClients(handTokens);
        int[] fds = java.util.Arrays.copyOf(base, base.length + handFds.length);
        System.arraycopy(handFds, 0, fds, base.length, handFds.length);
        send(Messages.hello(h), fds);
    }

    /** The exit details of a v2 HELLO or EXITED. */
    record Exit(int status, int flags, long timeNs) {
        static final Exit NONE = new Exit(0, 0, 0);
    }

    void exited2(Exit e) throws Exception {
        send(Messages.exited2(e.status, e.flags, e.timeNs), new int[0]);
    }

    void reopenLog() throws Exception {
        send(Messages.reopenLog(), new int[0]);
    }

    void send(ByteBuffer msg, int[] fds) throws Exception {
        int n = Native.sendWithFds(conn, msg, 0, msg.limit(), fds, fds.length);
        assertEquals(msg.limit(), Errno.check(n, "sendmsg", "conn"));
    }

    void exited(int status) throws Exception {
        send(Messages.exited(status), new int[0]);
    }

    /**
     * The next packet from the daemon: {type, errno or 0}; type 0 means EOF. Fails on timeout.
     * ATTACH_CLIENT and ATTACH_CLIENT_GONE are handled on the way (attachClients, attachEvents).
     */
    int[] receive(long timeoutMs) throws Exception {
        if (!pending.isEmpty()) {
            return pending.poll();
        }
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (true) {
            int[] m = poll();
            if (m != null) {
                return m;
            }
            assertTrue(System.nanoTime() < deadline, "no message from the daemon in " + timeoutMs + " ms");
            Thread.sleep(2);
        }
    }

    /** Handles attach events until {@code cond} holds; other messages wait for receive(). */
    void awaitAttach(long timeoutMs, java.util.function.BooleanSupplier cond, String what) throws Exception {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!cond.getAsBoolean()) {
            int[] m = poll();
            if (m != null) {
                pending.add(m);
                if (m[0] == 0) {
                    break; // EOF: nothing more will come
                }
                continue;
            }
            assertTrue(System.nanoTime() < deadline, what + " within " + timeoutMs + " ms; attach events "
                    + attachEvents);
            Thread.sleep(2);
        }
        assertTrue(cond.getAsBoolean(), what + "; attach events " + attachEvents);
    }

    /** One packet if there is one: {type, errno} (attach events handled, then null), or null. */
    private int[] poll() throws Exception {
        ByteBuffer b = ByteBuffer.allocateDirect(Protocol.MSG_MAX).order(ByteOrder.nativeOrder());
        int[] fds = new int[Protocol.MAX_FDS];
        int[] counts = new int[1];
        int n = Native.recvWithFds(conn, b, 0, Protocol.MSG_MAX, fds, counts);
        if (n == 0) {
            return new int[] {0, 0};
        }
        if (n < 0) {
            assertEquals(-Native.EAGAIN, n, "recvmsg");
            return null;
        }
        int type = Messages.decodeType(b, 0, n);
        lastVersion = Messages.version(b, 0);
        if (type == Protocol.MSG_ATTACH_CLIENT) {
            assertEquals(1, counts[0], "ATTACH_CLIENT carries exactly one fd");
            int token = Messages.decodeToken(b, 0, n);
            assertTrue(token != 0 && !attachClients.containsKey(token), "a new token: " + token);
            attachClients.put(token, fds[0]);
            attachEvents.add(token);
            return null;
        }
        assertEquals(0, counts[0], "only ATTACH_CLIENT carries an fd (type " + type + ")");
        if (type == Protocol.MSG_ATTACH_CLIENT_GONE) {
            int token = Messages.decodeToken(b, 0, n);
            Integer fd = attachClients.remove(token);
            if (fd != null) {
                Native.close(fd);
            }
            attachEvents.add(-token);
            return null;
        }
        return new int[] {type, type == Protocol.MSG_FAILED ? b.getInt(8) : 0};
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
        for (int fd : new int[] {conn, out[0], out[1], err[0], err[1], in[0], in[1], outSpool, errSpool, journal,
            exitDir, logDir, listener, journald}) {
            if (fd >= 0) {
                Native.close(fd);
            }
        }
        for (int fd : attachClients.values()) {
            Native.close(fd);
        }
        attachClients.clear();
        Native.munmap(journalAddr, Protocol.JOURNAL_SIZE);
    }
}
