/*
 * jshim_protocol.h: the launcher <-> jshimd wire protocol, versions 1 and 2.
 * Mirrored field for field by java/src/main/java/io/jshim/protocol/Protocol.java.
 *
 * VERSIONS
 *   2  this release's launcher (0.2.x). Fds instead of paths: the launcher opens the log's
 *      directory, the exit file's directory and binds the attach listener; the daemon acts
 *      only on those fds (openat/renameat with names that contain no '/'). Adds the k8s-file
 *      log, conmon's exit file and attach framing, REOPEN_LOG, the exit time and a session id.
 *   1  the 0.1.0 launcher: paths in HELLO, shimmy formats only.
 *   A daemon answers each connection in the version its HELLO used and serves 1 and 2. A
 *   packet of any other version is refused: the daemon logs "protocol version N, this daemon
 *   speaks 1..2" and closes the connection. Replies (READY, FAILED, ...) carry the version of
 *   the HELLO they answer; a v2 launcher accepts only version 2 replies.
 *
 * TRANSPORT
 *   AF_UNIX SOCK_SEQPACKET at the daemon socket: --jshimd-socket, else $JSHIM_SOCKET,
 *   else /run/jshim/jshimd.sock. One connection per launcher, opened by the launcher.
 *   Every message is exactly one packet: an 8-byte header and then the payload.
 *   All integers are in host byte order (both ends run on the same host).
 *
 *     offset 0  u16 version   JSHIM_PROTO_VERSION (or 1 from an old launcher)
 *     offset 2  u16 type      JSHIM_MSG_*
 *     offset 4  u32 length    payload bytes after the header
 *
 *   A packet that is shorter than its header says, longer than JSHIM_MSG_MAX, received with
 *   MSG_TRUNC or MSG_CTRUNC, of an unknown version or type, or carrying fds it should not
 *   carry is a protocol error: the receiver closes every fd that arrived with it, logs the
 *   problem and closes the connection. It never crashes.
 *
 * MESSAGES
 *   launcher -> daemon
 *     HELLO   (fds)  "serve this container". Sent after every (re)connect, so a daemon that
 *                    was restarted gets everything again.
 *                    v1 payload: struct jshim_hello, then JSHIM_HELLO_NSTRINGS strings (u16
 *                    length + bytes, no NUL, not empty): container id, log path, exit path,
 *                    attach socket path.
 *                    v2 payload: struct jshim_hello2, then JSHIM_HELLO2_NSTRINGS strings (u16
 *                    length + bytes, no NUL; may be empty where noted): container id, name
 *                    (may be empty), log file name (a name inside the log dir fd: no '/', not
 *                    "." or ".."; empty without JSHIM_HELLO_LOG_FILE), exit file name (same
 *                    rules, inside the exit dir fd), log tag (may be empty). Strings are bytes,
 *                    not text: the daemon never decodes a name it passes to openat.
 *                    v2 with JSHIM_HELLO_ATTACH_CLIENTS (only with JSHIM_HELLO_ATTACH): after
 *                    the strings, u32 count (1..JSHIM_MAX_ATTACH_CLIENTS) and count u32 tokens
 *                    (distinct, not 0): the attach clients the launcher keeps (see
 *                    ATTACH_CLIENT), their fds last in the fd list, in the tokens' order.
 *     EXITED         the container init was reaped.
 *                    v1 payload: i32 raw wait status.
 *                    v2 payload: struct jshim_exited2 (wait status, exit flags, exit time).
 *                    Also implied by HELLO with state JSHIM_STATE_EXITED.
 *     REOPEN_LOG     (v2) conmon's ctl "2 0 0": replace the log file now (a fresh empty file
 *                    at the log name, renamed over it), later records go there. No payload.
 *   daemon -> launcher
 *     READY          answer to HELLO: the log is open and the attach socket is served.
 *     FAILED         answer to HELLO: the daemon cannot serve this container.
 *                    Payload: i32 errno, then the message bytes (UTF-8, no NUL).
 *     CLOSE_STDIN    the launcher must close its copy of the stdin write end now
 *                    (stdin-once and the first attach session ended) and never hand it
 *                    over again. The daemon closes its own copy before sending this.
 *     ATTACH_CLIENT  (v2, exactly one fd) the daemon accepted a conmon-format attach client:
 *                    the fd is a duplicate of it for the launcher to keep, so that the client
 *                    stays connected while no daemon runs. Payload: u32 token, chosen by the
 *                    daemon, not 0, unique within the container's session (a daemon that
 *                    adopted clients from a HELLO continues above the highest token it got).
 *                    Sent right after the accept. Shimmy's SOCK_STREAM clients are not kept:
 *                    a frame cut short by a dying daemon would corrupt their stream, so they
 *                    get EOF when the daemon dies, as in 0.1.0.
 *     ATTACH_CLIENT_GONE (v2) the daemon closed that client while serving (dropped, or done
 *                    in both directions): the launcher closes its copy. Payload: u32 token.
 *                    Not sent when the daemon only lets go of the container (connection lost,
 *                    daemon stopping): the launcher's copies keep those clients connected.
 *     DONE           the exit file is written (output drained first). The launcher exits.
 *
 *   Order on one connection: L:HELLO, D:READY|FAILED, then any of L:EXITED, L:REOPEN_LOG,
 *   D:CLOSE_STDIN, D:ATTACH_CLIENT, D:ATTACH_CLIENT_GONE, and finally D:DONE. A FAILED on the
 *   first HELLO makes the launcher kill the container and report the failure on the sync
 *   pipe; on a later HELLO it is logged and retried. A REOPEN_LOG that a daemon did not
 *   answer with DONE is sent again after the next READY (a second reopen only empties the
 *   log once more, as conmon's would).
 *
 * FDS (SCM_RIGHTS, with HELLO in this order, and the one fd of ATTACH_CLIENT; they arrive
 * close-on-exec)
 *   v1:
 *     0  journal memfd      struct jshim_journal, JSHIM_JOURNAL_SIZE bytes
 *     1  stdout read end    O_NONBLOCK pipe read end (the container writes the other end)
 *     2  stdout spool memfd
 *     3  stderr read end
 *     4  stderr spool memfd
 *     5  stdin write end    only with JSHIM_HELLO_STDIN (stdin wanted and not closed yet)
 *   v2: 0..4 as in v1, then
 *     5  exit dir           O_DIRECTORY|O_PATH fd of the exit file's directory (always)
 *     then, in this order, each only with its flag:
 *        stdin write end    JSHIM_HELLO_STDIN
 *        log dir            JSHIM_HELLO_LOG_FILE: O_DIRECTORY|O_PATH fd of the log's directory
 *        attach listener    JSHIM_HELLO_ATTACH: a listening socket the launcher bound (mode
 *                           0700), SOCK_STREAM (shimmy) or SOCK_SEQPACKET (conmon)
 *        journald socket    JSHIM_HELLO_LOG_JOURNALD: an AF_UNIX SOCK_DGRAM socket connected
 *                           to the journal (native protocol datagrams)
 *        attach clients     JSHIM_HELLO_ATTACH_CLIENTS: the kept attach clients (connected
 *                           SOCK_SEQPACKET sockets), one per token, in the tokens' order
 *   Ownership: the launcher owns all of these for the container's life and keeps them
 *   open across daemon restarts; the daemon owns only the duplicates it received and closes
 *   each exactly once, when it is done with the container or the connection is lost. The
 *   launcher unlinks the attach socket file (unlinkat on its own dir fd) after DONE.
 *   Attach clients: the launcher owns a duplicate of each attach client; the daemon tells it
 *   when a client is gone (ATTACH_CLIENT_GONE). It keeps at most JSHIM_MAX_ATTACH_CLIENTS: one
 *   that arrives when the table is full is closed at once (logged; that client gets EOF if
 *   the daemon dies). It hands them all over with every HELLO and closes them all after DONE
 *   (and when it exits otherwise). A daemon that adopts a client serves it like one it
 *   accepted (same attach format); attach records may repeat or be missing around a restart,
 *   as for a client that reconnects, but the client is no longer disconnected. A client whose
 *   input had ended reads EOF again in the new daemon, which treats it like any EOF (the
 *   stdin-once close is idempotent).
 *
 * EXACTLY-ONCE OUTPUT ("the kernel is the journal")
 *   The daemon never read()s a container pipe. It splice()s the pipe into the stream's spool
 *   memfd, appending at the memfd's file position. That position lives in the open file
 *   description, which the launcher shares, so a daemon killed at any instant loses nothing:
 *   every byte is either still in the pipe or in the spool. The daemon then turns spool bytes
 *   [done, position) into log records and attach frames, writes the log, and commits
 *   {log size, done offsets} to the journal. On resume a daemon truncates the log to the
 *   committed size and continues from the committed offsets, so every byte reaches the log
 *   exactly once. A spool whose bytes are all committed is rewound to position 0 (commit,
 *   lseek, commit 0), so its pages are reused; a committed offset past the spool's end means
 *   a daemon died between the lseek and the commit, and reads as 0. While a daemon lags
 *   behind, processed spool ranges are given back with FALLOC_FL_PUNCH_HOLE.
 *   Log replacement (v2: --log-size-max, REOPEN_LOG): the daemon creates "<name>.tmp" in the
 *   log dir (O_EXCL|O_NOFOLLOW, after unlinking a stale one), commits log size 0, then
 *   renameat()s it over <name>. A daemon killed between the commit and the rename finds the
 *   old file at <name> and truncates it to 0, which is what the replacement wanted.
 *   Log cap (v2: log_global_size_max, conmon's --log-global-size-max): the daemon counts the
 *   bytes it writes to the log over the container's life, replacements included, and writes
 *   no record once the count has reached the cap (the record that crosses it is written
 *   whole). A resumed daemon starts counting at the committed log size.
 *
 *   The journal is mapped shared by the daemon. A commit writes the slot that is not
 *   current, then stores the new value of `current` (a single aligned u32, release order).
 */
#ifndef JSHIM_PROTOCOL_H
#define JSHIM_PROTOCOL_H

#include <stdint.h>

#define JSHIM_PROTO_VERSION 2     /* what this launcher sends */
#define JSHIM_PROTO_VERSION_MIN 1 /* the oldest a daemon serves */
#define JSHIM_DEFAULT_SOCKET "/run/jshim/jshimd.sock"
#define JSHIM_SOCKET_ENV "JSHIM_SOCKET"
#define JSHIM_MSG_MAX 65536 /* header + payload */
#define JSHIM_MAX_FDS 48 /* a HELLO: at most 10 + JSHIM_MAX_ATTACH_CLIENTS */
#define JSHIM_MAX_ATTACH_CLIENTS 32 /* attach clients a launcher keeps */

enum jshim_msg_type {
	JSHIM_MSG_HELLO = 1,
	JSHIM_MSG_EXITED = 2,
	JSHIM_MSG_READY = 3,
	JSHIM_MSG_FAILED = 4,
	JSHIM_MSG_CLOSE_STDIN = 5,
	JSHIM_MSG_DONE = 6,
	JSHIM_MSG_REOPEN_LOG = 7, /* v2 */
	JSHIM_MSG_ATTACH_CLIENT = 8, /* v2, daemon -> launcher, one fd */
	JSHIM_MSG_ATTACH_CLIENT_GONE = 9, /* v2, daemon -> launcher */
};

struct jshim_msg_header {
	uint16_t version;
	uint16_t type;
	uint32_t length;
};

/* jshim_hello.flags */
#define JSHIM_HELLO_STDIN (1u << 0)      /* fd 5 is the container's stdin write end */
#define JSHIM_HELLO_STDIN_ONCE (1u << 1) /* close stdin when the first attach session ends */
#define JSHIM_HELLO_LOG_FILE (1u << 2)   /* v2: a log dir fd and a log file name */
#define JSHIM_HELLO_ATTACH (1u << 3)     /* v2: an attach listener fd */
#define JSHIM_HELLO_LOG_JOURNALD (1u << 4) /* v2: a journald socket fd */
#define JSHIM_HELLO_ATTACH_CLIENTS (1u << 5) /* v2: kept attach clients: tokens + fds */
#define JSHIM_HELLO_NO_SYNC_LOG (1u << 6) /* v2: conmon's --no-sync-log: no fsync of the log
					     at exit or replacement; set only with the option */

/* jshim_hello.state */
#define JSHIM_STATE_RUNNING 0 /* created or running: the container init is alive */
#define JSHIM_STATE_EXITED 1  /* reaped; wait_status is valid */

/* jshim_hello.log_format: how output becomes log records */
#define JSHIM_LOG_SHIMMY 1 /* "<rfc3339> stdout|stderr <text>\n", empty pieces dropped */
#define JSHIM_LOG_K8S_FILE 2 /* conmon's k8s-file: "<rfc3339nano> stdout|stderr F|P <text>\n" */

/* jshim_hello.exit_format: what the exit file holds */
#define JSHIM_EXIT_SHIMMY_JSON 1 /* {"at": "...", "reason": "exited", "exitCode": N} */
#define JSHIM_EXIT_CONMON_CODE 2 /* conmon's: decimal code, 128+signal, -1 on timeout; no newline */

/* jshim_hello2.attach_format */
#define JSHIM_ATTACH_SHIMMY 1 /* SOCK_STREAM, frames [1|2][chunk <= 32767] */
#define JSHIM_ATTACH_CONMON 2 /* SOCK_SEQPACKET, records [2|3][chunk <= 8192]; client EOF =
				 shutdown(SHUT_RD), output keeps flowing to that client */

/* exit flags (jshim_hello2.exit_flags, jshim_exited2.flags) */
#define JSHIM_EXIT_TIMED_OUT (1u << 0) /* killed by --timeout: conmon's status -1 */

struct jshim_hello {
	uint32_t flags;
	uint32_t state;
	int32_t launcher_pid;
	int32_t container_pid;
	int32_t wait_status;
	uint32_t log_format;
	uint32_t exit_format;
	uint32_t nfds; /* must equal the number of fds in the packet */
};

#define JSHIM_HELLO_NSTRINGS 4 /* container id, log path, exit path, attach path */

struct jshim_hello2 {
	uint32_t flags;
	uint32_t state;
	int32_t launcher_pid;
	int32_t container_pid;
	int32_t wait_status;   /* with state EXITED */
	uint32_t exit_flags;   /* with state EXITED: JSHIM_EXIT_* flags */
	int64_t exit_time_ns;  /* with state EXITED: CLOCK_REALTIME of the reap */
	uint64_t session_id;   /* unique per launcher (random); the daemon's key */
	uint64_t log_size_max; /* k8s-file: replace the log past this many bytes; 0 = never */
	uint32_t log_format;
	uint32_t exit_format;
	uint32_t attach_format; /* 0 without JSHIM_HELLO_ATTACH */
	uint32_t nfds;          /* must equal the number of fds in the packet */
	uint64_t log_global_size_max; /* stop writing log records once this many bytes were
				       * written in total (the record that crosses it is the last,
				       * CRI-O's ExecSync cap); 0 = no cap */
};

#define JSHIM_HELLO2_NSTRINGS 5 /* container id, name, log name, exit name, log tag */

struct jshim_exited2 {
	int32_t wait_status;
	uint32_t flags;        /* JSHIM_EXIT_* */
	int64_t exit_time_ns;  /* CLOCK_REALTIME of the reap */
};

#define JSHIM_FD_JOURNAL 0
#define JSHIM_FD_STDOUT 1
#define JSHIM_FD_STDOUT_SPOOL 2
#define JSHIM_FD_STDERR 3
#define JSHIM_FD_STDERR_SPOOL 4
#define JSHIM_FD_STDIN 5   /* v1 only; v2 indices are computed from the flags */
#define JSHIM_FD_EXIT_DIR 5 /* v2 */

/* The journal memfd: created zeroed by the launcher with magic and version set. */
#define JSHIM_JOURNAL_MAGIC 0x4a53484au /* "JHSJ" read as little-endian bytes */
#define JSHIM_JOURNAL_VERSION 1
#define JSHIM_JOURNAL_SIZE 4096

/* jshim_journal.flags, set with atomic OR or compare-and-swap (the daemon sets the first two)
 *
 * THE EXIT FILE CLAIM: exactly one side writes the exit file. Right before it renames its temp
 * file into place the daemon sets EXIT_CLAIMED by compare-and-swap, only while EXIT_TAKEN is
 * clear (else it removes its temp file and writes nothing); an EXIT_CLAIMED left by an earlier
 * daemon counts as its own (a daemon that lost the container released it or died). The
 * launcher, before it writes the exit file itself (no daemon, or a stuck one), sets EXIT_TAKEN
 * by compare-and-swap, only while EXIT_WRITTEN is clear and EXIT_CLAIMED is clear or stale
 * (set by a daemon that is not READY on the launcher's current connection). If a READY daemon
 * holds the claim, the launcher waits for its DONE (or the loss of the connection). Same
 * layout and journal version as 0.1.0: an old journal has neither bit. A 0.1.0 launcher sets
 * EXIT_TAKEN with a plain OR; a daemon then still never writes after it, but the old launcher
 * may write after a daemon's claim (between the claim and EXIT_WRITTEN, one rename). */
#define JSHIM_JOURNAL_LOG_OPENED (1u << 0) /* the log was created; never truncate it again */
#define JSHIM_JOURNAL_EXIT_WRITTEN (1u << 1) /* the exit file exists; never rewrite it */
#define JSHIM_JOURNAL_EXIT_TAKEN (1u << 2)   /* the launcher writes the exit file (claim) */
#define JSHIM_JOURNAL_EXIT_CLAIMED (1u << 3) /* the daemon writes the exit file (claim) */

struct jshim_journal_slot {
	uint64_t log_size;      /* bytes of the log file that are committed */
	uint64_t spool_done[2]; /* stdout, stderr: spool offsets already in the log */
};

struct jshim_journal {
	uint32_t magic;
	uint32_t version;
	uint32_t current; /* index of the valid slot, 0 or 1 */
	uint32_t flags;
	struct jshim_journal_slot slot[2];
};

#define JSHIM_JOURNAL_OFF_MAGIC 0
#define JSHIM_JOURNAL_OFF_VERSION 4
#define JSHIM_JOURNAL_OFF_CURRENT 8
#define JSHIM_JOURNAL_OFF_FLAGS 12
#define JSHIM_JOURNAL_OFF_SLOTS 16
#define JSHIM_JOURNAL_SLOT_SIZE 24

_Static_assert(sizeof(struct jshim_msg_header) == 8, "header layout");
_Static_assert(sizeof(struct jshim_hello) == 32, "hello layout");
_Static_assert(sizeof(struct jshim_hello2) == 72, "hello2 layout");
_Static_assert(sizeof(struct jshim_exited2) == 16, "exited2 layout");
_Static_assert(sizeof(struct jshim_journal_slot) == JSHIM_JOURNAL_SLOT_SIZE, "slot layout");
_Static_assert(sizeof(struct jshim_journal) == JSHIM_JOURNAL_OFF_SLOTS + 2 * JSHIM_JOURNAL_SLOT_SIZE,
	       "journal layout");

#endif
