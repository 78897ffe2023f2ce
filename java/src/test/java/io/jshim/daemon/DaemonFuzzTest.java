package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.protocol.Protocol;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: a seeded fuzzer sends at least 10 000 malformed, truncated, oversized and
 * fd-carrying records (pipes, memfds, socket pairs, O_PATH directory fds) on fresh launcher
 * connections while real containers stream: the daemon lives, keeps no fd it was sent, and
 * every container's log is exact. The seed is printed; {@code -Djshim.fuzz.seed=N} replays a
 * run and {@code -Djshim.fuzz.records=N} changes the count.
 */
@Tag("unit")
class DaemonFuzzTest {
    private static final int STREAMERS = 3;
    private static final int LINES = 4000;

    @TempDir
    Path dir;

    private static java.util.Map<String, String> fdTargets() throws Exception {
        java.util.Map<String, String> m = new java.util.TreeMap<>();
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    m.put(p.getFileName().toString(), Files.readSymbolicLink(p).toString());
                } catch (java.io.IOException e) {
                    // closed meanwhile
                }
            }
        }
        return m;
    }

    private static int fdCount() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        }
    }

    @Test
    @Timeout(300)
    void malformedRecordsWhileContainersStream() throws Exception {
        long seed = Long.getLong("jshim.fuzz.seed", System.nanoTime());
        int records = Integer.getInteger("jshim.fuzz.records", 10_000);
        System.out.println("DaemonFuzzTest: seed " + seed + ", " + records + " records"
                + " (replay: -Djshim.fuzz.seed=" + seed + ")");
        Random rnd = new Random(seed);
        Path fuzzDir = Files.createDirectories(dir.resolve("fuzz"));
        try (DaemonHarness d = new DaemonHarness(dir)) {
            List<FakeLauncher> streamers = new ArrayList<>();
            List<Thread> writers = new ArrayList<>();
            try {
                for (int i = 0; i < STREAMERS; i++) {
                    FakeLauncher l = new FakeLauncher(dir, "s" + i, false);
                    streamers.add(l);
                    l.connect(d.socket);
                    l.hello(0, Protocol.STATE_RUNNING, 0);
                    assertEquals(Protocol.MSG_READY, l.receive(5000)[0]);
                }
                Fuzzer f = new Fuzzer(rnd, d.socket, fuzzDir);
                f.run(200); // warm-up: classes loaded, log appenders open
                Thread.sleep(300);
                int before = fdCount();
                java.util.Map<String, String> beforeFds = fdTargets();
                for (FakeLauncher l : streamers) {
                    Thread t = new Thread(() -> stream(l), "writer-" + l.id);
                    t.start();
                    writers.add(t);
                }
                f.run(records);
                for (Thread t : writers) {
                    t.join(120_000);
                    assertTrue(!t.isAlive(), "writer finished");
                }
                System.out.println("DaemonFuzzTest: sent " + f.sent + " records (" + f.withFds + " with fds, "
                        + f.refused + " refused at send) on " + f.connections + " connections; seed " + seed);
                assertTrue(f.sent + f.refused >= records, "every record was tried");
                // the daemon lives: the streamers are still served, and a new launcher is too
                assertTrue(d.onLoop(() -> d.daemon.containerCount()) >= STREAMERS, "the streamers are still served");
                for (FakeLauncher l : streamers) {
                    Poll.until(20_000, () -> l.caughtUp(1), l.id + " caught up");
                    l.exited(0);
                    assertEquals(Protocol.MSG_DONE, l.receive(10_000)[0], l.id + " DONE");
                }
                // shimmy's format turns each spool chunk into records, so a line that straddles a
                // 32 KiB chunk is two records: exact means the same bytes in the same order
                for (FakeLauncher l : streamers) {
                    StringBuilder got = new StringBuilder();
                    for (String line : Files.readAllLines(l.log, StandardCharsets.UTF_8)) {
                        String[] p = line.split(" ", 3);
                        assertEquals("stdout", p[1], line);
                        got.append(p[2]);
                    }
                    StringBuilder want = new StringBuilder();
                    for (int k = 0; k < LINES; k++) {
                        want.append(l.id).append(" line ").append(k);
                    }
                    if (!want.toString().equals(got.toString())) {
                        int k = 0;
                        while (k < Math.min(want.length(), got.length()) && want.charAt(k) == got.charAt(k)) {
                            k++;
                        }
                        throw new AssertionError(l.id + "'s log differs at byte " + k + " of the text: want '"
                                + want.substring(k, Math.min(want.length(), k + 40)) + "', got '"
                                + got.substring(k, Math.min(got.length(), k + 40)) + "'; seed " + seed);
                    }
                }
                // nothing that the fuzzer sent stays open in the daemon (same process: our fds too)
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (fdCount() > before && System.nanoTime() < end) {
                    Thread.sleep(10);
                }
                int after = fdCount();
                if (after > before) {
                    java.util.Map<String, String> now = fdTargets();
                    now.entrySet().removeIf(e -> e.getValue().equals(beforeFds.get(e.getKey())));
                    System.out.println("DaemonFuzzTest: fds left open: " + now + "; connections "
                            + d.onLoop(() -> d.daemon.connectionCount()) + ", containers "
                            + d.onLoop(() -> d.daemon.containerCount()));
                    StringBuilder unix = new StringBuilder();
                    for (String line : Files.readAllLines(Path.of("/proc/net/unix"))) {
                        for (String t : now.values()) {
                            if (t.startsWith("socket:[") && line.contains(" " + t.substring(8, t.length() - 1) + " ")) {
                                unix.append(line).append('\n');
                            }
                        }
                    }
                    System.out.println("DaemonFuzzTest: /proc/net/unix:\n" + unix);
                }
                assertTrue(after <= before, "fds before " + before + ", after " + after + "; seed " + seed);
                try (FakeLauncher late = new FakeLauncher(dir, "late", false)) {
                    late.connect(d.socket);
                    late.hello(0, Protocol.STATE_RUNNING, 0);
                    assertEquals(Protocol.MSG_READY, late.receive(5000)[0], "a new launcher is served");
                }
            } finally {
                for (FakeLauncher l : streamers) {
                    l.close();
                }
            }
        }
    }

    /** LINES numbered lines on stdout, in bursts, then the write end is closed. */
    private static void stream(FakeLauncher l) {
        try {
            for (int k = 0; k < LINES; k++) {
                FakeLauncher.writeAll(l.out[1], l.id + " line " + k + "\n");
                if (k % 500 == 0) {
                    Thread.sleep(5);
                }
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Sends records on fresh connections, 1 to 6 per connection, closing what it made. */
    static final class Fuzzer {
        private final Random rnd;
        private final String socket;
        private final Path fuzzDir;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(128 * 1024).order(ByteOrder.nativeOrder());
        long sent;
        long refused;
        long withFds;
        long connections;

        Fuzzer(Random rnd, String socket, Path fuzzDir) {
            this.rnd = rnd;
            this.socket = socket;
            this.fuzzDir = fuzzDir;
        }

        /** Until n more records reached the daemon's socket (sends refused by a closed one do not count). */
        void run(int n) throws Exception {
            long goal = sent + n;
            while (sent < goal) {
                int conn = Errno.check(Native.unixConnect(socket, Native.SOCK_SEQPACKET), "connect", socket);
                connections++;
                try {
                    int k = 1 + rnd.nextInt(6);
                    for (int i = 0; i < k && sent < goal; i++) {
                        if (!one(conn)) {
                            break;
                        }
                    }
                } finally {
                    Native.close(conn);
                }
            }
        }

        /** One record on conn; false once the daemon closed it. */
        private boolean one(int conn) throws Exception {
            List<Integer> fds = new ArrayList<>();
            try {
                int len;
                if (rnd.nextInt(4) == 0) {
                    len = deepHello(fds);
                    withFds++;
                } else {
                    if (rnd.nextInt(3) == 0) {
                        int nfds = 1 + rnd.nextInt(Protocol.MAX_FDS);
                        for (int i = 0; i < nfds; i++) {
                            randomFd(fds);
                        }
                        withFds++;
                    }
                    len = record(fds.size());
                }
                int[] a = fds.stream().mapToInt(Integer::intValue).toArray();
                int r = Native.sendWithFds(conn, buf, 0, len, a, a.length);
                if (r == len) {
                    sent++;
                    return true;
                }
                refused++; // EPIPE, ECONNRESET: the daemon already dropped this connection
                return false;
            } finally {
                for (int fd : fds) {
                    Native.close(fd);
                }
            }
        }

        private void randomFd(List<Integer> fds) throws Exception {
            int[] p = new int[2];
            switch (rnd.nextInt(6)) {
                case 0 -> {
                    Errno.check(Native.pipe(p), "pipe", null);
                    fds.add(p[0]);
                    fds.add(p[1]);
                }
                case 1 -> {
                    int m = Errno.check(Native.memfdCreate("fuzz"), "memfd_create", null);
                    fds.add(m);
                    if (rnd.nextBoolean()) { // sized like a journal, but without its magic
                        Errno.check(Native.ftruncate(m, Protocol.JOURNAL_SIZE), "ftruncate", null);
                    }
                }
                case 2 -> {
                    Errno.check(Native.socketpair(rnd.nextBoolean() ? Native.SOCK_SEQPACKET : Native.SOCK_STREAM, p),
                            "socketpair", null);
                    fds.add(p[0]);
                    fds.add(p[1]);
                }
                case 3 -> fds.add(Errno.check(Native.open(fuzzDir.toString(), Native.O_DIRECTORY | Native.O_PATH, 0),
                        "open", fuzzDir));
                case 4 -> { // a real journal: the HELLO may get as far as serving garbage fds
                    int m = Errno.check(Native.memfdCreate("fuzz-journal"), "memfd_create", null);
                    fds.add(m);
                    Errno.check(Native.ftruncate(m, Protocol.JOURNAL_SIZE), "ftruncate", null);
                    ByteBuffer j = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
                    j.putInt(0, Protocol.JOURNAL_MAGIC).putInt(4, Protocol.JOURNAL_VERSION);
                    Errno.check(Native.write(m, j, 0, 8), "write", null);
                }
                default -> fds.add(Errno.check(Native.open("/dev/null", Native.O_WRONLY, 0), "open", "/dev/null"));
            }
            while (fds.size() > Protocol.MAX_FDS) {
                Native.close(fds.remove(fds.size() - 1));
            }
        }

        /** One record in buf; returns its length. */
        private int record(int nfds) {
            int kind = rnd.nextInt(10);
            switch (kind) {
                case 0: { // random bytes
                    int len = 1 + rnd.nextInt(300);
                    randomBytes(0, len);
                    return len;
                }
                case 1: { // truncated header
                    int len = 1 + rnd.nextInt(7);
                    randomBytes(0, len);
                    buf.putShort(0, (short) (1 + rnd.nextInt(2)));
                    return len;
                }
                case 2: { // oversized: longer than MSG_MAX (the daemon sees MSG_TRUNC)
                    int len = Protocol.MSG_MAX + 1 + rnd.nextInt(4096);
                    header(rnd.nextInt(3) == 0 ? 2 : 1, Protocol.MSG_HELLO, len - Protocol.HEADER_SIZE);
                    return len;
                }
                case 3: { // a header whose length lies
                    int len = Protocol.HEADER_SIZE + rnd.nextInt(200);
                    randomBytes(Protocol.HEADER_SIZE, len);
                    header(1 + rnd.nextInt(2), 1 + rnd.nextInt(7), rnd.nextInt());
                    return len;
                }
                case 4: { // unknown version or type
                    int len = Protocol.HEADER_SIZE + rnd.nextInt(64);
                    randomBytes(Protocol.HEADER_SIZE, len);
                    boolean badVersion = rnd.nextBoolean();
                    header(badVersion ? 3 + rnd.nextInt(60000) : 1 + rnd.nextInt(2),
                            badVersion ? 1 + rnd.nextInt(7) : 8 + rnd.nextInt(60000), len - Protocol.HEADER_SIZE);
                    return len;
                }
                case 5: // EXITED, REOPEN_LOG or a daemon's message before any HELLO
                    return plain(1 + rnd.nextInt(2), new int[] {Protocol.MSG_EXITED, Protocol.MSG_REOPEN_LOG,
                        Protocol.MSG_READY, Protocol.MSG_DONE, Protocol.MSG_FAILED}[rnd.nextInt(5)]);
                default: // a HELLO (v1 or v2) with a real-looking body, garbled here and there
                    return hello(rnd.nextBoolean() ? 1 : 2, nfds);
            }
        }

        private int plain(int version, int type) {
            int payload = rnd.nextInt(4) == 0 ? rnd.nextInt(40) : (type == Protocol.MSG_EXITED ? 4 : 0);
            randomBytes(Protocol.HEADER_SIZE, Protocol.HEADER_SIZE + payload);
            header(version, type, payload);
            return Protocol.HEADER_SIZE + payload;
        }

        /**
         * A HELLO that passes the decoder (flags, formats and fd count agree), mostly with a real
         * journal first, so the daemon sets up a container on garbage fds; a few of them get
         * EXITED or REOPEN_LOG after it, on the same connection.
         */
        private int deepHello(List<Integer> fds) throws Exception {
            int version = rnd.nextBoolean() ? 1 : 2;
            int flags = rnd.nextInt(version == 1 ? 4 : 32);
            int expected = io.jshim.protocol.Hello.expectedFds(version, flags);
            if (rnd.nextInt(5) != 0) {
                int before = fds.size();
                while (fds.size() == before) {
                    randomFd(fds);
                    if (rnd.nextInt(5) != 0) { // the last one made, a real journal, goes first
                        int j = fds.remove(fds.size() - 1);
                        Native.close(j);
                    }
                }
            }
            while (fds.size() < expected) {
                randomFd(fds);
            }
            while (fds.size() > expected) {
                Native.close(fds.remove(fds.size() - 1));
            }
            realJournalFirst(fds);
            clean = rnd.nextInt(10) < 7;
            int len = hello(version, fds.size());
            clean = false;
            int at = Protocol.HEADER_SIZE;
            buf.putInt(at, flags).putInt(at + 4, rnd.nextInt(2));
            if (version == 2) {
                buf.putInt(at + 56, (flags & Protocol.HELLO_ATTACH) != 0 ? 1 + rnd.nextInt(2) : 0);
            }
            return len;
        }

        private void realJournalFirst(List<Integer> fds) throws Exception {
            if (fds.isEmpty() || rnd.nextInt(5) == 0) {
                return;
            }
            int m = Errno.check(Native.memfdCreate("fuzz-journal"), "memfd_create", null);
            Errno.check(Native.ftruncate(m, Protocol.JOURNAL_SIZE), "ftruncate", null);
            ByteBuffer j = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
            j.putInt(0, Protocol.JOURNAL_MAGIC).putInt(4, Protocol.JOURNAL_VERSION);
            Errno.check(Native.write(m, j, 0, 8), "write", null);
            Native.close(fds.set(0, m));
        }

        /** Strings of plain letters (deep HELLOs that should get as far as serving). */
        private boolean clean;

        private int hello(int version, int nfds) {
            int fixed = version == 1 ? Protocol.HELLO_SIZE : Protocol.HELLO2_SIZE;
            int nstrings = version == 1 ? 4 : 5;
            int pos = Protocol.HEADER_SIZE;
            randomBytes(pos, pos + fixed);
            boolean sane = rnd.nextInt(4) != 0; // flags, state, formats and nfds that pass the decoder
            buf.putInt(pos, sane ? rnd.nextInt(version == 1 ? 4 : 32) : rnd.nextInt()); // flags
            buf.putInt(pos + 4, sane ? rnd.nextInt(2) : rnd.nextInt(4)); // state
            buf.putInt(pos + 8, sane ? 100 + rnd.nextInt(1 << 20) : rnd.nextInt());
            if (sane && version == 1) {
                buf.putInt(pos + 12, 4343).putInt(pos + 16, 0).putInt(pos + 20, 1).putInt(pos + 24, 1)
                        .putInt(pos + 28, nfds);
            } else if (sane) {
                buf.putInt(pos + 12, 4343).putInt(pos + 20, 0).putLong(pos + 24, 0).putLong(pos + 32, rnd.nextLong()).putLong(pos + 40, 0);
                buf.putInt(pos + 48, 1 + rnd.nextInt(2)).putInt(pos + 52, 1 + rnd.nextInt(2))
                        .putInt(pos + 56, rnd.nextInt(3)).putInt(pos + 60, nfds);
            }
            pos += fixed;
            for (int i = 0; i < nstrings && pos < 60_000; i++) {
                byte[] str = string(version, i);
                int n = Math.min(str.length, 60_000 - pos);
                buf.putShort(pos, (short) (rnd.nextInt(16) == 0 ? rnd.nextInt(65536) : n));
                pos += 2;
                buf.put(pos, str, 0, n);
                pos += n;
            }
            if (rnd.nextInt(4) == 0) { // truncated body
                pos = Protocol.HEADER_SIZE + rnd.nextInt(pos - Protocol.HEADER_SIZE + 1);
            }
            header(version, Protocol.MSG_HELLO, pos - Protocol.HEADER_SIZE);
            return Math.max(pos, Protocol.HEADER_SIZE);
        }

        /** v1 paths stay inside the fuzz directory; v2 names are any bytes, '/' included. */
        private byte[] string(int version, int i) {
            int n = rnd.nextInt(12) == 0 ? rnd.nextInt(70_000) : rnd.nextInt(40);
            StringBuilder b = new StringBuilder();
            if (clean) {
                n = 1 + rnd.nextInt(20);
                for (int k = 0; k < n; k++) {
                    b.append((char) ('a' + rnd.nextInt(26)));
                }
                n = 0;
            }
            for (int k = 0; k < n; k++) {
                int c = rnd.nextInt(20);
                b.append(c == 0 ? '/' : c == 1 ? '.' : c == 2 ? (char) (1 + rnd.nextInt(255)) : (char) ('a' + rnd.nextInt(26)));
            }
            String s = b.toString();
            if (version == 1 && i > 0) {
                s = fuzzDir + "/" + s.replace("..", "__");
            }
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }

        private void header(int version, int type, int length) {
            buf.putShort(0, (short) version);
            buf.putShort(2, (short) type);
            buf.putInt(4, length);
        }

        private void randomBytes(int from, int to) {
            for (int i = from; i < to; i++) {
                buf.put(i, (byte) rnd.nextInt(256));
            }
        }
    }
}
