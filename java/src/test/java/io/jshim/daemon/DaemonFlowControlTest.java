package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.protocol.Protocol;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Slow attach clients and a container that does not read its stdin never block the daemon. */
@Tag("unit")
class DaemonFlowControlTest {
    @TempDir
    Path dir;

    private static void waitFor(Poll.Check c, String what) throws Exception {
        Poll.until(10_000, c, what);
    }

    private static int attach(FakeLauncher l, DaemonHarness d, int expectedClients) throws Exception {
        int fd = Errno.check(Native.unixConnect(l.attach.toString(), Native.SOCK_STREAM), "connect", l.attach);
        Errno.check(Native.setNonBlocking(fd, true), "fcntl", "attach");
        waitFor(() -> clients(l, d) == expectedClients, "attach client accepted");
        return fd;
    }

    private static int clients(FakeLauncher l, DaemonHarness d) throws Exception {
        return d.onLoop(() -> {
            Container c = d.daemon.container(l.id);
            return c == null || c.attach() == null ? -1 : c.attach().clientCount();
        });
    }

    /** Every byte of {@code total} bytes of 1024-byte lines is in the log, and committed. */
    private static boolean allLogged(FakeLauncher l, long total) throws Exception {
        if (!l.caughtUp(1)) {
            return false;
        }
        long text = 0;
        try (java.io.BufferedReader r = Files.newBufferedReader(l.log)) {
            for (String rec; (rec = r.readLine()) != null; ) {
                text += rec.length() - rec.indexOf(" stdout ") - " stdout ".length();
            }
        }
        return text == total - total / 1024; // the newlines are not in the records
    }

    @Test
    void aClientThatNeverReadsIsDroppedAndTheLogGoesOn() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "f1", false)) {
            l.connect(d.socket);
            l.hello(0, Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
            int sleeper = attach(l, d, 1);
            int reader = attach(l, d, 2);
            int total = 8 << 20;
            java.util.concurrent.atomic.AtomicLong got = new java.util.concurrent.atomic.AtomicLong();
            Thread writer = new Thread(() -> {
                try {
                    String line = "x".repeat(1023) + "\n";
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < 64; i++) {
                        sb.append(line);
                    }
                    long written = 0;
                    for (int i = 0; i < total / sb.length(); i++) {
                        // pace the container to the reader, so only the sleeper falls behind
                        // (on a busy machine an unpaced reader can lag past the bound too)
                        while (written - got.get() > (1 << 20)) {
                            Thread.sleep(1);
                        }
                        FakeLauncher.writeAll(l.out[1], sb.toString());
                        written += sb.length();
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            writer.start();
            // the reader keeps up and keeps its connection
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 16);
            long deadline = System.nanoTime() + 20_000_000_000L;
            long idleSince = System.nanoTime();
            while (System.nanoTime() < deadline) {
                int n = Native.read(reader, b, 0, b.capacity());
                if (n > 0) {
                    got.addAndGet(n);
                    idleSince = System.nanoTime();
                } else {
                    assertEquals(-Native.EAGAIN, n);
                    if (System.nanoTime() - idleSince > 300_000_000L && allLogged(l, total)) {
                        break; // everything is logged and nothing more arrives
                    }
                    Thread.sleep(1);
                }
            }
            writer.join(10000);
            waitFor(() -> allLogged(l, total), "all output committed");
            assertEquals(1, clients(l, d), "the client that never read was dropped, the reader stays");
            assertTrue(got.get() >= total, "the reader got every payload byte plus frame types: " + got);
            Native.close(sleeper);
            Native.close(reader);
        }
    }

    @Test
    void stdinBackPressurePausesClientsUntilTheContainerReads() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = new FakeLauncher(dir, "f2", true)) {
            l.connect(d.socket);
            l.hello(l.flags(false), Protocol.STATE_RUNNING, 0);
            assertEquals(Protocol.MSG_READY, l.receive(2000)[0]);
            int client = attach(l, d, 1);
            int total = 3 << 20;
            ByteBuffer data = ByteBuffer.allocateDirect(total);
            for (int i = 0; i < total; i++) {
                data.put(i, (byte) (i * 31 + 7));
            }
            // the container does not read: the daemon queues up to the bound, then stops reading
            int sent = 0;
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline) {
                int n = Native.write(client, data, sent, total - sent);
                if (n > 0) {
                    sent += n;
                    if (sent == total) {
                        break;
                    }
                } else {
                    assertEquals(-Native.EAGAIN, n);
                    if (d.onLoop(() -> d.daemon.container(l.id).attach().inputPaused())) {
                        break;
                    }
                    Thread.sleep(1);
                }
            }
            assertTrue(d.onLoop(() -> d.daemon.container(l.id).attach().inputPaused()), "input paused");
            assertTrue(sent < total, "the client is blocked by back-pressure");
            // the container starts reading: everything arrives, in order
            Errno.check(Native.setNonBlocking(l.in[0], true), "fcntl", "stdin");
            ByteBuffer in = ByteBuffer.allocateDirect(1 << 16);
            int received = 0;
            deadline = System.nanoTime() + 20_000_000_000L;
            while (received < total) {
                assertTrue(System.nanoTime() < deadline, "stdin stalled at " + received);
                if (sent < total) {
                    int n = Native.write(client, data, sent, total - sent);
                    if (n > 0) {
                        sent += n;
                    }
                }
                int n = Native.read(l.in[0], in, 0, in.capacity());
                if (n > 0) {
                    for (int i = 0; i < n; i++) {
                        if (in.get(i) != data.get(received + i)) {
                            throw new AssertionError("stdin byte " + (received + i) + " differs");
                        }
                    }
                    received += n;
                } else {
                    Thread.sleep(1);
                }
            }
            assertEquals(total, received);
            waitFor(() -> !d.onLoop(() -> d.daemon.container(l.id).attach().inputPaused()), "input resumed");
            Native.close(client);
        }
    }
}
