package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Many launchers and a daemon that keeps dying: 50 creates racing to start the daemon, kills
 * during creates, 10 SIGKILL/restart cycles under 20 writing containers, and afterwards the
 * basic conman contract on the daemon that is left.
 */
@Tag("e2e")
@Timeout(240)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DaemonChaosE2eTest extends E2eBase {
    /** Runs every task on its own thread and returns the results in order. */
    private static <T> List<T> parallel(List<java.util.concurrent.Callable<T>> tasks) throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(tasks.size());
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (java.util.concurrent.Callable<T> t : tasks) {
                fs.add(ex.submit(t));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) {
                out.add(f.get(120, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    @Order(1)
    void fiftyLaunchersRacingStartExactlyOneDaemon() throws Exception {
        assertTrue(RestartSupport.daemonJvms(fx).isEmpty(), "no daemon before the race");
        List<Shim> shims = new ArrayList<>();
        List<java.util.concurrent.Callable<Shim.Result>> tasks = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Shim s = fx.shim(fx.container("sleep", "600"));
            s.logLevel = "INFO";
            s.timeoutMs = 90_000;
            shims.add(s);
            tasks.add(s::run);
        }
        long t0 = System.nanoTime();
        List<Shim.Result> results = parallel(tasks);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        for (int i = 0; i < 50; i++) {
            Shim.Result r = results.get(i);
            Container c = shims.get(i).c;
            assertEquals(0, r.mainExit, r::toString);
            assertTrue(r.report().isSuccess(), () -> "create " + c.id + ": " + r);
            assertTrue(Procs.alive((int) r.report().pid), "container of " + c.id + " alive");
        }
        // the pids may be reported while the daemon still starts (issue 12): wait for it first
        RestartSupport.awaitDaemon(fx, List.of(), 20_000);
        Wait.sleep(500); // a daemon started by a slow loser would show up meanwhile
        List<Integer> jvms = RestartSupport.daemonJvms(fx);
        long starts = starts();
        System.out.printf("50 parallel creates: %d ms, %d daemon start(s), JVMs %s%n", ms, starts, jvms);
        assertEquals(1, jvms.size(), "jshimd JVMs for " + fx.socket + ": " + jvms);
        assertEquals(jvms, fx.daemons(), "the JVM holds the daemon lock");
        assertEquals(1, starts, "one launcher started the daemon");
        for (Shim s : shims) {
            fx.runc.kill(s.c.id, "KILL");
        }
        for (int i = 0; i < 50; i++) {
            assertEquals(9, shims.get(i).c.awaitExitFile(20_000).signal);
            assertShimGone(results.get(i));
        }
    }

    @Test
    @Order(2)
    void killsDuringCreatesLoseNothing() throws Exception {
        int ok = 0;
        int failed = 0;
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < 12; i++) {
                Container c = fx.container("sh", "-c", "echo hello" + i + "; sleep 0.3; echo bye; exit 5");
                Shim shim = fx.shim(c);
                Future<Shim.Result> f = ex.submit(shim::run);
                Wait.sleep(ThreadLocalRandom.current().nextInt(0, 300));
                for (int pid : RestartSupport.daemonJvms(fx)) {
                    Native.kill(pid, Native.SIGKILL);
                }
                Shim.Result r = f.get(60, TimeUnit.SECONDS);
                assertEquals(0, r.mainExit, r::toString);
                if (r.report().isSuccess()) {
                    ok++;
                    assertTrue(Procs.alive((int) r.report().pid), "container alive after a successful create");
                    fx.runc.start(c.id);
                    ExitFile e = c.awaitExitFile(30_000);
                    assertEquals(5, e.exitCode, e.raw);
                    assertShimGone(r);
                    assertEquals(List.of("hello" + i, "bye"), LogRecord.texts(c.logRecords(), "stdout"));
                } else {
                    failed++;
                    assertShimGone(r);
                    String state = fx.runc.state(c.id);
                    assertTrue(state == null || state.equals("stopped"), "runc state after a failed create: " + state);
                    if (Files.exists(c.bundle.containerPidfile())) {
                        int pid = c.containerPid();
                        assertTrue(Procs.waitGone(pid, 2_000), "container " + pid + " left running");
                    }
                }
            }
        } finally {
            ex.shutdownNow();
        }
        System.out.printf("creates with a daemon kill: %d succeeded, %d failed cleanly%n", ok, failed);
        assertTrue(ok > 0, "at least one create survived a kill");
    }


    @Test
    @Order(3)
    void tenKillCyclesUnderTwentyWritersThenTheContractStillHolds() throws Exception {
        List<Container> cs = new ArrayList<>();
        List<Shim.Result> rs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            // writes until told to stop (SIGUSR1), so the kills always land while it writes,
            // however slowly this machine runs the cycles; then says how many lines it wrote
            Container c = fx.container("sh", "-c", "stop=0; trap 'stop=1' USR1; i=1; while [ $stop = 0 ];"
                    + " do echo w" + i + "-$i; [ $((i % 60)) = 0 ] && sleep 0.5; i=$((i+1)); done;"
                    + " echo end-$((i-1))");
            Shim s = fx.shim(c);
            s.logLevel = "INFO";
            rs.add(createOk(s));
            cs.add(c);
        }
        for (Container c : cs) {
            fx.runc.start(c.id);
        }
        int daemon = RestartSupport.awaitDaemon(fx, List.of(), 10_000);
        long startsBefore = starts();
        try {
            for (int cycle = 0; cycle < 10; cycle++) {
                Wait.sleep(300);
                assertFalse(cs.stream().anyMatch(c -> Files.exists(c.exitFile)), "a writer ended before cycle " + cycle);
                assertEquals(0, Native.kill(daemon, Native.SIGKILL), "kill -9 jshimd " + daemon);
                assertTrue(Procs.waitGone(daemon, 5_000));
                daemon = RestartSupport.awaitDaemon(fx, List.of(daemon), 20_000);
            }
        } finally {
            for (Container c : cs) { // stop the writers whatever happened, so no later test inherits them
                try {
                    fx.runc.kill(c.id, "USR1");
                } catch (IOException e) {
                    System.out.println("stopping writer " + c.id + ": " + e.getMessage());
                }
            }
        }
        assertEquals(10, starts() - startsBefore, () -> "20 launchers noticed each kill; one of them started the next"
                + " daemon; the launchers' log says:\n" + startLines());
        for (int i = 0; i < 20; i++) {
            Container c = cs.get(i);
            ExitFile e = c.awaitExitFile(60_000);
            assertEquals(0, e.exitCode, e.raw);
            assertShimGone(rs.get(i));
            // records may split a line at a chunk boundary: work on the joined texts
            String got = String.join("", LogRecord.texts(c.logRecords(), "stdout"));
            int end = got.lastIndexOf("end-");
            assertTrue(end >= 0 && got.substring(end).matches("end-[0-9]+"),
                    "container " + i + " ends with its line count");
            int lines = Integer.parseInt(got.substring(end + 4));
            StringBuilder want = new StringBuilder();
            for (int k = 1; k <= lines; k++) {
                want.append('w').append(i).append('-').append(k);
            }
            want.append("end-").append(lines);
            assertTrue(want.toString().equals(got), "container " + i + ": every byte once, in order ("
                    + got.length() + " of " + want.length() + " bytes)");
        }
        assertEquals(List.of(daemon), fx.daemons(), "one daemon after the cycles");
        contractStillHolds();
        assertEquals(List.of(daemon), fx.daemons(), "the same daemon served the contract checks");
        assertEquals(List.of(daemon), RestartSupport.daemonJvms(fx), "and no other JVM");
    }

    /** "started the daemon" lines in the launcher log of this fixture. */
    private static String startLines() {
        try {
            return String.join("\n", RestartSupport.launcherLog(fx).lines()
                    .filter(l -> l.contains("daemon")).toList());
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static long starts() throws IOException {
        return RestartSupport.launcherLog(fx).lines().filter(l -> l.contains("started the daemon")).count();
    }

    /** Out of fds: accept() fails with EMFILE; the daemon backs off instead of spinning. */
    @Test
    @Order(4)
    void acceptOutOfFdsDoesNotSpin() throws Exception {
        RestartSupport.killDaemons(fx);
        java.nio.file.Path limited = fx.tmp.resolve("jshimd-64fds");
        Files.writeString(limited, "#!/bin/sh\nulimit -n 64 || exit 1\nexec '" + TestPaths.jshimd() + "' \"$@\"\n");
        Files.setPosixFilePermissions(limited, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Container c = fx.container("sleep", "600");
        Shim.Result r = RestartSupport.run(fx.shim(c), java.util.Map.of("JSHIMD", limited.toString()));
        assertTrue(r.report().isSuccess(), r::toString);
        int daemon = RestartSupport.awaitDaemon(fx, List.of(), 10_000);
        RestartSupport.awaitServing(fx, c.id, 10_000); // the flood must not race the launcher's HELLO
        List<Integer> raw = new ArrayList<>();
        try {
            for (int i = 0; i < 80; i++) {
                int fd = Native.unixConnect(fx.socket.toString(), Native.SOCK_SEQPACKET);
                assertTrue(fd >= 0, "connect " + i + ": " + fd);
                raw.add(fd);
            }
            Wait.sleep(500);
            long before = RestartSupport.cpuTicks(daemon);
            Wait.sleep(1_000);
            long used = RestartSupport.cpuTicks(daemon) - before;
            String log = Files.readString(fx.tmp.resolve("jshimd.log"));
            long pauses = log.lines().filter(l -> l.contains("pausing accept")).count();
            assertTrue(used <= 30, "jshimd used " + used + " ticks (10 ms) in 1 s while out of fds");
            assertEquals(1, pauses, "accept failure logged once:\n" + log);
        } finally {
            for (int fd : raw) {
                Native.close(fd);
            }
        }
        // The daemon recovers: the next launcher is served by the same daemon.
        Container d = fx.container("sh", "-c", "echo recovered");
        ExitFile e = runToExit(fx.shim(d));
        assertEquals(0, e.exitCode, e.raw);
        assertEquals(List.of("recovered"), LogRecord.texts(d.logRecords(), "stdout"));
        assertEquals(List.of(daemon), fx.daemons(), "the same daemon");
        fx.runc.kill(c.id, "KILL");
        assertEquals(9, c.awaitExitFile(10_000).signal);
        assertShimGone(r);
        RestartSupport.killDaemons(fx);
    }

    /** The core of the conman contract (log, exit code, attach, signal) on the surviving daemon. */
    private static void contractStillHolds() throws IOException {
        Container log = fx.container("sh", "-c", "echo 'stdout line'; >&2 echo 'stderr line'; echo o2; exit 42");
        ExitFile e = runToExit(fx.shim(log));
        assertEquals(42, e.exitCode, e.raw);
        List<LogRecord> recs = log.logRecords();
        assertEquals(List.of("stdout line", "o2"), LogRecord.texts(recs, "stdout"), recs::toString);
        assertEquals(List.of("stderr line"), LogRecord.texts(recs, "stderr"), recs::toString);

        Container att = fx.container("sh", "-c",
                "trap 'exit 7' TERM; sleep 1; echo attached; while :; do sleep 0.1; done");
        Shim.Result r = createOk(fx.shim(att));
        try (AttachClient a = new AttachClient(att.attachFile)) {
            fx.runc.start(att.id);
            a.readUntilStdoutContains("attached\n");
            fx.runc.kill(att.id, "TERM");
            a.readToEof();
        }
        ExitFile t = att.awaitExitFile(10_000);
        assertEquals(7, t.exitCode, t.raw);
        assertShimGone(r);
    }
}
