package io.jshim.nativeio;

import java.nio.ByteBuffer;

/**
 * Every native method of jshim, and nothing else. Implemented in native/jni/.
 *
 * <p>Conventions (as in Netty's native transport): a method returns a non-negative result on
 * success or {@code -errno} on failure; it never throws. Callers turn failures into
 * {@link NativeIoException} with {@link Errno#check}. Buffers are direct; {@code pos} and
 * {@code len} address bytes inside them, independent of the buffer's own position and limit.
 * Every fd a native creates is close-on-exec. This class must only use JDK types, because the
 * build runs {@code javac -h} on it alone to generate the JNI header.
 */
public final class Native {
    private Native() {}

    /** System property naming the absolute path of libjshim-jni.so. */
    public static final String LIBRARY_PROPERTY = "jshim.native.lib";

    static {
        String path = System.getProperty(LIBRARY_PROPERTY);
        if (path == null || path.isEmpty()) {
            throw new UnsatisfiedLinkError("system property " + LIBRARY_PROPERTY
                    + " must name the absolute path of libjshim-jni.so");
        }
        System.load(path);
    }

    // epoll(7) event bits, as in <sys/epoll.h>
    public static final int EPOLLIN = 0x001;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;
    public static final int EPOLLET = 1 << 31;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;
    /** Size of one event entry written by {@link #epollWait}: i32 events, i32 pad, i64 data. */
    public static final int EPOLL_EVENT_SIZE = 16;

    // open(2) flags used by the daemon (x86_64/aarch64 generic values)
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    /** For opening a log: a FIFO nobody reads fails (ENXIO) instead of blocking the open. */
    public static final int O_NONBLOCK = 04000;
    // these three differ between architectures: the natives translate them to the libc values
    public static final int O_DIRECTORY = 0200000;
    public static final int O_NOFOLLOW = 0400000;
    public static final int O_PATH = 010000000;

    public static final int SEEK_SET = 0;
    public static final int SEEK_CUR = 1;
    public static final int SEEK_END = 2;

    public static final int SOCK_STREAM = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;

    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    public static final int WNOHANG = 1;

    // errno values the Java side tests for
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int EPIPE = 32;
    public static final int ENOENT = 2;
    public static final int EEXIST = 17;
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;
    public static final int ELOOP = 40;
    public static final int EMSGSIZE = 90;
    public static final int ECONNRESET = 104;

    /** The errno text for a positive errno value, from strerror_r. */
    public static native String strerror(int errno);

    // --- epoll and eventfd ---
    public static native int epollCreate();
    public static native int epollCtl(int epfd, int op, int fd, int events, long data);
    /** Waits; writes up to {@code maxEvents} entries of EPOLL_EVENT_SIZE bytes at buf[0..]. */
    public static native int epollWait(int epfd, ByteBuffer events, int maxEvents, int timeoutMs);
    /** eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK). */
    public static native int eventfd();
    public static native int eventfdWrite(int fd, long value);
    /** Returns the counter (>= 0) or -errno; EAGAIN when it was zero. */
    public static native long eventfdRead(int fd);

    // --- plain fd I/O ---
    public static native int read(int fd, ByteBuffer buf, int pos, int len);
    public static native int write(int fd, ByteBuffer buf, int pos, int len);
    public static native int pread(int fd, ByteBuffer buf, int pos, int len, long offset);
    /**
     * pread(2) into {@code buf[off..off+len)} of a Java array (pinned for the call), for data
     * the daemon scans on the heap anyway: one copy fewer than a direct buffer and a bulk get.
     */
    public static native int preadArray(int fd, byte[] buf, int off, int len, long offset);
    /**
     * write(2) from {@code buf[off..off+len)} of a Java array (pinned for the call: a JNI
     * critical region, during which no GC runs; never for a write that may block).
     */
    public static native int writeArray(int fd, byte[] buf, int off, int len);
    public static native int close(int fd);
    /**
     * poll(2) for POLLIN on up to two fds (a negative one is ignored) for at most timeoutMs:
     * bit 0 set if fd1 has events (readable, hung up, error), bit 1 for fd2; 0 on timeout; -errno.
     */
    public static native int pollIn(int fd1, int fd2, int timeoutMs);
    public static native int setNonBlocking(int fd, boolean nonBlocking);
    /** splice(2) from a pipe into fdOut at its file position; flags as in splice(2). */
    public static native long splice(int fdIn, int fdOut, long len, int flags);
    public static final int SPLICE_F_MOVE = 1;
    public static final int SPLICE_F_NONBLOCK = 2;
    public static native long lseek(int fd, long offset, int whence);
    /** fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE). */
    public static native int punchHole(int fd, long offset, long len);
    public static native int ftruncate(int fd, long len);
    /** st_size of the fd, or -errno. */
    public static native long fstatSize(int fd);
    /** st_mode of the path (lstat), or -errno. */
    public static native int lstatMode(String path);
    public static native int fsync(int fd);
    /**
     * sync_file_range(SYNC_FILE_RANGE_WRITE): starts writeback of the dirty pages of
     * [offset, offset + len) without waiting for it; -EINVAL for an empty range.
     */
    public static native int startWriteback(int fd, long offset, long len);

    // --- paths ---
    /** open(2) with O_CLOEXEC added; flags are the O_* constants above. */
    public static native int open(String path, int flags, int mode);
    public static native int rename(String from, String to);
    public static native int unlink(String path);

    // --- names inside a directory fd (a name is bytes, never decoded; no NUL) ---
    /** openat(2) of name in dirfd with O_CLOEXEC added: fd or -errno. */
    public static native int openat(int dirfd, byte[] name, int flags, int mode);
    /** renameat(2): -errno or 0. */
    public static native int renameat(int fromDirfd, byte[] from, int toDirfd, byte[] to);
    /** unlinkat(2) with flags 0 (never a directory): -errno or 0. */
    public static native int unlinkat(int dirfd, byte[] name);
    /** st_mode of name in dirfd, not following a symlink (fstatat AT_SYMLINK_NOFOLLOW), or -errno. */
    public static native int fstatatMode(int dirfd, byte[] name);
    /** st_ino of the fd (fstat), or -errno. */
    public static native long fstatIno(int fd);

    // --- memory ---
    /** mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0): address or -errno. */
    public static native long mmapShared(int fd, long len);
    public static native int munmap(long address, long len);
    /** A direct ByteBuffer over native memory (no copy, no ownership). */
    public static native ByteBuffer directBuffer(long address, int len);

    // --- unix sockets ---
    /** socket(AF_UNIX, type|SOCK_CLOEXEC|SOCK_NONBLOCK), bind to path, listen. fd or -errno. */
    public static native int unixListen(String path, int type, int backlog);
    /** accept4(fd, SOCK_CLOEXEC | SOCK_NONBLOCK). */
    public static native int accept(int fd);
    /**
     * recvmsg(MSG_CMSG_CLOEXEC | MSG_DONTWAIT) into buf[pos..pos+len). Received fds are stored in
     * {@code fds[0..n)} and {@code fds.length} bounds them. Returns the byte count and sets
     * {@code counts[0]} to the number of fds. On MSG_TRUNC/MSG_CTRUNC it closes every received
     * fd and returns -EMSGSIZE.
     */
    public static native int recvWithFds(int fd, ByteBuffer buf, int pos, int len, int[] fds, int[] counts);
    /** send(MSG_NOSIGNAL | MSG_DONTWAIT). */
    public static native int send(int fd, ByteBuffer buf, int pos, int len);
    /**
     * sendmsg(MSG_NOSIGNAL | MSG_DONTWAIT) of buf[pos..pos+len) with {@code fds[0..nfds)} as one
     * SCM_RIGHTS message (none when nfds is 0). Byte count or -errno. The launcher side of the
     * protocol, for tests and tools written in Java.
     */
    public static native int sendWithFds(int fd, ByteBuffer buf, int pos, int len, int[] fds, int nfds);
    public static native int shutdown(int fd, int how);
    /** The uid of the peer of a connected AF_UNIX socket (SO_PEERCRED), or -errno. */
    public static native long peerUid(int fd);
    /** socket(AF_UNIX, type|SOCK_CLOEXEC) and a blocking connect to path: fd or -errno. */
    public static native int unixConnect(String path, int type);
    /** socketpair(AF_UNIX, type|SOCK_CLOEXEC): fds[0], fds[1]. */
    public static native int socketpair(int type, int[] fds);
    /** pipe2(O_CLOEXEC): fds[0] read end, fds[1] write end. */
    public static native int pipe(int[] fds);
    /** memfd_create(name, MFD_CLOEXEC): fd or -errno. */
    public static native int memfdCreate(String name);

    // --- processes ---
    public static native int getpid();
    /** geteuid(2). */
    public static native long geteuid();
    public static native int kill(int pid, int signal);
    /** prctl(PR_SET_CHILD_SUBREAPER, 1); used by test drivers. */
    public static native int setChildSubreaper();
    /** waitpid(pid, &status, options): the pid (0 with WNOHANG and none) or -errno; status[0] = raw. */
    public static native int waitpid(int pid, int options, int[] status);
}
