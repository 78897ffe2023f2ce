package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11: symlinks planted at the log, exit and attach paths are not followed by the
 * launcher (which opens and binds them) nor by the daemon (which writes through dir fds).
 */
@Tag("e2e")
@Timeout(60)
class BoundaryE2eTest extends E2eBase {
    private static Path victim(Container c) throws Exception {
        Path v = c.dir.resolve("victim");
        Files.createDirectories(c.dir);
        Files.writeString(v, "precious");
        return v;
    }

    /**
     * An unsafe daemon socket directory (here mode 0777) fails the create with a message naming
     * the directory, its owner and mode; nothing is created, no daemon is started there.
     */
    @Test
    void unsafeSocketDirectoryFailsTheCreate() throws Exception {
        Container c = fx.container("true");
        Path unsafe = Files.createDirectories(fx.tmp.resolve("unsafe-sock-dir"));
        Files.setPosixFilePermissions(unsafe, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Shim shim = fx.shim(c);
        shim.override.put("--jshimd-socket", unsafe.resolve("jshimd.sock").toString());
        Shim.Result r = shim.run();
        Report rep = assertAbnormal(r, c);
        assertTrue(rep.status.startsWith("Launcher Failed: unsafe daemon socket directory " + unsafe
                + " (owner uid 0, mode 0777): writable by group or others"), r::toString);
        try (var s = Files.list(unsafe)) { // its log says why (opened O_NOFOLLOW); no socket, no lock
            assertEquals(java.util.List.of(unsafe.resolve("launcher.log")), s.toList());
        }
        assertTrue(Files.readString(unsafe.resolve("launcher.log")).contains("unsafe daemon socket directory"));
    }

    @Test
    void symlinkAtTheLogIsNotFollowed() throws Exception {
        Container c = fx.container("sh", "-c", "echo out; exit 0");
        Path v = victim(c);
        Files.createSymbolicLink(c.logFile, v);
        Shim.Result r = fx.shim(c).run();
        Report rep = r.report();
        assertEquals("runtime_abnormal_termination", rep.kind, r::toString);
        assertTrue(rep.status.startsWith("Launcher Failed: create the log "), r::toString);
        assertEquals("precious", Files.readString(v), "the symlink's target is untouched");
        assertTrue(Files.isSymbolicLink(c.logFile), "the symlink is left as it was");
        assertShimGone(r);
    }

    @Test
    void symlinkAtTheAttachSocketIsNotFollowed() throws Exception {
        Container c = fx.container("sh", "-c", "exit 0");
        Files.createDirectories(c.dir);
        // somebody's live socket: binding "through" the link must not take it over
        Path sock = c.dir.resolve("victim.sock");
        int l = Errno.check(Native.unixListen(sock.toString(), Native.SOCK_STREAM, 4), "listen", sock);
        try {
            Files.createSymbolicLink(c.attachFile, sock);
            Shim.Result r = fx.shim(c).run();
            Report rep = r.report();
            assertEquals("runtime_abnormal_termination", rep.kind, r::toString);
            assertTrue(rep.status.contains("attach socket") && rep.status.contains("not a socket"), r::toString);
            assertTrue(Files.isSymbolicLink(c.attachFile));
            int conn = Native.unixConnect(sock.toString(), Native.SOCK_STREAM);
            assertTrue(conn >= 0, "the victim socket still answers");
            Native.close(conn);
            assertShimGone(r);
        } finally {
            Native.close(l);
        }
    }

    @Test
    void symlinkAtTheExitFileIsReplacedNotFollowed() throws Exception {
        Container c = fx.container("sh", "-c", "exit 3");
        Path v = victim(c);
        Files.createSymbolicLink(c.exitFile, v);
        Shim.Result r = fx.shim(c).run(); // not createOk: its "no exit file yet" follows the link
        assertTrue(r.report().isSuccess(), r::toString);
        assertTrue(Files.isSymbolicLink(c.exitFile), "nothing written before the exit");
        fx.runc.start(c.id);
        assertTrue(Wait.until(10_000, () -> !Files.isSymbolicLink(c.exitFile)), "the exit file is written");
        ExitFile e = c.awaitExitFile(10_000);
        assertEquals(3, e.exitCode, e.raw);
        assertTrue(Files.isRegularFile(c.exitFile, LinkOption.NOFOLLOW_LINKS), "a file of its own at the name");
        assertEquals("precious", Files.readString(v), "the symlink's target is untouched");
        assertShimGone(r);
        try (var s = Files.list(c.dir)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".exit")), "no temp file left");
        }
    }
}
