import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Processes and /proc: everything the benchmark reads about the host. */
final class Host {
    private Host() {}

    record Out(int code, String text) {}

    /** Runs a command to completion; stdout and stderr together. */
    static Out run(List<String> cmd, Map<String, String> env, Path dir) {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (env != null) pb.environment().putAll(env);
        if (dir != null) pb.directory(dir.toFile());
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Out(p.waitFor(), text.strip());
        } catch (IOException e) {
            return new Out(-1, cmd.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Out(-1, "interrupted");
        }
    }

    static Out run(String... cmd) {
        return run(List.of(cmd), null, null);
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return null;
        }
    }

    static int readPid(Path p) {
        String s = read(p);
        if (s == null) return -1;
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A live (not zombie) process. */
    static boolean alive(int pid) {
        if (pid <= 0) return false;
        String st = read(Path.of("/proc/" + pid + "/stat"));
        if (st == null) return false;
        int rp = st.lastIndexOf(')');
        return rp > 0 && rp + 2 < st.length() && st.charAt(rp + 2) != 'Z';
    }

    /** Waits until pid is gone (reaped or zombie); false on timeout. */
    static boolean waitGone(int pid, long timeoutMs) {
        long end = System.nanoTime() + timeoutMs * 1_000_000;
        while (alive(pid)) {
            if (System.nanoTime() > end) return false;
            sleep(2);
        }
        return true;
    }

    static void kill(int pid, String sig) {
        if (pid > 0) run("kill", "-" + sig, Integer.toString(pid));
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A "Key:  value kB" field of /proc/PID/status or smaps_rollup, in KiB; -1 if absent. */
    static long kbField(Path file, String key) {
        String s = read(file);
        if (s == null) return -1;
        for (String line : s.split("\n")) {
            if (line.startsWith(key + ":")) {
                String[] f = line.substring(key.length() + 1).trim().split("\\s+");
                return Long.parseLong(f[0]);
            }
        }
        return -1;
    }

    static long pssKb(int pid) {
        return kbField(Path.of("/proc/" + pid + "/smaps_rollup"), "Pss");
    }

    static long hwmKb(int pid) {
        return kbField(Path.of("/proc/" + pid + "/status"), "VmHWM");
    }

    static long rssKb(int pid) {
        return kbField(Path.of("/proc/" + pid + "/status"), "VmRSS");
    }

    /** Number of entries in /proc/PID/dir (fd, task), or -1. */
    static int count(int pid, String dir) {
        String[] n = new java.io.File("/proc/" + pid + "/" + dir).list();
        return n == null ? -1 : n.length;
    }

    /**
     * Time on the CPU of the live threads of pid in ns (sum of /proc/PID/task/TID/schedstat's
     * first field: exact, unlike stat's ticks), or -1. Threads that exited are not counted.
     */
    static long schedNs(int pid) {
        String[] tids = new java.io.File("/proc/" + pid + "/task").list();
        if (tids == null) return -1;
        long sum = 0;
        for (String t : tids) {
            String s = read(Path.of("/proc/" + pid + "/task/" + t + "/schedstat"));
            if (s != null && !s.isBlank()) sum += Long.parseLong(s.strip().split(" ")[0]);
        }
        return sum;
    }

    /** utime+stime of the whole process (all threads, not children), in clock ticks. */
    static long cpuTicks(int pid) {
        String st = read(Path.of("/proc/" + pid + "/stat"));
        if (st == null) return -1;
        String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15
    }

    /** Processes named comm whose command line contains needle. */
    static List<Integer> find(String comm, String needle) {
        List<Integer> out = new ArrayList<>();
        String[] names = new java.io.File("/proc").list();
        if (names == null) return out;
        for (String n : names) {
            if (n.isEmpty() || !Character.isDigit(n.charAt(0))) continue;
            String c = read(Path.of("/proc/" + n + "/comm"));
            String cmd = read(Path.of("/proc/" + n + "/cmdline"));
            if (c == null || cmd == null || !c.strip().equals(comm)) continue;
            if (cmd.contains(needle) && alive(Integer.parseInt(n))) out.add(Integer.parseInt(n));
        }
        return out;
    }

    /**
     * CPU ticks of an exited process as logged by `spawn_timed reap` (read from the zombie,
     * so nothing is lost at exit); -1 if not logged (yet).
     */
    static long reapedTicks(Path reapLog, int pid) {
        String s = read(reapLog);
        if (s == null) return -1;
        long ticks = -1;
        for (String line : s.split("\n")) {
            String[] f = line.split(" ", 4);
            if (f.length >= 3 && f[0].equals(Integer.toString(pid)))
                ticks = Long.parseLong(f[1]) + Long.parseLong(f[2]); // the last entry wins
        }
        return ticks;
    }

    /** rm -rf in-process (no symlinks followed; a process per container adds up at N = 1000), else rm. */
    static void deleteTree(Path p) {
        if (p == null || !Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (java.util.stream.Stream<Path> w = Files.walk(p)) {
            for (Path q : (Iterable<Path>) w.sorted(java.util.Comparator.reverseOrder())::iterator) Files.delete(q);
        } catch (IOException | java.io.UncheckedIOException e) {
            run("rm", "-rf", "--one-file-system", p.toString());
        }
    }

    static String oneLine(Path p) {
        String s = read(p);
        return s == null ? "" : s.strip().split("\n")[0];
    }

    /** Our own cgroup in every hierarchy (runc puts a container without cgroupsPath below it) and each root. */
    static List<Path> cgroupDirs() {
        List<Path> out = new ArrayList<>();
        String self = Host.read(Path.of("/proc/self/cgroup"));
        if (self == null) return out;
        for (String line : self.split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length < 3) continue;
            Path root;
            if (f[1].isEmpty()) root = Files.exists(Path.of("/sys/fs/cgroup/unified")) ? Path.of("/sys/fs/cgroup/unified")
                                                                                   : Path.of("/sys/fs/cgroup");
            else root = Path.of("/sys/fs/cgroup", f[1].startsWith("name=") ? f[1].substring(5) : f[1].split(",")[0]);
            if (!Files.isDirectory(root)) continue;
            out.add(root);
            Path own = root.resolve(f[2].replaceFirst("^/", ""));
            if (!own.equals(root) && Files.isDirectory(own)) out.add(own);
        }
        return out;
    }
}
