package io.jshim.daemon;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import io.jshim.protocol.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code jshimd [--socket PATH] [--log-level LEVEL] [--version] [--help]}.
 *
 * <p>SIGTERM is a graceful stop: the shutdown hook closes the listener, then every launcher
 * connection (each container's fds once), and the process exits with status 143 (128 +
 * SIGTERM, as any JVM stopped by that signal). The launchers see their connections close,
 * reconnect with backoff, and one of them starts the next daemon, which takes every container
 * over again. SIGKILL ends in the same hand-over, without the tidy close.
 */
public final class Main {
    private Main() {}

    static final String USAGE = "usage: jshimd [--socket PATH] [--log-level error|warn|info|debug|trace]"
            + " [--version] [--help]\n"
            + "  --socket PATH     the launcher socket (default: $" + Protocol.SOCKET_ENV + ", else "
            + Protocol.DEFAULT_SOCKET + ")\n"
            + "  --log-level L     diagnostics on stderr at level L (default: info)\n"
            + "  --version         print the version;  --help  this text\n"
            + "Serves the log, attach socket, stdin and exit file of every container that jshim\n"
            + "launchers hand over on the socket. With systemd socket activation (LISTEN_PID,\n"
            + "LISTEN_FDS) the listener is fd 3. Environment: " + Protocol.SOCKET_ENV + " as above;\n"
            + "JSHIMD_JVM_OPTS replaces the JVM flags of the jshimd start script.\n";

    /** Parsed command line; {@code action} is "run", "version" or "help". */
    record Options(String action, String socket, String logLevel) {}

    /** Bad command line: the message names the problem. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    static Options parse(String[] args, Map<String, String> env) throws UsageException {
        String socket = null;
        String level = "info";
        String action = "run";
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--socket":
                case "--log-level":
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new UsageException(a + " needs a value");
                        }
                        value = args[++i];
                    }
                    if (a.equals("--socket")) {
                        if (value.isEmpty()) {
                            throw new UsageException("--socket needs a non-empty path");
                        }
                        socket = value;
                    } else {
                        if (!isLevel(value)) {
                            throw new UsageException("unknown log level '" + value
                                    + "' (expected error, warn, info, debug or trace)");
                        }
                        level = value;
                    }
                    break;
                case "--version":
                case "--help":
                    if (value != null) {
                        throw new UsageException(a + " takes no value");
                    }
                    if (action.equals("run")) {
                        action = a.substring(2);
                    }
                    break;
                default:
                    throw new UsageException(a.startsWith("-") ? "unknown option '" + a + "'"
                            : "unexpected argument '" + a + "'");
            }
        }
        if (socket == null) {
            String e = env.get(Protocol.SOCKET_ENV);
            socket = e != null && !e.isEmpty() ? e : Protocol.DEFAULT_SOCKET;
        }
        return new Options(action, Path.of(socket).toAbsolutePath().toString(), level);
    }

    /** error, warn, info, debug or trace (no regex: java.util.regex is not loaded for this). */
    static boolean isLevel(String s) {
        switch (s) {
            case "error":
            case "warn":
            case "info":
            case "debug":
            case "trace":
                return true;
            default:
                return false;
        }
    }

    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("/io/jshim/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * slf4j reads these when the first logger is created: the binding named directly (no
     * ServiceLoader scan of the jars) and its level.
     */
    static void configureLogging(String level) {
        System.setProperty("slf4j.provider", StderrLog.class.getName());
        System.setProperty("slf4j.internal.verbosity", "WARN"); // not "Attempting to load provider"
        System.setProperty(StderrLog.LEVEL_PROPERTY, level);
    }

    public static void main(String[] args) {
        Options o;
        try {
            o = parse(args, System.getenv());
        } catch (UsageException e) {
            System.err.println("jshimd: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        if (o.action().equals("help")) {
            System.out.print(USAGE);
            return;
        }
        if (o.action().equals("version")) {
            System.out.println("jshimd " + version());
            return;
        }
        configureLogging(o.logLevel());
        System.exit(run(o.socket()));
    }

    private static int run(String socket) {
        Path sock = Path.of(socket);
        try {
            SocketDir.ensure(sock, Native.geteuid());
        } catch (IOException e) {
            String m = e.getMessage() != null && e.getMessage().startsWith("unsafe") ? e.getMessage() : e.toString();
            System.err.println("jshimd: " + m); // on stderr even at --log-level error
            return 1;
        }
        FileChannel lockChannel;
        FileLock lock;
        try {
            lockChannel = FileChannel.open(Path.of(socket + ".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            lock = awaitLock(lockChannel, socket);
        } catch (IOException e) {
            Daemon.LOG.error("lock {}.lock: {}", socket, e.toString());
            return 1;
        }
        if (lock == null) {
            return 0; // another daemon serves this socket
        }
        try (EventLoop loop = new EventLoop()) {
            int listenFd = listener(socket);
            Daemon daemon = new Daemon(loop, listenFd);
            daemon.start();
            CountDownLatch stopped = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                if (stopped.getCount() == 0) {
                    return; // the loop already ended
                }
                daemon.shutdown();
                try {
                    if (!stopped.await(5, TimeUnit.SECONDS)) {
                        Daemon.LOG.warn("shutdown did not finish within 5 s");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "jshimd-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            Daemon.LOG.info("jshimd {} listening on {} (pid {})", version(), socket, ProcessHandle.current().pid());
            try {
                loop.run();
            } finally {
                stopped.countDown();
            }
            Daemon.LOG.info("stopped");
            return 0;
        } catch (NativeIoException e) {
            Daemon.LOG.error("{}", e.getMessage());
            return 1;
        } catch (IllegalStateException e) { // the loop itself failed (epoll_wait)
            Daemon.LOG.error("event loop: {}", e.getMessage());
            return 1;
        } finally {
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException e) {
                Daemon.LOG.debug("unlock: {}", e.toString());
            }
        }
    }

    /** How long a new daemon waits for the lock of a daemon that is stopping. */
    static final long LOCK_WAIT_MS = 3000;

    /**
     * The daemon lock, or null when another daemon serves the socket. A daemon that was just
     * SIGTERMed (or SIGKILLed) may still hold the lock for a moment after its launchers already
     * started this one; giving up at once would leave them without a daemon until their next
     * start attempt. So while nobody answers at the socket, retry for up to LOCK_WAIT_MS.
     */
    private static FileLock awaitLock(FileChannel ch, String socket) throws IOException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LOCK_WAIT_MS);
        for (;;) {
            FileLock lock = ch.tryLock();
            if (lock != null) {
                return lock;
            }
            int fd = Native.unixConnect(socket, Native.SOCK_SEQPACKET);
            if (fd >= 0) {
                Native.close(fd);
                return null; // a live daemon answers
            }
            if (System.nanoTime() - end > 0) {
                Daemon.LOG.warn("{}.lock is held but nobody answers at {} after {} ms; leaving it to"
                        + " the holder", socket, socket, LOCK_WAIT_MS);
                return null;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    /** The systemd-passed socket (fd 3), else a fresh SOCK_SEQPACKET listener at the path. */
    private static int listener(String socket) throws NativeIoException {
        String pid = System.getenv("LISTEN_PID");
        String fds = System.getenv("LISTEN_FDS");
        if (pid != null && fds != null && pid.equals(Long.toString(ProcessHandle.current().pid()))) {
            try {
                if (Integer.parseInt(fds) >= 1) {
                    Errno.check(Native.setNonBlocking(3, true), "fcntl O_NONBLOCK", "systemd socket (fd 3)");
                    Daemon.LOG.info("using the socket passed by systemd (fd 3)");
                    return 3;
                }
            } catch (NumberFormatException e) {
                Daemon.LOG.warn("ignoring LISTEN_FDS={}", fds);
            }
        }
        int r = Native.unlink(socket);
        if (r < 0 && r != -Native.ENOENT) {
            Errno.check(r, "unlink", socket);
        }
        return Errno.check(Native.unixListen(socket, Native.SOCK_SEQPACKET, 128), "listen", socket);
    }
}
