package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** podman 4.3.1 run/start/logs/inspect through the conmon under test (conmon spec 2, 5, 6, 8.1, 9). */
@Tag("e2e")
@Tag("podman")
@Timeout(120)
class PodmanRunE2eTest extends PodmanE2eBase {
    /** Spec 8.1: the version probe; jshim says it is jshim in the commit line. */
    @Test
    void infoShowsTheConmonUnderTest() throws Exception {
        String version = w.podman("info", "--format", "{{.Host.Conmon.Version}}").ok().out.trim();
        assertTrue(version.startsWith("conmon version 2.1.6"), () -> "podman info .Host.Conmon.Version: " + version);
        if (!w.validation) {
            assertTrue(version.toLowerCase().contains("jshim"), () -> "jshim's version does not mention jshim: "
                    + version);
        }
        assertWorldUsesConmonUnderTest("probe-info");
    }

    @Test
    void foregroundRunSeparatesStreamsAndPropagatesExitCode() throws Exception {
        PodmanCmd run = startGated("run", "fg", List.of(), "echo out-line; echo err-line >&2; exit 3");
        int monitor = assertConmonUnderTest("fg", run);
        w.openGate("fg");
        long t0 = System.nanoTime();
        PodmanCmd.Result r = run.await(PodmanWorld.TIMEOUT_MS);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 5_000, () -> "podman run returned " + ms + " ms after the container was let go"
                + " (conmon: ~0.2 s)");
        assertEquals(3, r.rc, r::toString);
        assertEquals("out-line\n", r.out, r::toString);
        assertEquals("err-line\n", r.err, r::toString);
        assertMonitorGone(monitor, "fg");
    }

    @Test
    void detachedRunLogsWaitInspect() throws Exception {
        runDetachedChecked("det", List.of(), "echo out-line; echo err-line >&2; exit 5");
        assertEquals(5, waitExit("det"));
        PodmanCmd.Result logs = w.podman("logs", "det").ok();
        assertEquals("out-line\n", logs.out, logs::toString);
        assertEquals("err-line\n", logs.err, logs::toString);
        assertEquals("5 exited", w.inspect("det", "{{.State.ExitCode}} {{.State.Status}}"));
    }

    /** Spec 5.2: a partial line is a P record, joined with the next record by podman logs. */
    @Test
    void partialLinesJoinedByLogs() throws Exception {
        runDetachedChecked("partial", List.of(), "printf a; sleep 0.3; echo b");
        assertEquals(0, waitExit("partial"));
        PodmanCmd.Result logs = w.podman("logs", "partial").ok();
        assertEquals("ab\n", logs.out, logs::toString);
        String log = Files.readString(Path.of(w.inspect("partial", "{{.HostConfig.LogConfig.Path}}")));
        List<String> recs = lines(log);
        assertEquals(2, recs.size(), () -> "ctr.log: " + log);
        assertTrue(recs.get(0).endsWith(" stdout P a") && recs.get(1).endsWith(" stdout F b"), () -> "ctr.log: "
                + log);
        assertTrue(recs.get(0).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}[+-]\\d\\d:\\d\\d .*"),
                () -> "k8s-file timestamp: " + log);
    }

    @Test
    void pipedStdinWithRunI() throws Exception {
        PodmanCmd run = w.start("hello\n".getBytes(), w.runArgs("run", "stdin", List.of("-i"),
                PodmanWorld.gated("read x; echo got-$x; read y || echo eof")));
        assertConmonUnderTest("stdin", run);
        w.openGate("stdin");
        PodmanCmd.Result r = run.await(PodmanWorld.TIMEOUT_MS);
        assertEquals(0, r.rc, r::toString);
        assertEquals("got-hello\neof\n", r.out, r::toString);
    }

    /** Spec 6.5: SIGKILL after N s, exit status -1, podman run rc 255. */
    @Test
    void timeoutKillsWithMinusOne() throws Exception {
        List<String> args = w.runArgs("run", "timeout", List.of("--timeout", "2"), "sleep", "100");
        PodmanCmd run = w.start(null, args);
        int monitor = assertConmonUnderTest("timeout", run);
        PodmanCmd.Result r = run.await(PodmanWorld.TIMEOUT_MS);
        assertMonitorGone(monitor, "timeout");
        assertEquals(255, r.rc, r::toString);
        assertTrue(r.millis >= 1900 && r.millis < 15_000, () -> "run --timeout 2 took " + r.millis + " ms");
        assertEquals("-1 exited", w.inspect("timeout", "{{.State.ExitCode}} {{.State.Status}}"));
    }

    /** Spec 2.4: a failed create reaches podman as the runtime's message, mapped to rc 127. */
    @Test
    void missingExecutableIs127() throws Exception {
        assertWorldUsesConmonUnderTest("probe-missing");
        PodmanCmd.Result r = w.podman(w.runArgs("run", "missing", List.of(), "/bin/nonexistent-cmd")
                .toArray(new String[0]));
        assertEquals(127, r.rc, r::toString);
        assertTrue(r.err.contains("/bin/nonexistent-cmd"), r::toString);
        assertEquals("", r.out, r::toString);
    }

    /** Spec 6.3: the exit command (podman container cleanup --rm) removes the container. */
    @Test
    void rmContainerGoneAfterExit() throws Exception {
        runDetachedChecked("rm", List.of("--rm"), "echo bye");
        assertTrue(Wait.until(20_000, () -> {
            try {
                return w.podman("container", "exists", "rm").rc == 1;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }), "the --rm container still exists 20 s after it was let go: the exit command did not run");
    }

    /** Spec 9: podman start of an exited container appends to the same ctr.log. */
    @Test
    void startAttachAppendsToLog() throws Exception {
        String script = "n=$(cat /gate/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /gate/n; echo run-$n; exit $n";
        runDetachedChecked("again", List.of(), script);
        assertEquals(1, waitExit("again"));
        PodmanCmd start = w.start("start", "-a", "again");
        // inspect shows the first run's "exited" until podman start has begun
        assertNewConmonUnderTest("again", new java.util.HashSet<>(), start);
        w.openGate("again");
        PodmanCmd.Result r = start.await(PodmanWorld.TIMEOUT_MS);
        assertEquals("run-2\n", r.out, r::toString);
        assertEquals(2, r.rc, r::toString);
        assertEquals("2 exited", w.inspect("again", "{{.State.ExitCode}} {{.State.Status}}"));
        PodmanCmd.Result logs = w.podman("logs", "again").ok();
        assertEquals("run-1\nrun-2\n", logs.out, logs::toString);
        assertFalse(logs.err.contains("run-"), logs::toString);
    }

    /**
     * Restart policy: the restarts are made by the exit command (podman container cleanup),
     * which finds conmon only through containers.conf (spec 6.3, 11 Deployment).
     */
    @Test
    void restartPolicyRestartsThroughTheConmonUnderTest() throws Exception {
        w.podman(w.runArgs("run", "restart", List.of("-d", "--restart", "on-failure:2"),
                PodmanWorld.gated("echo run; exit 1")).toArray(new String[0])).ok();
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int run = 1; run <= 3; run++) {
            assertNewConmonUnderTest("restart", seen, null);
            w.openGate("restart");
        }
        String[] last = {""};
        assertTrue(Wait.until(30_000, () -> {
            try {
                last[0] = w.inspect("restart", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return last[0].equals("exited 1 2");
        }), () -> "after three runs: " + last[0]);
        assertEquals("run\nrun\nrun\n", w.podman("logs", "restart").ok().out);
    }
}
