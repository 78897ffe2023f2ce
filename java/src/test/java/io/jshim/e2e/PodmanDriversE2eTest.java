package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Log drivers none/passthrough, a custom log path, the conmon pidfile, preserved fds, several
 * attach clients, rm -f and kill (conmon spec 1.2, 3.1, 4.2, 5.1, 8.2, 8.4, 9).
 */
@Tag("e2e")
@Tag("podman")
@Timeout(120)
class PodmanDriversE2eTest extends PodmanE2eBase {
    @Test
    void logDriverNone() throws Exception {
        PodmanCmd run = startGated("run", "none", List.of("--log-driver", "none"),
                "echo n-out; echo n-err >&2; exit 2");
        assertConmonUnderTest("none", run);
        w.openGate("none");
        PodmanCmd.Result r = run.await(PodmanWorld.TIMEOUT_MS);
        assertEquals(2, r.rc, r::toString);
        assertEquals("n-out\n", r.out, r::toString);
        assertEquals("n-err\n", r.err, r::toString);
        Path bundle = Path.of(w.inspect("none", "{{.StaticDir}}"));
        assertFalse(Files.exists(bundle.resolve("ctr.log")), "ctr.log with --log-driver none");
        PodmanCmd.Result logs = w.podman("logs", "none");
        assertEquals(125, logs.rc, logs::toString);
        assertTrue(logs.err.contains("'none' log driver"), logs::toString);
    }

    /** Spec 5.1: the runtime gets the monitor's own stdio, i.e. podman's; no attach socket. */
    @Test
    void logDriverPassthrough() throws Exception {
        PodmanCmd run = startGated("run", "pass", List.of("--log-driver", "passthrough"),
                "echo pt-out; echo pt-err >&2; exit 2");
        assertConmonUnderTest("pass", run);
        Path bundle = Path.of(w.inspect("pass", "{{.StaticDir}}"));
        assertFalse(Files.exists(bundle.resolve("attach")), "an attach socket with --log-driver passthrough");
        w.openGate("pass");
        PodmanCmd.Result r = run.await(PodmanWorld.TIMEOUT_MS);
        assertEquals(2, r.rc, r::toString);
        assertEquals("pt-out\n", r.out, r::toString);
        assertEquals("pt-err\n", r.err, r::toString);
    }

    @Test
    void customLogPath() throws Exception {
        Path custom = w.tmp.resolve("custom-logs/c.log");
        Files.createDirectories(custom.getParent());
        runDetachedChecked("custom", List.of("--log-opt", "path=" + custom), "echo to-custom; echo err >&2");
        assertEquals(0, waitExit("custom"));
        List<String> recs = lines(Files.readString(custom, StandardCharsets.UTF_8));
        assertEquals(2, recs.size(), recs::toString);
        assertTrue(recs.get(0).endsWith(" stdout F to-custom") && recs.get(1).endsWith(" stderr F err"),
                recs::toString);
        assertEquals("to-custom\n", w.podman("logs", "custom").ok().out);
    }

    /** Spec 3.1, 8.2: conmon.pid (and --conmon-pidfile) hold the monitor's pid, digits only. */
    @Test
    void conmonPidfiles() throws Exception {
        Path mine = w.tmp.resolve("my-conmon.pid");
        w.podman(w.runArgs("run", "pidf", List.of("-d", "--conmon-pidfile", mine.toString()), "sleep", "1000")
                .toArray(new String[0])).ok();
        int monitor = assertConmonUnderTest("pidf");
        assertEquals(String.valueOf(monitor), Files.readString(mine), "--conmon-pidfile content");
        assertEquals(mine.toString(), w.inspect("pidf", "{{.ConmonPidFile}}"));
        w.podman(w.runArgs("run", "pidd", List.of("-d"), "sleep", "1000").toArray(new String[0])).ok();
        int other = assertConmonUnderTest("pidd");
        Path dflt = Path.of(w.inspect("pidd", "{{.ConmonPidFile}}"));
        assertEquals(String.valueOf(other), Files.readString(dflt), dflt + " content");
    }

    /** Spec 8.4: --preserve-fds 1 hands podman's fd 3 to the container. */
    @Test
    void preserveFds() throws Exception {
        Path file = w.tmp.resolve("preserved.txt");
        Files.writeString(file, "preserved-content\n");
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "exec 3<\"$0\"; exec \"$@\"", file.toString()));
        cmd.addAll(w.globals());
        cmd.addAll(w.runArgs("run", "fds", List.of("--preserve-fds", "1"), PodmanWorld.gated("cat <&3; exit 4")));
        PodmanCmd run = w.startRaw(cmd);
        assertConmonUnderTest("fds", run);
        w.openGate("fds");
        PodmanCmd.Result r = run.await(PodmanWorld.TIMEOUT_MS);
        assertEquals(4, r.rc, r::toString);
        assertEquals("preserved-content\n", r.out, r::toString);
    }

    /** Spec 4.2: output goes to every attached client. */
    @Test
    void twoAttachClients() throws Exception {
        w.podman(w.runArgs("run", "two", List.of("-d"), "sh", "-c",
                "while [ ! -e /gate/go ]; do echo tick; sleep 0.1; done; echo after-gate; exit 7")
                .toArray(new String[0])).ok();
        assertConmonUnderTest("two");
        PodmanCmd a = w.start("attach", "--no-stdin", "--sig-proxy=false", "two");
        PodmanCmd b = w.start("attach", "--no-stdin", "--sig-proxy=false", "two");
        assertTrue(Wait.until(20_000, () -> a.outSoFar().contains("tick\n") && b.outSoFar().contains("tick\n")),
                () -> "both attach clients should see output: " + Json.quote(a.outSoFar()) + " / "
                        + Json.quote(b.outSoFar()));
        w.openGate("two");
        for (PodmanCmd c : List.of(a, b)) {
            PodmanCmd.Result r = c.await(20_000);
            assertTrue(r.out.endsWith("tick\nafter-gate\n\n"), r::toString);
            assertEquals(0, r.rc, r::toString);
        }
        assertEquals(7, waitExit("two"));
    }

    @Test
    void rmForceRunning() throws Exception {
        String id = w.podman(w.runArgs("run", "rmf", List.of("-d"), "sleep", "1000").toArray(new String[0]))
                .ok().out.trim();
        int monitor = assertConmonUnderTest("rmf");
        w.podman("rm", "-f", "-t", "1", "rmf").ok();
        assertEquals(1, w.podman("container", "exists", "rmf").rc, "rmf still exists after rm -f");
        assertMonitorGone(monitor, "rmf");
        PodmanCmd.Result state = w.startRaw(List.of(System.getProperty("jshim.test.runtime", "/usr/sbin/runc"),
                "state", id)).await(PodmanWorld.TIMEOUT_MS);
        assertTrue(state.rc != 0, () -> "runc still knows the container: " + state);
    }

    @Test
    void killDefaultIs137() throws Exception {
        w.podman(w.runArgs("run", "kill9", List.of("-d"), "sleep", "1000").toArray(new String[0])).ok();
        int monitor = assertConmonUnderTest("kill9");
        w.podman("kill", "kill9").ok();
        assertEquals(137, waitExit("kill9"));
        assertEquals("137 exited", w.inspect("kill9", "{{.State.ExitCode}} {{.State.Status}}"));
        assertMonitorGone(monitor, "kill9");
    }
}
