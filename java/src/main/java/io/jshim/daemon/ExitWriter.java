package io.jshim.daemon;

import io.jshim.nativeio.EventLoop;
import io.jshim.nativeio.NativeIoException;
import io.jshim.protocol.Exited;
import io.jshim.protocol.Hello;
import io.jshim.protocol.Protocol;

/**
 * Writes a container's exit file as an I/O job of its own ({@link IoPool#execute}), never in
 * the container's lane: it must not wait behind a log write that never returns. Retries for
 * about 10 s, then gives up. Loop thread, except the job itself.
 */
final class ExitWriter {
    /** Exit file retries: delays in ms, about 10 s in all. */
    private static final long[] RETRY_MS = {100, 400, 1000, 2000, 3000, 3500};

    private final Container container;
    private final Hello hello;
    private final int[] fds;
    private Exited exit;
    private Journal journal;
    private boolean started;
    private boolean running;
    private boolean cancelled;
    private int attempts;
    private EventLoop.Timer retry;

    ExitWriter(Container container, Hello hello, int[] fds) {
        this.container = container;
        this.hello = hello;
        this.fds = fds;
    }

    /** True once started (by the drain or by the stall deadline): only one writer per exit. */
    boolean started() {
        return started;
    }

    /** A job runs now: the journal and the exit dir fd must stay open. */
    boolean running() {
        return running;
    }

    /** Writes the exit file for {@code e}, then calls {@link Container#exitFileDone}. Once. */
    void start(Exited e, Journal j) {
        if (started) {
            return;
        }
        started = true;
        exit = e;
        journal = j;
        attempt();
    }

    /** The container is released: no retry, no callback for a pending one. */
    void cancel() {
        cancelled = true;
        if (retry != null) {
            retry.cancel();
            retry = null;
        }
    }

    private String what() {
        return hello.version() == 1 ? hello.exitPath() : "exit file " + LogFile.text(hello.exitName());
    }

    private void attempt() {
        retry = null;
        if (cancelled) {
            return;
        }
        if (journal.hasFlag(Protocol.JOURNAL_EXIT_TAKEN)) {
            Daemon.LOG.warn("{}: the launcher wrote the exit file itself (this daemon was too slow); "
                    + "not writing it again", container.id());
            container.exitFileDone();
            return;
        }
        String text = ExitFile.text(hello, exit);
        running = true;
        IoPool.SHARED.execute(() -> {
            NativeIoException failure = null;
            boolean ours = true;
            try {
                // the claim (jshim_protocol.h) is taken right before the rename: if the launcher
                // took the exit file meanwhile, our temp file goes and nothing appears at the name
                if (hello.version() == 1) {
                    ours = ExitFile.write(hello.exitPath(), text, journal::claimExit);
                } else {
                    ours = ExitFile.writeAt(fds[hello.exitDirFd()], hello.exitName(), what(), text,
                            journal::claimExit);
                }
                if (ours) {
                    journal.setFlag(Protocol.JOURNAL_EXIT_WRITTEN); // still mapped: release waits for us
                }
            } catch (NativeIoException e) {
                failure = e;
            } finally {
                NativeIoException f = failure;
                boolean lost = !ours;
                container.loop().execute(() -> written(text, f, lost));
            }
        });
    }

    private void written(String text, NativeIoException e, boolean lost) {
        running = false;
        if (cancelled) {
            container.exitFileDone();
            return;
        }
        if (lost) {
            Daemon.LOG.warn("{}: the launcher took the exit file while this daemon wrote it; not writing it",
                    container.id());
            container.exitFileDone();
            return;
        }
        if (e != null) {
            if (attempts < RETRY_MS.length) {
                Daemon.LOG.warn("{}: exit file: {}; retrying", container.id(), e.getMessage());
                retry = container.loop().schedule(RETRY_MS[attempts++], this::attempt);
                return;
            }
            Daemon.LOG.error("{}: GIVING UP on the exit file {}: {}; sending DONE without it", container.id(),
                    what(), e.getMessage());
        } else {
            Daemon.LOG.info("{}: exit file written: {}{}", container.id(), text,
                    container.drained() ? "" : " (the log is incomplete)");
        }
        container.exitFileDone();
    }
}
