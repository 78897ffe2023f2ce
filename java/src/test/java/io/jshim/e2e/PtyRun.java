package io.jshim.e2e;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A podman command on a real pseudo-terminal of a given size, through tests/helpers/pty_run.c
 * (system property {@code jshim.test.ptyrun}): keys are typed through a FIFO, a resize sets the
 * pty's size (SIGUSR1 to the helper: podman gets SIGWINCH), the terminal's output is stdout.
 */
final class PtyRun {
    static final String PROPERTY = "jshim.test.ptyrun";

    final PodmanCmd cmd;
    private final Path keys;
    private final Path size;

    private PtyRun(PodmanCmd cmd, Path keys, Path size) {
        this.cmd = cmd;
        this.keys = keys;
        this.size = size;
    }

    static Path helper() {
        String p = System.getProperty(PROPERTY, "");
        PodmanWorld.require(!p.isEmpty() && Files.isExecutable(Path.of(p)),
                "system property " + PROPERTY + " must name the pty-run helper (tests/helpers/pty_run.c), got '" + p + "'");
        return Path.of(p);
    }

    /** Starts podman with args on a rows x cols terminal; tag names the FIFO and size file. */
    static PtyRun start(PodmanWorld w, String tag, int rows, int cols, List<String> args)
            throws IOException, InterruptedException {
        Path dir = Files.createDirectories(w.tmp.resolve("pty"));
        Path keys = dir.resolve(tag + ".keys");
        Path size = dir.resolve(tag + ".size");
        Files.deleteIfExists(keys);
        PodmanWorld.require(new ProcessBuilder("mkfifo", keys.toString()).inheritIO().start().waitFor(10,
                java.util.concurrent.TimeUnit.SECONDS) && Files.exists(keys), "mkfifo " + keys);
        List<String> cmd = new ArrayList<>(List.of(helper().toString(), "--rows", String.valueOf(rows), "--cols",
                String.valueOf(cols), "--keys", keys.toString(), "--resize", size.toString(), "--"));
        cmd.addAll(w.globals());
        cmd.addAll(args);
        return new PtyRun(w.startRaw(cmd), keys, size);
    }

    /** Types bytes on the terminal (one write: the helper forwards it in one piece). */
    void type(String s) throws IOException {
        try (OutputStream os = Files.newOutputStream(keys)) {
            os.write(s.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** podman's detach keys, one at a time (in one read podman forwards them raw). */
    void detach() throws IOException {
        type("\u0010");
        Wait.sleep(300);
        type("\u0011");
    }

    /** Resizes the terminal: podman sees SIGWINCH and writes the size to ctl. */
    void resize(int rows, int cols) throws IOException, InterruptedException {
        Files.writeString(size, rows + " " + cols + "\n", StandardCharsets.UTF_8);
        Process p = new ProcessBuilder("kill", "-USR1", String.valueOf(cmd.process.pid())).inheritIO().start();
        PodmanWorld.require(p.waitFor() == 0, "kill -USR1 pty-run " + cmd.process.pid());
    }

    String out() {
        return cmd.outSoFar();
    }

    /** Waits until the terminal showed text; fails with what it showed. */
    void await(String text, long ms) {
        if (!Wait.until(ms, () -> out().contains(text))) {
            throw new AssertionError("the terminal did not show " + Json.quote(text) + " within " + ms + " ms; it showed "
                    + Json.quote(out()) + (cmd.alive() ? "" : "; podman exited: " + cmd.await(1000)));
        }
    }

    /**
     * Types line (with \r) until the terminal shows text, once a second: right after an attach
     * the first keys can race with its initial resize (the shell's stty gets EINTR from SIGWINCH).
     */
    void typeUntil(String line, String text, long ms) throws IOException {
        long end = System.nanoTime() + ms * 1_000_000;
        while (!out().contains(text) && System.nanoTime() < end) {
            type(line + "\r");
            Wait.until(1000, () -> out().contains(text));
        }
        await(text, 1);
    }

    /** How often text occurs in s. */
    static int count(String s, String text) {
        int n = 0;
        for (int i = s.indexOf(text); i >= 0; i = s.indexOf(text, i + text.length())) {
            n++;
        }
        return n;
    }
}
