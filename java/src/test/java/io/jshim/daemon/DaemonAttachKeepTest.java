package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.daemon.FakeLauncher.Exit;
import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.protocol.Protocol;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Attach clients survive the daemon: the launcher keeps a duplicate of each conmon client
 * (ATTACH_CLIENT), closes it when the daemon says the client is gone (ATTACH_CLIENT_GONE), and
 * hands the kept ones to the next daemon with its HELLO, which serves them again.
 */
@Tag("unit")
class DaemonAttachKeepTest extends DaemonV2Base {
    private static final int FLAGS = LOG | Protocol.HELLO_ATTACH;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** One SEQPACKET record, or fails after the timeout. */
    private static byte[] record(int fd, long timeoutMs) throws Exception {
        ByteBuffer b = ByteBuffer.allocateDirect(9000);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (true) {
            int n = Native.read(fd, b, 0, b.capacity());
            if (n >= 0) {
                byte[] r = new byte[n];
                b.get(0, r);
                return r;
            }
            assertEquals(-Native.EAGAIN, n, "read");
            assertTrue(System.nanoTime() < deadline, "no record within " + timeoutMs + " ms");
            Thread.sleep(2);
        }
    }

    private void listen(FakeLauncher l, String name, int type) throws Exception {
        String path = dir.resolve(name).toString();
        l.listener = Errno.check(Native.unixListen(path, type, 10), "listen", path);
    }

    private int connect(String name) throws Exception {
        String path = dir.resolve(name).toString();
        int fd = Errno.check(Native.unixConnect(path, Native.SOCK_SEQPACKET), "connect", path);
        Errno.check(Native.setNonBlocking(fd, true), "fcntl", "client");
        return fd;
    }

    @Test
    void anAcceptedClientGoesToTheLauncherWithAnFdAndIsGoneWhenItLeaves() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = launcher(d, "k1", false)) {
            listen(l, "k1.attach", Native.SOCK_SEQPACKET);
            l.hello2(FLAGS, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, Protocol.ATTACH_CONMON, "ctr.log",
                    "k1");
            ready(l);
            int client = connect("k1.attach");
            try {
                l.awaitAttach(2000, () -> l.attachClients.size() == 1, "ATTACH_CLIENT after the accept");
                int token = l.attachEvents.get(0);
                int kept = l.attachClients.get(token);
                // the fd is the server end of this very client: what the launcher sends, it reads
                ByteBuffer b = ByteBuffer.allocateDirect(8);
                b.put(0, bytes("\u0002kept\n"));
                assertEquals(6, Native.send(kept, b, 0, 6));
                assertArrayEquals(bytes("\u0002kept\n"), record(client, 2000));
                FakeLauncher.writeAll(l.out[1], "served\n");
                assertArrayEquals(bytes("\u0002served\n"), record(client, 2000));
                int second = connect("k1.attach");
                l.awaitAttach(2000, () -> l.attachClients.size() == 2, "a second ATTACH_CLIENT");
                assertTrue(l.attachEvents.get(1) != token, "tokens are unique: " + l.attachEvents);
                Native.close(second); // both directions end: the daemon drops it and says so
                l.awaitAttach(2000, () -> l.attachEvents.contains(-l.attachEvents.get(1)), "GONE of the second");
                assertEquals(List.of(token), List.copyOf(l.attachClients.keySet()));
            } finally {
                Native.close(client);
            }
            l.awaitAttach(2000, () -> l.attachClients.isEmpty(), "GONE of the first");
            l.exited2(new Exit(0, 0, 1));
            done(l);
        }
    }

    @Test
    void shimmyStreamClientsAreNotKept() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = launcher(d, "s1", false)) {
            listen(l, "s1.attach", Native.SOCK_STREAM);
            l.hello2(FLAGS, Protocol.STATE_RUNNING, Exit.NONE, 0, Protocol.LOG_SHIMMY, Protocol.EXIT_SHIMMY_JSON,
                    Protocol.ATTACH_SHIMMY, "ctr.log", "s1");
            ready(l);
            String path = dir.resolve("s1.attach").toString();
            int client = Errno.check(Native.unixConnect(path, Native.SOCK_STREAM), "connect", path);
            try {
                Errno.check(Native.setNonBlocking(client, true), "fcntl", "client");
                FakeLauncher.writeAll(l.out[1], "x\n");
                assertEquals(3, record(client, 2000).length, "the client is served");
                l.exited2(new Exit(0, 0, 1));
                done(l);
                assertTrue(l.attachEvents.isEmpty(), "a frame cut by a dying daemon would corrupt a stream: "
                        + l.attachEvents);
            } finally {
                Native.close(client);
            }
        }
    }

    @Test
    void theNextDaemonAdoptsTheKeptClientsAndServesThem() throws Exception {
        FakeLauncher l = new FakeLauncher(dir, "r1", false);
        int client = -1;
        try {
            l.dirs(exits, logs);
            listen(l, "r1.attach", Native.SOCK_SEQPACKET);
            int token;
            try (DaemonHarness d = new DaemonHarness(dir)) {
                l.connect(d.socket);
                l.hello2(FLAGS, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, Protocol.ATTACH_CONMON,
                        "ctr.log", "r1");
                ready(l);
                client = connect("r1.attach");
                l.awaitAttach(2000, () -> l.attachClients.size() == 1, "ATTACH_CLIENT");
                token = l.attachEvents.get(0);
                FakeLauncher.writeAll(l.out[1], "one\n");
                assertArrayEquals(bytes("\u0002one\n"), record(client, 2000));
            } // the daemon stops: it lets go of the container, and says nothing is gone
            assertEquals(List.of(token), l.attachEvents, "no GONE when the daemon only lets go");
            ByteBuffer b = ByteBuffer.allocateDirect(16);
            assertEquals(-Native.EAGAIN, Native.read(client, b, 0, 16), "the client is still connected, no EOF");
            FakeLauncher.writeAll(l.out[1], "two\n"); // while no daemon runs
            try (DaemonHarness d = new DaemonHarness(dir)) {
                l.connect(d.socket);
                l.handTokens = new int[] {token};
                l.handFds = new int[] {l.attachClients.get(token)};
                l.hello2(FLAGS, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, Protocol.ATTACH_CONMON,
                        "ctr.log", "r1");
                ready(l);
                assertArrayEquals(bytes("\u0002two\n"), record(client, 2000), "the adopted client gets new output");
                int other = connect("r1.attach");
                try {
                    l.awaitAttach(2000, () -> l.attachClients.size() == 2, "ATTACH_CLIENT of a new client");
                    int next = l.attachEvents.get(1);
                    assertTrue(Integer.compareUnsigned(next, token) > 0, "tokens continue above the adopted "
                            + token + ": " + next);
                } finally {
                    Native.close(other);
                }
                Errno.check(Native.shutdown(client, Native.SHUT_WR), "shutdown", "client");
                FakeLauncher.writeAll(l.out[1], "three\n");
                assertArrayEquals(bytes("\u0002three\n"), record(client, 2000), "EOF on input: output goes on");
                l.exited2(new Exit(0, 0, 1));
                done(l);
            }
            assertEquals(List.of("stdout F one", "stdout F two", "stdout F three"), records(logs.resolve("ctr.log")));
        } finally {
            if (client >= 0) {
                Native.close(client);
            }
            l.close();
        }
    }

    @Test
    void aHelloWithClientsButNoAttachListenerIsRefused() throws Exception {
        try (DaemonHarness d = new DaemonHarness(dir); FakeLauncher l = launcher(d, "b1", false)) {
            int[] pair = new int[2];
            Errno.check(Native.socketpair(Native.SOCK_SEQPACKET, pair), "socketpair", "client");
            try {
                l.handTokens = new int[] {5};
                l.handFds = new int[] {pair[0]};
                Map<String, Long> before = held(pair[0]);
                l.hello2(LOG, Protocol.STATE_RUNNING, Exit.NONE, 0, K8S_FILE, CODE, 0, "ctr.log", "b1");
                assertEquals(0, l.receive(2000)[0], "a protocol error closes the connection");
                waitFor(() -> held(pair[0]).equals(before), "the fds that came with it are closed");
            } finally {
                Native.close(pair[0]);
                Native.close(pair[1]);
            }
        }
    }
}
