package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Spec 3.7, 4 and 13: the runtime fails, the shim reports and goes, nothing is created. */
@Tag("e2e")
@Timeout(60)
class AbnormalTerminationE2eTest extends E2eBase {
    @Test
    void unknownRuntimeArgument() throws Exception {
        Container c = fx.container("true");
        Shim shim = fx.shim(c);
        shim.runtimeArgs.clear();
        shim.runtimeArgs.add("foobar=123");
        Shim.Result r = shim.run();
        Report rep = assertAbnormal(r, c);
        assertEquals("Runtime Exited with code 3.", rep.status, r::toString);
        assertNotNull(rep.stderr, "report has stderr");
        assertTrue(rep.stderr.contains("No help topic for 'foobar=123'"), () -> "stderr: " + rep.stderr);
        assertNoZombiesOf(Procs.self(), r.shimPid());
    }

    /** Exactly as shimmy_test.go: env only _OCI_SYNCPIPE=3, no syncpipe or log-level flag, nonsense paths. */
    @Test
    void shimmyTestGoInvocation() throws Exception {
        Container c = fx.container("true");
        Shim shim = fx.shim(c);
        shim.envOnlySyncpipe = true;
        shim.logLevel = null;
        shim.runtimeArgs.clear();
        shim.runtimeArgs.add("foobar=123");
        shim.override.put("--bundle", "/not/used/folder");
        shim.override.put("--container-pidfile", "/not/used/file.pid");
        shim.override.put("--container-logfile", "/not/used/logfile");
        shim.override.put("--container-exitfile", "/not/used/exitfile");
        shim.override.put("--container-attachfile", "/not/used/exitfile");
        long t0 = System.nanoTime();
        Shim.Result r = shim.run();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 3_000, "main plus report within 3 s, took " + ms + " ms");
        Report rep = assertAbnormal(r, c);
        assertEquals("Runtime Exited with code 3.", rep.status, r::toString);
        assertTrue(rep.stderr != null && rep.stderr.contains("No help topic for 'foobar=123'"), r::toString);
        assertFalse(Files.exists(java.nio.file.Path.of("/not/used")), "nothing created under /not/used");
    }

    @Test
    void invalidExecutable() throws Exception {
        Container c = fx.container("i_am_not_a_valid_executable");
        Shim.Result r = fx.shim(c).run();
        Report rep = assertAbnormal(r, c);
        assertTrue(rep.status != null && rep.status.matches("Runtime Exited with code [1-9][0-9]*\\."),
                r::toString);
        assertTrue(rep.stderr != null && rep.stderr.contains(
                "\\\"i_am_not_a_valid_executable\\\": executable file not found in $PATH"),
                () -> "stderr: " + rep.stderr);
    }

    @Test
    void nonexistentBundle() throws Exception {
        Container c = fx.container("true");
        Shim shim = fx.shim(c);
        shim.override.put("--bundle", fx.tmp.resolve("no-such-bundle").toString());
        Shim.Result r = shim.run();
        Report rep = assertAbnormal(r, c);
        assertEquals("Runtime Exited with code 1.", rep.status, r::toString);
        assertTrue(rep.stderr != null && rep.stderr.contains("no-such-bundle"), () -> "stderr: " + rep.stderr);
        assertEquals(null, fx.runc.state(c.id), "runc has no container " + c.id);
    }
}
