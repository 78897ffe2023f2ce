package io.jshim.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A private world per test class: a temp directory holding the daemon socket (the launcher
 * starts jshimd itself when none answers) and a private runc root. {@link #close} deletes
 * leftover containers and kills every process that belongs to this directory.
 */
final class E2eFixture implements AutoCloseable {
    final Path tmp;
    final Path socket;
    final Path runcRoot;
    final Runc runc;
    private int next;

    E2eFixture() throws IOException {
        // Check every path first: a missing piece fails the class loudly, before anything runs.
        TestPaths.launcher();
        TestPaths.jshimd();
        TestPaths.syncpipe();
        TestPaths.runtime();
        TestPaths.rootfsDir();
        Procs.init();
        tmp = Files.createTempDirectory(Path.of("/tmp"), "je2e");
        socket = tmp.resolve("jshimd.sock");
        runcRoot = tmp.resolve("runc-root");
        Files.createDirectories(runcRoot);
        runc = new Runc(runcRoot);
    }

    /** A new container with the given process args. */
    Container container(String... args) throws IOException {
        return new Container(tmp.resolve("c" + (next++)), List.of(args));
    }

    Shim shim(Container c) {
        return new Shim(this, c);
    }

    /** Pids of processes other than this JVM whose cmdline or open files mention the temp dir. */
    List<Integer> ownedProcesses() {
        return Procs.owning(tmp);
    }

    /** The daemon(s) serving this fixture: holders of the socket's lock file. */
    List<Integer> daemons() {
        return Procs.holding(socket + ".lock");
    }

    @Override
    public void close() throws IOException {
        try {
            runc.deleteAll();
        } finally {
            Procs.killUntilGone(this::ownedProcesses);
            deleteTree(tmp);
        }
    }

    /** Deletes root and everything under it (nothing mounted there). */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
