package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.daemon.FakeLauncher.Exit;
import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.protocol.Protocol;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Protocol v2 in the daemon: dir fds and names, conmon exit codes, attach listener, journald, fds. */
@Tag("unit")
class DaemonV2Test extends DaemonV2Base {
    @Test
    void k8sFileLogAndConmonExitCodeThroughDirFds() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = launcher(d, "c1", false)) {
            l.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "ctr.log", "c1");
            ready(l);
            Path log = logs.resolve("ctr.log");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(log)));
            FakeLauncher.writeAll(l.out[1], "a\nb");
            waitFor(() -> caughtUp(l) && records(log).size() == 2, "stdout records");
            FakeLauncher.writeAll(l.err[1], "e\n");
            waitFor(() -> caughtUp(l) && records(log).size() == 3, "stderr record");
            l.exited2(new Exit(3 << 8, 0, 1_700_000_000_000_000_000L));
            done(l);
            assertEquals(List.of("stdout F a", "stdout P b", "stderr F e"), records(log));
            assertEquals("3", Files.readString(exits.resolve("c1")));
            assertEquals(List.of("c1"), names(exits), "no temp file is left");
            assertEquals(List.of("ctr.log"), names(logs));
            assertEquals(Files.size(log), l.committed(0));
            assertEquals(Protocol.JOURNAL_LOG_OPENED | Protocol.JOURNAL_EXIT_CLAIMED | Protocol.JOURNAL_EXIT_WRITTEN,
                    l.journalInt(Protocol.JOURNAL_OFF_FLAGS));
        }
    }

    @Test
    void timedOutIsMinusOneAndShimmyJsonUsesTheReapTime() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher a = launcher(d, "t1", false);
                FakeLauncher b = launcher(d, "t2", false)) {
            a.hello2(0, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "", "t1");
            ready(a);
            a.exited2(new Exit(9, Protocol.EXIT_TIMED_OUT, 1));
            done(a);
            assertEquals("-1", Files.readString(exits.resolve("t1")));
            b.hello2(0, Protocol.STATE_EXITED, new Exit(0, 0, 1706868672_500_000_000L), 0, Protocol.LOG_SHIMMY,
                    Protocol.EXIT_SHIMMY_JSON, 0, "", "t2");
            ready(b);
            done(b);
            assertEquals("{\"at\": \"2024-02-02T10:11:12.500+00:00\", \"reason\": \"exited\", \"exitCode\": 0}",
                    Files.readString(exits.resolve("t2")));
        }
    }

    @Test
    void aSymlinkAtTheExitNameIsReplacedNotFollowed() throws Exception {
        Path precious = Files.writeString(dir.resolve("precious"), "precious");
        Files.createSymbolicLink(exits.resolve("s1"), precious);
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = launcher(d, "s1", false)) {
            l.hello2(0, Protocol.STATE_EXITED, new Exit(5 << 8, 0, 1), 0, K8S_FILE, CODE, 0, "", "s1");
            ready(l);
            done(l);
            assertFalse(Files.isSymbolicLink(exits.resolve("s1")));
            assertEquals("5", Files.readString(exits.resolve("s1")));
            assertEquals("precious", Files.readString(precious));
            assertEquals(List.of("s1"), names(exits));
        }
    }

    @Test
    void aDirFdThatIsNotADirectoryFailsAtOnce() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "d1", false)) {
            Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
            l.exitDir = Errno.check(Native.open(file.toString(), Native.O_PATH, 0), "open", file);
            l.connect(d.socket);
            Map<String, Long> fds = held(all(l));
            l.hello2(0, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "", "d1");
            int[] r = l.receive(2000);
            assertEquals(Protocol.MSG_FAILED, r[0]);
            assertEquals(Native.ENOTDIR, r[1]);
            waitFor(() -> held(all(l)).equals(fds), "every fd of the failed HELLO closed");
            assertEquals(0, (int) d.onLoop(() -> d.daemon.containerCount()));
        }
    }

    @Test
    void theLaunchersListenerIsServedAndEarlyClientsGetTheFirstOutput() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = launcher(d, "a1", true)) {
            String path = dir.resolve("a1.attach").toString();
            l.listener = Errno.check(Native.unixListen(path, Native.SOCK_SEQPACKET, 10), "listen", path);
            int client = Errno.check(Native.unixConnect(path, Native.SOCK_SEQPACKET), "connect", path);
            try {
                Errno.check(Native.setNonBlocking(client, true), "fcntl", "client");
                FakeLauncher.writeAll(l.out[1], "early\n"); // before the daemon has the container
                int flags = LOG | Protocol.HELLO_ATTACH | Protocol.HELLO_STDIN | Protocol.HELLO_STDIN_ONCE;
                l.hello2(flags, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, Protocol.ATTACH_CONMON,
                        "ctr.log", "a1");
                ready(l);
                assertArrayEquals("\u0002early\n".getBytes(StandardCharsets.UTF_8), record(client, 2000));
                FakeLauncher.writeAll(client, "in");
                Errno.check(Native.shutdown(client, Native.SHUT_WR), "shutdown", "client");
                assertEquals(Protocol.MSG_CLOSE_STDIN, l.receive(2000)[0], "stdin-once: the first session ended");
                assertEquals(2, l.lastVersion);
                FakeLauncher.writeAll(l.err[1], "late\n");
                assertArrayEquals("\u0003late\n".getBytes(StandardCharsets.UTF_8), record(client, 2000),
                        "a half-closed client keeps getting output");
                l.exited2(new Exit(0, 0, 1));
                done(l);
            } finally {
                Native.close(client);
            }
        }
    }

    /** One SEQPACKET record. */
    private static byte[] record(int fd, long timeoutMs) throws Exception {
        ByteBuffer b = ByteBuffer.allocateDirect(9000);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (true) {
            int n = Native.read(fd, b, 0, b.capacity());
            if (n >= 0) {
                byte[] r = new byte[n];
                b.get(0, r);
                return r;
            }
            assertEquals(-Native.EAGAIN, n, "read");
            assertTrue(System.nanoTime() < deadline, "no record within " + timeoutMs + " ms");
            Thread.sleep(2);
        }
    }

    @Test
    void everyFdOfAServedContainerIsClosedOnce() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = launcher(d, "f1", true)) {
            String path = dir.resolve("f1.attach").toString();
            l.listener = Errno.check(Native.unixListen(path, Native.SOCK_STREAM, 10), "listen", path);
            int[] dgram = new int[2];
            Errno.check(Native.socketpair(2 /* SOCK_DGRAM */, dgram), "socketpair", "journald");
            l.journald = dgram[0];
            try {
                Map<String, Long> fds = held(all(l));
                int all = LOG | Protocol.HELLO_ATTACH | Protocol.HELLO_STDIN | Protocol.HELLO_LOG_JOURNALD;
                l.hello2(all, Protocol.STATE_RUNNING, Exit.NONE, 0, Protocol.LOG_SHIMMY, Protocol.EXIT_SHIMMY_JSON,
                        Protocol.ATTACH_SHIMMY, "ctr.log", "f1");
                ready(l);
                assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                        logs.resolve("ctr.log"), LinkOption.NOFOLLOW_LINKS)), "shimmy's log mode");
                l.exited2(new Exit(0, 0, 1));
                done(l);
                waitFor(() -> d.onLoop(() -> d.daemon.containerCount()) == 0, "released");
                waitFor(() -> held(all(l)).equals(fds), "the daemon closed every fd it received");
            } finally {
                Native.close(dgram[1]);
            }
        }
    }

    @Test
    void aMalformedV2HelloClosesItsFds() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = launcher(d, "x1", false)) {
            Map<String, Long> fds = held(all(l));
            l.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "../escape.log", "x1");
            assertEquals(0, l.receive(2000)[0], "the daemon closes the connection");
            waitFor(() -> held(all(l)).equals(fds), "every fd of the refused HELLO closed");
            assertFalse(Files.exists(dir.resolve("escape.log")));
        }
    }

    @Test
    void aV2PacketOnAV1ConnectionIsAProtocolError() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "v1", false)) {
            l.connect(d.socket);
            l.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
            assertEquals(1, l.lastVersion, "a v1 HELLO gets v1 replies");
            l.exited2(new Exit(0, 0, 1));
            assertEquals(0, l.receive(2000)[0], "the daemon closes the connection");
        }
    }

    @Test
    void twoV2LaunchersWithOneContainerIdAreServedSideBySide() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher a = launcher(d, "same", false);
                FakeLauncher b = launcher(d, "same", false)) {
            a.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "a.log", "a");
            ready(a);
            b.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "b.log", "b");
            ready(b);
            assertEquals(2, (int) d.onLoop(() -> d.daemon.containerCount()));
            FakeLauncher.writeAll(a.out[1], "to a\n");
            FakeLauncher.writeAll(b.out[1], "to b\n");
            waitFor(() -> caughtUp(a) && records(logs.resolve("a.log")).equals(List.of("stdout F to a")), "a");
            waitFor(() -> caughtUp(b) && records(logs.resolve("b.log")).equals(List.of("stdout F to b")), "b");
            a.exited2(new Exit(1 << 8, 0, 1));
            done(a);
            b.exited2(new Exit(2 << 8, 0, 1));
            done(b);
            assertEquals("1", Files.readString(exits.resolve("a")));
            assertEquals("2", Files.readString(exits.resolve("b")));
        }
    }

    @Test
    void journaldGetsAnEntryPerLineAndThePartialOneBeforeTheExitFile() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = launcher(d, "j1", false)) {
            int[] dgram = new int[2];
            Errno.check(Native.socketpair(2 /* SOCK_DGRAM */, dgram), "socketpair", "journald");
            l.journald = dgram[0];
            try {
                Errno.check(Native.setNonBlocking(dgram[1], true), "fcntl", "journal end");
                l.hello2(Protocol.HELLO_LOG_JOURNALD, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "",
                        "j1");
                ready(l);
                FakeLauncher.writeAll(l.out[1], "line\nfrag");
                String first = new String(record(dgram[1], 2000), StandardCharsets.ISO_8859_1);
                assertTrue(first.contains("CONTAINER_ID_FULL=j1\n") && first.contains("line\n")
                        && first.contains("PRIORITY=6\n") && !first.contains("frag"), first);
                l.exited2(new Exit(0, 0, 1));
                done(l);
                String last = new String(record(dgram[1], 2000), StandardCharsets.ISO_8859_1);
                assertTrue(last.contains("frag") && last.contains("CONTAINER_PARTIAL_MESSAGE=true\n"), last);
                assertEquals(List.of(), names(logs), "journald only: no log file");
            } finally {
                Native.close(dgram[1]);
            }
        }
    }
}
