package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** podman stop/kill/attach/exec/logs -f through the conmon under test (conmon spec 4, 7, 9). */
@Tag("e2e")
@Tag("podman")
@Timeout(120)
class PodmanAttachExecE2eTest extends PodmanE2eBase {
    /** Spec 9: stop = TERM, then KILL after -t; pid 1 ignores TERM, so 137. */
    @Test
    void stopIs137() throws Exception {
        w.podman(w.runArgs("run", "stop", List.of("-d"), "sleep", "100").toArray(new String[0])).ok();
        int monitor = assertConmonUnderTest("stop");
        PodmanCmd.Result r = w.podman("stop", "-t", "1", "stop").ok();
        assertTrue(r.millis < 15_000, r::toString);
        assertEquals(137, waitExit("stop"));
        assertEquals("137 exited", w.inspect("stop", "{{.State.ExitCode}} {{.State.Status}}"));
        assertMonitorGone(monitor, "stop");
    }

    @Test
    void killUsr1RunsTheTrap() throws Exception {
        w.podman(w.runArgs("run", "usr1", List.of("-d"), "sh", "-c",
                "trap 'echo got-usr1; exit 10' USR1; echo ready; while :; do sleep 0.1; done")
                .toArray(new String[0])).ok();
        assertConmonUnderTest("usr1");
        awaitLogs("usr1", "ready\n");
        w.podman("kill", "-s", "USR1", "usr1").ok();
        assertEquals(10, waitExit("usr1"));
        assertEquals("ready\ngot-usr1\n", w.podman("logs", "usr1").ok().out);
        assertEquals("10 exited", w.inspect("usr1", "{{.State.ExitCode}} {{.State.Status}}"));
    }

    /** Spec 6.1: a process killed by a signal is 128 + signal (pid 1 of a pid namespace ignores TERM). */
    @Test
    void killTermWithHostPidIs143() throws Exception {
        w.podman(w.runArgs("run", "term", List.of("-d", "--pid", "host"), "sleep", "100").toArray(new String[0])).ok();
        int monitor = assertConmonUnderTest("term");
        w.podman("kill", "-s", "TERM", "term").ok();
        assertEquals(143, waitExit("term"));
        assertEquals("143 exited", w.inspect("term", "{{.State.ExitCode}} {{.State.Status}}"));
        assertMonitorGone(monitor, "term");
    }

    /** Spec 4.3: attach fed by a pipe; its EOF closes the container's stdin (-i, stdin-once). */
    @Test
    void attachWithStdin() throws Exception {
        w.podman(w.runArgs("run", "reader", List.of("-d", "-i"), "sh", "-c",
                "while read x; do echo got:$x; done; echo stdin-closed; exit 7").toArray(new String[0])).ok();
        assertConmonUnderTest("reader");
        PodmanCmd.Result r = w.start("hello\nworld\n".getBytes(StandardCharsets.UTF_8), List.of("attach", "reader"))
                .await(PodmanWorld.TIMEOUT_MS);
        assertEquals("got:hello\ngot:world\nstdin-closed\n", attachOutput(r), r::toString);
        assertEquals(0, r.rc, r::toString);
        assertEquals(7, waitExit("reader"));
        assertEquals("got:hello\ngot:world\nstdin-closed\n", w.podman("logs", "reader").ok().out);
    }

    /** Spec 4.3: --no-stdin half-closes at once; output keeps coming until the container exits. */
    @Test
    void attachNoStdinReturnsWhenTheContainerExits() throws Exception {
        w.podman(w.runArgs("run", "ticker", List.of("-d"), "sh", "-c",
                "while [ ! -e /gate/go ]; do echo tick; sleep 0.1; done; echo after-gate; echo err-after >&2; exit 7")
                .toArray(new String[0])).ok();
        assertConmonUnderTest("ticker");
        PodmanCmd attach = w.start("attach", "--no-stdin", "--sig-proxy=false", "ticker");
        assertTrue(Wait.until(20_000, () -> attach.outSoFar().contains("tick\n")),
                () -> "attach --no-stdin showed no output within 20 s: " + attach.outSoFar() + attach.errSoFar());
        w.openGate("ticker");
        PodmanCmd.Result r = attach.await(20_000);
        assertTrue(attachOutput(r).endsWith("tick\nafter-gate\n"), r::toString);
        assertEquals(0, r.rc, r::toString);
        assertEquals("err-after\n", r.err, r::toString);
        assertEquals(7, waitExit("ticker"));
    }

    /** Spec 7: exec exit code from the session's exit file, both streams apart. */
    @Test
    void execExitCodeAndStreams() throws Exception {
        String id = execTarget("ex1");
        PodmanCmd exec = w.start("exec", "ex1", "sh", "-c",
                "while [ ! -e /gate/go ]; do sleep 0.02; done; rm /gate/go; echo exec-out; echo exec-err >&2; exit 4");
        int monitor = assertExecConmonUnderTest(id, exec);
        w.openGate("ex1");
        long t0 = System.nanoTime();
        PodmanCmd.Result r = exec.await(PodmanWorld.TIMEOUT_MS);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 5_000, () -> "podman exec returned " + ms + " ms after the process was let go"
                + " (conmon: ~0.2 s)");
        assertMonitorGone(monitor, "exec in ex1");
        assertEquals(4, r.rc, r::toString);
        assertEquals("exec-out\n", r.out, r::toString);
        assertEquals("exec-err\n", r.err, r::toString);
        PodmanCmd.Result quick = w.podman("exec", "ex1", "sh", "-c", "echo quick; exit 3");
        assertEquals(3, quick.rc, quick::toString);
        assertEquals("quick\n", quick.out, quick::toString);
    }

    /** Spec 7: exec -i, the client's EOF closes the process' stdin. */
    @Test
    void execWithPipedStdin() throws Exception {
        String id = execTarget("ex2");
        PodmanCmd exec = w.start("abc\n".getBytes(StandardCharsets.UTF_8), List.of("exec", "-i", "ex2", "sh", "-c",
                "while [ ! -e /gate/go ]; do sleep 0.02; done; rm /gate/go; read x; echo got-$x; read y || echo eof"));
        assertExecConmonUnderTest(id, exec);
        w.openGate("ex2");
        PodmanCmd.Result r = exec.await(PodmanWorld.TIMEOUT_MS);
        assertEquals(0, r.rc, r::toString);
        assertEquals("got-abc\neof\n", r.out, r::toString);
    }

    /** Spec 7: exec -d returns at once; the process runs on. */
    @Test
    void execDetached() throws Exception {
        String id = execTarget("ex3");
        PodmanCmd.Result r = w.podman("exec", "-d", "ex3", "sh", "-c",
                "while [ ! -e /gate/go ]; do sleep 0.02; done; rm /gate/go; echo detached > /gate/exec-d");
        assertEquals(0, r.rc, r::toString);
        assertTrue(r.out.trim().matches("[0-9a-f]{64}"), () -> "exec -d prints the session id: " + r);
        assertExecConmonUnderTest(id, null);
        w.openGate("ex3");
        Path marker = w.gateDir("ex3").resolve("exec-d");
        assertTrue(Wait.until(20_000, () -> Files.exists(marker) && read(marker).equals("detached\n")),
                "the detached exec did not write /gate/exec-d within 20 s");
    }

    /** Spec 9: logs -f follows a running container and returns when it exits. */
    @Test
    void logsFollowUntilExit() throws Exception {
        w.podman(w.runArgs("run", "follow", List.of("-d"), "sh", "-c",
                "echo first; while [ ! -e /gate/go ]; do sleep 0.05; done; "
                        + "for i in 1 2 3 4 5 6 7 8 9 10; do echo tick-$i; sleep 0.1; done; echo done; exit 2")
                .toArray(new String[0])).ok();
        assertConmonUnderTest("follow");
        awaitLogs("follow", "first\n");
        PodmanCmd follow = w.start("logs", "-f", "follow");
        assertTrue(Wait.until(20_000, () -> follow.outSoFar().contains("first\n")),
                () -> "logs -f showed nothing within 20 s: " + follow.outSoFar() + follow.errSoFar());
        assertTrue(follow.alive(), "logs -f returned while the container still runs");
        w.openGate("follow");
        PodmanCmd.Result r = follow.await(30_000);
        StringBuilder expected = new StringBuilder("first\n");
        for (int i = 1; i <= 10; i++) {
            expected.append("tick-").append(i).append('\n');
        }
        expected.append("done\n");
        assertEquals(expected.toString(), r.out, r::toString);
        assertEquals(0, r.rc, r::toString);
        assertEquals(2, waitExit("follow"));
    }

    /** podman attach's stdout without the one newline podman itself prints when the stream ends. */
    private static String attachOutput(PodmanCmd.Result r) {
        assertTrue(r.out.endsWith("\n\n"), () -> "podman 4.3.1's attach ends its stdout with an extra newline: " + r);
        return r.out.substring(0, r.out.length() - 1);
    }

    /** A running container for exec, its conmon checked; returns its full id. */
    private static String execTarget(String name) throws Exception {
        String id = w.podman(w.runArgs("run", name, List.of("-d"), "sleep", "1000").toArray(new String[0]))
                .ok().out.trim();
        assertConmonUnderTest(name);
        return id;
    }

    private static void awaitLogs(String name, String expected) {
        String[] last = {""};
        assertTrue(Wait.until(20_000, () -> {
            try {
                last[0] = w.podman("logs", name).out;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return last[0].equals(expected);
        }), () -> "podman logs " + name + " did not become " + Json.quote(expected) + " within 20 s: "
                + Json.quote(last[0]));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
