/* sdnotify.h: conmon's --sdnotify-socket relay (conmon-protocol.md 8.3). The container's
 * NOTIFY_SOCKET is <bundle>/notify/notify.sock (podman bind-mounts <bundle>/notify at
 * /run/notify); READY=1 and WATCHDOG=1, and only those, go on to the host's socket. */
#ifndef JSHIM_SDNOTIFY_H
#define JSHIM_SDNOTIFY_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

struct jshim_sdnotify {
	int fd; /* the container's datagram socket, or -1 */
	struct sockaddr_un host;
	socklen_t host_len;
};

/* Binds <bundle>/notify/notify.sock (SOCK_DGRAM, mode 0777, through the dir fd so long paths
 * work; a stale socket file is replaced) and resolves host_socket ("@name" = abstract).
 * 0 or -errno with what failed in why. */
int jshim_sdnotify_open(struct jshim_sdnotify *s, const char *bundle, const char *host_socket,
			char *why, size_t len);
/* Reads every datagram waiting and relays its READY=1 / WATCHDOG=1 lines. */
void jshim_sdnotify_relay(struct jshim_sdnotify *s);
void jshim_sdnotify_close(struct jshim_sdnotify *s);
/* Pure: the lines of msg[0..n) that are READY=1 or WATCHDOG=1, '\n'-joined into out.
 * Returns the length (0: nothing to relay). */
size_t jshim_sdnotify_filter(const char *msg, size_t n, char *out, size_t cap);

#endif
