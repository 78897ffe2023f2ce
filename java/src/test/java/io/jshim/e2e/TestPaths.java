package io.jshim.e2e;

import java.nio.file.Files;
import java.nio.file.Path;

/** The paths the end-to-end tests need, from system properties set by surefire. Never skips. */
final class TestPaths {
    private TestPaths() {}

    static Path launcher() {
        return executable("jshim.test.launcher", "the jshim launcher");
    }

    static Path jshimd() {
        return executable("jshim.test.jshimd", "the build-tree jshimd start script");
    }

    static Path syncpipe() {
        return executable("jshim.test.syncpipe", "the syncpipe-run helper");
    }

    static Path runtime() {
        return executable("jshim.test.runtime", "the OCI runtime (runc)");
    }

    /** The directory made by tests/make-rootfs.sh: rootfs/ and config.template.json. */
    static Path rootfsDir() {
        Path dir = path("jshim.test.rootfs", "the test rootfs directory");
        require(Files.isExecutable(dir.resolve("rootfs/bin/busybox")),
                dir + "/rootfs/bin/busybox is missing: run tests/make-rootfs.sh " + dir);
        require(Files.isRegularFile(dir.resolve("config.template.json")),
                dir + "/config.template.json is missing: run tests/make-rootfs.sh " + dir);
        return dir;
    }

    private static Path executable(String property, String what) {
        Path p = path(property, what);
        require(Files.isRegularFile(p) && Files.isExecutable(p),
                what + " is missing or not executable: " + p + " (system property " + property + ")");
        return p;
    }

    private static Path path(String property, String what) {
        String value = System.getProperty(property);
        require(value != null && !value.isEmpty(),
                "system property " + property + " (" + what + ") is not set");
        return Path.of(value).toAbsolutePath().normalize();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
