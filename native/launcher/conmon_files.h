/* conmon_files.h: the ctl/winsz FIFOs, the attach listener, and CRI-O's attach symlink. */
#ifndef JSHIM_CONMON_FILES_H
#define JSHIM_CONMON_FILES_H

#include <stddef.h>

struct jshim_ctl { int ctl_r, ctl_w, winsz_r, winsz_w; size_t len; char buf[256]; };

/* mkfifoat(dirfd, "ctl"/"winsz", 0660), replacing an existing one (unlink + retry, never
 * following a symlink); opens each O_RDONLY|O_NONBLOCK|O_CLOEXEC plus a dummy O_WRONLY|O_CLOEXEC
 * writer so the reader never sees EOF. 0 or -errno (everything opened so far closed). */
int jshim_ctl_open(struct jshim_ctl *c, int dirfd);
void jshim_ctl_close(struct jshim_ctl *c);
typedef void (*jshim_ctl_line_fn)(void *arg, int type, int a, int b);
/* Pure: feeds bytes; calls on_line once per complete line "<type> <a> <b>\n" (every line, not
 * the first one repeatedly); malformed lines are logged and skipped; a line longer than buf is
 * dropped up to its newline. */
void jshim_ctl_feed(struct jshim_ctl *c, const char *data, size_t n, jshim_ctl_line_fn on_line, void *arg);
/* Reads everything ctl_r has now and feeds it. 0 or -errno. */
int jshim_ctl_read(struct jshim_ctl *c, jshim_ctl_line_fn on_line, void *arg);

/* A listening AF_UNIX socket of type SOCK_STREAM or SOCK_SEQPACKET at <dirfd>/<name>, bound
 * through "/proc/self/fd/<dirfd>/<name>" so paths beyond 107 bytes work; a stale socket file
 * there is unlinked first, anything else is -EEXIST; mode 0700 (fchmod before bind, fchmodat
 * after); listen(backlog); SOCK_CLOEXEC|SOCK_NONBLOCK. Returns the fd or -errno. */
int jshim_attach_listen(int dirfd, const char *name, int type, int backlog);
/* Opens the directory part of path O_DIRECTORY|O_PATH|O_CLOEXEC (following symlinks in the
 * directory part only) and points *name at the last component. -EINVAL for an empty name,
 * "." or "..", or a trailing '/'. Returns the fd or -errno. */
int jshim_open_parent(const char *path, const char **name);
/* CRI-O without --full-attach: symlink <socket_dir>/<cuuid> -> bundle (replacing an old link,
 * creating socket_dir 0700 if missing). As crio-conmon.md 3.2 says of conmon: a link path of
 * exactly 107 characters loses its last character. Writes the link path into out. 0 or -errno. */
int jshim_attach_symlink(const char *socket_dir, const char *cuuid, const char *bundle, char *out, size_t len);

#endif
