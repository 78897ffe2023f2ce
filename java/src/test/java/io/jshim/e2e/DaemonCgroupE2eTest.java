package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Where a jshimd started by a launcher lives. The launcher runs inside a throwaway cgroup
 * (podman's /libpod_parent/conmon, CRI-O's crio-conmon-ID scope), with an inherited fd that is
 * not close-on-exec, a raised OOM score adjustment and lowered soft limits. The daemon it
 * starts must be in its own cgroup (jshimd) in every hierarchy, hold none of the launcher's
 * fds, have OOM score adjustment 0 and PID 1's limits, and outlive the removal of the
 * launcher's cgroup (its tasks killed first), still serving new containers.
 */
@Tag("e2e")
@Timeout(120)
class DaemonCgroupE2eTest extends E2eBase {
    /** CAP_SYS_RESOURCE: without it nobody raises a hard limit or lowers oom_score_adj below 0. */
    private static final int CAP_SYS_RESOURCE = 24;

    @Test
    void daemonLeavesTheLaunchersCgroupFdsLimitsAndOomScore() throws Exception {
        String name = "jshim-test-" + ProcessHandle.current().pid();
        Path marker = fx.tmp.resolve("inherited-marker");
        Files.writeString(marker, "an fd the launcher's caller leaked\n");
        try (ThrowawayCgroup cg = new ThrowawayCgroup(name)) {
            Container c = fx.container("sleep", "600");
            // as podman's and CRI-O's: an absolute cgroup, not one nested in the caller's
            String config = Files.readString(c.bundle.config());
            assertEquals(1, config.split("\"linux\": \\{", -1).length - 1, "one linux section");
            Files.writeString(c.bundle.config(), config.replace("\"linux\": {",
                    "\"linux\": {\"cgroupsPath\": \"/jshim-e2e-" + c.id + "\","));
            Shim shim = fx.shim(c);
            // The caller podman/CRI-O would be: in the scope, -1000 (or, without
            // CAP_SYS_RESOURCE, 500), small soft limits and a leaked fd 7.
            String wrapper = "set -e; " + cg.joinCommand() + "; "
                    + "echo -1000 > /proc/self/oom_score_adj 2>/dev/null || echo 500 > /proc/self/oom_score_adj; "
                    + "ulimit -Sn 512; ulimit -Ss 4096; ulimit -Sl 64; ulimit -Sp 1000; "
                    + "exec 7<'" + marker + "'; exec \"$@\"";
            List<String> cmd = new ArrayList<>(shim.managerArgv());
            int dashdash = cmd.indexOf("--");
            cmd.addAll(dashdash + 1, List.of("/bin/sh", "-c", wrapper, "sh"));
            Shim.Result r = shim.collect(shim.start(cmd));
            assertEquals(0, r.mainExit, () -> "main exit code; " + r);
            assertTrue(r.report().isSuccess(), () -> "report: " + r);
            int monitor = r.shimPid();

            // the set-up took: the monitor is where podman/CRI-O would have put it
            String monitorCgroups = Files.readString(Path.of("/proc/" + monitor + "/cgroup"));
            for (String line : monitorCgroups.strip().split("\n")) {
                assertTrue(line.endsWith("/" + name), () -> "the launcher is not in the throwaway cgroup: "
                        + monitorCgroups);
            }
            int monitorOom = oomScoreAdj(monitor);
            assertNotEquals(0, monitorOom, "the launcher's oom_score_adj was set");
            assertTrue(Procs.fdTargets(monitor).contains(marker.toString()),
                    () -> "the launcher holds the leaked fd: " + Procs.fdTargets(monitor));

            assertTrue(Wait.until(5_000, () -> fx.daemons().size() == 1), () -> "one daemon: " + fx.daemons());
            int daemon = fx.daemons().get(0);

            String daemonCgroups = Files.readString(Path.of("/proc/" + daemon + "/cgroup"));
            for (String line : daemonCgroups.strip().split("\n")) {
                assertFalse(line.contains(name), () -> "the daemon is in the launcher's cgroup: " + daemonCgroups);
                assertTrue(line.endsWith(":/jshimd"), () -> "the daemon is not in its own jshimd cgroup: "
                        + daemonCgroups);
            }
            assertEquals(cg.dirs.size(), daemonCgroups.strip().split("\n").length,
                    () -> "one line per hierarchy: " + daemonCgroups + " vs " + cg.dirs);

            List<String> fds = Procs.fdTargets(daemon);
            assertFalse(fds.contains(marker.toString()), () -> "the daemon inherited the leaked fd: " + fds);
            assertTrue(fds.stream().noneMatch(t -> t.endsWith("/launcher.log")),
                    () -> "the daemon holds the launcher's log: " + fds);
            assertEquals("/dev/null", Files.readSymbolicLink(Path.of("/proc/" + daemon + "/fd/0")).toString());
            assertEquals(0, oomScoreAdj(daemon), "the daemon's oom_score_adj (launcher's: " + monitorOom + ")");
            assertLimitsOfInit(daemon, monitor);

            // systemd stopping the scope: every task killed, the cgroup removed
            cg.killAndRemove();
            assertTrue(Procs.waitGone(monitor, 2_000), "the launcher died with its cgroup");
            assertTrue(Procs.alive(daemon), "the daemon survived the removal of the launcher's cgroup");

            Container c2 = fx.container("sh", "-c", "echo after-the-scope; exit 4");
            ExitFile e = runToExit(fx.shim(c2));
            assertEquals(4, e.exitCode, e.raw);
            assertEquals(List.of("after-the-scope"), LogRecord.texts(c2.logRecords(), "stdout"));
            assertEquals(List.of(daemon), fx.daemons(), "the same daemon served the new container");
        }
    }

    static int oomScoreAdj(int pid) throws IOException {
        return Integer.parseInt(Files.readString(Path.of("/proc/" + pid + "/oom_score_adj")).trim());
    }

    /**
     * The daemon's limits are PID 1's. A hard limit above the launcher's cannot be restored
     * without CAP_SYS_RESOURCE, so then it is the launcher's (the closest allowed). The JVM
     * raises its own open-files soft limit to the hard one.
     */
    static void assertLimitsOfInit(int daemon, int launcher) throws IOException {
        Map<String, long[]> init = limits(1);
        Map<String, long[]> mine = limits(launcher);
        Map<String, long[]> got = limits(daemon);
        boolean canRaise = hasCapability(CAP_SYS_RESOURCE);
        assertEquals(init.keySet(), got.keySet(), "limit names");
        for (Map.Entry<String, long[]> en : init.entrySet()) {
            String limit = en.getKey();
            long hard = canRaise ? en.getValue()[1] : Math.min(en.getValue()[1], mine.get(limit)[1]);
            long soft = Math.min(en.getValue()[0], hard);
            long[] g = got.get(limit);
            assertEquals(hard, g[1], () -> limit + " hard limit of the daemon (pid 1: " + en.getValue()[1] + ")");
            if (limit.equals("Max open files")) {
                assertTrue(g[0] == soft || g[0] == hard, () -> limit + " soft limit of the daemon: " + g[0]);
            } else {
                assertEquals(soft, g[0], () -> limit + " soft limit of the daemon (pid 1: " + en.getValue()[0] + ")");
            }
        }
        // the set-up lowered these soft limits: prove they were restored, not inherited
        assertNotEquals(512, got.get("Max open files")[0]);
        assertNotEquals(4096L * 1024, got.get("Max stack size")[0]);
        assertEquals(4096L * 1024, mine.get("Max stack size")[0], "the launcher's stack soft limit was lowered");
    }

    /** /proc/PID/limits: name -> {soft, hard}, "unlimited" = Long.MAX_VALUE. */
    static Map<String, long[]> limits(int pid) throws IOException {
        Map<String, long[]> out = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(Path.of("/proc/" + pid + "/limits"));
        for (String line : lines.subList(1, lines.size())) {
            String name = line.substring(0, 26).trim();
            String[] v = line.substring(26).trim().split("\\s+");
            out.put(name, new long[] {value(v[0]), value(v[1])});
        }
        return out;
    }

    private static long value(String s) {
        return s.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(s);
    }

    static boolean hasCapability(int cap) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << cap)) != 0;
            }
        }
        throw new AssertionError("no CapEff in /proc/self/status");
    }
}
