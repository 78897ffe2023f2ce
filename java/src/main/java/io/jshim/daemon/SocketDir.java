package io.jshim.daemon;

import io.jshim.protocol.Protocol;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * The directory of the launcher socket, created 0700 and checked before the daemon binds or
 * locks anything in it: owned by root or by the daemon's uid, not writable by group or others,
 * not a symbolic link, and (the default /run/jshim) mode exactly 0700. The launcher makes the
 * same check (native/launcher/sockdir.c) before it connects.
 */
final class SocketDir {
    private SocketDir() {}

    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;

    /** Null if a directory with this owner and mode is safe, else what is wrong. */
    static String problem(long owner, int mode, long euid, boolean isDefault) {
        if (owner != 0 && owner != euid) {
            return "owned by another user (not root, not jshimd's uid " + euid + ")";
        }
        if ((mode & 022) != 0) {
            return "writable by group or others";
        }
        if (isDefault && (mode & 07777) != 0700) {
            return "the default directory must have mode 0700";
        }
        return null;
    }

    /**
     * Creates the socket's directory (0700) if missing and checks it; throws with a message
     * naming the directory, its owner and mode when it is unsafe.
     */
    static void ensure(Path socket, long euid) throws IOException {
        Path dir = socket.toAbsolutePath().getParent();
        if (dir == null) {
            return; // "/" itself
        }
        boolean isDefault = dir.equals(Path.of(Protocol.DEFAULT_SOCKET).getParent());
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // another daemon made it in the meantime: checked below like any other
            }
        }
        Map<String, Object> a = Files.readAttributes(dir, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
        long uid = ((Number) a.get("uid")).longValue();
        int mode = ((Number) a.get("mode")).intValue();
        String problem;
        if ((mode & S_IFMT) == S_IFLNK) {
            problem = "a symbolic link";
        } else if ((mode & S_IFMT) != S_IFDIR) {
            problem = "not a directory";
        } else {
            problem = problem(uid, mode, euid, isDefault);
        }
        if (problem != null) {
            throw new IOException(String.format("unsafe socket directory %s (owner uid %d, mode %04o): %s;"
                    + " refusing to use it", dir, uid, mode & 07777, problem));
        }
    }
}
