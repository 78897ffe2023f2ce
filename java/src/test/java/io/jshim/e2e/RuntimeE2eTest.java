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
}
