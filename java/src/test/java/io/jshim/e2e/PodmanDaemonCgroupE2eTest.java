package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * jshim only: podman (cgroupfs manager) moves its conmon into /libpod_parent/conmon before the
 * start byte. The jshimd that conmon (jshim) starts must not stay there: it lives in its own
 * cgroup, jshimd, in every hierarchy, and keeps serving containers started afterwards.
 */
@Tag("e2e")
@Tag("podman")
@Tag("jshim-only")
@Timeout(120)
class PodmanDaemonCgroupE2eTest extends PodmanE2eBase {
    @Test
    void jshimdLeavesPodmansConmonCgroup() throws Exception {
        requireJshim("jshimdLeavesPodmansConmonCgroup");
        assertTrue(w.daemons().isEmpty(), () -> "no jshimd before the first container: " + w.daemons());
        w.podman(w.runArgs("run", "cg1", List.of("-d"), "sleep", "600").toArray(new String[0])).ok();
        int conmon = assertConmonUnderTest("cg1");
        String conmonCgroups = Files.readString(Path.of("/proc/" + conmon + "/cgroup"));
        assertTrue(conmonCgroups.contains(":/libpod_parent/conmon\n"),
                () -> "podman did not put its conmon into /libpod_parent/conmon: " + conmonCgroups);

        assertTrue(Wait.until(10_000, () -> w.daemons().size() == 1), () -> "one jshimd: " + w.daemons());
        int daemon = w.daemons().get(0);
        String daemonCgroups = Files.readString(Path.of("/proc/" + daemon + "/cgroup"));
        for (String line : daemonCgroups.strip().split("\n")) {
            assertFalse(line.contains("libpod"), () -> "jshimd is in a cgroup of podman's: " + daemonCgroups);
            assertTrue(line.endsWith(":/jshimd"), () -> "jshimd is not in its own cgroup: " + daemonCgroups);
        }
        assertEquals("0", Files.readString(Path.of("/proc/" + daemon + "/oom_score_adj")).trim(),
                "jshimd's oom_score_adj");
        assertTrue(Procs.fdTargets(daemon).stream().noneMatch(t -> t.contains("/libpod") || t.endsWith("/conmon.pid")),
                () -> "jshimd holds a file of podman's: " + Procs.fdTargets(daemon));

        w.podman("rm", "-f", "-t", "0", "cg1").ok();
        PodmanCmd.Result r = w.podman(w.runArgs("run", "cg2", List.of(), "sh", "-c", "echo second; exit 6")
                .toArray(new String[0]));
        assertEquals(6, r.rc, () -> "podman run cg2: " + r);
        assertEquals("second\n", w.podman("logs", "cg2").ok().out);
        assertEquals(List.of(daemon), w.daemons(), "the same jshimd served the second container");
    }
}
