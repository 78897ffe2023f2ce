package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Podman and CRI-O build the launcher's environment from scratch: no JSHIMD, no JSHIM_SOCKET.
 * A launcher of a build tree then starts that build tree's jshimd (found from /proc/self/exe);
 * JSHIMD_JVM_OPTS, when the caller has it, reaches the daemon's JVM.
 */
@Tag("e2e")
@Timeout(90)
class DaemonNoEnvE2eTest extends E2eBase {
    @Test
    void emptyEnvironmentStartsTheBuildTreesJshimd() throws Exception {
        Path build = buildTree();
        int daemon = runWithEnv(List.of(), "no-env");
        String cmdline = Procs.cmdline(daemon);
        assertTrue(cmdline.contains("-jar " + build.resolve("maven/jshimd.jar")),
                () -> "the daemon is not the build tree's: " + cmdline);
        assertTrue(cmdline.contains("-XX:+UseSerialGC"), () -> "the start script's default JVM flags: " + cmdline);
        String log = Files.readString(fx.tmp.resolve("launcher.log"));
        assertTrue(log.contains("started the daemon: " + build.resolve("jshimd") + " --socket " + fx.socket),
                () -> "launcher.log names the build tree's jshimd: " + log);
        String environ = Files.readString(Path.of("/proc/" + daemon + "/environ"), StandardCharsets.UTF_8);
        assertFalse(environ.contains("JSHIMD="), () -> "the daemon's environment: " + environ);
    }

    @Test
    void jvmOptionsReachTheDaemon() throws Exception {
        int daemon = runWithEnv(List.of("JSHIMD_JVM_OPTS=-Xmx96m -Djshim.e2e.marker=jvm-opts"), "jvm-opts");
        String cmdline = Procs.cmdline(daemon);
        assertTrue(cmdline.contains("-Xmx96m -Djshim.e2e.marker=jvm-opts -jar "),
                () -> "JSHIMD_JVM_OPTS did not reach the daemon: " + cmdline);
        assertFalse(cmdline.contains("-XX:+UseSerialGC"), () -> "JSHIMD_JVM_OPTS replaces the defaults: " + cmdline);
    }

    /** <build>/native/launcher/jshim: the launcher under test must be a build tree's. */
    private static Path buildTree() {
        Path launcher = TestPaths.launcher();
        assertTrue(launcher.endsWith(Path.of("native/launcher/jshim")), () -> "not a build tree's launcher: " + launcher);
        Path build = launcher.getParent().getParent().getParent();
        assertTrue(Files.isExecutable(build.resolve("jshimd")), () -> "no " + build + "/jshimd");
        return build;
    }

    /**
     * With no daemon on the fixture's socket, runs one container through `env -i VARS...
     * syncpipe-run -- jshim ...` (no JSHIMD, no JSHIM_SOCKET: the socket is on the command
     * line) and returns the daemon that served it.
     */
    private static int runWithEnv(List<String> vars, String text) throws IOException {
        for (int pid : fx.daemons()) {
            Native.kill(pid, Native.SIGKILL);
            assertTrue(Procs.waitGone(pid, 5_000), "old daemon " + pid + " gone");
        }
        Container c = fx.container("sh", "-c", "echo " + text + "; exit 5");
        Shim shim = fx.shim(c);
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/env", "-i"));
        cmd.addAll(vars);
        cmd.addAll(shim.managerArgv());
        Shim.Result r = shim.collect(shim.start(cmd));
        assertEquals(0, r.mainExit, () -> "main exit code; " + r);
        assertTrue(r.report().isSuccess(), () -> "report: " + r);
        assertTrue(Wait.until(5_000, () -> fx.daemons().size() == 1), () -> "one daemon: " + fx.daemons());
        int daemon = fx.daemons().get(0);
        fx.runc.start(c.id);
        ExitFile e = c.awaitExitFile(10_000);
        assertEquals(5, e.exitCode, e.raw);
        assertEquals(List.of(text), LogRecord.texts(c.logRecords(), "stdout"));
        assertShimGone(r);
        return daemon;
    }
}
