package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Native;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** DESIGN.md "Restart without loss": jshimd SIGKILLed while a container writes. */
@Tag("e2e")
@Timeout(90)
class DaemonRestartE2eTest extends E2eBase {
    @Test
    void daemonKilledMidOutputLosesAndDuplicatesNothing() throws Exception {
        Container c = fx.container("sh", "-c",
                "i=1; while [ $i -le 3000 ]; do echo line$i; [ $((i % 100)) = 0 ] && sleep 0.05; i=$((i+1)); done");
        Shim.Result r = createOk(fx.shim(c));
        List<Integer> daemons = fx.daemons();
        assertFalse(daemons.isEmpty(), "a daemon holds " + fx.socket + ".lock");
        fx.runc.start(c.id);
        Wait.sleep(400);
        for (int pid : daemons) {
            assertEquals(0, Native.kill(pid, Native.SIGKILL), "kill -9 jshimd " + pid);
        }
        ExitFile e = c.awaitExitFile(30_000);
        assertEquals(0, e.exitCode, e.raw);
        assertShimGone(r);
        assertTrue(fx.daemons().stream().noneMatch(daemons::contains), "the old daemon is gone");
        List<String> texts = LogRecord.texts(c.logRecords(), "stdout");
        // Lines may be split across records; join them back and compare the whole stream.
        StringBuilder want = new StringBuilder();
        for (int i = 1; i <= 3000; i++) {
            want.append("line").append(i);
        }
        assertEquals(want.toString(), String.join("", texts), "every byte exactly once, in order");
    }
}
