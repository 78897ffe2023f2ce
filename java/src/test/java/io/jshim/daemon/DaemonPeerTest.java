package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Native;
import io.jshim.protocol.Protocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jshimd serves launchers of root and of its own uid only (SO_PEERCRED). */
@Tag("unit")
class DaemonPeerTest {
    @TempDir
    Path dir;

    @Test
    void policy() {
        assertTrue(Daemon.allowedPeer(0, 0));
        assertTrue(Daemon.allowedPeer(0, 1000), "root is always served");
        assertTrue(Daemon.allowedPeer(1000, 1000), "the daemon's own uid");
        assertFalse(Daemon.allowedPeer(1001, 1000));
        assertFalse(Daemon.allowedPeer(65534, 0));
        assertFalse(Daemon.allowedPeer(-9, 0), "unknown peer (getsockopt failed)");
    }

    @Test
    void anotherUsersLauncherIsRefusedAndRootsIsServed() throws Exception {
        assertEquals(0, Native.geteuid(), "this test needs root (the unit tests run as root)");
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "p1", false)) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(Path.of(d.socket), PosixFilePermissions.fromString("rwxrwxrwx"));
            String script = "import socket, sys\n"
                    + "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
                    + "s.connect(sys.argv[1])\n"
                    + "s.settimeout(3)\n"
                    + "print('EOF' if s.recv(100) == b'' else 'DATA')\n";
            Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "/usr/bin/python3", "-c", script, d.socket).redirectErrorStream(true).start();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the client finished");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertEquals("EOF", out, "uid 65534 is disconnected at once");
            assertEquals(0, p.exitValue());
            l.connect(d.socket);
            l.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0], "root's launcher is served");
        }
    }
}
