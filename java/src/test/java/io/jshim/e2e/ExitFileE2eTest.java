package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Spec 6, 9 and 11: the exit file, container fds, zombies, shim lifetime. */
@Tag("e2e")
@Timeout(60)
class ExitFileE2eTest extends E2eBase {
    @ParameterizedTest
    @ValueSource(ints = {0, 42, 200})
    void exitCode(int code) throws Exception {
        Container c = fx.container("sh", "-c", "exit " + code);
        ExitFile e = runToExit(fx.shim(c));
        assertEquals("exited", e.reason, e.raw);
        assertEquals(code, e.exitCode, e.raw);
        String before = Files.readString(c.exitFile);
        Wait.sleep(300);
        assertEquals(before, Files.readString(c.exitFile), "the exit file never changes");
    }

    @Test
    void sigkillThroughRunc() throws Exception {
        Container c = fx.container("sleep", "999");
        Shim.Result r = createOk(fx.shim(c));
        fx.runc.start(c.id);
        assertEquals("running", fx.runc.state(c.id));
        fx.runc.kill(c.id, "KILL");
        ExitFile e = c.awaitExitFile(10_000);
        assertEquals("signaled", e.reason, e.raw);
        assertEquals(9, e.signal, e.raw);
        assertShimGone(r);
        assertEquals("stopped", fx.runc.state(c.id));
    }

    /** conman's StopContainer on a container that was never started (container_status.bats). */
    @Test
    void stoppingACreatedContainer() throws Exception {
        Container c = fx.container("sleep", "999");
        Shim.Result r = createOk(fx.shim(c));
        assertEquals("created", fx.runc.state(c.id));
        fx.runc.kill(c.id, "TERM");
        boolean stopped = Wait.until(500, () -> Files.exists(c.exitFile));
        if (!stopped) {
            fx.runc.kill(c.id, "KILL");
        }
        ExitFile e = c.awaitExitFile(10_000);
        assertTrue(e.reason.equals("exited") ? e.exitCode >= 0 : e.signal > 0, e.raw);
        assertShimGone(r);
        assertEquals("stopped", fx.runc.state(c.id));
    }

    /** conman reads the exit file as soon as runc says stopped (polls every 250 ms). */
    @Test
    void exitFileReadyWhenRuncSaysStopped() throws Exception {
        Container c = fx.container("sh", "-c", "sleep 0.3; exit 3");
        Shim.Result r = createOk(fx.shim(c));
        fx.runc.start(c.id);
        assertTrue(Wait.until(10_000, () -> {
            try {
                return "stopped".equals(fx.runc.state(c.id));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }), "runc says stopped");
        long t0 = System.nanoTime();
        ExitFile e = c.awaitExitFile(250);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(3, e.exitCode, e.raw);
        assertTrue(ms < 250, "exit file " + ms + " ms after runc said stopped");
        assertShimGone(r);
    }

    @Test
    void containerHasExactlyStdio() throws Exception {
        Container c = fx.container("sh", "-c", "ls /proc/$$/fd");
        ExitFile e = runToExit(fx.shim(c));
        assertEquals(0, e.exitCode, e.raw);
        // sh execs ls, so $$ is ls: fds 0, 1, 2 and ls's own directory fd 3.
        assertEquals(List.of("0", "1", "2", "3"), LogRecord.texts(c.logRecords(), "stdout"));
        assertEquals(List.of(), LogRecord.texts(c.logRecords(), "stderr"));
    }

    @Test
    void noZombiesAndShimGoneWithin2s() throws Exception {
        Container c = fx.container("sh", "-c", "sleep 0.5; echo done");
        Shim.Result r = createOk(fx.shim(c));
        int shim = r.shimPid();
        assertNoZombiesOf(shim);
        fx.runc.start(c.id);
        Wait.sleep(200);
        assertNoZombiesOf(shim);
        int container = c.containerPid();
        c.awaitExitFile(10_000);
        long t0 = System.nanoTime();
        assertShimGone(r);
        assertTrue(Procs.waitGone(container, 2_000 - (System.nanoTime() - t0) / 1_000_000),
                "the container is gone");
        assertNoZombiesOf(Procs.self(), shim, container);
        assertEquals(List.of("done"), LogRecord.texts(c.logRecords(), "stdout"));
    }
}
