package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CRI-O 1.28's ExecSync (exec probes), replayed (crio-conmon.md 2, 6 "ExecSync"): `-e` without
 * -u/-b, --sync, -l <temp log>, --log-global-size-max 16777216, -T; fd 3 a pipe; CRI-O waits for
 * the monitor itself, then decodes one JSON value and parses the k8s-file log.
 */
@Tag("e2e")
@Tag("crio")
@Timeout(180)
class CrioExecSyncE2eTest extends CrioE2eBase {
    private static CrioContainer running() throws Exception {
        CrioContainer c = w.container("sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done");
        createOk(c);
        c.start();
        return c;
    }

    private static Map<String, Object> exitMessage(CrioReplay.Result r) {
        assertTrue(r.outEof && r.errEof, () -> "CRI-O's fd 1/2 pipes did not reach EOF (cmd.Wait hangs): " + r);
        Map<String, Object> v = r.json();
        assertTrue(r.trailing.isBlank(), () -> "more than one value on fd 3: " + r);
        assertTrue(v.get("exit_code") instanceof Long, () -> "no exit_code: " + r);
        return v;
    }

    /** 2.4/2.5: {"exit_code": 3} and {"exit_code": 0}; stdout and stderr in the k8s-file log. */
    @Test
    void exitCodesAndBothStreams() throws Exception {
        CrioContainer c = running();
        CrioReplay.Result r = c.execSync(0, List.of(), "sh", "-c",
                "echo out; echo err >&2; printf tail; sleep 0.5; exit 3");
        assertEquals(Map.of("exit_code", 3L), exitMessage(r), r::toString);
        // --sync: the spawned process is the monitor and stays until the command ended
        assertTrue(r.waitMs >= 450, () -> "the spawned monitor exited before the command: " + r);
        List<Rec> recs = parseK8s(Files.readString(c.lastExecLog), "exec log");
        assertEquals("out\ntail", streamText(recs, "stdout"), recs::toString);
        assertEquals("err\n", streamText(recs, "stderr"), recs::toString);
        CrioReplay.Result ok = c.execSync(0, List.of(), "sh", "-c", "echo fine");
        assertEquals(Map.of("exit_code", 0L), exitMessage(ok), ok::toString);
        assertEquals("fine\n", streamText(parseK8s(Files.readString(c.lastExecLog), "exec log"), "stdout"));
        assertEquals("running", c.state(), "the container is untouched");
    }

    /**
     * 2.2 "pipe trap": a probe that leaves a background child holding its output returns when
     * the probe's own process exits, not when the child does; CRI-O's fd 1/2 reach EOF.
     */
    @Test
    void backgroundChildDoesNotHoldTheProbe() throws Exception {
        CrioContainer c = running();
        CrioReplay.Result r = c.execSync(0, List.of(), "sh", "-c", "sleep 6.5 & echo bg-started; exit 0");
        assertEquals(Map.of("exit_code", 0L), exitMessage(r), r::toString);
        assertTrue(r.waitMs < 5_000, () -> "ExecSync waited for the background child: " + r);
        assertEquals("bg-started\n", streamText(parseK8s(Files.readString(c.lastExecLog), "exec log"), "stdout"));
    }

    /** Probes run concurrently on one container (kubelet's liveness + readiness): each gets its own result. */
    @Test
    void concurrentExecSyncs() throws Exception {
        CrioContainer c = running();
        List<java.util.concurrent.CompletableFuture<CrioReplay.Result>> fs = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int n = i;
            fs.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return c.execSync(0, List.of(), "sh", "-c", "sleep 0.3; echo probe" + n + "; exit " + (10 + n));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, CrioIo::thread));
        }
        for (int i = 0; i < 4; i++) {
            CrioReplay.Result r = fs.get(i).get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(Map.of("exit_code", 10L + i), exitMessage(r), r::toString);
            java.nio.file.Path log = java.nio.file.Path.of(r.execLog);
            assertEquals("probe" + i + "\n", streamText(parseK8s(Files.readString(log), "exec log " + i), "stdout"));
        }
    }

    /** 2.6: the log stops at --log-global-size-max 16777216 (records included); the exec still ends. */
    @Test
    void logCappedAt16MiB() throws Exception {
        CrioContainer c = running();
        CrioReplay.Result r = c.execSync(0, List.of(), "sh", "-c",
                "i=0; while [ $i -lt 300 ]; do head -c 70000 /dev/zero | tr '\\0' x; echo; i=$((i+1)); done; exit 0");
        assertEquals(Map.of("exit_code", 0L), exitMessage(r), r::toString);
        long size = Files.size(c.lastExecLog);
        System.err.println("crio e2e: ExecSync log of 21 000 300 bytes of output capped at " + size + " bytes");
        assertTrue(size >= 16L * 1024 * 1024 - 8192 - 64 && size <= 16L * 1024 * 1024 + 8192 + 64,
                () -> "exec log size " + size + ", cap 16777216");
        String text = Files.readString(c.lastExecLog);
        List<Rec> recs = parseK8s(text.substring(0, text.lastIndexOf('\n', text.length() - 2) + 1), "exec log");
        assertTrue(recs.stream().allMatch(x -> x.stream.equals("stdout") && x.content.matches("x*")),
                "only the x lines");
    }

    /** 2.7: -T 2 on a command that sleeps: {"exit_code": -1, "message": "command timed out"}, process killed. */
    @Test
    void timeoutGivesCommandTimedOut() throws Exception {
        CrioContainer c = running();
        CrioReplay.Result r = c.execSync(2, List.of(), "sleep", "37.25");
        assertEquals(Map.of("exit_code", -1L, "message", "command timed out"), exitMessage(r), r::toString);
        assertTrue(r.waitMs >= 1_500 && r.waitMs < 15_000, () -> "monitor ran " + r.waitMs + " ms with -T 2");
        assertTrue(Wait.until(5_000, () -> Procs.allPids().stream()
                .noneMatch(p -> Procs.cmdline(p).equals("sleep 37.25 "))), "the timed-out process is killed");
    }

    /** 2.4: runtime exec failure: {"exit_code": -1, "message": <runtime stderr>}, monitor exit non-zero. */
    @Test
    void runtimeFailureGivesMessage() throws Exception {
        CrioContainer c = running();
        CrioReplay.Result r = c.execSync(0, List.of(), "/no/such/binary");
        Map<String, Object> v = exitMessage(r);
        assertEquals(-1L, v.get("exit_code"), r::toString);
        assertFalse(String.valueOf(v.getOrDefault("message", "")).isBlank(), r::toString);
        assertEquals(Set.of("exit_code", "message"), v.keySet(), r::toString);
        assertTrue(r.exit != 0, () -> "the monitor's exit code after a runtime failure: " + r);
    }

    /** 2.8/2.9: SIGINT to the monitor (CRI-O 1.28.11's stop) reaches the exec'd process; the monitor then exits. */
    @Test
    void sigintIsForwardedToTheExecProcess() throws Exception {
        CrioContainer c = running();
        // "LOG" stands for the exec's -l temp file (see CrioContainer.execSync)
        CrioReplay.Result r = c.execSync(0, List.of("--sigint-when", "LOG", "ready"), "sh", "-c",
                "echo ready; exec sleep 41.5");
        assertTrue(r.sigintSent, r::toString);
        assertEquals(Map.of("exit_code", 130L), exitMessage(r), r::toString);
        assertTrue(r.waitMs < 10_000, () -> "the monitor exits soon after the process: " + r);
    }

    /** 2.1/2.5: in a container created with -t, ExecSync passes -t: one pty, stdout records with \r\n. */
    @Test
    @Tag("crio-tty")
    void execSyncInATtyContainer() throws Exception {
        CrioContainer c = w.container("sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done");
        c.tty = true;
        createOk(c);
        c.start();
        CrioReplay.Result r = c.execSync(0, List.of(), "sh", "-c", "echo out; echo err >&2; exit 2");
        assertEquals(Map.of("exit_code", 2L), exitMessage(r), r::toString);
        List<Rec> recs = parseK8s(Files.readString(c.lastExecLog), "exec log");
        assertEquals("", streamText(recs, "stderr"), recs::toString);
        assertEquals("out\r\nerr\r\n", streamText(recs, "stdout"), recs::toString);
    }
}
