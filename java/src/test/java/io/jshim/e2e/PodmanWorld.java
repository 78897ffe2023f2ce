package io.jshim.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A private podman world per test class: its own storage root, runroot, tmpdir (exit files),
 * a private containers.conf whose conmon_path is {@code <tmp>/bin/conmon}, a symlink to the
 * conmon under test, and a private copy of the busybox rootfs (podman creates mount points in
 * it). The conmon under test is the jshim launcher, or the binary named by the system property
 * {@code jshim.test.conmon} (validation mode, e.g. /usr/bin/conmon).
 */
final class PodmanWorld implements AutoCloseable {
    static final String CONMON_PROPERTY = "jshim.test.conmon";
    static final long TIMEOUT_MS = 60_000;

    /** True when the tests run against a real conmon instead of jshim. */
    final boolean validation;
    /** What /proc/PID/exe of the container monitor must resolve to. */
    final Path expectedExe;
    final Path podman;
    final Path tmp;
    final Path conmonLink;
    final Path socket;
    final Path rootfs;
    final Path cwd;
    private final Path conf;

    PodmanWorld() throws IOException {
        String conmon = System.getProperty(CONMON_PROPERTY, "");
        validation = !conmon.isEmpty();
        Path underTest;
        if (validation) {
            underTest = Path.of(conmon).toAbsolutePath();
            require(Files.isExecutable(underTest), "system property " + CONMON_PROPERTY + " names " + underTest
                    + ", which is not an executable file");
        } else {
            underTest = TestPaths.launcher();
            TestPaths.jshimd();
        }
        expectedExe = underTest.toRealPath();
        podman = Path.of(System.getProperty("jshim.test.podman", "/usr/bin/podman"));
        require(Files.isExecutable(podman), podman + " is missing: install Debian's podman (scripts/setup-debian.sh)"
                + " or set -Djshim.test.podman");
        Path shared = TestPaths.rootfsDir().resolve("rootfs");
        Procs.init();
        tmp = Files.createTempDirectory(Path.of("/tmp"), "jpodman");
        conmonLink = tmp.resolve("bin/conmon");
        Files.createDirectories(conmonLink.getParent());
        Files.createSymbolicLink(conmonLink, underTest);
        socket = tmp.resolve("jshimd.sock");
        cwd = Files.createDirectories(tmp.resolve("cwd"));
        Files.createDirectories(tmp.resolve("gates"));
        conf = tmp.resolve("containers.conf");
        String jshimd = validation ? "/nonexistent/jshimd" : TestPaths.jshimd().toString();
        Files.writeString(conf, "[engine]\nconmon_path = [" + Json.quote(conmonLink.toString()) + "]\n"
                + "conmon_env_vars = [" + Json.quote("JSHIMD=" + jshimd) + ", "
                + Json.quote("JSHIM_SOCKET=" + socket) + "]\n", StandardCharsets.UTF_8);
        rootfs = tmp.resolve("rootfs");
        require(exec(List.of("cp", "-a", shared.toString(), rootfs.toString())) == 0,
                "cp -a " + shared + " " + rootfs + " failed");
    }

    String mode() {
        return validation ? "validation mode: " + expectedExe : "jshim mode: " + expectedExe;
    }

    /** podman's global flags for this world. */
    List<String> globals() {
        return List.of(podman.toString(), "--root", tmp.resolve("root").toString(),
                "--runroot", tmp.resolve("runroot").toString(), "--tmpdir", tmp.resolve("tmp").toString(),
                "--storage-driver", "vfs", "--cgroup-manager=cgroupfs", "--events-backend=file",
                "--conmon", conmonLink.toString());
    }

    /** Starts podman with these arguments; input null = stdin /dev/null. */
    PodmanCmd start(byte[] input, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(globals());
        cmd.addAll(args);
        return startRaw(input, cmd);
    }

    /** Starts any command line in the world's cwd and environment (e.g. sh wrapping podman). */
    PodmanCmd startRaw(List<String> cmd) throws IOException {
        return startRaw(null, cmd);
    }

    private PodmanCmd startRaw(byte[] input, List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.directory(cwd.toFile());
        pb.environment().put("CONTAINERS_CONF", conf.toString());
        pb.environment().remove("NOTIFY_SOCKET");
        return new PodmanCmd(pb, input);
    }

    PodmanCmd start(String... args) throws IOException {
        return start(null, Arrays.asList(args));
    }

    PodmanCmd.Result podman(String... args) throws IOException {
        return start(null, Arrays.asList(args)).await(TIMEOUT_MS);
    }

    PodmanCmd.Result podmanIn(String input, String... args) throws IOException {
        return start(input.getBytes(StandardCharsets.UTF_8), Arrays.asList(args)).await(TIMEOUT_MS);
    }

    /**
     * Arguments of {@code podman run|create}: the subcommand, the world's fixed flags,
     * {@code --name}, the container's gate directory at /gate, the extra flags, then
     * {@code --rootfs <private rootfs>} and the command.
     */
    List<String> runArgs(String sub, String name, List<String> flags, String... command) throws IOException {
        List<String> a = new ArrayList<>();
        a.add(sub);
        a.addAll(flags);
        a.addAll(List.of("--name", name, "--network", "none", "--ulimit", "nofile=4096:4096",
                "--ulimit", "nproc=4096:4096", "-v", gateDir(name) + ":/gate"));
        a.add("--rootfs");
        a.add(rootfs.toString());
        a.addAll(Arrays.asList(command));
        return a;
    }

    /** The host directory mounted at /gate in the named container. */
    Path gateDir(String name) throws IOException {
        return Files.createDirectories(tmp.resolve("gates").resolve(name));
    }

    /** sh -c script that first waits for (and consumes) /gate/go, see {@link #openGate}. */
    static String[] gated(String script) {
        return new String[] {"sh", "-c",
            "while [ ! -e /gate/go ]; do sleep 0.02; done; rm -f /gate/go; " + script};
    }

    /** Lets a gated container go on. */
    void openGate(String name) throws IOException {
        Files.writeString(gateDir(name).resolve("go"), "", StandardCharsets.UTF_8);
    }

    /** `podman inspect --format FORMAT name`, trimmed; fails if podman does. */
    String inspect(String name, String format) throws IOException {
        return podman("inspect", "--format", format, name).ok().out.trim();
    }

    /** Every process other than this JVM whose cmdline or open files mention the world's dir. */
    List<Integer> ownedProcesses() {
        return Procs.owning(tmp);
    }

    /** The jshimd processes of this world: holders of the socket's lock file. */
    List<Integer> daemons() {
        String lock = socket + ".lock";
        List<Integer> out = new ArrayList<>();
        for (int pid : Procs.allPids()) {
            if (Procs.alive(pid) && (Procs.fdTargets(pid).contains(lock)
                    || (Procs.comm(pid).startsWith("java") && Procs.cmdline(pid).contains(socket.toString())))) {
                out.add(pid);
            }
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        List<String> ids = List.of();
        try {
            PodmanCmd.Result ps = podman("ps", "-aq", "--no-trunc");
            ids = ps.rc == 0 ? Arrays.asList(ps.out.trim().split("\\s+")) : List.of();
            podman("rm", "-af", "-t", "0");
        } finally {
            for (String id : ids) {
                if (id.matches("[0-9a-f]{64}")) {
                    exec(List.of(System.getProperty("jshim.test.runtime", "/usr/sbin/runc"), "delete", "--force", id));
                }
            }
            Procs.killUntilGone(this::ownedProcesses);
            List<String> mounts = mountsUnder();
            for (String m : mounts) {
                exec(List.of("umount", "-l", m));
            }
            if (mountsUnder().isEmpty()) {
                exec(List.of("rm", "-rf", "--one-file-system", tmp.toString()));
            } else {
                System.err.println("PodmanWorld: left " + tmp + " in place, still mounted: " + mountsUnder());
            }
        }
    }

    private List<String> mountsUnder() throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4 && (f[4].equals(tmp.toString()) || f[4].startsWith(tmp + "/"))) {
                out.add(f[4]);
            }
        }
        out.sort((a, b) -> b.length() - a.length());
        return out;
    }

    /** Runs a helper command to completion (cp, umount, rm, runc); its output is discarded. */
    private static int exec(List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        PodmanCmd p = new PodmanCmd(pb, null);
        return p.await(TIMEOUT_MS).rc;
    }

    static void require(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
