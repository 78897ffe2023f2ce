package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * jshimd killed (or stopped) at the worst moments: during a 256 MiB log stream, during an
 * attach session, between a container's exit and its exit file, with no daemon able to
 * start at all (launcher fallback, no spinning), and SIGTERM as a graceful hand-over.
 */
@Tag("e2e")
@Timeout(180)
class DaemonKillE2eTest extends E2eBase {
    private static final long MIB = 1 << 20;

    /** Makes sure a daemon serves the fixture (a launcher starts one when none answers). */
    private static int ensureDaemon() throws IOException {
        if (fx.daemons().size() != 1) {
            Container c = fx.container("true");
            assertEquals(0, runToExit(fx.shim(c)).exitCode);
        }
        return RestartSupport.awaitDaemon(fx, List.of(), 10_000);
    }

    @Test
    void bigLogStreamKilledThreeTimesIsExactlyOnce() throws Exception {
        Path dir = fx.tmp.resolve("payload");
        Files.createDirectories(dir);
        RestartSupport.Payload out = new RestartSupport.Payload('o', 256 * MIB / 80 + 1);
        RestartSupport.Payload err = new RestartSupport.Payload('e', 16 * MIB / 80 + 1);
        out.write(dir.resolve("out"));
        err.write(dir.resolve("err"));
        Container c = fx.container("sh", "-c", "cat /payload/err >&2 & cat /payload/out; wait");
        RestartSupport.bindPayloadDir(c, dir);
        Shim.Result r = createOk(fx.shim(c));
        int daemon = RestartSupport.awaitDaemon(fx, List.of(), 10_000);
        long t0 = System.nanoTime();
        fx.runc.start(c.id);
        for (int kill = 1; kill <= 3; kill++) {
            long at = kill * 60 * MIB;
            assertTrue(Wait.until(60_000, () -> size(c.logFile) >= at || Files.exists(c.exitFile)),
                    "log reached " + at + " bytes");
            assertFalse(Files.exists(c.exitFile), "the stream ended before kill " + kill);
            assertEquals(0, Native.kill(daemon, Native.SIGKILL), "kill -9 jshimd " + daemon);
            assertTrue(Procs.waitGone(daemon, 5_000), "jshimd gone after SIGKILL");
            daemon = RestartSupport.awaitDaemon(fx, List.of(daemon), 20_000);
        }
        ExitFile e = c.awaitExitFile(120_000);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, e.exitCode, e.raw);
        assertShimGone(r);
        long records = RestartSupport.verifyLog(c.logFile, out, err);
        System.out.printf("272 MiB with 3 daemon kills: %d ms, %d records%n", ms, records);
        Files.delete(c.logFile);
    }

    @Test
    void attachClientsGetEofAndCanReconnect() throws Exception {
        Container c = fx.container("sh", "-c",
                "i=0; while [ $i -lt 200 ]; do echo tick$i; i=$((i+1)); sleep 0.1; done");
        Shim.Result r = createOk(fx.shim(c));
        int daemon = RestartSupport.awaitDaemon(fx, List.of(), 10_000);
        fx.runc.start(c.id);
        int seen;
        try (AttachClient a = new AttachClient(c.attachFile)) {
            a.readUntilStdoutContains("tick3\n");
            assertEquals(0, Native.kill(daemon, Native.SIGKILL));
            a.readToEof();
            seen = lastTick(a.stdout());
        }
        RestartSupport.awaitDaemon(fx, List.of(daemon), 20_000);
        AttachClient[] b = {null};
        assertTrue(Wait.until(10_000, () -> {
            try {
                b[0] = new AttachClient(c.attachFile);
                return true;
            } catch (IOException ex) {
                return false;
            }
        }), "the attach socket answers again after the restart");
        try (AttachClient again = b[0]) {
            // Output made while nobody was attached is in the log only; the new session gets
            // what the container writes from now on.
            again.readUntilStdoutContains("\n");
            assertTrue(lastTick(again.stdout()) > seen, "new output after reconnecting: " + again.stdout());
            assertTrue(again.stdout().startsWith("tick"), "whole lines: " + again.stdout());
        }
        fx.runc.kill(c.id, "KILL");
        ExitFile e = c.awaitExitFile(10_000);
        assertEquals(9, e.signal, e.raw);
        assertShimGone(r);
        List<String> texts = LogRecord.texts(c.logRecords(), "stdout");
        for (int i = 0; i < texts.size(); i++) {
            assertEquals("tick" + i, texts.get(i), "log record " + i + " (exactly once, in order)");
        }
        assertTrue(texts.size() > seen + 1, "the log goes on after the restart");
    }

    private static int lastTick(String s) {
        int i = s.lastIndexOf("tick");
        assertTrue(i >= 0, "no tick in " + s);
        return Integer.parseInt(s.substring(i + 4, s.indexOf('\n', i)));
    }

    @Test
    void exitWhileDaemonDownIsWrittenWithinOneSecondOfItsReturn() throws Exception {
        ensureDaemon();
        Path hold = fx.tmp.resolve("hold-daemon");
        Container c = fx.container("sh", "-c", "echo before; sleep 1; echo after; exit 7");
        Shim shim = fx.shim(c);
        Shim.Result r = RestartSupport.run(shim, Map.of("JSHIMD", RestartSupport.wrapper(fx).toString()));
        createOkChecks(r, c);
        int cpid = c.containerPid();
        Files.createFile(hold);
        try {
            fx.runc.start(c.id);
            List<Integer> old = RestartSupport.killDaemons(fx);
            assertTrue(Procs.waitGone(cpid, 5_000), "the container exits while no daemon runs");
            Wait.sleep(500);
            assertFalse(Files.exists(c.exitFile), "no exit file while no daemon runs (fallback is 10 s)");
            assertTrue(Procs.alive(r.shimPid()), "the launcher keeps the exit status meanwhile");
            Files.delete(hold);
            RestartSupport.awaitDaemon(fx, old, 20_000);
            long t0 = System.nanoTime();
            ExitFile e = c.awaitExitFile(5_000);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms <= 1_000, "exit file " + ms + " ms after the daemon came back");
            assertEquals(7, e.exitCode, e.raw);
            assertShimGone(r);
            assertEquals(List.of("before", "after"), LogRecord.texts(c.logRecords(), "stdout"));
        } finally {
            Files.deleteIfExists(hold);
        }
    }

    /**
     * A daemon that is READY but stuck (SIGSTOPped) when the container exits: the launcher
     * falls back after JSHIM_FALLBACK_SECONDS + JSHIM_DAEMON_TIMEOUT, writes the exit file, and
     * fences the daemon off, so the daemon does not rewrite the file when it wakes up.
     */
    @Test
    void aStuckDaemonIsFencedOffAndTheLauncherWritesTheExitFile() throws Exception {
        final int sigstop = 19;
        final int sigcont = 18;
        int daemon = ensureDaemon();
        Container c = fx.container("sh", "-c", "sleep 0.5; exit 3");
        Shim shim = fx.shim(c);
        Shim.Result r = RestartSupport.run(shim, Map.of("JSHIM_FALLBACK_SECONDS", "1", "JSHIM_DAEMON_TIMEOUT", "2"));
        createOkChecks(r, c);
        int cpid = c.containerPid();
        fx.runc.start(c.id);
        String written;
        assertEquals(0, Native.kill(daemon, sigstop), "SIGSTOP jshimd");
        try {
            assertTrue(Procs.waitGone(cpid, 5_000), "the container exits");
            long t0 = System.nanoTime();
            ExitFile e = c.awaitExitFile(10_000);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms <= 4_000, "exit file " + ms + " ms after the exit (fallback 1 s + timeout 2 s)");
            assertEquals(3, e.exitCode, e.raw);
            assertShimGone(r);
            String log = String.join("\n", RestartSupport.launcherLines(fx, r.shimPid()));
            assertTrue(log.contains("it is stuck") && log.contains("wrote the exit file"), log);
            written = Files.readString(c.exitFile);
        } finally {
            Native.kill(daemon, sigcont);
        }
        Wait.sleep(1_000);
        assertEquals(written, Files.readString(c.exitFile), "the daemon, awake again, did not rewrite it");
        assertEquals(List.of(daemon), fx.daemons(), "the same daemon goes on");
        Container after = fx.container("sh", "-c", "echo still serving");
        assertEquals(0, runToExit(fx.shim(after)).exitCode);
        assertEquals(List.of("still serving"), LogRecord.texts(after.logRecords(), "stdout"));
    }

    /** createOk's checks for a run made with extra environment. */
    private static void createOkChecks(Shim.Result r, Container c) throws IOException {
        assertEquals(0, r.mainExit, r::toString);
        assertTrue(r.report().isSuccess(), r::toString);
        assertEquals(c.containerPid(), r.report().pid, "report pid");
        assertTrue(Procs.alive(r.shimPid()), "launcher alive");
    }

    @Test
    void noDaemonAtAllMeansBoundedRetriesThenTheLauncherWritesTheExitFile() throws Exception {
        ensureDaemon();
        Path refuse = fx.tmp.resolve("no-daemon");
        Container c = fx.container("sh", "-c", "sleep 3; exit 3");
        Shim shim = fx.shim(c);
        shim.logLevel = "DEBUG";
        Shim.Result r = RestartSupport.run(shim, Map.of("JSHIMD", RestartSupport.wrapper(fx).toString(),
                "JSHIM_FALLBACK_SECONDS", "2", "JSHIM_DAEMON_TIMEOUT", "2"));
        createOkChecks(r, c);
        int launcher = r.shimPid();
        Files.createFile(refuse);
        try {
            fx.runc.start(c.id);
            RestartSupport.killDaemons(fx);
            long t0 = System.nanoTime();
            Wait.sleep(200);
            long before = RestartSupport.cpuTicks(launcher);
            Wait.sleep(2_000);
            long used = RestartSupport.cpuTicks(launcher) - before;
            assertTrue(used <= 5, "launcher used " + used + " ticks (10 ms) of CPU in 2 s without a daemon");
            assertFalse(Files.exists(c.exitFile), "no exit file before the container exits");
            ExitFile e = c.awaitExitFile(15_000);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(3, e.exitCode, e.raw);
            assertShimGone(r);
            assertTrue(RestartSupport.daemonJvms(fx).isEmpty(), "no daemon could start");
            List<String> lines = RestartSupport.launcherLines(fx, launcher);
            String log = String.join("\n", lines);
            assertTrue(log.contains("wrote the exit file"), "the launcher says it wrote the exit file:\n" + log);
            long starts = lines.stream().filter(l -> l.contains("started the daemon")).count();
            long attempts = lines.stream().filter(l -> l.contains("next attempt in")).count();
            // at most two starts per 2 s episode (a started daemon that dies before it answers is
            // replaced once), plus the create's; at most 4 attempts a second
            assertTrue(starts <= 2 * (ms / 2_000) + 3, starts + " daemon starts in " + ms + " ms:\n" + log);
            assertTrue(attempts <= ms / 250 + 10 * (starts + 1), attempts + " attempts in " + ms + " ms");
            assertTrue(attempts >= 3, "the launcher kept retrying: " + attempts);
        } finally {
            Files.deleteIfExists(refuse);
        }
    }

    /**
     * A daemon that answers and dies right away, again and again, must not postpone the exit
     * file: the fallback clock starts once after the exit and is never reset.
     */
    @Test
    void crashLoopingDaemonCannotPostponeTheExitFileForever() throws Exception {
        ensureDaemon();
        Path refuse = fx.tmp.resolve("no-daemon");
        Container c = fx.container("sh", "-c", "sleep 1; exit 4");
        Shim shim = fx.shim(c);
        shim.logLevel = "DEBUG";
        Shim.Result r = RestartSupport.run(shim, Map.of("JSHIMD", RestartSupport.wrapper(fx).toString(),
                "JSHIM_FALLBACK_SECONDS", "2", "JSHIM_DAEMON_TIMEOUT", "2"));
        createOkChecks(r, c);
        Files.createFile(refuse);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
        Thread fake = null;
        try {
            fx.runc.start(c.id);
            RestartSupport.killDaemons(fx);
            Native.unlink(fx.socket.toString());
            int lfd = Native.unixListen(fx.socket.toString(), Native.SOCK_SEQPACKET, 16);
            assertTrue(lfd >= 0, "fake daemon listen: " + lfd);
            fake = new Thread(() -> {
                while (!stop.get()) {
                    int fd = Native.accept(lfd);
                    if (fd >= 0) {
                        accepted.incrementAndGet();
                        Wait.sleep(50); // "crashes" just after the launcher connected
                        Native.close(fd);
                    } else {
                        Wait.sleep(5);
                    }
                }
                Native.close(lfd);
            }, "fake-crashing-daemon");
            fake.start();
            long t0 = System.nanoTime();
            ExitFile e = c.awaitExitFile(10_000);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(4, e.exitCode, e.raw);
            assertShimGone(r);
            assertTrue(accepted.get() >= 3, "the launcher kept reconnecting: " + accepted.get());
            String log = String.join("\n", RestartSupport.launcherLines(fx, r.shimPid()));
            assertTrue(log.contains("wrote the exit file"), log);
            System.out.printf("crash-looping daemon: exit file after %d ms, %d connections%n", ms, accepted.get());
        } finally {
            stop.set(true);
            if (fake != null) {
                fake.join(5_000);
            }
            Native.unlink(fx.socket.toString());
            Files.deleteIfExists(refuse);
        }
    }

    @Test
    void sigtermIsAGracefulHandOver() throws Exception {
        Container c = fx.container("sh", "-c",
                "i=1; while [ $i -le 6000 ]; do echo line$i; [ $((i % 200)) = 0 ] && sleep 0.05; i=$((i+1)); done");
        Shim.Result r = createOk(fx.shim(c));
        int daemon = RestartSupport.awaitDaemon(fx, List.of(), 10_000);
        fx.runc.start(c.id);
        Wait.sleep(300);
        assertEquals(0, Native.kill(daemon, Native.SIGTERM), "kill -TERM jshimd");
        assertTrue(Procs.waitGone(daemon, 10_000), "jshimd stops on SIGTERM");
        int next = RestartSupport.awaitDaemon(fx, List.of(daemon), 15_000);
        ExitFile e = c.awaitExitFile(30_000);
        assertEquals(0, e.exitCode, e.raw);
        assertShimGone(r);
        assertEquals(List.of(next), fx.daemons(), "one new daemon");
        StringBuilder want = new StringBuilder();
        for (int i = 1; i <= 6000; i++) {
            want.append("line").append(i);
        }
        String got = String.join("", LogRecord.texts(c.logRecords(), "stdout"));
        assertTrue(want.toString().equals(got), "every byte exactly once, in order (" + got.length() + " of "
                + want.length() + " bytes)");
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }
}
