package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Common set-up of the podman end-to-end classes: one {@link PodmanWorld} per class, and the
 * proof that podman really used the conmon under test. Every test calls one of the
 * {@code assert...ConmonUnderTest} helpers: podman silently falls back to another conmon when
 * the one it was given fails its version probe, so a passing test proves nothing without it.
 */
abstract class PodmanE2eBase {
    static PodmanWorld w;

    @BeforeAll
    static void setUpWorld() throws IOException {
        w = new PodmanWorld();
        System.err.println("podman e2e: " + w.mode() + ", world " + w.tmp);
    }

    @AfterAll
    static void tearDownWorld() throws IOException {
        if (w != null) {
            w.close();
            w = null;
        }
    }

    /**
     * Waits until the named container runs, then checks that /proc/PID/exe of its
     * State.ConmonPid is the conmon under test. Returns that pid.
     */
    static int assertConmonUnderTest(String name) throws IOException {
        return assertConmonUnderTest(name, null);
    }

    /** As above; fails at once with podman's output if podman (run/start) exits first. */
    static int assertConmonUnderTest(String name, PodmanCmd podman) throws IOException {
        long end = System.nanoTime() + 30_000_000_000L;
        String last = "";
        while (System.nanoTime() < end) {
            if (podman != null && !podman.alive()) {
                PodmanCmd.Result r = podman.await(5_000);
                throw new AssertionError("podman exited before " + name + " ran under a monitor: " + r);
            }
            PodmanCmd.Result r = w.podman("inspect", "--format", "{{.State.Status}} {{.State.ConmonPid}}", name);
            last = r.toString();
            if (r.rc == 0) {
                String[] f = r.out.trim().split(" ");
                if (f.length == 2 && f[0].equals("running") && !f[1].equals("0")) {
                    int pid = Integer.parseInt(f[1]);
                    assertExe(pid, "State.ConmonPid of " + name);
                    return pid;
                }
                assertTrue(!f[0].equals("exited") && !f[0].equals("stopped"), () -> name
                        + " stopped before its conmon could be checked (is it gated?): " + r);
            }
            Wait.sleep(20);
        }
        throw new AssertionError(name + " did not run within 30 s; last inspect: " + last);
    }

    /**
     * Waits until the named container runs under a monitor that is not in seen (a restart),
     * tolerating the stopped states in between; checks that monitor's exe and adds it to seen.
     */
    static int assertNewConmonUnderTest(String name, java.util.Set<Integer> seen, PodmanCmd podman)
            throws IOException {
        long end = System.nanoTime() + 30_000_000_000L;
        String last = "";
        while (System.nanoTime() < end) {
            if (podman != null && !podman.alive()) {
                throw new AssertionError("podman exited before " + name + " ran under a new monitor: "
                        + podman.await(5_000));
            }
            PodmanCmd.Result r = w.podman("inspect", "--format", "{{.State.Status}} {{.State.ConmonPid}}", name);
            last = r.toString();
            String[] f = r.out.trim().split(" ");
            if (r.rc == 0 && f.length == 2 && f[0].equals("running") && !f[1].equals("0")
                    && !seen.contains(Integer.parseInt(f[1]))) {
                int pid = Integer.parseInt(f[1]);
                assertExe(pid, "State.ConmonPid of " + name);
                seen.add(pid);
                return pid;
            }
            Wait.sleep(20);
        }
        throw new AssertionError(name + " did not run under a new monitor (not " + seen
                + ") within 30 s; last inspect: " + last);
    }

    /** The monitor goes away once the container exited and the exit command ran. */
    static void assertMonitorGone(int pid, String what) {
        assertTrue(Procs.waitGone(pid, 10_000), () -> "the monitor " + pid + " of " + what
                + " is still alive 10 s after the exit: " + Procs.cmdline(pid));
    }

    /** Checks the exec monitor of a gated exec session on the container with this full id. */
    static int assertExecConmonUnderTest(String containerId, PodmanCmd podman) {
        List<Integer> found = new ArrayList<>();
        assertTrue(Wait.until(30_000, () -> {
            if (podman != null && !podman.alive()) {
                throw new AssertionError("podman exited before its exec monitor was seen: " + podman.await(5_000));
            }
            found.clear();
            for (int pid : w.ownedProcesses()) {
                String cmd = Procs.cmdline(pid);
                if (cmd.contains("--exec-process-spec") && cmd.contains(containerId) && isMonitor(pid)) {
                    found.add(pid);
                }
            }
            return !found.isEmpty();
        }), () -> "no exec monitor (a process of the world with --exec-process-spec and " + containerId
                + " in its argv whose exe is " + w.expectedExe + ") within 30 s");
        return found.get(0);
    }

    private static boolean isMonitor(int pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).equals(w.expectedExe);
        } catch (IOException e) {
            return false;
        }
    }

    static void assertExe(int pid, String what) {
        Path exe;
        try {
            exe = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe"));
        } catch (IOException e) {
            throw new AssertionError(what + " = " + pid + ": cannot read /proc/" + pid + "/exe (gone?)", e);
        }
        assertEquals(w.expectedExe, exe, () -> what + " = " + pid + " runs " + exe + ", not the conmon under test ("
                + w.mode() + "); cmdline " + Procs.cmdline(pid));
    }

    /**
     * The world-level proof for tests whose own container never runs: podman info names the
     * world's conmon link, and a gated container's monitor is the conmon under test.
     */
    static void assertWorldUsesConmonUnderTest(String probeName) throws IOException {
        String path = w.podman("info", "--format", "{{.Host.Conmon.Path}}").ok().out.trim();
        assertEquals(w.conmonLink.toString(), path, "podman info .Host.Conmon.Path");
        w.podman(w.runArgs("run", probeName, List.of("-d"), "sleep", "1000").toArray(new String[0])).ok();
        assertConmonUnderTest(probeName);
        w.podman("rm", "-f", "-t", "0", probeName).ok();
    }

    /** Starts `podman run|create ...` for a gated script (see PodmanWorld.gated). */
    static PodmanCmd startGated(String sub, String name, List<String> flags, String script) throws IOException {
        return w.start(null, w.runArgs(sub, name, flags, PodmanWorld.gated(script)));
    }

    /** `podman run -d` of a gated script; checks its conmon, opens the gate, returns the id. */
    static String runDetachedChecked(String name, List<String> flags, String script) throws IOException {
        List<String> f = new ArrayList<>(List.of("-d"));
        f.addAll(flags);
        String id = w.podman(w.runArgs("run", name, f, PodmanWorld.gated(script)).toArray(new String[0]))
                .ok().out.trim();
        assertConmonUnderTest(name);
        w.openGate(name);
        return id;
    }

    /** `podman wait name`: the exit code it prints. */
    static int waitExit(String name) throws IOException {
        PodmanCmd.Result r = w.podman("wait", name).ok();
        return Integer.parseInt(r.out.trim());
    }

    /** The lines of s, without the empty string after a final newline. */
    static List<String> lines(String s) {
        List<String> out = new ArrayList<>(Arrays.asList(s.split("\n", -1)));
        if (out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    /**
     * A jshim-only test (it kills or inspects jshimd) run against another monitor fails here:
     * ctest leaves the jshim-only tag out in validation mode, so only a hand-made run gets here,
     * and it must not pass for a skip.
     */
    static void requireJshim(String test) {
        if (w.validation) {
            throw new AssertionError(test + " is jshim-only and cannot run in " + w.mode()
                    + "; leave the tag jshim-only out (ctest does in validation mode)");
        }
    }
}
