package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.protocol.Protocol;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon in this JVM, a test that plays the launcher, real pipes, memfds and sockets. */
@Tag("unit")
class DaemonInProcessTest {
    private static final Pattern RECORD = Pattern.compile(
            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{3}|\\.\\d{6}|\\.\\d{9})?\\+00:00 (stdout|stderr) (.*)");

    @TempDir
    Path dir;

    private static int attach(FakeLauncher l, DaemonHarness d) throws Exception {
        int fd = Errno.check(Native.unixConnect(l.attach.toString(), Native.SOCK_STREAM), "connect", l.attach);
        Errno.check(Native.setNonBlocking(fd, true), "fcntl", "attach");
        waitFor(() -> d.onLoop(() -> {
            Container c = d.daemon.container(l.id);
            return c != null && c.attach() != null && c.attach().clientCount() >= 1;
        }), "attach client accepted");
        return fd;
    }

    /** Reads what arrives on fd within the timeout until {@code want} bytes came; null on EOF first. */
    private static byte[] read(int fd, int want, long timeoutMs) throws Exception {
        ByteBuffer b = ByteBuffer.allocateDirect(1 << 16);
        int got = 0;
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (got < want) {
            int n = Native.read(fd, b, got, b.capacity() - got);
            if (n == 0) {
                return null;
            }
            if (n > 0) {
                got += n;
                continue;
            }
            assertEquals(-Native.EAGAIN, n, "read");
            assertTrue(System.nanoTime() < deadline, "timed out reading fd " + fd + " (got " + got + ")");
            Thread.sleep(2);
        }
        byte[] r = new byte[got];
        b.get(0, r);
        return r;
    }

    private static boolean eofWithin(int fd, long timeoutMs) throws Exception {
        ByteBuffer b = ByteBuffer.allocateDirect(4096);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (System.nanoTime() < deadline) {
            int n = Native.read(fd, b, 0, 4096);
            if (n == 0 || n == -Native.ECONNRESET) {
                return true;
            }
            Thread.sleep(2);
        }
        return false;
    }

    private static byte[] frame(int type, String s) {
        byte[] p = s.getBytes(StandardCharsets.UTF_8);
        byte[] f = new byte[p.length + 1];
        f[0] = (byte) type;
        System.arraycopy(p, 0, f, 1, p.length);
        return f;
    }

    private static void waitFor(Poll.Check c, String what) throws Exception {
        Poll.until(5_000, c, what);
    }

    private static List<String> texts(Path log, String stream) throws Exception {
        return Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                .map(RECORD::matcher)
                .peek(m -> assertTrue(m.matches(), () -> "malformed record " + m))
                .filter(m -> stream == null || m.group(2).equals(stream))
                .map(m -> m.group(3))
                .toList();
    }

    @Test
    void outputGoesToLogAndAttachThenExitFile() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "c1", false)) {
            l.connect(d.socket);
            l.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
            assertTrue(Files.exists(l.log));
            int client = attach(l, d);
            FakeLauncher.writeAll(l.out[1], "hello\n\nworld\n");
            assertArrayEquals(frame(1, "hello\n\nworld\n"), read(client, 14, 2000));
            FakeLauncher.writeAll(l.err[1], "oops\n");
            assertArrayEquals(frame(2, "oops\n"), read(client, 6, 2000));
            Native.close(l.out[1]);
            l.out[1] = -1;
            long t0 = System.nanoTime();
            l.exited(3 << 8);
            assertEquals(Protocol.MSG_DONE, l.receive(2000)[0]);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 500, "DONE after " + ms + " ms");
            String exit = Files.readString(l.exit);
            assertTrue(Pattern.matches("\\{\"at\": \"[^\"]+\\+00:00\", \"reason\": \"exited\", \"exitCode\": 3}", exit), exit);
            assertEquals(List.of("hello", "world"), texts(l.log, "stdout"));
            assertEquals(List.of("oops"), texts(l.log, "stderr"));
            int flags = l.journalInt(Protocol.JOURNAL_OFF_FLAGS);
            assertEquals(Protocol.JOURNAL_LOG_OPENED | Protocol.JOURNAL_EXIT_CLAIMED | Protocol.JOURNAL_EXIT_WRITTEN,
                    flags);
            assertEquals(Files.size(l.log), l.committed(0));
            assertTrue(l.caughtUp(1) && l.caughtUp(2), "every spooled byte is committed");
            assertTrue(eofWithin(client, 2000), "attach client sees EOF after DONE");
            assertTrue(Files.exists(l.attach), "the attach socket file stays");
            assertEquals(0, d.onLoop(() -> d.daemon.containerCount()));
            Native.close(client);
        }
    }

    @Test
    void failedWhenTheLogCannotBeOpened() throws Exception {
        Path missing = dir.resolve("missing");
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(missing, "c2", false)) {
            l.connect(d.socket);
            l.hello(0, Protocol.STATE_RUNNING, 0);
            int[] r = l.receive(2000);
            assertEquals(Protocol.MSG_FAILED, r[0]);
            assertEquals(Native.ENOENT, r[1]);
            assertFalse(Files.exists(l.attach));
            assertEquals(0, d.onLoop(() -> d.daemon.containerCount()));
        }
    }

    @Test
    void failedWhenTheAttachPathIsNotASocket() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "c3", false)) {
            Files.writeString(l.attach, "precious");
            l.connect(d.socket);
            l.hello(0, Protocol.STATE_RUNNING, 0);
            int[] r = l.receive(2000);
            assertEquals(Protocol.MSG_FAILED, r[0]);
            assertEquals(Native.EEXIST, r[1]);
            assertEquals("precious", Files.readString(l.attach));
        }
    }

    @Test
    void restartedDaemonResumesExactlyOnce() throws Exception {
        try (FakeLauncher l = new FakeLauncher(dir, "c4", false)) {
            try (DaemonHarness d = new DaemonHarness(dir)) {
                l.connect(d.socket);
                l.hello(0, Protocol.STATE_RUNNING, 0);
                assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
                FakeLauncher.writeAll(l.out[1], "one\n");
                waitFor(() -> l.caughtUp(1) && texts(l.log, "stdout").equals(List.of("one")), "first record committed");
            }
            // a killed daemon wrote a record it never committed, and spliced bytes it never logged
            Files.writeString(l.log, "2024-01-01T00:00:00+00:00 stdout GARBAGE\n",
                    java.nio.file.StandardOpenOption.APPEND);
            FakeLauncher.writeAll(l.outSpool, "two\n");
            FakeLauncher.writeAll(l.out[1], "three\n");
            FakeLauncher.writeAll(l.err[1], "four\n");
            try (DaemonHarness d = new DaemonHarness(dir)) {
                l.connect(d.socket);
                l.hello(0, Protocol.STATE_RUNNING, 0);
                assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
                waitFor(() -> l.caughtUp(1) && l.caughtUp(2) && texts(l.log, null).size() == 4, "everything committed");
                l.exited(0);
                assertEquals(Protocol.MSG_DONE, l.receive(2000)[0]);
            }
            assertEquals(List.of("one", "two", "three"), texts(l.log, "stdout"));
            assertEquals(List.of("four"), texts(l.log, "stderr"));
            assertTrue(Files.readString(l.exit).endsWith("\"reason\": \"exited\", \"exitCode\": 0}"));
        }
    }

    @Test
    void helloAfterExitWrittenOnlyAnswersDone() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "c5", false)) {
            FakeLauncher.writeAll(l.out[1], "last words\n");
            l.connect(d.socket);
            l.hello(0, Protocol.STATE_EXITED, 9);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
            assertEquals(Protocol.MSG_DONE, l.receive(2000)[0]);
            assertEquals(List.of("last words"), texts(l.log, null), "output is drained before the exit file");
            String first = Files.readString(l.exit);
            assertTrue(first.endsWith("\"reason\": \"signaled\", \"signal\": 9}"), first);
            Files.writeString(l.exit, "untouched");
            l.connect(d.socket);
            l.hello(0, Protocol.STATE_EXITED, 9);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
            assertEquals(Protocol.MSG_DONE, l.receive(2000)[0]);
            assertEquals("untouched", Files.readString(l.exit));
        }
    }

    @Test
    void stdinOnceClosesStdinAfterTheFirstSession() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "c6", true)) {
            l.connect(d.socket);
            l.hello(l.flags(true), Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
            int client = attach(l, d);
            FakeLauncher.writeAll(client, "abc");
            Errno.check(Native.shutdown(client, Native.SHUT_WR), "shutdown", "attach");
            assertEquals(Protocol.MSG_CLOSE_STDIN, l.receive(2000)[0]);
            Native.close(l.in[1]); // the launcher closes its copy too
            l.in[1] = -1;
            Errno.check(Native.setNonBlocking(l.in[0], true), "fcntl", "stdin");
            assertArrayEquals("abc".getBytes(StandardCharsets.UTF_8), read(l.in[0], 3, 2000));
            assertTrue(eofWithin(l.in[0], 2000), "the container sees EOF on stdin");
            // the half-closed client still gets output
            FakeLauncher.writeAll(l.out[1], "x\n");
            assertArrayEquals(frame(1, "x\n"), read(client, 3, 2000));
            Native.close(client);
        }
    }

    @Test
    void inputWithoutStdinIsDiscardedAndDoesNotHoldUpTheExit() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "c7", false)) {
            l.connect(d.socket);
            l.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
            int client = attach(l, d);
            FakeLauncher.writeAll(client, "ignored input");
            Native.close(client);
            Thread.sleep(50);
            l.exited(0);
            assertEquals(Protocol.MSG_DONE, l.receive(1000)[0]);
        }
    }

    @Test
    void aNewHelloForTheSameIdReplacesTheOldConnection() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "c8", false)) {
            l.connect(d.socket);
            l.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
            int oldConn = l.conn;
            l.conn = Errno.check(Native.unixConnect(d.socket, Native.SOCK_SEQPACKET), "connect", d.socket);
            Errno.check(Native.setNonBlocking(l.conn, true), "fcntl", "conn");
            l.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
            assertTrue(eofWithin(oldConn, 2000), "the old connection is closed");
            Native.close(oldConn);
            FakeLauncher.writeAll(l.out[1], "still served\n");
            waitFor(() -> l.caughtUp(1) && !texts(l.log, null).isEmpty(), "output committed");
            assertEquals(List.of("still served"), texts(l.log, null));
        }
    }

    @Test
    void aMalformedPacketClosesOnlyThatConnection() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "c9", false)) {
            l.connect(d.socket);
            ByteBuffer junk = ByteBuffer.allocateDirect(5);
            l.send(junk, new int[] {l.outSpool});
            assertEquals(0, l.receive(2000)[0], "daemon closes the connection");
            l.connect(d.socket);
            l.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
        }
    }

    @Test
    void fdsThatCameWithAnEmptyPacketAreClosed() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "c12", false)) {
            l.connect(d.socket);
            int[] p = new int[2];
            assertEquals(0, Native.pipe(p));
            try {
                Errno.check(Native.setNonBlocking(p[0], true), "fcntl", "pipe");
                l.send(ByteBuffer.allocateDirect(0), new int[] {p[1]});
                assertEquals(0, l.receive(2000)[0], "daemon closes the connection");
                Native.close(p[1]);
                p[1] = -1;
                // the read end sees EOF only once the daemon closed its copy of the write end too
                assertTrue(eofWithin(p[0], 2000), "the daemon still holds the fd of the empty packet");
            } finally {
                Native.close(p[0]);
                if (p[1] >= 0) {
                    Native.close(p[1]);
                }
            }
        }
    }

    @Test
    void bigOutputIsLoggedCompletelyAndInOrder() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "c10", false)) {
            l.connect(d.socket);
            l.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 120000; i++) {
                sb.append("line-").append(i).append('\n');
            }
            String payload = sb.toString();
            Thread writer = new Thread(() -> {
                try {
                    FakeLauncher.writeAll(l.out[1], payload);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            writer.start();
            writer.join(10000);
            l.exited(0);
            assertEquals(Protocol.MSG_DONE, l.receive(5000)[0]);
            assertTrue(l.caughtUp(1), "every spooled byte is committed");
            // lines may be split at chunk boundaries; joined back, the texts give the payload
            String joined = String.join("", texts(l.log, "stdout"));
            assertEquals(payload.replace("\n", ""), joined);
        }
    }

    @Test
    void exitFileIsRetriedUntilItCanBeWritten() throws Exception {
        Path exits = dir.resolve("exits");
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "c11", false)) {
            Path exit = exits.resolve("c11");
            l.connect(d.socket);
            l.exit = exit;
            l.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
            l.exited(0);
            Thread.sleep(150); // the first attempts fail: the directory does not exist yet
            assertFalse(Files.exists(exit));
            Files.createDirectories(exits);
            assertEquals(Protocol.MSG_DONE, l.receive(5000)[0]);
            assertTrue(Files.readString(exit).endsWith("\"reason\": \"exited\", \"exitCode\": 0}"));
            assertEquals(Protocol.JOURNAL_LOG_OPENED | Protocol.JOURNAL_EXIT_CLAIMED | Protocol.JOURNAL_EXIT_WRITTEN,
                    l.journalInt(Protocol.JOURNAL_OFF_FLAGS));
        }
    }

    @Test
    void twoV1LaunchersWithOneContainerIdCoexist() throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l1 = new FakeLauncher(a, "same", false);
                FakeLauncher l2 = new FakeLauncher(b, "same", false)) {
            l2.launcherPid = 4243;
            l1.connect(d.socket);
            l1.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l1.receive(2000)[0]);
            l2.connect(d.socket);
            l2.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l2.receive(2000)[0]);
            assertFalse(eofWithin(l1.conn, 200), "the first launcher keeps its connection");
            assertEquals(2, (int) d.onLoop(() -> d.daemon.containerCount()));
            FakeLauncher.writeAll(l1.out[1], "one\n");
            FakeLauncher.writeAll(l2.out[1], "two\n");
            waitFor(() -> l1.caughtUp(1) && texts(l1.log, null).equals(List.of("one")), "first served");
            waitFor(() -> l2.caughtUp(1) && texts(l2.log, null).equals(List.of("two")), "second served");
            l1.exited(1 << 8);
            assertEquals(Protocol.MSG_DONE, l1.receive(2000)[0]);
            l2.exited(2 << 8);
            assertEquals(Protocol.MSG_DONE, l2.receive(2000)[0]);
            assertTrue(Files.readString(l1.exit).endsWith("\"exitCode\": 1}"));
            assertTrue(Files.readString(l2.exit).endsWith("\"exitCode\": 2}"));
        }
    }
}
