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

    /**
     * Issue 11: even with the socket and its directory opened to everyone (0777), a client of
     * uid 65534 is dropped at once and the daemon reads no byte of what it sent: the packet
     * (a HELLO-sized record carrying two fds) is still queued when the daemon closes the
     * connection, so the client gets ECONNRESET, not EOF (EOF would mean the daemon read it).
     */
    @Test
    void anotherUsersLauncherIsRefusedUnreadAndRootsIsServed() throws Exception {
        assertEquals(0, Native.geteuid(), "this test needs root (the unit tests run as root)");
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "p1", false)) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            Files.setPosixFilePermissions(Path.of(d.socket), PosixFilePermissions.fromString("rwxrwxrwx"));
            String script = "import array, os, socket, sys, time\n"
                    + "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
                    + "t0 = time.monotonic()\n"
                    + "s.connect(sys.argv[1])\n"
                    + "r, w = os.pipe()\n"
                    + "try:\n"
                    + "    s.sendmsg([b'\\x02\\x00\\x01\\x00' + b'\\x00' * 100],"
                    + " [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [r, w]))])\n"
                    + "except (BrokenPipeError, ConnectionResetError):\n"
                    + "    print('CLOSED-BEFORE-SEND %.3f' % (time.monotonic() - t0)); sys.exit(0)\n"
                    + "s.settimeout(3)\n"
                    + "try:\n"
                    + "    print(('EOF' if s.recv(100) == b'' else 'DATA') + ' %.3f' % (time.monotonic() - t0))\n"
                    + "except ConnectionResetError:\n"
                    + "    print('RESET %.3f' % (time.monotonic() - t0))\n";
            for (int i = 0; i < 5; i++) {
                Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "/usr/bin/python3", "-c", script, d.socket).redirectErrorStream(true).start();
                assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the client finished");
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                assertEquals(0, p.exitValue(), out);
                String[] w = out.split(" ");
                assertTrue(w[0].equals("RESET") || w[0].equals("CLOSED-BEFORE-SEND"),
                        "uid 65534 is dropped and nothing it sent is read: " + out);
                assertTrue(Double.parseDouble(w[1]) < 1.0, "dropped at once: " + out);
            }
            assertEquals(0, (int) d.onLoop(() -> d.daemon.connectionCount()), "no connection kept");
            l.connect(d.socket);
            l.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0], "root's launcher is served");
        }
    }
}
