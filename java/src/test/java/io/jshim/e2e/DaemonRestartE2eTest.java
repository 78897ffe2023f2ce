package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DESIGN.md "Restart without loss": jshimd SIGKILLed while a container writes; and a cold
 * create whose pid is reported while the daemon still starts ("Launcher states").
 */
@Tag("e2e")
@Timeout(90)
class DaemonRestartE2eTest extends E2eBase {
    @Test
    void daemonKilledMidOutputLosesAndDuplicatesNothing() throws Exception {
        Container c = fx.container("sh", "-c",
                "i=1; while [ $i -le 3000 ]; do echo line$i; [ $((i % 100)) = 0 ] && sleep 0.05; i=$((i+1)); done");
        Shim.Result r = createOk(fx.shim(c));
        // a cold create reports the pid while the daemon still starts (issue 12)
        List<Integer> daemons = List.of(RestartSupport.awaitDaemon(fx, List.of(), 10_000));
        fx.runc.start(c.id);
        Wait.sleep(400);
        for (int pid : daemons) {
            assertEquals(0, Native.kill(pid, Native.SIGKILL), "kill -9 jshimd " + pid);
        }
        ExitFile e = c.awaitExitFile(30_000);
        assertEquals(0, e.exitCode, e.raw);
        assertShimGone(r);
        assertTrue(fx.daemons().stream().noneMatch(daemons::contains), "the old daemon is gone");
        List<String> texts = LogRecord.texts(c.logRecords(), "stdout");
        // Lines may be split across records; join them back and compare the whole stream.
        StringBuilder want = new StringBuilder();
        for (int i = 1; i <= 3000; i++) {
            want.append("line").append(i);
        }
        assertEquals(want.toString(), String.join("", texts), "every byte exactly once, in order");
    }

    /**
     * Issue 12, cold start: with no daemon running, the pid is reported while the daemon is
     * still starting (here a JSHIMD wrapper held until the test lets it exec jshimd, so without
     * the early report the create would wait for its deadline, 8 s, and fail). The container
     * runs and exits before any daemon is up; its output and exit status still arrive exactly
     * once, written by the daemon when it comes (not the launcher's fallback).
     */
    @Test
    void coldCreateReportsThePidWhileTheDaemonStartsAndLosesNothing() throws Exception {
        RestartSupport.killDaemons(fx);
        assertTrue(Wait.until(5_000, () -> fx.daemons().isEmpty()), () -> "daemons left: " + fx.daemons());
        Path hold = fx.tmp.resolve("hold-cold");
        Files.createFile(hold);
        Path slow = fx.tmp.resolve("jshimd-slow");
        Files.writeString(slow, "#!/bin/sh\nwhile [ -e '" + hold + "' ]; do sleep 0.05; done\n"
                + "exec '" + TestPaths.jshimd() + "' \"$@\"\n");
        Files.setPosixFilePermissions(slow, PosixFilePermissions.fromString("rwx------"));
        Container c = fx.container("sh", "-c", "echo early-out; echo early-err >&2; exit 3");
        Shim shim = fx.shim(c);
        shim.logLevel = "DEBUG";
        long t0 = System.nanoTime();
        Shim.Result r = RestartSupport.run(shim, Map.of("JSHIMD", slow.toString()));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, r.mainExit, r::toString);
        assertTrue(r.report().isSuccess(), r::toString);
        assertEquals(c.containerPid(), r.report().pid, "report pid");
        assertTrue(fx.daemons().isEmpty(), "the pid came before any daemon holds the lock: " + fx.daemons());
        assertTrue(ms < 5_000, "create took " + ms + " ms");
        int launcher = r.shimPid();
        fx.runc.start(c.id);
        assertTrue(Procs.waitGone(c.containerPid(), 5_000), "the container exits");
        assertTrue(fx.daemons().isEmpty(), "the container exited before a daemon was up: " + fx.daemons());
        assertFalse(Files.exists(c.exitFile), "no exit file before a daemon (fallback is 10 s)");
        Wait.sleep(200); // held for at least 0.3 s in all
        Files.delete(hold); // the daemon may start now
        ExitFile e = c.awaitExitFile(20_000);
        assertEquals(3, e.exitCode, e.raw);
        Object inode = Files.getAttribute(c.exitFile, "unix:ino");
        assertShimGone(r);
        Wait.sleep(500);
        assertEquals(inode, Files.getAttribute(c.exitFile, "unix:ino"), "the exit file is written once");
        assertEquals(e.raw, Files.readString(c.exitFile), "the exit file is written once");
        assertEquals(List.of("early-out"), LogRecord.texts(c.logRecords(), "stdout"));
        assertEquals(List.of("early-err"), LogRecord.texts(c.logRecords(), "stderr"));
        String log = String.join("\n", RestartSupport.launcherLines(fx, launcher));
        assertTrue(log.contains("before the daemon is READY (daemon starting)"), log);
        assertTrue(log.contains("after the early report"), "the daemon served it later:\n" + log);
        // while the daemon it started is starting, the launcher retries every 20 ms (the
        // backoff alone goes 10, 20, 40, ... 250 ms, and READY came up to 250 ms late)
        long fast = log.lines().filter(l -> l.contains("next attempt in 20 ms")).count();
        assertTrue(fast >= 5, "retries every 20 ms while the daemon starts: " + fast + "\n" + log);
        assertTrue(log.contains("DONE: the daemon wrote the exit file"), log);
        assertFalse(log.contains("fallback:"), "the daemon wrote the exit file, not the fallback:\n" + log);
    }
}
