import io.jshim.nativeio.Native;
import io.jshim.protocol.Hello;
import io.jshim.protocol.Messages;
import io.jshim.protocol.Protocol;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The training run behind jshimd's class-data-sharing archive (docs/packaging.md, "Class data
 * sharing"): {@code java CdsTraining JSHIMD CLASSLIST}. Starts {@code JSHIMD} (the start script)
 * on a private socket with {@code -XX:DumpLoadedClassList=CLASSLIST}, plays two launchers the
 * way the C launcher does (a shimmy log with stdin; a k8s-file log with an attach client),
 * writes output, sends EXITED, waits for DONE, then stops the daemon with SIGTERM. So the list
 * holds every class a daemon loads from its start to its first containers' exits and its stop.
 * Exits 1 with a message on any failure; nothing outlives it.
 */
public final class CdsTraining {
    private static final long TIMEOUT_MS = 20_000;

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: CdsTraining JSHIMD CLASSLIST");
            System.exit(2);
        }
        Path dir = Files.createTempDirectory("jshimd-cds", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path classlist = Path.of(args[1]).toAbsolutePath();
        Files.deleteIfExists(classlist);
        String socket = dir.resolve("d.sock").toString();
        ProcessBuilder pb = new ProcessBuilder(args[0], "--socket", socket, "--log-level", "debug");
        // the script's default flags, no archive, and -XX:DumpLoadedClassList
        pb.environment().remove("JSHIMD_JVM_OPTS");
        pb.environment().put("JSHIMD_CDS", "classlist=" + classlist);
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("jshimd.log").toFile());
        Process daemon = pb.start();
        int status = 1;
        try {
            train(dir, socket, daemon);
            daemon.destroy(); // SIGTERM: the graceful stop and its classes
            if (!daemon.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                throw new IOException("jshimd did not stop within " + TIMEOUT_MS + " ms of SIGTERM");
            }
            if (!Files.isRegularFile(classlist) || Files.size(classlist) == 0) {
                throw new IOException("jshimd wrote no class list at " + classlist);
            }
            status = 0;
        } catch (Exception e) {
            System.err.println("CdsTraining: " + e.getMessage());
            System.err.println("--- jshimd output:");
            System.err.print(Files.readString(dir.resolve("jshimd.log")));
        } finally {
            daemon.destroyForcibly();
            daemon.waitFor();
            deleteTree(dir);
        }
        System.exit(status);
    }

    private static void train(Path dir, String socket, Process daemon) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (true) {
            int fd = Native.unixConnect(socket, Native.SOCK_SEQPACKET);
            if (fd >= 0) {
                Native.close(fd);
                break;
            }
            if (!daemon.isAlive()) {
                throw new IOException("jshimd exited with " + daemon.exitValue() + " before listening");
            }
            check(deadline, "jshimd listening on " + socket);
            Thread.sleep(5);
        }
        Files.createDirectories(dir.resolve("logs"));
        Files.createDirectories(dir.resolve("exits"));
        try (Launcher a = new Launcher(dir, "a", Protocol.HELLO_STDIN | Protocol.HELLO_LOG_FILE, Protocol.LOG_SHIMMY,
                Protocol.EXIT_SHIMMY_JSON, 0);
                Launcher b = new Launcher(dir, "b", Protocol.HELLO_LOG_FILE | Protocol.HELLO_ATTACH,
                        Protocol.LOG_K8S_FILE, Protocol.EXIT_CONMON_CODE, Protocol.ATTACH_CONMON)) {
            for (Launcher l : List.of(a, b)) {
                l.hello(socket);
                l.expect(Protocol.MSG_READY, deadline);
            }
            int client = Native.unixConnect(b.attachPath.toString(), Native.SOCK_SEQPACKET);
            if (client < 0) {
                throw new IOException("connect " + b.attachPath + ": " + Native.strerror(-client));
            }
            try {
                for (Launcher l : List.of(a, b)) {
                    StringBuilder text = new StringBuilder();
                    for (int i = 0; i < 2000; i++) {
                        text.append("line ").append(i).append(" of the training run, ").append(l.id).append('\n');
                    }
                    l.write(l.out[1], text + "partial");
                    l.write(l.err[1], "an error line\n\u00e9t\u00e9 \u2713 utf-8\n");
                }
                for (Launcher l : List.of(a, b)) {
                    l.exited();
                    l.expect(Protocol.MSG_DONE, deadline);
                }
            } finally {
                Native.close(client);
            }
        }
    }

    private static void check(long deadline, String what) throws IOException {
        if (System.nanoTime() - deadline > 0) {
            throw new IOException("timed out waiting for " + what);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (var s = Files.list(p)) {
                for (Path c : s.toList()) {
                    deleteTree(c);
                }
            }
        }
        Files.deleteIfExists(p);
    }

    /** One container's launcher side: the fds it owns and hands over, its connection. */
    private static final class Launcher implements AutoCloseable {
        final String id;
        final int flags;
        final int logFormat;
        final int exitFormat;
        final int attachFormat;
        final Path attachPath;
        final int[] out = {-1, -1};
        final int[] err = {-1, -1};
        final int[] in = {-1, -1};
        final List<Integer> owned = new ArrayList<>();
        final int journal;
        final long journalAddr;
        int exitDir;
        int logDir;
        int listener = -1;
        int conn = -1;

        Launcher(Path dir, String id, int flags, int logFormat, int exitFormat, int attachFormat) throws IOException {
            this.id = id;
            this.flags = flags;
            this.logFormat = logFormat;
            this.exitFormat = exitFormat;
            this.attachFormat = attachFormat;
            this.attachPath = dir.resolve(id + ".attach");
            journal = own(Native.memfdCreate("journal"), "memfd_create journal");
            ok(Native.ftruncate(journal, Protocol.JOURNAL_SIZE), "ftruncate journal");
            journalAddr = Native.mmapShared(journal, Protocol.JOURNAL_SIZE);
            if (journalAddr < 0) {
                throw new IOException("mmap journal: " + Native.strerror((int) -journalAddr));
            }
            ByteBuffer j = Native.directBuffer(journalAddr, Protocol.JOURNAL_SIZE).order(ByteOrder.nativeOrder());
            j.putInt(Protocol.JOURNAL_OFF_MAGIC, Protocol.JOURNAL_MAGIC);
            j.putInt(Protocol.JOURNAL_OFF_VERSION, Protocol.JOURNAL_VERSION);
            pipe(out);
            pipe(err);
            ok(Native.setNonBlocking(out[0], true), "fcntl stdout");
            ok(Native.setNonBlocking(err[0], true), "fcntl stderr");
            if ((flags & Protocol.HELLO_STDIN) != 0) {
                pipe(in);
            }
            exitDir = own(Native.open(dir.resolve("exits").toString(), Native.O_DIRECTORY | Native.O_PATH, 0),
                    "open exits");
            logDir = own(Native.open(dir.resolve("logs").toString(), Native.O_DIRECTORY | Native.O_PATH, 0),
                    "open logs");
            if ((flags & Protocol.HELLO_ATTACH) != 0) {
                listener = own(Native.unixListen(attachPath.toString(), Native.SOCK_SEQPACKET, 8), "listen attach");
            }
        }

        private int own(int fd, String what) throws IOException {
            ok(fd, what);
            owned.add(fd);
            return fd;
        }

        private void pipe(int[] p) throws IOException {
            ok(Native.pipe(p), "pipe");
            owned.add(p[0]);
            owned.add(p[1]);
        }

        private static void ok(int r, String what) throws IOException {
            if (r < 0) {
                throw new IOException(what + ": " + Native.strerror(-r));
            }
        }

        void hello(String socket) throws IOException {
            conn = own(Native.unixConnect(socket, Native.SOCK_SEQPACKET), "connect " + socket);
            ok(Native.setNonBlocking(conn, true), "fcntl conn");
            int spoolOut = own(Native.memfdCreate("stdout"), "memfd_create stdout");
            int spoolErr = own(Native.memfdCreate("stderr"), "memfd_create stderr");
            List<Integer> fds = new ArrayList<>(List.of(journal, out[0], spoolOut, err[0], spoolErr, exitDir));
            if ((flags & Protocol.HELLO_STDIN) != 0) {
                fds.add(in[1]);
            }
            fds.add(logDir);
            if (listener >= 0) {
                fds.add(listener);
            }
            int[] a = fds.stream().mapToInt(Integer::intValue).toArray();
            Hello h = Hello.v2(flags, Protocol.STATE_RUNNING, 4242, 4343, 0, 0, 0, id.hashCode() + 1L, 0, logFormat,
                    exitFormat, attachFormat, a.length, "training-" + id, "training-" + id,
                    (id + ".log").getBytes(StandardCharsets.UTF_8), (id + ".exit").getBytes(StandardCharsets.UTF_8),
                    "");
            send(Messages.hello(h), a);
        }

        void exited() throws IOException {
            Native.close(out[1]);
            owned.remove(Integer.valueOf(out[1]));
            Native.close(err[1]);
            owned.remove(Integer.valueOf(err[1]));
            send(Messages.exited2(0, 0, System.currentTimeMillis() * 1_000_000L), new int[0]);
        }

        private void send(ByteBuffer msg, int[] fds) throws IOException {
            int n = Native.sendWithFds(conn, msg, 0, msg.limit(), fds, fds.length);
            if (n != msg.limit()) {
                throw new IOException("sendmsg to jshimd: " + (n < 0 ? Native.strerror(-n) : n + " bytes"));
            }
        }

        void write(int fd, String s) throws IOException {
            if (fd < 0 || s.isEmpty()) {
                return;
            }
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
            b.put(0, bytes);
            int off = 0;
            while (off < bytes.length) {
                int n = Native.write(fd, b, off, bytes.length - off);
                ok(n, "write");
                off += n;
            }
        }

        /** Waits for a message of this type; attach client fds handed over on the way are closed. */
        void expect(int type, long deadline) throws Exception {
            ByteBuffer b = ByteBuffer.allocateDirect(Protocol.MSG_MAX).order(ByteOrder.nativeOrder());
            int[] fds = new int[Protocol.MAX_FDS];
            int[] counts = new int[1];
            while (true) {
                int n = Native.recvWithFds(conn, b, 0, Protocol.MSG_MAX, fds, counts);
                for (int i = 0; i < Math.max(0, counts[0]); i++) {
                    Native.close(fds[i]);
                }
                counts[0] = 0;
                if (n == 0) {
                    throw new IOException(id + ": jshimd closed the connection");
                }
                if (n > 0) {
                    int t = Messages.decodeType(b, 0, n);
                    if (t == type) {
                        return;
                    }
                    if (t == Protocol.MSG_FAILED) {
                        throw new IOException(id + ": jshimd answered FAILED");
                    }
                    continue;
                }
                check(deadline, id + ": message " + type);
                Thread.sleep(2);
            }
        }

        @Override
        public void close() {
            for (int fd : owned) {
                Native.close(fd);
            }
            Native.munmap(journalAddr, Protocol.JOURNAL_SIZE);
        }
    }
}
