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
 *
 * <p>File I/O never runs on the loop: opening the log, the output pumps (splice, format,
 * write, commit), log replacement, the drain with its fsync, and the exit file are jobs on
 * {@link IoPool} threads. The data jobs of a container run one at a time in its lane, and its
 * pipes are not watched while one runs; the loop keeps attach clients, stdin and the
 * launcher connection. The exit file is its own job: if the log does not take its writes for
 * {@link #logStallMs} after EXITED, the exit file is written anyway (the log stays
 * incomplete, which is logged) and the container's fds stay open until the stuck write returns.
 */
final class Container {
    enum State { SETTING_UP, SERVING, DRAINING, DONE }

    /**
     * How long the exit file waits after EXITED for a log that takes no writes (a hung mount,
     * a FIFO nobody reads), well within the launcher's own fallback (10 + 8 s by default).
     */
    static volatile long logStallMs = 5000; // tests shorten it

    private final Daemon daemon;
    private final LauncherConnection connection;
    private final Hello hello;
    private final int[] fds;
    private final int version;
    private final LogFormat format;
    private final int chunk;
    private final IoPool.Lane lane;
    private State state = State.SETTING_UP;
    /** release() was called: jobs stop early; the fds close once no job runs. */
    private volatile boolean releasing;
    private boolean released;
    private boolean jobInFlight;
    private boolean pipeReady;
    private boolean reopenRequested;
    private boolean drained;
    private EventLoop.Timer stallTimer;
    private final ExitWriter exitWriter;
    private Journal journal;
    private LogFile log;
    private AttachServer attach;
    private final OutputPump[] pumps = new OutputPump[2];
    private final OutputJobs outputs = new OutputJobs(this, pumps);
    private StdinWriter stdin;
    private Journald journald;
    private Exited exit;

    Container(Daemon daemon, LauncherConnection connection, Hello hello, int[] fds) {
        this.daemon = daemon;
        this.connection = connection;
        this.hello = hello;
        this.fds = fds;
        this.version = hello.version();
        boolean k8s = version == 2 && hello.logFormat() == Protocol.LOG_K8S_FILE;
        this.format = k8s ? new K8sFileLogFormat() : new ShimmyLogFormat();
        this.lane = IoPool.SHARED.acquire(hello.key());
        this.exitWriter = new ExitWriter(this, hello, fds);
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

    /** True once release() was called (the fds may stay open until a running job returns). */
    boolean released() {
        return releasing;
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

    /** Maps the journal, opens the files in a job, then answers READY or FAILED. */
    void start() {
        try {
            journal = Journal.map(fds[Protocol.FD_JOURNAL]);
        } catch (ServeException e) {
            fail(e.errno(), e.getMessage());
            return;
        } catch (NativeIoException e) {
            fail(e.errno(), e.getMessage());
            return;
        }
        if (journal.hasFlag(Protocol.JOURNAL_EXIT_WRITTEN)) {
            Daemon.LOG.info("{}: exit file already written; nothing to serve", id());
            state = State.DONE;
            connection.send(Messages.ready(version));
            connection.send(Messages.done(version));
            release();
            return;
        }
        SetupFiles files = new SetupFiles(this, hello, fds, journal);
        job(files::open, () -> filesOpened(files));
    }

    private void filesOpened(SetupFiles files) {
        log = files.log;
        attach = files.attach;
        if (releasing) {
            schedule(); // released while the job ran: closes what it opened
            return;
        }
        if (files.failure != null) {
            fail(files.failure.errno(), files.failure.getMessage());
            return;
        }
        try {
            setUp();
        } catch (ServeException e) {
            fail(e.errno(), e.getMessage());
            return;
        } catch (NativeIoException e) {
            fail(e.errno(), e.getMessage());
            return;
        } catch (RuntimeException | OutOfMemoryError e) { // a bug, or no direct memory: this container fails
            Daemon.LOG.error("{}: setting up failed", id(), e);
            fail(e instanceof OutOfMemoryError ? 12 /* ENOMEM */ : 5 /* EIO */, "internal error: " + e);
            return;
        }
        state = State.SERVING;
        Daemon.LOG.info("{}: serving (protocol {}, launcher pid {}, container pid {})", id(), version,
                hello.launcherPid(), hello.containerPid());
        connection.send(Messages.ready(version));
        if (hello.exited()) {
            exited(new Exited(hello.waitStatus(), hello.exitFlags(), hello.exitTimeNs()));
        } else {
            schedule();
        }
    }

    private void setUp() throws NativeIoException, ServeException {
        if (version == 2) {
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
            p.start();
        }
    }

    /** v2, loop: the launcher's attach listener, the journald socket. */
    private void setUpFds() throws NativeIoException, ServeException {
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
        outputs.unwatch();
        stallTimer = loop().schedule(logStallMs, this::logStalled);
        schedule();
    }

    /** REOPEN_LOG: a fresh empty log at the log name (v2 with a log file), in a job. */
    void reopenLog() {
        if (releasing || state != State.SERVING) {
            Daemon.LOG.debug("{}: REOPEN_LOG in state {}; ignored", id(), state);
            return;
        }
        if (log == null) {
            Daemon.LOG.info("{}: REOPEN_LOG without a log file; ignored", id());
            return;
        }
        reopenRequested = true;
        schedule();
    }

    /** Loop: a pipe is readable. */
    void outputReady() {
        pipeReady = true;
        outputs.unwatch();
        schedule();
    }

    /** Loop: starts the next job this container needs, or watches its pipes again. */
    private void schedule() {
        if (released || jobInFlight) {
            return;
        }
        if (releasing) {
            closeAll();
            return;
        }
        if (state == State.DRAINING) {
            if (!drained) {
                LogBuffer f = outputs.collectFrames(attach);
                job(() -> drainJob(f), () -> {
                    drained = true;
                    outputs.sendFrames(f, attach);
                    if (!releasing) {
                        exitWriter.start(exit, journal);
                    }
                    schedule();
                });
            }
            return;
        }
        if (state != State.SERVING) {
            return;
        }
        if (reopenRequested) {
            reopenRequested = false;
            job(this::replaceLog, this::schedule);
        } else if (pipeReady || outputs.backlog()) {
            pipeReady = false;
            LogBuffer f = outputs.collectFrames(attach);
            job(() -> outputs.pumpJob(f), () -> {
                outputs.sendFrames(f, attach);
                schedule();
            });
        } else {
            outputs.watch();
        }
    }

    /** Runs work on this container's lane, then done on the loop. */
    private void job(Runnable work, Runnable done) {
        jobInFlight = true;
        lane.submit(() -> {
            try {
                work.run();
            } finally {
                loop().execute(() -> {
                    jobInFlight = false;
                    done.run();
                });
            }
        });
    }

    /** I/O job after EXITED: what the pipes hold now, then fsync, so the log is complete before the exit file. */
    private void drainJob(LogBuffer f) {
        for (OutputPump p : pumps) {
            p.drain(f);
        }
        commit();
        if (journald != null) {
            journald.flush();
        }
        if (log != null) {
            log.sync();
        }
    }

    /** Replaces the log (a job: REOPEN_LOG, between pumps, so nothing formatted is pending). */
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

    /** The log took no write for logStallMs after EXITED: the exit file goes first. */
    private void logStalled() {
        stallTimer = null;
        if (!exitWriter.started() && !releasing) {
            Daemon.LOG.error("{}: {} took no write for {} ms after the exit; writing the exit file now, the "
                    + "log stays incomplete", id(), log != null ? log.path() : "the log", logStallMs);
            exitWriter.start(exit, journal);
        }
    }

    /** The exit file is written (or given up on): DONE. */
    void exitFileDone() {
        if (releasing) {
            schedule(); // closes the fds now that the exit job no longer needs them
            return;
        }
        finish();
    }

    boolean drained() {
        return drained;
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

    /**
     * Stops serving: the attach server, the pipes, stdin now; every fd exactly once, when no
     * job of this container runs any more (a job blocked forever keeps them open). The attach
     * socket file stays.
     */
    void release() {
        if (releasing) {
            return;
        }
        releasing = true;
        if (stallTimer != null) {
            stallTimer.cancel();
            stallTimer = null;
        }
        exitWriter.cancel();
        if (attach != null) {
            attach.close();
        }
        outputs.unwatch();
        if (stdin != null) {
            stdin.release();
        }
        daemon.forget(this);
        if (state != State.DONE) {
            Daemon.LOG.info("{}: released in state {}", id(), state);
        }
        if (jobInFlight) {
            Daemon.LOG.info("{}: an I/O job still runs; its fds close when it returns", id());
        }
        schedule();
    }

    /** Loop, no job running: commit, close every fd once (the log's close in the lane, close(2) can block). */
    private void closeAll() {
        if (released || jobInFlight || exitWriter.running()) {
            return;
        }
        released = true;
        if (attach != null) {
            attach.close(); // again: a v1 setup job may have bound it after release()
        }
        commit();
        LogFile l = log;
        if (l != null) {
            lane.submit(l::close);
        }
        if (journal != null) {
            journal.unmap();
        }
        for (int i = 0; i < fds.length; i++) {
            closeFd(i);
        }
        IoPool.SHARED.release(lane);
    }
}
