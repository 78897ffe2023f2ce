package io.jshim.e2e;

import io.jshim.nativeio.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A cgroup named NAME in every mounted cgroup hierarchy (v1 controllers and the v2 unified
 * one), standing in for podman's /libpod_parent/conmon or CRI-O's crio-conmon-ID scope.
 * {@link #close} kills what is left in it and removes it.
 */
final class ThrowawayCgroup implements AutoCloseable {
    final String name;
    final List<Path> dirs = new ArrayList<>();

    ThrowawayCgroup(String name) throws IOException {
        this.name = name;
        for (String mount : mounts()) {
            Path dir = Path.of(mount, name);
            Files.createDirectories(dir);
            dirs.add(dir);
            // a new cpuset cgroup takes no task until it has cpus and mems
            for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
                Path parent = Path.of(mount, f);
                if (Files.exists(parent) && Files.readString(dir.resolve(f)).isBlank()) {
                    Files.writeString(dir.resolve(f), Files.readString(parent));
                }
            }
        }
        if (dirs.isEmpty()) {
            throw new AssertionError("no cgroup or cgroup2 mount in /proc/self/mountinfo");
        }
    }

    /** Mount points of every cgroup (v1) and cgroup2 file system. */
    static List<String> mounts() throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            int sep = line.indexOf(" - ");
            if (sep < 0) {
                continue;
            }
            String fstype = line.substring(sep + 3).split(" ")[0];
            if (fstype.equals("cgroup") || fstype.equals("cgroup2")) {
                String mount = line.substring(0, sep).split(" ")[4].replace("\\040", " ");
                if (!out.contains(mount)) {
                    out.add(mount);
                }
            }
        }
        return out;
    }

    /** A shell command line that moves the shell itself ($$) into every directory. */
    String joinCommand() {
        StringBuilder sb = new StringBuilder();
        for (Path d : dirs) {
            sb.append("echo $$ > '").append(d.resolve("cgroup.procs")).append("' && ");
        }
        return sb.append("true").toString();
    }

    /** Pids in the cgroup, in any hierarchy. */
    List<Integer> pids() {
        List<Integer> out = new ArrayList<>();
        for (Path d : dirs) {
            try {
                for (String s : Files.readAllLines(d.resolve("cgroup.procs"))) {
                    int pid = Integer.parseInt(s.trim());
                    if (!out.contains(pid)) {
                        out.add(pid);
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // removed already
            }
        }
        return out;
    }

    /** Every process (zombies too) whose /proc/PID/cgroup names this cgroup: "pid state ppid comm". */
    List<String> members() {
        List<String> out = new ArrayList<>();
        for (int pid : Procs.allPids()) {
            try {
                if (Files.readString(Path.of("/proc/" + pid + "/cgroup")).contains("/" + name)) {
                    out.add(pid + " " + Procs.state(pid) + " " + Procs.ppid(pid) + " " + Procs.comm(pid));
                }
            } catch (IOException e) {
                // gone
            }
        }
        return out;
    }

    /** Kills every task (as systemd stopping a scope would), then removes the directories. */
    void killAndRemove() {
        long end = System.nanoTime() + 10_000_000_000L;
        while (true) {
            for (int pid : pids()) {
                Native.kill(pid, Native.SIGKILL);
            }
            List<String> errors = new ArrayList<>();
            for (Path d : dirs) {
                try {
                    Files.deleteIfExists(d); // rmdir; EBUSY while a task (or its zombie) is left
                } catch (IOException e) {
                    errors.add(e.toString());
                }
            }
            if (dirs.stream().noneMatch(Files::exists)) {
                return;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("cannot remove the throwaway cgroup " + name + ": " + errors
                        + "; tasks " + pids() + "; processes naming it in /proc/PID/cgroup " + members());
            }
            Wait.sleep(20);
        }
    }

    @Override
    public void close() {
        killAndRemove();
    }
}
