package io.jshim.protocol;

/**
 * Mirror of native/common/jshim_protocol.h: the launcher &lt;-&gt; jshimd wire protocol.
 * Read the header for the message flow, fd ownership and the journal; every constant here
 * has the same name and value there (a unit test compares them).
 */
public final class Protocol {
    private Protocol() {}

    /** What a v2 launcher sends; the daemon answers each connection in its HELLO's version. */
    public static final int VERSION = 2;
    /** The oldest version the daemon serves (the 0.1.0 launcher). */
    public static final int VERSION_MIN = 1;
    public static final String DEFAULT_SOCKET = "/run/jshim/jshimd.sock";
    public static final String SOCKET_ENV = "JSHIM_SOCKET";
    public static final int MSG_MAX = 65536;
    /** A HELLO's fds: at most 10 + MAX_ATTACH_CLIENTS. */
    public static final int MAX_FDS = 48;
    /** Attach clients a launcher keeps (and hands over with HELLO). */
    public static final int MAX_ATTACH_CLIENTS = 32;
    public static final int HEADER_SIZE = 8;

    public static final int MSG_HELLO = 1;
    public static final int MSG_EXITED = 2;
    public static final int MSG_READY = 3;
    public static final int MSG_FAILED = 4;
    public static final int MSG_CLOSE_STDIN = 5;
    public static final int MSG_DONE = 6;
    public static final int MSG_REOPEN_LOG = 7;
    /** v2, daemon to launcher, one fd: a duplicate of an accepted attach client; payload u32 token. */
    public static final int MSG_ATTACH_CLIENT = 8;
    /** v2, daemon to launcher: the daemon closed that client; payload u32 token. */
    public static final int MSG_ATTACH_CLIENT_GONE = 9;

    public static final int HELLO_STDIN = 1 << 0;
    public static final int HELLO_STDIN_ONCE = 1 << 1;
    public static final int HELLO_LOG_FILE = 1 << 2;
    public static final int HELLO_ATTACH = 1 << 3;
    public static final int HELLO_LOG_JOURNALD = 1 << 4;
    /** v2: after the strings u32 count + count u32 tokens; the clients' fds last. */
    public static final int HELLO_ATTACH_CLIENTS = 1 << 5;
    /** v2: conmon's --no-sync-log, no fsync of the log at exit or replacement. */
    public static final int HELLO_NO_SYNC_LOG = 1 << 6;

    public static final int STATE_RUNNING = 0;
    public static final int STATE_EXITED = 1;

    public static final int LOG_SHIMMY = 1;
    public static final int LOG_K8S_FILE = 2;
    public static final int EXIT_SHIMMY_JSON = 1;
    public static final int EXIT_CONMON_CODE = 2;
    public static final int ATTACH_SHIMMY = 1;
    public static final int ATTACH_CONMON = 2;
    public static final int EXIT_TIMED_OUT = 1 << 0;

    /** struct jshim_hello: flags, state, launcher_pid, container_pid, wait_status, log_format, exit_format, nfds. */
    public static final int HELLO_SIZE = 32;
    public static final int HELLO_NSTRINGS = 4;
    /**
     * struct jshim_hello2: flags, state, launcher_pid, container_pid, wait_status, exit_flags
     * (u32 each), exit_time_ns, session_id, log_size_max (u64 each), log_format, exit_format,
     * attach_format, nfds (u32 each), log_global_size_max (u64).
     */
    public static final int HELLO2_SIZE = 72;
    /** container id, name, log name, exit name, log tag. */
    public static final int HELLO2_NSTRINGS = 5;
    /** struct jshim_exited2: i32 wait_status, u32 flags, i64 exit_time_ns. */
    public static final int EXITED2_SIZE = 16;

    public static final int FD_JOURNAL = 0;
    public static final int FD_STDOUT = 1;
    public static final int FD_STDOUT_SPOOL = 2;
    public static final int FD_STDERR = 3;
    public static final int FD_STDERR_SPOOL = 4;
    public static final int FD_STDIN = 5;
    public static final int FD_EXIT_DIR = 5;

    public static final int JOURNAL_MAGIC = 0x4a53484a;
    public static final int JOURNAL_VERSION = 1;
    public static final int JOURNAL_SIZE = 4096;
    public static final int JOURNAL_LOG_OPENED = 1 << 0;
    public static final int JOURNAL_EXIT_WRITTEN = 1 << 1;
    public static final int JOURNAL_EXIT_TAKEN = 1 << 2;
    public static final int JOURNAL_EXIT_CLAIMED = 1 << 3;
    public static final int JOURNAL_OFF_MAGIC = 0;
    public static final int JOURNAL_OFF_VERSION = 4;
    public static final int JOURNAL_OFF_CURRENT = 8;
    public static final int JOURNAL_OFF_FLAGS = 12;
    public static final int JOURNAL_OFF_SLOTS = 16;
    public static final int JOURNAL_SLOT_SIZE = 24;
}
