package io.jshim.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** One container of a test: its id, bundle and the three files the shim serves. */
final class Container {
    final String id;
    final Path dir;
    final Bundle bundle;
    final Path logFile;
    final Path exitFile;
    final Path attachFile;

    Container(Path dir, List<String> args) throws IOException {
        this.id = randomId();
        this.dir = dir;
        Files.createDirectories(dir);
        this.bundle = Bundle.create(dir.resolve("bundle"), TestPaths.rootfsDir(), args);
        this.logFile = dir.resolve("ctr.log");
        this.exitFile = dir.resolve("exit");
        this.attachFile = dir.resolve("attach");
    }

    /** 32 lowercase hex characters, as conman's ids. */
    static String randomId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return String.format("%016x%016x", r.nextLong(), r.nextLong());
    }

    /** The container init's host pid from --container-pidfile (written by runc). */
    int containerPid() throws IOException {
        String s = Files.readString(bundle.containerPidfile()).trim();
        return Integer.parseInt(s);
    }

    /** Waits (10 ms polls) for the exit file and parses it. */
    ExitFile awaitExitFile(long timeoutMs) throws IOException {
        if (!Wait.until(timeoutMs, () -> Files.exists(exitFile))) {
            throw new AssertionError("no exit file " + exitFile + " within " + timeoutMs + " ms");
        }
        // The shim writes it atomically (temp file + rename), so it is complete once it exists.
        return ExitFile.parse(Files.readString(exitFile));
    }

    List<LogRecord> logRecords() throws IOException {
        return LogRecord.parseFile(logFile);
    }

    boolean anyShimFileExists() {
        return Files.exists(logFile) || Files.exists(exitFile) || Files.exists(attachFile);
    }
}
