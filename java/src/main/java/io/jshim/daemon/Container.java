package io.jshim.daemon;

import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import io.jshim.protocol.Exited;
import io.jshim.protocol.Hello;
import io.jshim.protocol.Messages;
import io.jshim.protocol.Protocol;
import java.nio.ByteBuffer;

/**
 * What the daemon does for one container (one launcher), on the loop thread:
 * SETTING_UP (open log, attach listener) -> SERVING -> DRAINING (after EXITED) -> DONE.
 * It owns the duplicates of the launcher's fds it received and closes each exactly once, in
 * {@link #release()}, whatever the state (the attach listener passes to the AttachServer).
 * v1 (paths, shimmy formats) and v2 (dir fds, names, more formats) differ only in setUp, the
 * exit file and REOPEN_LOG; everything else reads the Hello.
 */
final class Container {
    enum State { SETTING_UP, SERVING, DRAINING, DONE }

    /** Exit file retries: delays in ms, about 10 s in all. */
    private static final long[] EXIT_RETRY_MS = {100, 400, 1000, 2000, 3000, 3500};

    private final Daemon daemon;
    private final LauncherConnection connection;
    private final Hello hello;
    private final int[] fds;
    private final int version;
    private final LogFormat format;
    private final int chunk;
    private State state = State.SETTING_UP;
    private boolean released;
    private Journal journal;
    private LogFile log;
    private AttachServer attach;
    private final OutputPump[] pumps = new OutputPump[2];
    private StdinWriter stdin;
    private Journald journald;
    private Exited exit;
    private int exitAttempts;
    private EventLoop.Timer exitRetry;

    Container(Daemon daemon, LauncherConnection connection, Hello hello, int[] fds) {
        this.daemon = daemon;
        this.connection = connection;
        this.hello = hello;
        this.fds = fds;
        this.version = hello.version();
        boolean k8s = version == 2 && hello.logFormat() == Protocol.LOG_K8S_FILE;
        this.format = k8s ? new K8sFileLogFormat() : daemon.scratch().shimmyFormat;
        this.chunk = k8s ? AttachServer.CONMON_MAX_CHUNK : AttachServer.SHIMMY_MAX_CHUNK;
    }

    String id() {
        return hello.containerId();
    }

    /** The daemon's key: {@link Hello#key()}. */
    String key() {
        return hello.key();
    }

    State state() {
        return state;
    }

    boolean released() {
        return released;
    }

    EventLoop loop() {
        return daemon.loop();
    }

    Scratch scratch() {
        return daemon.scratch();
    }

    LogFile log() {
        return log;
    }

    /** The record format HELLO asked for (the decoder accepts only known formats). */
    LogFormat logFormat() {
        return format;
    }

    /** Largest spool chunk: the attach server's frame limit, else the log format's. */
    int maxChunk() {
        return attach != null ? attach.maxChunk() : chunk;
    }

    /** v2 --log-size-max (0: never). */
    long logSizeMax() {
        return log != null && log.replaceable() ? hello.logSizeMax() : 0;
    }

    /** Where output goes for journald (JournaldWriter: the formats engineer's). */
    interface Journald {
        void write(int stream, byte[] b, int off, int len);

        void flush();
    }

    Journald journald() {
        return journald;
    }

    AttachServer attach() {
        return attach;
    }

    LauncherConnection connection() {
        return connection;
    }

    /** Sets everything up and answers READY or FAILED. */
    void start() {
        try {
            setUp();
        } catch (ServeException e) {
            fail(e.errno(), e.getMessage());
            return;
        } catch (NativeIoException e) {
            fail(e.errno(), e.getMessage());
            return;
        } catch (RuntimeException e) { // a bug: this container fails, the daemon and the others go on
            Daemon.LOG.error("{}: setting up failed", id(), e);
            fail(5 /* EIO */, "internal error: " + e);
            return;
        }
        if (state == State.DONE) {
            return;
        }
        state = State.SERVING;
        Daemon.LOG.info("{}: serving (protocol {}, launcher pid {}, container pid {})", id(), version,
                hello.launcherPid(), hello.containerPid());
        connection.send(Messages.ready(version));
        if (hello.exited()) {
            exited(new Exited(hello.waitStatus(), hello.exitFlags(), hello.exitTimeNs()));
        }
    }

    private void setUp() throws NativeIoException, ServeException {
        journal = Journal.map(fds[Protocol.FD_JOURNAL]);
        if (journal.hasFlag(Protocol.JOURNAL_EXIT_WRITTEN)) {
            Daemon.LOG.info("{}: exit file already written; nothing to serve", id());
            state = State.DONE;
            connection.send(Messages.ready(version));
            connection.send(Messages.done(version));
            release();
            return;
        }
        if (version == 1) {
            setUpPaths();
        } else {
            setUpFds();
        }
        pumps[0] = new OutputPump(this, LogFormat.STDOUT, fds[Protocol.FD_STDOUT],
                fds[Protocol.FD_STDOUT_SPOOL], journal.spoolDone(0));
        pumps[1] = new OutputPump(this, LogFormat.STDERR, fds[Protocol.FD_STDERR],
                fds[Protocol.FD_STDERR_SPOOL], journal.spoolDone(1));
        if (hello.hasStdin()) {
            stdin = new StdinWriter(this, fds[hello.stdinFd()]);
        }
        if (attach != null) {
            attach.adoptClients(hello, fds); // clients the launcher kept across a daemon restart
            attach.start();
            attach.acceptPending(); // clients waiting in the backlog get the first output too
        }
        for (OutputPump p : pumps) {
            p.start(loop());
        }
    }

    /** v1: the log and the attach socket at paths. */
    private void setUpPaths() throws NativeIoException, ServeException {
        try {
            log = LogFile.open(hello.logPath(), journal);
        } catch (NativeIoException e) {
            throw new ServeException(e.errno(), "open log " + hello.logPath() + ": " + Native.strerror(e.errno()));
        }
        try {
            attach = AttachServer.listen(this, hello.attachPath());
        } catch (NativeIoException e) {
            throw new ServeException(e.errno(), "attach socket " + hello.attachPath() + ": "
                    + Native.strerror(e.errno()));
        }
    }

    /** v2: the log in its dir fd, the launcher's attach listener, the journald socket. */
    private void setUpFds() throws NativeIoException, ServeException {
        LogFile.requireDirectory(fds[hello.exitDirFd()], "exit dir");
        if (hello.hasFlag(Protocol.HELLO_LOG_FILE)) {
            LogFile.requireDirectory(fds[hello.logDirFd()], "log dir");
            String what = "log " + LogFile.text(hello.logName());
            int mode = hello.logFormat() == Protocol.LOG_K8S_FILE ? 0600 : 0640;
            try {
                log = LogFile.openAt(fds[hello.logDirFd()], hello.logName(), what, mode, journal);
                log.totalMax(hello.logGlobalSizeMax());
            } catch (NativeIoException e) {
                throw new ServeException(e.errno(), "open " + what + ": " + Native.strerror(e.errno()));
            }
        }
        if (hello.hasFlag(Protocol.HELLO_ATTACH)) {
            int listener = fds[hello.attachFd()];
            fds[hello.attachFd()] = -1; // the server owns it from the call on, even when it throws
            try {
                attach = AttachServer.fromListener(this, listener, hello.attachFormat());
            } catch (NativeIoException e) {
                throw new ServeException(e.errno(), "attach listener: " + Native.strerror(e.errno()));
            }
        }
        if (hello.hasFlag(Protocol.HELLO_LOG_JOURNALD)) {
            // over the daemon's duplicate of the socket, which release() closes (the writer does not)
            journald = new JournaldWriter(fds[hello.journaldFd()], id(), hello.name(), hello.logTag());
        }
    }

    private void fail(int errno, String message) {
        Daemon.LOG.warn("{}: cannot serve: {}", id(), message);
        state = State.DONE;
        release();
        connection.send(Messages.failed(version, errno, message));
    }

    /** The container init was reaped: drain what is readable now, then write the exit file. */
    void exited(Exited e) {
        if (state != State.SERVING) {
            Daemon.LOG.debug("{}: EXITED in state {}; ignored", id(), state);
            return;
        }
        state = State.DRAINING;
        exit = e;
        for (OutputPump p : pumps) {
            p.drain();
        }
        commit();
        if (journald != null) {
            journald.flush();
        }
        if (log != null) {
            log.sync(); // the log is complete on disk before the exit file says the container is gone
        }
        writeExitFile();
    }

    /** REOPEN_LOG: a fresh empty log at the log name (v2 with a log file). */
    void reopenLog() {
        if (released || state == State.DONE || state == State.SETTING_UP) {
            Daemon.LOG.debug("{}: REOPEN_LOG in state {}; ignored", id(), state);
            return;
        }
        if (log == null) {
            Daemon.LOG.info("{}: REOPEN_LOG without a log file; ignored", id());
            return;
        }
        replaceLog();
    }

    /** Replaces the log now (REOPEN_LOG: between pumps, so nothing formatted is pending). */
    void replaceLog() {
        log.replace(size -> journal.commit(size, pumps[0].done(), pumps[1].done()));
    }

    /**
     * Replaces the log from inside a pump: {@code doneOffset} is that stream's spool offset up
     * to which the output is in the log (the old one), so size 0 with it is exact.
     */
    void replaceLog(int stream, long doneOffset) {
        log.replace(size -> journal.commit(size, stream == LogFormat.STDOUT ? doneOffset : pumps[0].done(),
                stream == LogFormat.STDERR ? doneOffset : pumps[1].done()));
    }

    private String exitWhat() {
        return version == 1 ? hello.exitPath() : "exit file " + LogFile.text(hello.exitName());
    }

    private void writeExitFile() {
        exitRetry = null;
        if (released) {
            return;
        }
        if (journal.hasFlag(Protocol.JOURNAL_EXIT_TAKEN)) {
            Daemon.LOG.warn("{}: the launcher wrote the exit file itself (this daemon was too slow); "
                    + "not writing it again", id());
            finish();
            return;
        }
        String text = ExitFile.text(hello, exit);
        try {
            if (version == 1) {
                ExitFile.write(hello.exitPath(), text);
            } else {
                ExitFile.writeAt(fds[hello.exitDirFd()], hello.exitName(), exitWhat(), text);
            }
        } catch (NativeIoException e) {
            if (exitAttempts < EXIT_RETRY_MS.length) {
                Daemon.LOG.warn("{}: exit file: {}; retrying", id(), e.getMessage());
                exitRetry = loop().schedule(EXIT_RETRY_MS[exitAttempts++], this::writeExitFile);
                return;
            }
            Daemon.LOG.error("{}: GIVING UP on the exit file {}: {}; sending DONE without it", id(),
                    exitWhat(), e.getMessage());
            finish();
            return;
        }
        journal.setFlag(Protocol.JOURNAL_EXIT_WRITTEN);
        Daemon.LOG.info("{}: exit file written: {}", id(), text);
        finish();
    }

    private void finish() {
        state = State.DONE;
        connection.send(Messages.done(version));
        release();
    }

    /** Commits {log size, spool offsets} to the journal (without a log file: the size stays). */
    void commit() {
        if (journal != null && journal.mapped() && pumps[1] != null) {
            journal.commit(log != null ? log.size() : journal.logSize(), pumps[0].done(), pumps[1].done());
        }
    }

    /** Input from an attach client. */
    void stdinInput(ByteBuffer buf, int pos, int len) {
        if (stdin != null && stdin.open()) {
            stdin.offer(buf, pos, len);
        }
        // else: no stdin (or closed): read and discarded
    }

    /** An attach client's input ended (EOF or error). */
    void inputSessionEnded() {
        if (hello.stdinOnce() && stdin != null) {
            stdin.requestClose();
        }
    }

    /** The stdin writer is done with its fd: close our copy, maybe tell the launcher. */
    void stdinClosed(boolean tellLauncher) {
        closeFd(hello.stdinFd());
        if (tellLauncher && hello.stdinOnce()) {
            Daemon.LOG.info("{}: stdin closed (stdin-once)", id());
            connection.send(Messages.closeStdin(version));
        }
    }

    private void closeFd(int index) {
        if (index >= 0 && index < fds.length && fds[index] >= 0) {
            int r = Native.close(fds[index]);
            if (r < 0) {
                Daemon.LOG.warn("{}: close fd {}: {}", id(), fds[index], Native.strerror(-r));
            }
            fds[index] = -1;
        }
    }

    /** Closes everything this container holds, exactly once. The attach socket file stays. */
    void release() {
        if (released) {
            return;
        }
        released = true;
        if (exitRetry != null) {
            exitRetry.cancel();
            exitRetry = null;
        }
        if (attach != null) {
            attach.close();
        }
        for (OutputPump p : pumps) {
            if (p != null) {
                p.stop();
            }
        }
        if (stdin != null) {
            stdin.release();
        }
        commit();
        if (log != null) {
            log.close();
        }
        if (journal != null) {
            journal.unmap();
        }
        for (int i = 0; i < fds.length; i++) {
            closeFd(i);
        }
        daemon.forget(this);
        if (state != State.DONE) {
            Daemon.LOG.info("{}: released in state {}", id(), state);
        }
    }
}
