package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Spec 3.4, 3.5 and 8 (phase 1): the runtime process as the shim sees it, via wrapper scripts. */
@Tag("e2e")
@Timeout(60)
class RuntimeE2eTest extends E2eBase {
    private static Path script(String name, String body) throws Exception {
        Path p = fx.tmp.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    /** What runc writes to stderr during a successful create ends up as stderr log records. */
    @Test
    void runtimeStderrOnSuccessGoesToTheLog() throws Exception {
        Path wrapper = script("runc-warns", "echo 'warning from the runtime' >&2\nexec "
                + TestPaths.runtime() + " \"$@\"");
        Container c = fx.container("sh", "-c", "echo out");
        Shim shim = fx.shim(c);
        shim.override.put("--runtime", wrapper.toString());
        ExitFile e = runToExit(shim);
        assertEquals(0, e.exitCode, e.raw);
        List<LogRecord> recs = c.logRecords();
        assertEquals(List.of("warning from the runtime"), LogRecord.texts(recs, "stderr"), recs::toString);
        assertEquals(List.of("out"), LogRecord.texts(recs, "stdout"), recs::toString);
    }

    /** SIGTERM to the shim while the runtime runs goes to the runtime. */
    @Test
    void sigtermDuringCreateGoesToTheRuntime() throws Exception {
        Path slow = script("runc-slow", "echo 'slow runtime started' >&2\nexec sleep 30");
        Container c = fx.container("true");
        Shim shim = fx.shim(c);
        shim.override.put("--runtime", slow.toString());
        Process p = shim.start(shim.managerArgv());
        Path pidfile = c.bundle.shimPidfile();
        assertTrue(Wait.until(10_000, () -> Files.exists(pidfile)), "pidfile written");
        int shimPid = Integer.parseInt(Files.readString(pidfile));
        assertTrue(Wait.until(10_000, () -> Procs.children(shimPid).stream()
                .anyMatch(pid -> Procs.comm(pid).equals("sleep"))), "the runtime runs under the shim");
        assertEquals(0, Native.kill(shimPid, Native.SIGTERM), "kill(shim, SIGTERM)");
        Shim.Result r = shim.collect(p);
        Report rep = assertAbnormal(r, c);
        assertEquals("Runtime Received signal SIGTERM.", rep.status, r::toString);
        assertTrue(rep.stderr != null && rep.stderr.contains("slow runtime started"), r::toString);
    }

    /** The runtime exits non-zero after writing to stdout and stderr: only stderr is reported. */
    @Test
    void runtimeFailureReportsItsStderr() throws Exception {
        Path bad = script("runc-bad", "echo 'to stdout'\necho 'to stderr' >&2\nexit 9");
        Container c = fx.container("true");
        Shim shim = fx.shim(c);
        shim.override.put("--runtime", bad.toString());
        Shim.Result r = shim.run();
        Report rep = assertAbnormal(r, c);
        assertEquals("Runtime Exited with code 9.", rep.status, r::toString);
        assertEquals("to stderr\n", rep.stderr, r::toString);
    }

    /**
     * Spec 3.5: the runtime exits 0 but the container init already died: that is an abnormal
     * termination, and the report names both.
     */
    @Test
    void containerDyingDuringCreateIsAnAbnormalTermination() throws Exception {
        // a fake runtime: its "container" exits 4 at once and is re-parented to the shim
        Path early = script("runc-early-death", String.join("\n",
                "while [ $# -gt 0 ]; do [ \"$1\" = --pid-file ] && pidfile=$2; shift; done",
                "sh -c 'exit 4' &",
                "echo $! > \"$pidfile\"",
                // exec, so no shell reaps the child: it is a zombie when the runtime exits 0
                "exec sleep 0.2"));
        Container c = fx.container("true");
        Shim shim = fx.shim(c);
        shim.override.put("--runtime", early.toString());
        Shim.Result r = shim.run();
        Report rep = assertAbnormal(r, c);
        assertEquals("Runtime Exited with code 0. Container Exited with code 4.", rep.status, r::toString);
        assertShimGone(r);
    }

    /**
     * Issue 11: during create only the runtime and the pid file's pid decide. A hook-like orphan
     * re-parented to the shim (its subreaper) exits during create, and the shim gets SIGHUP,
     * SIGUSR1 and SIGUSR2 from the runtime: the create still succeeds and the container runs.
     */
    @Test
    void orphanExitingAndHupUsrDuringCreateDoNotFailIt() throws Exception {
        Path wrapper = script("runc-orphan", String.join("\n",
                "kill -HUP $PPID; kill -USR1 $PPID; kill -USR2 $PPID",
                // the inner sh exits at once: the subshell is an orphan of the shim, exiting 5
                "sh -c '(sleep 0.2; exit 5) &'",
                "sleep 0.8",
                "exec " + TestPaths.runtime() + " \"$@\""));
        Container c = fx.container("sh", "-c", "sleep 0.3; exit 3");
        Shim shim = fx.shim(c);
        shim.override.put("--runtime", wrapper.toString());
        Shim.Result r = createOk(shim);
        fx.runc.start(c.id);
        ExitFile e = c.awaitExitFile(10_000);
        assertEquals(3, e.exitCode, e.raw);
        assertShimGone(r);
    }

    /**
     * Issue 11: a launcher-side failure (here the runtime exits 0 but writes no pid file) is
     * reported as what it is, never as a made-up "Runtime Exited with code 0.".
     */
    @Test
    void launcherFailureIsNotReportedAsARuntimeStatus() throws Exception {
        Path nopid = script("runc-nopid", "exit 0");
        Container c = fx.container("true");
        Shim shim = fx.shim(c);
        shim.override.put("--runtime", nopid.toString());
        Shim.Result r = shim.run();
        Report rep = assertAbnormal(r, c);
        assertTrue(rep.status.startsWith("Launcher Failed: read the --container-pidfile "), r::toString);
        assertTrue(rep.status.endsWith("No such file or directory."), r::toString);
        assertTrue(rep.stderr.startsWith("jshim: read the --container-pidfile"), r::toString);
        assertShimGone(r);
    }

    /**
     * Spec 4 (DO NOT COPY): the manager is gone before the report, so writing it fails with
     * EPIPE. The shim goes on serving the container: log and exit file as usual.
     */
    @Test
    void reportToAGoneManagerStillServesTheContainer() throws Exception {
        Container c = fx.container("sh", "-c", "sleep 0.3; echo served; exit 6");
        Shim shim = fx.shim(c);
        shim.logLevel = "DEBUG";
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", "-c",
                "\"$@\" 3>&1 | true; echo ${PIPESTATUS[0]} > \"$STATUS\"", "bash"));
        cmd.addAll(shim.argv()); // --syncpipe-fd 3: a pipe whose reader (true) is gone
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Path status = c.dir.resolve("main-status");
        pb.environment().put("STATUS", status.toString());
        pb.environment().put("JSHIMD", TestPaths.jshimd().toString());
        Process p = pb.start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "manager pipeline finished");
        assertEquals("0", Files.readString(status).trim(), "main exit code");
        Path pidfile = c.bundle.shimPidfile();
        int shimPid = Integer.parseInt(Files.readString(pidfile));
        assertTrue(Wait.until(10_000, () -> Files.exists(c.bundle.containerPidfile())
                && "created".equals(stateOrNull(c.id))), "the container was created");
        fx.runc.start(c.id);
        ExitFile e = c.awaitExitFile(10_000);
        assertEquals(6, e.exitCode, e.raw);
        assertEquals(List.of("served"), LogRecord.texts(c.logRecords(), "stdout"));
        assertTrue(Procs.waitGone(shimPid, 2_000), "the shim exits after the exit file");
    }

    private static String stateOrNull(String id) {
        try {
            return fx.runc.state(id);
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
