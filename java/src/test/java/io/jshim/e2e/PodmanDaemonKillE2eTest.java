package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * jshim only: SIGKILL of jshimd while podman containers write. podman logs must stay complete
 * and exactly-once, and the exit codes right. Conmon has no daemon to kill: in validation mode
 * the class is excluded by its tag (ctest) or aborted with a message (never silently).
 */
@Tag("e2e")
@Tag("podman")
@Tag("jshim-only")
@Timeout(240)
class PodmanDaemonKillE2eTest extends PodmanE2eBase {
    private static final int BATCHES = 60;
    private static final int PER_BATCH = 5000;

    @Test
    void killJshimdWhileContainersWrite() throws Exception {
        requireJshim("killJshimdWhileContainersWrite");
        int n = 3;
        String script = "for b in $(seq 0 " + (BATCHES - 1) + "); do seq $((b*" + PER_BATCH + "+1)) $((b*"
                + PER_BATCH + "+" + PER_BATCH + ")); sleep 0.05; done; exit ";
        for (int i = 1; i <= n; i++) {
            w.podman(w.runArgs("run", "kill" + i, List.of("-d"), PodmanWorld.gated(script + (10 + i)))
                    .toArray(new String[0])).ok();
            assertConmonUnderTest("kill" + i);
        }
        List<Integer> first = w.daemons();
        assertEquals(1, first.size(), () -> "jshimd processes of this world: " + first);
        for (int i = 1; i <= n; i++) {
            w.openGate("kill" + i);
        }
        Path log1 = Path.of(w.inspect("kill1", "{{.HostConfig.LogConfig.Path}}"));
        assertTrue(Wait.until(20_000, () -> size(log1) > 100_000), "kill1's ctr.log did not grow within 20 s");
        killDaemon(first.get(0));
        // the launchers start a new daemon; kill that one too once output flows again
        AtomicReference<List<Integer>> second = new AtomicReference<>();
        assertTrue(Wait.until(30_000, () -> {
            second.set(w.daemons());
            return !second.get().isEmpty() && !second.get().contains(first.get(0));
        }), "no new jshimd within 30 s of the SIGKILL");
        long mark = size(log1);
        assertTrue(Wait.until(30_000, () -> size(log1) > mark + 100_000 || exited("kill1")),
                "kill1's ctr.log did not grow after the daemon restart");
        if (!exited("kill1")) {
            killDaemon(second.get().get(0));
        }
        for (int i = 1; i <= n; i++) {
            String name = "kill" + i;
            PodmanCmd.Result r = w.start("wait", name).await(120_000);
            assertEquals(String.valueOf(10 + i), r.out.trim(), r::toString);
            PodmanCmd.Result logs = w.podman("logs", name).ok();
            PodmanLogsE2eTest.assertSeq(lines(logs.out), "", BATCHES * PER_BATCH, "podman logs " + name);
            assertEquals((10 + i) + " exited", w.inspect(name, "{{.State.ExitCode}} {{.State.Status}}"));
        }
    }

    private static void killDaemon(int pid) {
        assertEquals(0, Native.kill(pid, Native.SIGKILL), "kill -9 jshimd " + pid);
        assertTrue(Procs.waitGone(pid, 5_000), "jshimd " + pid + " survived SIGKILL");
        System.err.println("podman e2e: killed jshimd " + pid);
    }

    private static boolean exited(String name) {
        try {
            return w.podman("inspect", "--format", "{{.State.Status}}", name).out.trim().equals("exited");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    /**
     * jshimd killed while a foreground podman run is attached: the exit code and podman logs
     * stay right, and the attach connection outlives the daemon (the launcher keeps a duplicate
     * of it and hands it to the next daemon), so podman run shows the output to its end. Attach
     * output is not journaled: around the restart lines may repeat or be missing, once (one
     * jump), never reordered otherwise.
     */
    @Test
    void killJshimdDuringForegroundRun() throws Exception {
        requireJshim("killJshimdDuringForegroundRun");
        String script = "for b in $(seq 0 " + (BATCHES - 1) + "); do seq $((b*" + PER_BATCH + "+1)) $((b*"
                + PER_BATCH + "+" + PER_BATCH + ")); sleep 0.05; done; exit 21";
        PodmanCmd run = startGated("run", "fgkill", List.of(), script);
        assertConmonUnderTest("fgkill", run);
        List<Integer> daemons = w.daemons();
        assertEquals(1, daemons.size(), () -> "jshimd processes of this world: " + daemons);
        w.openGate("fgkill");
        assertTrue(Wait.until(20_000, () -> run.outSoFar().length() > 100_000),
                "podman run showed less than 100 kB within 20 s");
        killDaemon(daemons.get(0));
        PodmanCmd.Result r = run.await(120_000);
        assertEquals(21, r.rc, r::toString);
        List<String> out = lines(r.out);
        System.err.println("podman e2e: killJshimdDuringForegroundRun: podman run's stdout had " + out.size()
                + " of " + BATCHES * PER_BATCH + " lines");
        assertTrue(!out.isEmpty() && out.get(0).equals("1"), "podman run's stdout starts at 1");
        int jumps = 0;
        for (int i = 1; i < out.size(); i++) {
            if (Integer.parseInt(out.get(i)) != Integer.parseInt(out.get(i - 1)) + 1) {
                jumps++;
                System.err.println("podman e2e: killJshimdDuringForegroundRun: stdout line " + (i + 1) + " is "
                        + out.get(i) + " after " + out.get(i - 1) + " (the restart)");
            }
        }
        assertTrue(jumps <= 1, "podman run stdout in order but for one jump at the restart: " + jumps + " jumps");
        assertEquals(String.valueOf(BATCHES * PER_BATCH), out.get(out.size() - 1),
                "podman run shows the output to its end: its attach connection outlived the daemon");
        PodmanCmd.Result logs = w.podman("logs", "fgkill").ok();
        PodmanLogsE2eTest.assertSeq(lines(logs.out), "", BATCHES * PER_BATCH, "podman logs fgkill");
        assertEquals("21 exited", w.inspect("fgkill", "{{.State.ExitCode}} {{.State.Status}}"));
    }

    /**
     * jshimd killed while podman exec waits for a running exec session: podman learns the exec's
     * exit code only from the exit file after its attach stream ends, waiting at most 5 s
     * (spec 7), so the stream must not end before the process does.
     */
    @Test
    void killJshimdDuringExec() throws Exception {
        requireJshim("killJshimdDuringExec");
        String id = w.podman(w.runArgs("run", "execkill", List.of("-d"), "sleep", "1000").toArray(new String[0]))
                .ok().out.trim();
        assertConmonUnderTest("execkill");
        PodmanCmd exec = w.start("exec", "execkill", "sh", "-c",
                "echo before; while [ ! -e /gate/go ]; do sleep 0.05; done; sleep 8; echo after; exit 6");
        int monitor = assertExecConmonUnderTest(id, exec);
        assertTrue(Wait.until(20_000, () -> exec.outSoFar().contains("before\n")), "exec printed nothing");
        List<Integer> daemons = w.daemons();
        assertEquals(1, daemons.size(), () -> "jshimd processes of this world: " + daemons);
        killDaemon(daemons.get(0));
        w.openGate("execkill");
        PodmanCmd.Result r = exec.await(60_000);
        assertEquals(6, r.rc, r::toString);
        assertMonitorGone(monitor, "exec in execkill");
    }

    /** jshimd killed while idle: the next podman run starts a new one; a running container stays served. */
    @Test
    void killJshimdWhileIdle() throws Exception {
        requireJshim("killJshimdWhileIdle");
        w.podman(w.runArgs("run", "idle1", List.of("-d"), "sh", "-c",
                "echo one; while [ ! -e /gate/go ]; do sleep 0.05; done; echo two; exit 3")
                .toArray(new String[0])).ok();
        assertConmonUnderTest("idle1");
        List<Integer> daemons = w.daemons();
        assertEquals(1, daemons.size(), () -> "jshimd processes of this world: " + daemons);
        killDaemon(daemons.get(0));
        PodmanCmd run = startGated("run", "idle2", List.of(), "echo fresh; exit 4");
        assertConmonUnderTest("idle2", run);
        w.openGate("idle2");
        PodmanCmd.Result r = run.await(PodmanWorld.TIMEOUT_MS);
        assertEquals(4, r.rc, r::toString);
        assertEquals("fresh\n", r.out, r::toString);
        List<Integer> now = w.daemons();
        assertEquals(1, now.size(), () -> "jshimd processes after the restart: " + now);
        w.openGate("idle1");
        assertEquals(3, Integer.parseInt(w.start("wait", "idle1").await(60_000).out.trim()));
        assertEquals("one\ntwo\n", w.podman("logs", "idle1").ok().out);
    }
}
