package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Common set-up of the end-to-end test classes: one {@link E2eFixture} per class. */
abstract class E2eBase {
    static E2eFixture fx;

    @BeforeAll
    static void setUpFixture() throws IOException {
        fx = new E2eFixture();
    }

    @AfterAll
    static void tearDownFixture() throws IOException {
        if (fx != null) {
            fx.close();
            fx = null;
        }
    }

    /** A successful create: main exit 0, success report, pidfile pid = a live shim. */
    static Shim.Result createOk(Shim shim) throws IOException {
        long t0 = System.nanoTime();
        Shim.Result r = shim.run();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, r.mainExit, () -> "main exit code; " + r);
        assertTrue(ms < 10_000, () -> "create (main exit + report) took " + ms + " ms, conmand allows 10 s");
        Report rep = r.report();
        assertTrue(rep.isSuccess(), () -> "report is not a container_pid report: " + r);
        int shimPid = r.shimPid();
        assertTrue(Procs.alive(shimPid), () -> "the shim " + shimPid + " is not alive after create");
        assertEquals(shim.c.containerPid(), rep.pid, "report pid vs --container-pidfile");
        assertTrue(Procs.alive((int) rep.pid), () -> "the container " + rep.pid + " is not alive after create");
        assertTrue(Files.exists(shim.c.logFile), "log file exists after create");
        assertTrue(Files.exists(shim.c.attachFile), "attach socket exists after create");
        assertFalse(Files.exists(shim.c.exitFile), "no exit file before the container ran");
        return r;
    }

    /** Create, start, wait for the exit file; checks the shim is gone within 2 s of it. */
    static ExitFile runToExit(Shim shim) throws IOException {
        Shim.Result r = createOk(shim);
        fx.runc.start(shim.c.id);
        ExitFile e = shim.c.awaitExitFile(10_000);
        assertShimGone(r);
        return e;
    }

    static void assertShimGone(Shim.Result r) {
        int pid = r.shimPid();
        assertTrue(Procs.waitGone(pid, 2_000), () -> "the shim " + pid + " is still alive 2 s after the exit: "
                + Procs.cmdline(pid));
    }

    /** Failure report checks shared by the abnormal-termination tests. */
    static Report assertAbnormal(Shim.Result r, Container c) {
        assertEquals(0, r.mainExit, () -> "main exit code; " + r);
        Report rep;
        try {
            rep = r.report();
        } catch (IllegalArgumentException e) {
            throw new AssertionError("report does not parse: " + r, e);
        }
        assertEquals("runtime_abnormal_termination", rep.kind, () -> "report kind; " + r);
        assertShimGone(r);
        assertFalse(Files.exists(c.logFile), "no log file after a failed create");
        assertFalse(Files.exists(c.exitFile), "no exit file after a failed create");
        assertFalse(Files.exists(c.attachFile), "no attach socket after a failed create");
        return rep;
    }

    static void assertNoZombiesOf(int... parents) {
        Set<Integer> set = new java.util.HashSet<>();
        for (int p : parents) {
            set.add(p);
        }
        // A zombie that just appeared (a daemon's helper exiting this instant) is not "left":
        // only one that is still a zombie after the harness reaper had 300 ms counts.
        List<Integer> first = Procs.zombieChildrenOf(set);
        if (first.isEmpty()) {
            return;
        }
        Wait.sleep(300);
        List<Integer> z = Procs.zombieChildrenOf(set);
        z.retainAll(first);
        List<String> described = new java.util.ArrayList<>();
        for (int pid : z) {
            described.add(pid + " (parent " + Procs.ppid(pid) + ", " + Procs.comm(pid) + ")");
        }
        assertTrue(z.isEmpty(), () -> "zombies left for 300 ms: " + described + " (parents " + set + ")");
    }
}
