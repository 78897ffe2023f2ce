package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Tag;
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
}
