package io.jshim.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private CRI-O stand-in per test class (crio-conmon.md section 6): a short temp dir with
 * {@code bin/conmon}, a symlink to the monitor under test (the jshim launcher, or the binary
 * named by {@code -Djshim.test.conmon} in validation mode, e.g. /usr/bin/conmon 2.1.6), the
 * exits dir, the attach socket dir, a private runc root and kubelet-style pod log dirs.
 *
 * <p>CRI-O gives the monitor no environment but PATH and the _OCI_ pipes. jshim's launcher then
 * finds jshimd next to itself (the build tree's) but uses the host's default socket
 * /run/jshim/jshimd.sock, which other test runs on this host share and which the daemon-kill test
 * must not touch. So in jshim mode, and only there, the environment also carries
 * {@code JSHIM_SOCKET=<world>/jshimd.sock}; conmon gets CRI-O's environment exactly.
 */
final class CrioWorld implements AutoCloseable {
    static final String CONMON_PROPERTY = "jshim.test.conmon";
    private static final SecureRandom RANDOM = new SecureRandom();

    final boolean validation;
    final Path expectedExe;
    final Path tmp;
    final Path conmon;
    final Path exits;
    final Path socketDir;
    final Path runcRoot;
    final Path jshimdSocket;
    final Runc runc;
    final boolean sync;
    final boolean globalSizeMax;
    private int next;

    CrioWorld() throws IOException {
        String property = System.getProperty(CONMON_PROPERTY, "");
        validation = !property.isEmpty();
        Path underTest = validation ? Path.of(property).toAbsolutePath() : TestPaths.launcher();
        if (!Files.isExecutable(underTest)) {
            throw new AssertionError(CONMON_PROPERTY + " names " + underTest + ", which is not executable");
        }
        if (!validation) {
            TestPaths.jshimd();
        }
        expectedExe = underTest.toRealPath();
        replay();
        inotifyOrder();
        TestPaths.runtime();
        TestPaths.rootfsDir();
        Procs.init();
        // short: <socket-dir>/<64 hex>/attach must stay below sun_path's 108 bytes
        tmp = Files.createTempDirectory(Path.of("/tmp"), "jcrio");
        conmon = tmp.resolve("bin/conmon");
        Files.createDirectories(conmon.getParent());
        Files.createSymbolicLink(conmon, underTest);
        exits = Files.createDirectories(tmp.resolve("exits"));
        socketDir = Files.createDirectories(tmp.resolve("s"));
        runcRoot = Files.createDirectories(tmp.resolve("runc"));
        jshimdSocket = tmp.resolve("jshimd.sock");
        runc = new Runc(runcRoot);
        String version = probeVersion();
        sync = atLeast(version, 2, 0, 19);
        globalSizeMax = atLeast(version, 2, 1, 2);
    }

    static Path replay() {
        return helper("jshim.test.crioreplay", "the crio-replay helper");
    }

    static Path inotifyOrder() {
        return helper("jshim.test.inotifyorder", "the inotify-order helper");
    }

    private static Path helper(String property, String what) {
        String v = System.getProperty(property, "");
        if (v.isEmpty() || !Files.isExecutable(Path.of(v))) {
            throw new AssertionError(what + " is missing: system property " + property + " = " + Json.quote(v));
        }
        return Path.of(v);
    }

    String mode() {
        return validation ? "validation mode: " + expectedExe : "jshim mode: " + expectedExe;
    }

    /** CRI-O's extra environment for the monitor beyond PATH and _OCI_*: none, except jshim's socket. */
    List<String> extraEnv() {
        return validation ? List.of() : List.of("JSHIM_SOCKET=" + jshimdSocket);
    }

    /**
     * CRI-O's probe (conmonmgr.go): `conmon --version`, combined output split on whitespace,
     * field 2 strict semver. A failure is fatal to CRI-O, so it fails the class.
     */
    String probeVersion() throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/env", "-i",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
        cmd.addAll(extraEnv());
        cmd.add(conmon.toString());
        cmd.add("--version");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = Procs.start(pb);
        var out = Shim.readAll(p.getInputStream());
        var err = Shim.readAll(p.getErrorStream());
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("conmon --version hung");
            }
            String o = out.get(5, TimeUnit.SECONDS);
            String e = err.get(5, TimeUnit.SECONDS);
            String[] f = (o + e).trim().split("\\s+");
            if (p.exitValue() != 0 || !e.isEmpty() || f.length < 3
                    || !f[2].matches("(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?")) {
                throw new AssertionError("CRI-O would refuse this monitor: --version exit " + p.exitValue()
                        + ", stdout " + Json.quote(o) + ", stderr " + Json.quote(e));
            }
            return f[2];
        } catch (InterruptedException | java.util.concurrent.ExecutionException
                | java.util.concurrent.TimeoutException ex) {
            throw new AssertionError("conmon --version", ex);
        }
    }

    private static boolean atLeast(String v, int a, int b, int c) {
        String[] f = v.split("[-+]")[0].split("\\.");
        int[] n = {Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2])};
        return n[0] != a ? n[0] > a : n[1] != b ? n[1] > b : n[2] >= c;
    }

    /** A new container (not created yet) running args; ids are 64 hex digits as CRI-O's. */
    CrioContainer container(String... args) throws IOException {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        StringBuilder id = new StringBuilder();
        for (byte b : raw) {
            id.append(String.format("%02x", b & 0xff));
        }
        int n = next++;
        return new CrioContainer(this, id.toString(), tmp.resolve("c" + n), List.of(args));
    }

    /** Processes other than this JVM whose cmdline or open files mention the world's dir. */
    List<Integer> ownedProcesses() {
        return Procs.owning(tmp);
    }

    /**
     * jshim mode: waits until this world's jshimd accepts connections (a cold create reports the
     * pid while the daemon it started is still starting; the output waits in the pipe until
     * then). Against conmon there is no daemon: returns at once.
     */
    boolean awaitDaemonListening(long timeoutMs) {
        if (validation) {
            return true;
        }
        return Wait.until(timeoutMs, () -> {
            int fd = io.jshim.nativeio.Native.unixConnect(jshimdSocket.toString(),
                    io.jshim.nativeio.Native.SOCK_SEQPACKET);
            if (fd < 0) {
                return false;
            }
            io.jshim.nativeio.Native.close(fd);
            return true;
        });
    }

    /** jshimd processes of this world: holders of the socket's lock file. */
    List<Integer> daemons() {
        return Procs.holding(jshimdSocket + ".lock");
    }

    @Override
    public void close() throws IOException {
        try {
            runc.deleteAll();
        } finally {
            Procs.killUntilGone(this::ownedProcesses);
            E2eFixture.deleteTree(tmp);
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }
}
