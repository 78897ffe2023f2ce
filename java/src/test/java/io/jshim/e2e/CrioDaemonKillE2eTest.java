package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Native;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * jshim only: SIGKILL of jshimd (twice) while CRI-O-style containers stream. Every k8s-file log
 * must hold each line exactly once, and the exit files must be right. conmon has no daemon: in
 * validation mode ctest leaves the class out, and run by hand it aborts with a message.
 */
@Tag("e2e")
@Tag("crio")
@Tag("jshim-only")
@Timeout(240)
class CrioDaemonKillE2eTest extends CrioE2eBase {
    private static final int BATCHES = 60;
    private static final int PER_BATCH = 5000;

    @Test
    void killJshimdWhileContainersStream() throws Exception {
        requireJshim("killJshimdWhileContainersStream");
        String script = "for b in $(seq 0 " + (BATCHES - 1) + "); do seq $((b*" + PER_BATCH + "+1)) $((b*" + PER_BATCH
                + "+" + PER_BATCH + ")); sleep 0.05; done; exit ";
        List<CrioContainer> cs = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            CrioContainer c = w.container("sh", "-c", script + (10 + i));
            createOk(c);
            cs.add(c);
        }
        assertTrue(w.awaitDaemonListening(10_000), "jshimd listening");
        List<Integer> first = w.daemons();
        assertEquals(1, first.size(), () -> "jshimd processes of this world: " + first);
        for (CrioContainer c : cs) {
            c.start();
        }
        CrioContainer c1 = cs.get(0);
        assertTrue(Wait.until(20_000, () -> size(c1) > 100_000), "the first log did not grow within 20 s");
        kill(first.get(0));
        AtomicReference<List<Integer>> second = new AtomicReference<>();
        assertTrue(Wait.until(30_000, () -> {
            second.set(w.daemons());
            return !second.get().isEmpty() && !second.get().contains(first.get(0));
        }), "no new jshimd within 30 s of the SIGKILL");
        long mark = size(c1);
        assertTrue(Wait.until(30_000, () -> size(c1) > mark + 100_000 || Files.exists(c1.exitFile())),
                "the first log did not grow after the restart");
        if (!Files.exists(c1.exitFile())) {
            kill(second.get().get(0));
        }
        for (int i = 0; i < cs.size(); i++) {
            CrioContainer c = cs.get(i);
            assertEquals(String.valueOf(11 + i), c.awaitExit(120_000), "<persist>/exit of container " + (i + 1));
            assertEquals(String.valueOf(11 + i), CrioWorld.read(c.exitFile()));
            assertSeq(lines(parseK8s(c.logText(), "log " + (i + 1)), "stdout"), BATCHES * PER_BATCH, "log " + (i + 1));
        }
    }

    /** An ExecSync (probe) in flight when jshimd is SIGKILLed: exit code and log still exact. */
    @Test
    void killJshimdDuringExecSync() throws Exception {
        requireJshim("killJshimdDuringExecSync");
        CrioContainer c = w.container("sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done");
        createOk(c);
        c.start();
        java.util.concurrent.CompletableFuture<CrioReplay.Result> f = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return c.execSync(0, List.of(), "sh", "-c", "for b in $(seq 0 39); do seq $((b*2500+1)) $((b*2500+2500));"
                        + " sleep 0.05; done; exit 9");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, CrioIo::thread);
        assertTrue(Wait.until(20_000, () -> c.lastExecLog != null && sizeOf(c.lastExecLog) > 50_000),
                "the exec log did not grow");
        List<Integer> d = w.daemons();
        assertEquals(1, d.size(), () -> "jshimd processes: " + d);
        assertTrue(!f.isDone(), "the ExecSync is still running when jshimd is killed");
        kill(d.get(0));
        CrioReplay.Result r = f.get(120, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(java.util.Map.of("exit_code", 9L), r.json(), r::toString);
        assertSeq(lines(parseK8s(Files.readString(java.nio.file.Path.of(r.execLog)), "exec log"), "stdout"), 100_000,
                "exec log");
    }

    private static long sizeOf(java.nio.file.Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private static void kill(int pid) {
        assertEquals(0, Native.kill(pid, Native.SIGKILL), "kill -9 jshimd " + pid);
        assertTrue(Procs.waitGone(pid, 5_000), "jshimd " + pid + " survived SIGKILL");
        System.err.println("crio e2e: killed jshimd " + pid);
    }

    private static long size(CrioContainer c) {
        try {
            return Files.size(c.log);
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
