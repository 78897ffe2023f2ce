package io.jshim.e2e;

import io.jshim.nativeio.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Processes of the test JVM. The JVM is made a child subreaper, so shims that daemonise are
 * re-parented to it; a daemon thread reaps those orphans once they are zombies. Processes the
 * harness starts with ProcessBuilder are the JDK's to reap: they are started and recorded
 * under the same lock the reaper holds, so the reaper never steals their status.
 */
final class Procs {
    private Procs() {}

    private static final Object LOCK = new Object();
    private static final Set<Integer> STARTED = new HashSet<>();
    private static boolean initialised;
    private static int self;

    /** Makes the JVM a subreaper and starts the reaper thread, once. */
    static void init() {
        synchronized (LOCK) {
            if (initialised) {
                return;
            }
            self = Native.getpid();
            int rc = Native.setChildSubreaper();
            if (rc < 0) {
                throw new AssertionError("prctl(PR_SET_CHILD_SUBREAPER) failed: " + Native.strerror(-rc));
            }
            Thread t = new Thread(Procs::reapLoop, "e2e-orphan-reaper");
            t.setDaemon(true);
            t.start();
            initialised = true;
        }
    }

    static int self() {
        init();
        return self;
    }

    /** Starts a process; the reaper leaves it alone. */
    static Process start(ProcessBuilder pb) throws IOException {
        init();
        synchronized (LOCK) {
            Process p = pb.start();
            int pid = (int) p.pid();
            STARTED.add(pid);
            p.onExit().thenRun(() -> {
                synchronized (LOCK) {
                    STARTED.remove(pid);
                }
            });
            return p;
        }
    }

    private static void reapLoop() {
        int[] status = new int[1];
        while (true) {
            synchronized (LOCK) {
                for (int pid : children(self)) {
                    if (!STARTED.contains(pid) && "Z".equals(state(pid))) {
                        Native.waitpid(pid, Native.WNOHANG, status);
                    }
                }
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Children of pid, from /proc/PID/task/TID/children, else a /proc scan. */
    static List<Integer> children(int pid) {
        List<Integer> out = new ArrayList<>();
        Path tasks = Path.of("/proc/" + pid + "/task");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tasks)) {
            for (Path task : ds) {
                String s = read(task.resolve("children"));
                if (s == null) {
                    return childrenByScan(pid);
                }
                for (String w : s.trim().split("\\s+")) {
                    if (!w.isEmpty()) {
                        out.add(Integer.parseInt(w));
                    }
                }
            }
        } catch (IOException e) {
            return childrenByScan(pid);
        }
        return out;
    }

    private static List<Integer> childrenByScan(int parent) {
        List<Integer> out = new ArrayList<>();
        for (int pid : allPids()) {
            if (ppid(pid) == parent) {
                out.add(pid);
            }
        }
        return out;
    }

    static List<Integer> allPids() {
        List<Integer> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!n.isEmpty() && n.chars().allMatch(Character::isDigit)) {
                    out.add(Integer.parseInt(n));
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list /proc", e);
        }
        return out;
    }

    /** The state letter from /proc/PID/stat, or null if the process does not exist. */
    static String state(int pid) {
        String[] f = statFields(pid);
        return f == null ? null : f[0];
    }

    /** The parent pid, or -1 if the process does not exist. */
    static int ppid(int pid) {
        String[] f = statFields(pid);
        return f == null ? -1 : Integer.parseInt(f[1]);
    }

    /** Fields of /proc/PID/stat after the command name: state, ppid, pgrp, session... */
    private static String[] statFields(int pid) {
        String s = read(Path.of("/proc/" + pid + "/stat"));
        if (s == null) {
            return null;
        }
        int close = s.lastIndexOf(')');
        return s.substring(close + 2).trim().split(" ");
    }

    /** Alive means it exists and is not a zombie (as conman's EnsureProcessHasTerminated). */
    static boolean alive(int pid) {
        String st = state(pid);
        return st != null && !"Z".equals(st) && !"X".equals(st);
    }

    static int sessionId(int pid) {
        String[] f = statFields(pid);
        return f == null ? -1 : Integer.parseInt(f[3]);
    }

    /** The command name from /proc/PID/comm (kept for zombies, unlike cmdline). */
    static String comm(int pid) {
        String s = read(Path.of("/proc/" + pid + "/comm"));
        return s == null ? "?" : s.trim();
    }

    static String cmdline(int pid) {
        String s = read(Path.of("/proc/" + pid + "/cmdline"));
        return s == null ? "" : s.replace('\0', ' ');
    }

    /** Targets of /proc/PID/fd/* links (empty if unreadable). */
    static List<String> fdTargets(int pid) {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : ds) {
                try {
                    out.add(Files.readSymbolicLink(fd).toString());
                } catch (IOException e) {
                    // the fd was closed meanwhile
                }
            }
        } catch (IOException e) {
            // the process went away
        }
        return out;
    }

    /** Waits until the pid is gone or a zombie; true if it went within the timeout. */
    /** Processes other than this JVM whose cmdline or open files mention dir (a test's world). */
    static List<Integer> owning(java.nio.file.Path dir) {
        String d = dir.toString();
        List<Integer> out = new ArrayList<>();
        int me = self();
        for (int pid : allPids()) {
            if (pid == me || !alive(pid)) {
                continue;
            }
            boolean mine = cmdline(pid).contains(d);
            for (String target : mine ? List.<String>of() : fdTargets(pid)) {
                if (target.startsWith(d)) {
                    mine = true;
                    break;
                }
            }
            if (mine) {
                out.add(pid);
            }
        }
        return out;
    }

    /** Live processes holding path open (a daemon socket's lock file names its jshimd). */
    static List<Integer> holding(String path) {
        List<Integer> out = new ArrayList<>();
        for (int pid : allPids()) {
            if (alive(pid) && fdTargets(pid).contains(path)) {
                out.add(pid);
            }
        }
        return out;
    }

    /** SIGKILLs what {@code who} lists until it lists nothing (at most about a second). */
    static void killUntilGone(java.util.function.Supplier<List<Integer>> who) {
        for (int round = 0; round < 50; round++) {
            List<Integer> left = who.get();
            if (left.isEmpty()) {
                return;
            }
            for (int pid : left) {
                io.jshim.nativeio.Native.kill(pid, io.jshim.nativeio.Native.SIGKILL);
            }
            Wait.sleep(20);
        }
    }

    static boolean waitGone(int pid, long timeoutMs) {
        long end = System.nanoTime() + timeoutMs * 1_000_000L;
        while (alive(pid)) {
            if (System.nanoTime() > end) {
                return false;
            }
            Wait.sleep(10);
        }
        return true;
    }

    /** Zombies whose parent is one of the given pids. */
    static List<Integer> zombieChildrenOf(Set<Integer> parents) {
        List<Integer> out = new ArrayList<>();
        for (int pid : allPids()) {
            if ("Z".equals(state(pid)) && parents.contains(ppid(pid))) {
                out.add(pid);
            }
        }
        return out;
    }

    private static String read(Path p) {
        try {
            return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }
}
