package io.jshim.e2e;

import io.jshim.nativeio.Native;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** CRI-O's attach client, its ctl writes and an inotify watcher (crio-conmon.md 3.3, 4.2, 6). */
final class CrioIo {
    private CrioIo() {}

    /**
     * CRI-O's attach connection: SOCK_SEQPACKET to {@code <socket-dir>/<id>/attach}, reads of
     * 8193 bytes (one record each: byte 0 = 2 stdout / 3 stderr), raw input, shutdown(SHUT_WR)
     * only at stdin EOF (never without a stdin stream).
     */
    static final class Attach implements AutoCloseable {
        final int fd;
        final List<byte[]> records = new ArrayList<>();
        private final ByteArrayOutputStream[] streams = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};
        private final ByteBuffer buf = ByteBuffer.allocateDirect(8193);
        boolean eof;

        Attach(Path path) {
            int r = Native.unixConnect(path.toString(), Native.SOCK_SEQPACKET);
            if (r < 0) {
                throw new AssertionError("connect SOCK_SEQPACKET " + path + ": " + Native.strerror(-r));
            }
            fd = r;
        }

        void send(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            ByteBuffer d = ByteBuffer.allocateDirect(b.length);
            d.put(b);
            long end = System.nanoTime() + 10_000_000_000L;
            while (true) {
                int n = Native.send(fd, d, 0, b.length);
                if (n == b.length) {
                    return;
                }
                if (n != -Native.EAGAIN || System.nanoTime() > end) {
                    throw new AssertionError("attach send of " + b.length + " bytes: " + n
                            + (n < 0 ? " " + Native.strerror(-n) : ""));
                }
                Wait.sleep(5);
            }
        }

        void shutdownWrite() {
            int r = Native.shutdown(fd, Native.SHUT_WR);
            if (r < 0) {
                throw new AssertionError("shutdown(SHUT_WR): " + Native.strerror(-r));
            }
        }

        /** One blocking read = one record; false at EOF. */
        boolean readRecord() {
            if (eof) {
                return false;
            }
            int n = Native.read(fd, buf, 0, 8193);
            if (n == -Native.EINTR) {
                return true;
            }
            if (n < 0) {
                throw new AssertionError("attach read: " + Native.strerror(-n));
            }
            if (n == 0) {
                eof = true;
                return false;
            }
            byte[] rec = new byte[n];
            buf.get(0, rec);
            records.add(rec);
            if (n < 2 || (rec[0] != 2 && rec[0] != 3)) {
                throw new AssertionError("bad attach record of " + n + " bytes, first byte " + rec[0]);
            }
            synchronized (this) {
                streams[rec[0] - 2].write(rec, 1, n - 1);
            }
            return true;
        }

        /** Reads on another thread until stdout contains text or EOF; fails after the timeout. */
        void readUntil(String text, long timeoutMs) {
            CompletableFuture<Void> f = CompletableFuture.runAsync(() -> {
                while (!stdout().contains(text) && readRecord()) {
                    // collect
                }
            }, CrioIo::thread);
            await(f, timeoutMs, () -> "attach stdout did not contain " + Json.quote(text) + " within "
                    + timeoutMs + " ms; stdout " + Json.quote(stdout()) + ", stderr " + Json.quote(stderr()));
            if (!stdout().contains(text)) {
                throw new AssertionError("attach EOF before stdout contained " + Json.quote(text) + "; stdout "
                        + Json.quote(stdout()) + ", stderr " + Json.quote(stderr()));
            }
        }

        void readToEof(long timeoutMs) {
            CompletableFuture<Void> f = CompletableFuture.runAsync(() -> {
                while (readRecord()) {
                    // collect
                }
            }, CrioIo::thread);
            await(f, timeoutMs, () -> "no attach EOF within " + timeoutMs + " ms; stdout " + Json.quote(stdout())
                    + ", stderr " + Json.quote(stderr()));
        }

        synchronized String stdout() {
            return streams[0].toString(StandardCharsets.UTF_8);
        }

        synchronized String stderr() {
            return streams[1].toString(StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            Native.close(fd);
        }
    }

    /**
     * CRI-O's ctl write: a blocking O_WRONLY open (which hangs if the monitor has no reader),
     * one write, close. A hang fails after the timeout; the open is then released by opening
     * the FIFO for reading ourselves.
     */
    static void ctlWrite(Path ctl, String line, long timeoutMs) {
        CompletableFuture<Void> f = CompletableFuture.runAsync(() -> {
            try (FileOutputStream o = new FileOutputStream(ctl.toFile())) {
                o.write(line.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, CrioIo::thread);
        try {
            f.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            int rd = Native.open(ctl.toString(), Native.O_RDWR, 0); // never blocks on a FIFO
            if (rd >= 0) {
                Wait.sleep(50);
                Native.close(rd);
            }
            throw new AssertionError("blocking open(" + ctl + ", O_WRONLY) + write " + Json.quote(line)
                    + " hung for " + timeoutMs + " ms: the monitor holds no reader on ctl");
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new AssertionError("ctl write " + Json.quote(line) + " to " + ctl + " failed", e);
        }
    }

    /** tests/helpers/inotify_order.c: every event of the dirs, in kernel order, until one name appears. */
    static final class Watch implements AutoCloseable {
        private final Process p;
        private final BufferedReader in;
        final List<String> events = new ArrayList<>();

        Watch(int untilIndex, String untilName, Path... dirs) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(CrioWorld.inotifyOrder().toString(), "--until",
                    String.valueOf(untilIndex), untilName, "--timeout-ms", "60000"));
            for (Path d : dirs) {
                cmd.add(d.toString());
            }
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            p = Procs.start(pb);
            in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String first = in.readLine();
            if (!"ready".equals(first)) {
                throw new AssertionError("inotify-order did not start: " + first);
            }
        }

        /** Reads events until the watcher exits (the awaited name appeared, or its timeout). */
        List<String> await(long timeoutMs) {
            CompletableFuture<Void> f = CompletableFuture.runAsync(() -> {
                try {
                    for (String l = in.readLine(); l != null; l = in.readLine()) {
                        synchronized (events) {
                            events.add(l);
                        }
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, CrioIo::thread);
            CrioIo.await(f, timeoutMs, () -> "inotify-order: the awaited name did not appear within " + timeoutMs
                    + " ms; events " + events);
            if (!events.isEmpty() && events.get(events.size() - 1).equals("timeout")) {
                throw new AssertionError("inotify-order timed out; events " + events);
            }
            return events;
        }

        /** Index of the first event matching dir index, name and one of the kinds; -1 if none. */
        int indexOf(int dir, String name, String... kinds) {
            for (int i = 0; i < events.size(); i++) {
                String[] f = events.get(i).split(" ", 3);
                if (f.length == 3 && f[0].equals(String.valueOf(dir)) && f[2].equals(name)
                        && List.of(kinds).contains(f[1])) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public void close() {
            p.destroyForcibly();
        }
    }

    static void await(CompletableFuture<?> f, long timeoutMs, java.util.function.Supplier<String> message) {
        try {
            f.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(message.get());
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new AssertionError(message.get(), e);
        }
    }

    static void thread(Runnable r) {
        Thread t = new Thread(r, "crio-e2e-io");
        t.setDaemon(true);
        t.start();
    }
}
