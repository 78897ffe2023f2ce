package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.protocol.Protocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, the daemon's side of the boundary: the socket directory check, the HELLO deadline,
 * the connection cap, bounded buffers, the exit file claim, and a HELLO that makes the daemon
 * fail (out of memory) answered with FAILED instead of a dead daemon.
 */
@Tag("unit")
class DaemonBoundaryTest {
    @TempDir
    Path dir;

    @Test
    void socketDirPolicy() {
        assertNull(SocketDir.problem(0, 0700, 0, true));
        assertNull(SocketDir.problem(0, 0755, 0, false));
        assertNull(SocketDir.problem(1000, 0700, 1000, false));
        assertNotNull(SocketDir.problem(1000, 0700, 0, false), "another user's");
        assertNotNull(SocketDir.problem(0, 0775, 0, false));
        assertNotNull(SocketDir.problem(0, 01777, 0, false), "/tmp");
        assertNotNull(SocketDir.problem(0, 0755, 0, true), "the default directory: 0700 only");
    }

    @Test
    void socketDirIsCreated0700AndAnUnsafeOneRefused() throws Exception {
        Path d = dir.resolve("run/jshim");
        SocketDir.ensure(d.resolve("jshimd.sock"), 0);
        Map<String, Object> a = Files.readAttributes(d, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        assertEquals(0700, ((Integer) a.get("mode")) & 07777);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
        IOException e = assertThrows(IOException.class, () -> SocketDir.ensure(d.resolve("jshimd.sock"), 0));
        assertTrue(e.getMessage().contains(d.toString()) && e.getMessage().contains("owner uid 0")
                && e.getMessage().contains("mode 0777"), e.getMessage());
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        SocketDir.ensure(d.resolve("jshimd.sock"), 0);
        Path link = Files.createSymbolicLink(dir.resolve("link"), d);
        e = assertThrows(IOException.class, () -> SocketDir.ensure(link.resolve("jshimd.sock"), 0));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        Files.setAttribute(d, "unix:uid", 65534);
        e = assertThrows(IOException.class, () -> SocketDir.ensure(d.resolve("jshimd.sock"), 0));
        assertTrue(e.getMessage().contains("owner uid 65534"), e.getMessage());
    }

    @Test
    void aConnectionWithoutHelloIsClosed() throws Exception {
        long saved = LauncherConnection.helloTimeoutMs;
        LauncherConnection.helloTimeoutMs = 200;
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher silent = new FakeLauncher(dir, "silent", false)) {
            silent.connect(d.socket);
            long t0 = System.nanoTime();
            assertEquals(0, silent.receive(3000)[0], "EOF: the daemon closed it");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 150 && ms < 2500, "closed after " + ms + " ms");
            assertEquals(0, (int) d.onLoop(() -> d.daemon.connectionCount()));
        } finally {
            LauncherConnection.helloTimeoutMs = saved;
        }
    }

    @Test
    void connectionsBeyondTheCapAreClosedAtOnce() throws Exception {
        List<FakeLauncher> ls = new ArrayList<>();
        try (DaemonHarness d = new DaemonHarness(dir)) {
            d.onLoop(() -> {
                d.daemon.maxConnections(2);
                return null;
            });
            for (int i = 0; i < 3; i++) {
                FakeLauncher l = new FakeLauncher(dir, "c" + i, false);
                ls.add(l);
                l.connect(d.socket);
                Poll.until(2000, () -> d.onLoop(() -> d.daemon.connectionCount()) >= Math.min(ls.size(), 2),
                        "accepted");
            }
            assertEquals(0, ls.get(2).receive(2000)[0], "the third is closed at once");
            ls.get(0).hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, ls.get(0).receive(2000)[0], "the first two are served");
            assertEquals(2, (int) d.onLoop(() -> d.daemon.connectionCount()));
        } finally {
            for (FakeLauncher l : ls) {
                l.close();
            }
        }
    }

    @Test
    void aHelloThatRunsOutOfMemoryIsAnsweredFailedAndTheDaemonLives() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "oom", false);
                FakeLauncher ok = new FakeLauncher(dir, "ok", false)) {
            // the test hook throws what a direct allocation throws when the daemon's cap is reached
            LauncherConnection.helloHook = () -> {
                throw new OutOfMemoryError("Cannot reserve 4194304 bytes of direct buffer memory (test)");
            };
            try {
                l.connect(d.socket);
                l.hello(0, Protocol.STATE_RUNNING, 0);
                int[] m = l.receive(3000);
                assertEquals(Protocol.MSG_FAILED, m[0], "FAILED, not a dead daemon");
                assertEquals(12, m[1], "ENOMEM");
                assertEquals(0, l.receive(3000)[0], "then EOF");
            } finally {
                LauncherConnection.helloHook = null;
            }
            assertEquals(0, (int) d.onLoop(() -> d.daemon.containerCount()));
            ok.connect(d.socket);
            ok.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, ok.receive(3000)[0], "the daemon still serves");
        }
    }

    /**
     * What -XX:MaxDirectMemorySize in the start script is sized from: direct memory per served
     * container (v1, stdin, attach socket) and per slow attach client (its backlog's cap).
     */
    @Test
    void directMemoryPerContainer() throws Exception {
        java.lang.management.BufferPoolMXBean direct = java.lang.management.ManagementFactory
                .getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        int n = 40;
        List<FakeLauncher> ls = new ArrayList<>();
        try (DaemonHarness d = new DaemonHarness(dir)) {
            // warm-up: the I/O pool's threads and their scratch buffers exist before we measure
            for (int i = 0; i < 10; i++) {
                FakeLauncher w = new FakeLauncher(dir, "warm" + i, true);
                ls.add(w);
                w.connect(d.socket);
                w.hello(w.flags(false), Protocol.STATE_RUNNING, 0);
                assertEquals(Protocol.MSG_READY, w.receive(3000)[0]);
            }
            System.gc();
            Thread.sleep(300); // the warm-up's garbage (receive buffers) is freed before we start
            long before = direct.getMemoryUsed();
            for (int i = 0; i < n; i++) {
                FakeLauncher l = new FakeLauncher(dir, "m" + i, true);
                ls.add(l);
                l.connect(d.socket);
                l.hello(l.flags(false), Protocol.STATE_RUNNING, 0);
            }
            // no receive() here: it allocates on the test's side; wait on the loop instead
            Poll.until(10_000, () -> d.onLoop(() -> {
                for (int i = 0; i < n; i++) {
                    Container c = d.daemon.container("m" + i);
                    if (c == null || c.state() != Container.State.SERVING) {
                        return false;
                    }
                }
                return true;
            }), "all served");
            long per = (direct.getMemoryUsed() - before) / n;
            System.out.println("DaemonBoundaryTest: direct memory per container " + per + " bytes; per slow attach"
                    + " client at most " + AttachClient.MAX_BACKLOG_CAPACITY + "; total now " + direct.getMemoryUsed());
            // no eager stdin queue (StdinWriter): a container that gets no input holds no buffer
            assertTrue(per < 8 * 1024, "direct memory per container: " + per);
        } finally {
            for (FakeLauncher l : ls) {
                l.close();
            }
        }
    }

    @Test
    void byteSinkNeverGrowsPastItsCap() {
        ByteSink s = new ByteSink(4096, 10_000);
        byte[] b = new byte[3000];
        s.put(b, 0, b.length);
        s.put(b, 0, b.length);
        s.put(b, 0, b.length);
        assertEquals(9000, s.size());
        assertTrue(s.capacity() <= 10_000, "capacity " + s.capacity());
        assertThrows(IllegalStateException.class, () -> s.put(b, 0, b.length));
        ByteSink attach = new ByteSink(100, AttachClient.MAX_BACKLOG_CAPACITY);
        byte[] frame = new byte[Scratch.CHUNK + 1];
        while (attach.size() + frame.length <= AttachClient.MAX_BACKLOG) {
            attach.put(frame, 0, frame.length);
        }
        attach.put(frame, 0, frame.length); // the one that fails AttachClient's check still fits
        assertTrue(attach.capacity() <= AttachClient.MAX_BACKLOG_CAPACITY,
                "a 4 MiB backlog costs " + attach.capacity() + " bytes, not 8 MiB");
    }

    @Test
    void exitClaim() throws Exception {
        try (FakeLauncher l = new FakeLauncher(dir, "claim", false)) {
            Journal j = Journal.map(l.journal);
            try {
                assertTrue(j.claimExit(), "nobody claimed it: the daemon's");
                assertTrue(j.hasFlag(Protocol.JOURNAL_EXIT_CLAIMED));
                assertTrue(j.claimExit(), "claimed by a daemon (this or an earlier one): still the daemon's");
                l.journalBuf.putInt(Protocol.JOURNAL_OFF_FLAGS, Protocol.JOURNAL_EXIT_TAKEN);
                assertFalse(j.claimExit(), "the launcher took it");
                assertFalse(j.hasFlag(Protocol.JOURNAL_EXIT_CLAIMED));
            } finally {
                j.unmap();
            }
        }
    }

    /** The daemon claims the exit file in the journal when it writes it; never after the launcher took it. */
    @Test
    void daemonClaimsTheExitFileAndRespectsTheLaunchersClaim() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher a = new FakeLauncher(dir, "ca", false);
                FakeLauncher b = new FakeLauncher(dir, "cb", false)) {
            a.connect(d.socket);
            a.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, a.receive(3000)[0]);
            a.exited(0);
            assertEquals(Protocol.MSG_DONE, a.receive(10_000)[0]);
            int exitBits = Protocol.JOURNAL_EXIT_CLAIMED | Protocol.JOURNAL_EXIT_WRITTEN | Protocol.JOURNAL_EXIT_TAKEN;
            assertEquals(Protocol.JOURNAL_EXIT_CLAIMED | Protocol.JOURNAL_EXIT_WRITTEN,
                    a.journalInt(Protocol.JOURNAL_OFF_FLAGS) & exitBits);
            assertTrue(Files.exists(a.exit));

            b.connect(d.socket);
            b.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, b.receive(3000)[0]);
            // the launcher's fallback took it
            b.journalBuf.putInt(Protocol.JOURNAL_OFF_FLAGS,
                    b.journalInt(Protocol.JOURNAL_OFF_FLAGS) | Protocol.JOURNAL_EXIT_TAKEN);
            b.exited(0);
            assertEquals(Protocol.MSG_DONE, b.receive(10_000)[0]);
            assertFalse(Files.exists(b.exit), "the launcher took it: the daemon wrote nothing");
            assertEquals(0, b.journalInt(Protocol.JOURNAL_OFF_FLAGS)
                    & (Protocol.JOURNAL_EXIT_CLAIMED | Protocol.JOURNAL_EXIT_WRITTEN));
        }
    }

    @Test
    void exitFileClaimLostLeavesNoFileAndNoTemp() throws Exception {
        Path exits = Files.createDirectories(dir.resolve("exits"));
        int dfd = Errno.check(Native.open(exits.toString(), Native.O_DIRECTORY | Native.O_PATH, 0), "open", exits);
        try {
            assertFalse(ExitFile.writeAt(dfd, "c1".getBytes(), "exit file c1", "0", () -> false));
            assertFalse(ExitFile.write(exits.resolve("c2").toString(), "0", () -> false));
            try (var s = Files.list(exits)) {
                assertEquals(List.of(), s.toList(), "nothing at the names, no temp left");
            }
            assertTrue(ExitFile.writeAt(dfd, "c1".getBytes(), "exit file c1", "7", () -> true));
            assertEquals("7", Files.readString(exits.resolve("c1")));
        } finally {
            Native.close(dfd);
        }
    }
}
