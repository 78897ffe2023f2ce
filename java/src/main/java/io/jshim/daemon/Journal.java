package io.jshim.daemon;

import io.jshim.nativeio.Errno;
import io.jshim.nativeio.Native;
import io.jshim.nativeio.NativeIoException;
import io.jshim.protocol.Protocol;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The journal memfd (struct jshim_journal), mapped shared. A commit writes the slot that is
 * not current and then publishes it by storing {@code current} with release semantics.
 */
final class Journal {
    private static final VarHandle INT =
            MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final ByteBuffer buf;
    private long address;

    private Journal(long address, ByteBuffer buf) {
        this.address = address;
        this.buf = buf.order(ByteOrder.nativeOrder());
    }

    /** Maps the journal and checks magic, version and the current slot index. */
    static Journal map(int fd) throws NativeIoException, ServeException {
        long size = Errno.check(Native.fstatSize(fd), "fstat", "journal");
        if (size < Protocol.JOURNAL_SIZE) {
            throw new ServeException(ServeException.EINVAL, "journal: size " + size
                    + " is smaller than " + Protocol.JOURNAL_SIZE);
        }
        long address = Errno.check(Native.mmapShared(fd, Protocol.JOURNAL_SIZE), "mmap", "journal");
        Journal j = new Journal(address, Native.directBuffer(address, Protocol.JOURNAL_SIZE));
        String problem = null;
        if (j.buf.getInt(Protocol.JOURNAL_OFF_MAGIC) != Protocol.JOURNAL_MAGIC) {
            problem = "bad magic 0x" + Integer.toHexString(j.buf.getInt(Protocol.JOURNAL_OFF_MAGIC));
        } else if (j.buf.getInt(Protocol.JOURNAL_OFF_VERSION) != Protocol.JOURNAL_VERSION) {
            problem = "unknown version " + j.buf.getInt(Protocol.JOURNAL_OFF_VERSION);
        } else if ((j.current() & ~1) != 0) {
            problem = "bad current slot " + j.current();
        }
        if (problem != null) {
            j.unmap();
            throw new ServeException(ServeException.EINVAL, "journal: " + problem);
        }
        return j;
    }

    private int current() {
        return (int) INT.getAcquire(buf, Protocol.JOURNAL_OFF_CURRENT);
    }

    private static int slot(int index) {
        return Protocol.JOURNAL_OFF_SLOTS + index * Protocol.JOURNAL_SLOT_SIZE;
    }

    int flags() {
        return (int) INT.getAcquire(buf, Protocol.JOURNAL_OFF_FLAGS);
    }

    boolean hasFlag(int flag) {
        return (flags() & flag) != 0;
    }

    /** Atomic OR: the launcher may set a flag in the same word at the same time. */
    void setFlag(int flag) {
        INT.getAndBitwiseOrRelease(buf, Protocol.JOURNAL_OFF_FLAGS, flag);
    }

    /**
     * The claim on the exit file, right before the daemon renames it into place: a
     * compare-and-swap that sets JOURNAL_EXIT_CLAIMED unless the launcher set JOURNAL_EXIT_TAKEN
     * first. True: the exit file is the daemon's to write (also when an earlier daemon claimed it
     * and then lost the container: the launcher handed it over again, so that one is gone).
     * False: the launcher writes it; the daemon must not.
     */
    boolean claimExit() {
        for (;;) {
            int f = flags();
            if ((f & Protocol.JOURNAL_EXIT_TAKEN) != 0) {
                return false;
            }
            if ((f & Protocol.JOURNAL_EXIT_CLAIMED) != 0) {
                return true;
            }
            if (INT.compareAndSet(buf, Protocol.JOURNAL_OFF_FLAGS, f, f | Protocol.JOURNAL_EXIT_CLAIMED)) {
                return true;
            }
        }
    }

    long logSize() {
        return buf.getLong(slot(current()));
    }

    /** Committed spool offset of stream 0 (stdout) or 1 (stderr). */
    long spoolDone(int stream) {
        return buf.getLong(slot(current()) + 8 + 8 * stream);
    }

    void commit(long logSize, long doneOut, long doneErr) {
        int next = current() ^ 1;
        int s = slot(next);
        buf.putLong(s, logSize);
        buf.putLong(s + 8, doneOut);
        buf.putLong(s + 16, doneErr);
        INT.setRelease(buf, Protocol.JOURNAL_OFF_CURRENT, next);
    }

    boolean mapped() {
        return address != 0;
    }

    /** Unmaps once; later calls do nothing. */
    void unmap() {
        if (address != 0) {
            int r = Native.munmap(address, Protocol.JOURNAL_SIZE);
            address = 0;
            if (r < 0) {
                Daemon.LOG.warn("munmap journal: {}", Native.strerror(-r));
            }
        }
    }
}
