package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Spec section 2: required flags and log levels. */
@Tag("e2e")
@Timeout(60)
class CliE2eTest extends E2eBase {
    @ParameterizedTest
    @ValueSource(strings = {"--shimmy-pidfile", "--runtime", "--bundle", "--container-id",
        "--container-pidfile", "--container-logfile", "--container-exitfile", "--container-attachfile",
        "--syncpipe-fd"})
    void missingRequiredFlagExits1AndCreatesNothing(String flag) throws Exception {
        Container c = fx.container("sh", "-c", "echo should not run");
        Shim shim = fx.shim(c);
        shim.omit.add(flag);
        Shim.Result r = shim.run();
        assertEquals(1, r.mainExit, () -> "main exit without " + flag + "; " + r);
        String name = flag.substring(2);
        assertTrue(r.stderr.contains(name), () -> "stderr names " + name + ": " + r.stderr);
        assertEquals("", r.reportRaw, "nothing reported on the sync pipe");
        assertNull(r.pidfileContent, "no shim pidfile");
        assertFalse(Files.exists(c.bundle.containerPidfile()), "no container pidfile");
        assertFalse(c.anyShimFileExists(), "no log, exit or attach file");
        assertNull(fx.runc.state(c.id), "runc knows no container " + c.id);
    }

    @ParameterizedTest
    @ValueSource(strings = {"TRACE", "DEBUG", "WARNING", "info", "warn"})
    void logLevelAccepted(String level) throws Exception {
        Container c = fx.container("sh", "-c", "echo level ok");
        Shim shim = fx.shim(c);
        shim.logLevel = level;
        ExitFile e = runToExit(shim);
        assertEquals("exited", e.reason, e.raw);
        assertEquals(0, e.exitCode, e.raw);
        assertEquals(java.util.List.of("level ok"), LogRecord.texts(c.logRecords(), "stdout"));
    }

    @Test
    void equalsFormOfEveryFlag() throws Exception {
        Container c = fx.container("sh", "-c", "echo equals");
        Shim shim = fx.shim(c);
        shim.equalsForm = true;
        ExitFile e = runToExit(shim);
        assertEquals(0, e.exitCode, e.raw);
        assertEquals(java.util.List.of("equals"), LogRecord.texts(c.logRecords(), "stdout"));
    }

    /** Older conman: --runtime-arg then '--root=...' as a separate element, quotes included. */
    @Test
    void quotedRuntimeArgAsSeparateElement() throws Exception {
        Container c = fx.container("sh", "-c", "exit 4");
        Shim shim = fx.shim(c);
        shim.separateRuntimeArgs = true;
        ExitFile e = runToExit(shim);
        assertEquals(4, e.exitCode, e.raw);
    }

    @Test
    void unknownFlagExits1AndCreatesNothing() throws Exception {
        Container c = fx.container("true");
        Shim shim = fx.shim(c);
        shim.extra.add("--no-such-flag");
        Shim.Result r = shim.run();
        assertEquals(1, r.mainExit, r::toString);
        assertTrue(r.stderr.contains("no-such-flag"), () -> "stderr names the flag: " + r.stderr);
        assertEquals("", r.reportRaw);
        assertNull(r.pidfileContent);
        assertFalse(c.anyShimFileExists());
        assertNull(fx.runc.state(c.id));
    }

    /** Spec 3.2 DO NOT COPY: a pidfile that cannot be written must not leave a container behind. */
    @Test
    void unwritablePidfileFailsAndCreatesNothing() throws Exception {
        Container c = fx.container("sleep", "999");
        Shim shim = fx.shim(c);
        shim.override.put("--shimmy-pidfile", c.dir.resolve("no-such-dir/shimmy.pid").toString());
        Shim.Result r = shim.run();
        assertNotEquals(0, r.mainExit, () -> "main must fail when the pidfile cannot be written; " + r);
        Wait.sleep(500);
        assertNull(fx.runc.state(c.id), "no container was created");
        assertFalse(c.anyShimFileExists(), "no log, exit or attach file");
        assertTrue(fx.ownedProcesses().stream().noneMatch(pid -> Procs.cmdline(pid).contains(c.id)),
                "no shim for " + c.id + " lingers");
    }
}
