package io.jshim.e2e;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** One podman process with its stdout and stderr read separately to EOF. */
final class PodmanCmd {
    /** What a finished podman run showed. */
    static final class Result {
        final List<String> argv;
        final int rc;
        final String out;
        final String err;
        final long millis;

        Result(List<String> argv, int rc, String out, String err, long millis) {
            this.argv = argv;
            this.rc = rc;
            this.out = out;
            this.err = err;
            this.millis = millis;
        }

        /** Fails unless rc is 0; returns this. */
        Result ok() {
            if (rc != 0) {
                throw new AssertionError("podman failed: " + this);
            }
            return this;
        }

        @Override
        public String toString() {
            return "rc " + rc + " after " + millis + " ms, stdout " + Json.quote(clip(out)) + ", stderr "
                    + Json.quote(clip(err)) + ", argv " + String.join(" ", argv);
        }

        private static String clip(String s) {
            return s.length() <= 2000 ? s : s.substring(0, 1000) + "[...]" + s.substring(s.length() - 1000);
        }
    }

    final List<String> argv;
    final Process process;
    private final Stream out;
    private final Stream err;
    private final long t0 = System.nanoTime();

    /** Starts argv; stdin is /dev/null when input is null, else a pipe fed with input then closed. */
    PodmanCmd(ProcessBuilder pb, byte[] input) throws IOException {
        this.argv = List.copyOf(pb.command());
        if (input == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        process = Procs.start(pb);
        out = new Stream(process.getInputStream());
        err = new Stream(process.getErrorStream());
        if (input != null) {
            feed(input, true);
        }
    }

    /** Writes bytes to the process' stdin on a thread; closes it afterwards if close. */
    void feed(byte[] input, boolean close) {
        Thread t = new Thread(() -> {
            OutputStream os = process.getOutputStream();
            try {
                os.write(input);
                os.flush();
                if (close) {
                    os.close();
                }
            } catch (IOException e) {
                // podman went away or closed its stdin: the assertions on its output tell
            }
        }, "podman-stdin");
        t.setDaemon(true);
        t.start();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Stdout read so far. */
    String outSoFar() {
        return out.soFar();
    }

    /** Stderr read so far. */
    String errSoFar() {
        return err.soFar();
    }

    /** Reads a stream to EOF on its own thread, keeping what arrived so far readable. */
    private static final class Stream {
        private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        final CompletableFuture<String> done = new CompletableFuture<>();

        Stream(java.io.InputStream in) {
            Thread t = new Thread(() -> {
                byte[] b = new byte[65536];
                try (in) {
                    int n;
                    while ((n = in.read(b)) > 0) {
                        synchronized (buf) {
                            buf.write(b, 0, n);
                        }
                    }
                    done.complete(soFar());
                } catch (IOException e) {
                    done.completeExceptionally(e);
                }
            }, "podman-stream-reader");
            t.setDaemon(true);
            t.start();
        }

        String soFar() {
            synchronized (buf) {
                return buf.toString(java.nio.charset.StandardCharsets.UTF_8);
            }
        }
    }

    /** Waits for the exit and both streams' EOF; kills podman and fails after timeoutMs. */
    Result await(long timeoutMs) {
        try {
            if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                String o = out.soFar();
                throw new AssertionError("podman did not finish within " + timeoutMs + " ms (killed it); stdout so far "
                        + Json.quote(o) + "; argv " + String.join(" ", argv));
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            return new Result(argv, process.exitValue(), out.done.get(timeoutMs, TimeUnit.MILLISECONDS),
                    err.done.get(timeoutMs, TimeUnit.MILLISECONDS), ms);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("podman exited but its stdout/stderr did not reach EOF within " + timeoutMs
                    + " ms (a descendant keeps them open); argv " + String.join(" ", argv), e);
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new AssertionError("collecting podman's output failed; argv " + String.join(" ", argv), e);
        }
    }
}
