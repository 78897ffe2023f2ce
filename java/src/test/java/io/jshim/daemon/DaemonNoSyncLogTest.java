package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.daemon.FakeLauncher.Exit;
import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.protocol.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * conmon's --no-sync-log (JSHIM_HELLO_NO_SYNC_LOG): no fsync of the log before the exit file.
 * The logs are FIFOs, on which fsync(2) fails with EINVAL and the daemon says so: a log that is
 * synced leaves that warning, one that is not leaves none.
 */
@Tag("unit")
class DaemonNoSyncLogTest extends DaemonV2Base {
    @Test
    void noSyncLogSkipsTheFsyncBeforeTheExitFile() throws Exception {
        int[] readers = new int[2];
        String[] names = {"synced.log", "unsynced.log"};
        for (int i = 0; i < 2; i++) {
            Path p = logs.resolve(names[i]);
            assertEquals(0, new ProcessBuilder("mkfifo", p.toString()).inheritIO().start().waitFor(), "mkfifo");
            readers[i] = Errno.check(Native.open(p.toString(), Native.O_RDONLY | Native.O_NONBLOCK, 0), "open", p);
        }
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher s = launcher(d, "s", false);
                FakeLauncher u = launcher(d, "u", false)) {
            s.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, names[0], "s");
            ready(s);
            u.hello2(LOG | Protocol.HELLO_NO_SYNC_LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0,
                    names[1], "u");
            ready(u);
            for (FakeLauncher l : new FakeLauncher[] {s, u}) {
                FakeLauncher.writeAll(l.out[1], "bye\n");
                l.exited2(new Exit(0, 0, 1));
                done(l);
            }
        } finally {
            System.setErr(saved);
            for (int fd : readers) {
                Native.close(fd);
            }
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("fsync log log synced.log: Invalid argument"),
                () -> "the synced log was fsync'ed (EINVAL on a FIFO); the daemon said:\n" + out);
        assertTrue(!out.contains("unsynced.log: Invalid argument"),
                () -> "--no-sync-log: no fsync; the daemon said:\n" + out);
        assertEquals("0", java.nio.file.Files.readString(exits.resolve("u")), "its exit file is written");
    }
}
