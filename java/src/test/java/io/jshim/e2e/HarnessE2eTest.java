package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Self-checks of the e2e infrastructure that do not involve jshim: syncpipe-run, reaper, rootfs. */
@Tag("e2e")
@Timeout(60)
class HarnessE2eTest extends E2eBase {
    private static String[] runManager(List<String> cmd) throws IOException, InterruptedException {
        Process p = Procs.start(new ProcessBuilder(cmd));
        var out = Shim.readAll(p.getInputStream());
        var err = Shim.readAll(p.getErrorStream());
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "syncpipe-run finished");
        try {
            return new String[] {String.valueOf(p.exitValue()), out.get(), err.get()};
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void syncpipeRunGivesExactlyFds0To3AndCopiesTheReport() throws Exception {
        Path report = fx.tmp.resolve("h1.json");
        String[] r = runManager(List.of(TestPaths.syncpipe().toString(), "--report", report.toString(), "--",
                "/bin/sh", "-c", "ls /proc/$$/fd; printf '{\"kind\":\"x\"}' >&3; exit 5"));
        // No pipeline: the shell holds no pipe fds of its own while ls lists them.
        assertEquals("5", r[0], "exit code passes through; stderr " + r[2]);
        assertEquals("0\n1\n2\n3\n", r[1], "the child has fds 0-3 only");
        assertEquals("{\"kind\":\"x\"}", Files.readString(report));
    }

    @Test
    void syncpipeRunEnvOnlyAndSignalExit() throws Exception {
        Path report = fx.tmp.resolve("h2.json");
        String[] r = runManager(List.of(TestPaths.syncpipe().toString(), "--report", report.toString(),
                "--env-only", "_OCI_SYNCPIPE=3", "--", "/usr/bin/env"));
        assertEquals("0", r[0]);
        assertEquals("_OCI_SYNCPIPE=3\n", r[1], "environment is only the --env-only list");
        assertEquals("", Files.readString(report), "empty report file when nothing was written");
        r = runManager(List.of(TestPaths.syncpipe().toString(), "--report", report.toString(), "--",
                "/bin/sh", "-c", "kill -9 $$"));
        assertEquals("137", r[0], "128 + SIGKILL");
    }

    @Test
    void orphansReparentedToTheJvmAreReaped() throws Exception {
        String[] r = runManager(List.of(TestPaths.syncpipe().toString(), "--report",
                fx.tmp.resolve("h3.json").toString(), "--", "/bin/sh", "-c", "sleep 0.2 >/dev/null 2>&1 & echo $!"));
        int orphan = Integer.parseInt(r[1].trim());
        assertTrue(Wait.until(3_000, () -> Procs.state(orphan) == null),
                () -> "orphan " + orphan + " still exists, state " + Procs.state(orphan));
        assertNoZombiesOf(Procs.self());
    }

    @Test
    void bundleRunsUnderRuncDirectly() throws Exception {
        Container c = fx.container("sh", "-c", "echo hello; exit 42");
        Runc.Result r = fx.runc.run("run", "--bundle", c.bundle.dir.toString(), c.id);
        assertEquals(42, r.exit, () -> "runc run exit; stderr " + r.stderr);
        assertEquals("hello\n", r.stdout);
    }

    @Test
    void configIsReadOnlyAndNonTerminal() throws Exception {
        Container c = fx.container("true");
        String cfg = Files.readString(c.bundle.config());
        assertTrue(cfg.contains("\"terminal\": false"), cfg);
        assertTrue(cfg.contains("\"readonly\": true"), cfg);
        assertTrue(cfg.contains(TestPaths.rootfsDir().resolve("rootfs").toString()), cfg);
    }
}
