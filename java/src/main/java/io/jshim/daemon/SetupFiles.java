package io.jshim.daemon;

import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import io.jshim.protocol.Hello;
import io.jshim.protocol.Protocol;

/**
 * The file-system part of a container's setup, run as its first I/O job so that a FIFO or a
 * hung mount blocks that container's setup, never the loop: v1 opens the log and binds the
 * attach socket at their paths; v2 checks the dir fds and opens the log in its dir fd. The
 * results are read on the loop once the job is done (the Container closes them).
 */
final class SetupFiles {
    private final Container container;
    private final Hello hello;
    private final int[] fds;
    private final Journal journal;
    LogFile log;
    AttachServer attach;
    ServeException failure;

    SetupFiles(Container container, Hello hello, int[] fds, Journal journal) {
        this.container = container;
        this.hello = hello;
        this.fds = fds;
        this.journal = journal;
    }

    /** The job: never throws, a failure is kept for FAILED. */
    void open() {
        try {
            if (hello.version() == 1) {
                openPaths();
            } else {
                openAt();
            }
        } catch (ServeException e) {
            failure = e;
        } catch (NativeIoException e) {
            failure = new ServeException(e.errno(), e.getMessage());
        } catch (RuntimeException | OutOfMemoryError e) { // a bug, no memory: this container fails, not the daemon
            Daemon.LOG.error("{}: setting up failed", container.id(), e);
            failure = new ServeException(e instanceof OutOfMemoryError ? 12 /* ENOMEM */ : 5 /* EIO */,
                    "internal error: " + e);
        }
    }

    /** v1: the log and the attach socket at paths. */
    private void openPaths() throws NativeIoException, ServeException {
        try {
            log = LogFile.open(hello.logPath(), journal);
        } catch (NativeIoException e) {
            throw new ServeException(e.errno(), "open log " + hello.logPath() + ": " + Native.strerror(e.errno()));
        }
        try {
            attach = AttachServer.listen(container, hello.attachPath());
        } catch (NativeIoException e) {
            throw new ServeException(e.errno(), "attach socket " + hello.attachPath() + ": "
                    + Native.strerror(e.errno()));
        }
    }

    /** v2: the dir checks and the log in its dir fd. */
    private void openAt() throws NativeIoException, ServeException {
        LogFile.requireDirectory(fds[hello.exitDirFd()], "exit dir");
        if (hello.hasFlag(Protocol.HELLO_LOG_FILE)) {
            LogFile.requireDirectory(fds[hello.logDirFd()], "log dir");
            String what = "log " + LogFile.text(hello.logName());
            int mode = hello.logFormat() == Protocol.LOG_K8S_FILE ? 0600 : 0640;
            try {
                log = LogFile.openAt(fds[hello.logDirFd()], hello.logName(), what, mode, journal);
                log.totalMax(hello.logGlobalSizeMax());
                log.syncs(!hello.hasFlag(Protocol.HELLO_NO_SYNC_LOG));
            } catch (NativeIoException e) {
                throw new ServeException(e.errno(), "open " + what + ": " + Native.strerror(e.errno()));
            }
        }
    }
}
