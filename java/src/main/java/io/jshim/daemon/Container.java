package io.jshim.daemon;

import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import io.jshim.protocol.Hello;
import io.jshim.protocol.Messages;
import io.jshim.protocol.Protocol;
import java.nio.ByteBuffer;
import java.time.Instant;

/**
 * What the daemon does for one container, on the loop thread:
 * SETTING_UP (open log, bind attach) -> SERVING -> DRAINING (after EXITED) -> DONE.
 * It owns the duplicates of the launcher's fds it received and closes each exactly once, in
 * {@link #release()}, whatever the state.
 */
final class Container {
    enum State { SETTING_UP, SERVING, DRAINING, DONE }

    /** Exit file retries: delays in ms, about 10 s in all. */
    private static final long[] EXIT_RETRY_MS = {100, 400, 1000, 2000, 3000, 3500};

    private final Daemon daemon;
    private final LauncherConnection connection;
    private final Hello hello;
    private final int[] fds;
    private State state = State.SETTING_UP;
    private boolean released;
    private Journal journal;
    private LogFile log;
    private AttachServer attach;
    private final OutputPump[] pumps = new OutputPump[2];
    private StdinWriter stdin;
    private int waitStatus;
    private int exitAttempts;
    private EventLoop.Timer exitRetry;

    Container(Daemon daemon, LauncherConnection connection, Hello hello, int[] fds) {
        this.daemon = daemon;
        this.connection = connection;
        this.hello = hello;
        this.fds = fds;
    }

    String id() {
        return hello.containerId();
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
        return daemon.scratch().shimmyFormat; // JSHIM_LOG_SHIMMY; k8s-file would be chosen here
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
        }
        if (state == State.DONE) {
            return;
        }
        state = State.SERVING;
        Daemon.LOG.info("{}: serving (launcher pid {}, container pid {})", id(), hello.launcherPid(),
                hello.containerPid());
        connection.send(Messages.ready());
        if (hello.exited()) {
            exited(hello.waitStatus());
        }
    }

    private void setUp() throws NativeIoException, ServeException {
        journal = Journal.map(fds[Protocol.FD_JOURNAL]);
        if (journal.hasFlag(Protocol.JOURNAL_EXIT_WRITTEN)) {
            Daemon.LOG.info("{}: exit file already written; nothing to serve", id());
            state = State.DONE;
            connection.send(Messages.ready());
            connection.send(Messages.done());
            release();
            return;
        }
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
        pumps[0] = new OutputPump(this, LogFormat.STDOUT, fds[Protocol.FD_STDOUT],
                fds[Protocol.FD_STDOUT_SPOOL], journal.spoolDone(0));
        pumps[1] = new OutputPump(this, LogFormat.STDERR, fds[Protocol.FD_STDERR],
                fds[Protocol.FD_STDERR_SPOOL], journal.spoolDone(1));
        if (hello.hasStdin()) {
            stdin = new StdinWriter(this, fds[Protocol.FD_STDIN]);
        }
        for (OutputPump p : pumps) {
            p.start(loop());
        }
        attach.start();
    }

    private void fail(int errno, String message) {
        Daemon.LOG.warn("{}: cannot serve: {}", id(), message);
        state = State.DONE;
        release();
        connection.send(Messages.failed(errno, message));
    }

    /** The container init was reaped: drain what is readable now, then write the exit file. */
    void exited(int status) {
        if (state != State.SERVING) {
            Daemon.LOG.debug("{}: EXITED in state {}; ignored", id(), state);
            return;
        }
        state = State.DRAINING;
        waitStatus = status;
        for (OutputPump p : pumps) {
            p.drain();
        }
        commit();
        writeExitFile();
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
        Instant now = Instant.now();
        String text = ExitFile.text(waitStatus, now.getEpochSecond(), now.getNano());
        try {
            ExitFile.write(hello.exitPath(), text);
        } catch (NativeIoException e) {
            if (exitAttempts < EXIT_RETRY_MS.length) {
                Daemon.LOG.warn("{}: exit file: {}; retrying", id(), e.getMessage());
                exitRetry = loop().schedule(EXIT_RETRY_MS[exitAttempts++], this::writeExitFile);
                return;
            }
            Daemon.LOG.error("{}: GIVING UP on the exit file {}: {}; sending DONE without it", id(),
                    hello.exitPath(), e.getMessage());
            finish();
            return;
        }
        journal.setFlag(Protocol.JOURNAL_EXIT_WRITTEN);
        Daemon.LOG.info("{}: exit file written: {}", id(), text);
        finish();
    }

    private void finish() {
        state = State.DONE;
        connection.send(Messages.done());
        release();
    }

    /** Commits {log size, spool offsets} to the journal. */
    void commit() {
        if (journal != null && journal.mapped() && log != null && pumps[1] != null) {
            journal.commit(log.size(), pumps[0].done(), pumps[1].done());
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
        closeFd(Protocol.FD_STDIN);
        if (tellLauncher && hello.stdinOnce()) {
            Daemon.LOG.info("{}: stdin closed (stdin-once)", id());
            connection.send(Messages.closeStdin());
        }
    }

    private void closeFd(int index) {
        if (index < fds.length && fds[index] >= 0) {
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
