package io.jshim.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class NativeProcessTest {
    static final int ESRCH = 3;
    static final int ECHILD = 10;
    static final int EINVAL = 22;

    @Test
    void getpidIsThisProcess() {
        assertEquals(ProcessHandle.current().pid(), Native.getpid());
    }

    @Test
    void killAndWaitpidReportErrno() {
        assertEquals(0, Native.kill(Native.getpid(), 0), "signal 0 probes our own pid");
        assertEquals(-ESRCH, Native.kill(Integer.MAX_VALUE, 0));
        int[] status = {-1};
        assertEquals(-ECHILD, Native.waitpid(Integer.MAX_VALUE, Native.WNOHANG, status));
        assertEquals(-EINVAL, Native.waitpid(-1, Native.WNOHANG, null));
    }

    @Test
    void subreaperCanBeSet() {
        assertEquals(0, Native.setChildSubreaper());
    }

    @Test
    void waitpidReapsAKilledChild() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        int pid = (int) p.pid();
        assertEquals(0, Native.kill(pid, Native.SIGKILL));
        int[] status = {-1};
        // The JDK's own reaper thread races us for the child: accept either winner.
        int r = Native.waitpid(pid, 0, status);
        if (r == pid) {
            assertEquals(Native.SIGKILL, status[0] & 0x7f, "raw status says killed by SIGKILL");
        } else {
            assertEquals(-ECHILD, r);
        }
        assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || r == pid);
    }
}
