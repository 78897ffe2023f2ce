package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Native;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Spec 3.3 and 8: signals to the shim, and the manager dying. */
@Tag("e2e")
@Timeout(60)
class SignalsE2eTest extends E2eBase {
    @Test
    void sigtermToTheShimIsForwardedToTheContainer() throws Exception {
        Container c = fx.container("sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.1; done");
        Shim.Result r = createOk(fx.shim(c));
        fx.runc.start(c.id);
        Wait.sleep(300); // let sh install its trap
        assertEquals(0, Native.kill(r.shimPid(), Native.SIGTERM), "kill(shim, SIGTERM)");
        ExitFile e = c.awaitExitFile(5_000);
        assertEquals("exited", e.reason, e.raw);
        assertEquals(7, e.exitCode, e.raw);
        assertShimGone(r);
    }

    /** Issue 11: SIGHUP, SIGUSR1 and SIGUSR2 do not kill the shim (and orphan the container). */
    @Test
    void hupUsr1Usr2AreIgnored() throws Exception {
        Container c = fx.container("sh", "-c", "sleep 1; exit 4");
        Shim.Result r = createOk(fx.shim(c));
        fx.runc.start(c.id);
        for (int sig : new int[] {1, 10, 12}) { // SIGHUP, SIGUSR1, SIGUSR2
            assertEquals(0, Native.kill(r.shimPid(), sig), "kill(shim, " + sig + ")");
        }
        Wait.sleep(200);
        assertTrue(Procs.alive(r.shimPid()), "the shim survives SIGHUP/SIGUSR1/SIGUSR2");
        ExitFile e = c.awaitExitFile(10_000);
        assertEquals(4, e.exitCode, e.raw);
        assertShimGone(r);
    }

    /** conmand and its whole process group are SIGKILLed; the shim and the container live on. */
    @Test
    void managerProcessGroupKilled() throws Exception {
        Container c = fx.container("sh", "-c", "sleep 0.5; echo survived");
        Shim shim = fx.shim(c);
        Path rc = c.dir.resolve("manager.rc");
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/setsid", "/bin/sh", "-c",
                "\"$@\"; echo $? > " + rc + "; exec sleep 600", "sh"));
        cmd.addAll(shim.managerArgv());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectInput(new File("/dev/null"));
        pb.redirectOutput(c.dir.resolve("manager.out").toFile());
        pb.redirectError(c.dir.resolve("manager.err").toFile());
        pb.environment().put("JSHIMD", TestPaths.jshimd().toString());
        Process p = Procs.start(pb);
        int group = (int) p.pid();
        assertTrue(Wait.until(20_000, () -> read(rc).endsWith("\n") || !p.isAlive()),
                "the manager finished creating");
        assertEquals(group, Procs.sessionId(group), "setsid ran the manager in its own session");
        assertEquals("0\n", Files.readString(rc), () -> "main exit; stderr " + read(c.dir.resolve("manager.err")));
        Report rep = Report.parse(Files.readString(shim.reportFile()));
        assertTrue(rep.isSuccess(), rep::toString);
        int shimPid = Integer.parseInt(Files.readString(c.bundle.shimPidfile()));
        assertNotEquals(group, Procs.sessionId(shimPid), "the shim left the manager's session");

        assertEquals(0, Native.kill(-group, Native.SIGKILL), "kill(-pgid, SIGKILL)");
        assertTrue(p.waitFor(5, TimeUnit.SECONDS), "the manager group died");
        Wait.sleep(200);
        assertTrue(Procs.alive(shimPid), "the shim survived its manager");
        assertTrue(Procs.alive(c.containerPid()), "the container survived");

        fx.runc.start(c.id);
        ExitFile e = c.awaitExitFile(10_000);
        assertEquals(0, e.exitCode, e.raw);
        assertEquals(List.of("survived"), LogRecord.texts(c.logRecords(), "stdout"));
        assertTrue(Procs.waitGone(shimPid, 2_000), "the shim is gone within 2 s");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "<" + e + ">";
        }
    }
}
