/* jni_socket.c: AF_UNIX sockets: listen/connect/accept, fd passing, send, shutdown, pairs, peer uid. */
#include <poll.h>
#include <string.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "io_jshim_nativeio_Native.h"
#include "jni_util.h"

/* The kernel passes at most this many fds in one message (SCM_MAX_FD). */
#define JSHIM_SCM_MAX_FD 253

/* Room for one SCM_RIGHTS message of up to JSHIM_SCM_MAX_FD fds, aligned for cmsghdr. */
union jshim_scm_control {
	char buf[CMSG_SPACE(sizeof(int) * JSHIM_SCM_MAX_FD)];
	struct cmsghdr align;
};

static int fill_addr(const char *path, struct sockaddr_un *addr)
{
	size_t n = strlen(path);
	if (n == 0)
		return -EINVAL;
	if (n >= sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, path, n + 1);
	return 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_unixListen(JNIEnv *env,
								 jclass cls JSHIM_UNUSED,
								 jstring path, jint type,
								 jint backlog)
{
	JSHIM_AUTO_STR p = { 0 };
	struct sockaddr_un addr;
	int ret = jshim_str_get(env, path, &p);
	if (ret < 0)
		return ret;
	ret = fill_addr(p.chars, &addr);
	if (ret < 0)
		return ret;
	JSHIM_AUTO_FD fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return jshim_neg_errno();
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return jshim_neg_errno();
	if (listen(fd, backlog) < 0)
		return jshim_neg_errno();
	int out = fd;
	fd = -1;
	return out;
}

/* After connect() fails with EINTR the connection goes on: wait for it and fetch its result. */
static int connect_finish(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	if (JSHIM_RETRY(poll(&pfd, 1, -1)) < 0)
		return jshim_neg_errno();
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return jshim_neg_errno();
	return err ? -err : 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_unixConnect(JNIEnv *env,
								  jclass cls JSHIM_UNUSED,
								  jstring path, jint type)
{
	JSHIM_AUTO_STR p = { 0 };
	struct sockaddr_un addr;
	int ret = jshim_str_get(env, path, &p);
	if (ret < 0)
		return ret;
	ret = fill_addr(p.chars, &addr);
	if (ret < 0)
		return ret;
	JSHIM_AUTO_FD fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return jshim_neg_errno();
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		ret = errno == EINTR ? connect_finish(fd) : jshim_neg_errno();
		if (ret < 0)
			return ret;
	}
	int out = fd;
	fd = -1;
	return out;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_accept(JNIEnv *env JSHIM_UNUSED,
							     jclass cls JSHIM_UNUSED, jint fd)
{
	int c = JSHIM_RETRY(accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK));
	return c < 0 ? jshim_neg_errno() : c;
}

static void close_all(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_recvWithFds(JNIEnv *env,
								  jclass cls JSHIM_UNUSED, jint fd,
								  jobject buf, jint pos, jint len,
								  jintArray fds, jintArray counts)
{
	union jshim_scm_control control;
	int got[JSHIM_SCM_MAX_FD];
	int ngot = 0;
	bool overflow = false;
	void *addr;
	jint max;
	int ret = jshim_buffer(env, buf, pos, len, &addr);
	if (ret < 0)
		return ret;
	if ((max = jshim_array_min(env, fds, 0)) < 0 || jshim_array_min(env, counts, 1) < 0)
		return -EINVAL;

	struct iovec iov = {.iov_base = addr, .iov_len = (size_t)len};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n = JSHIM_RETRY(recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT));
	if (n < 0)
		return jshim_neg_errno();
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (ngot < JSHIM_SCM_MAX_FD) {
				got[ngot++] = f;
			} else {
				close(f); /* more than we can hand on: never leak it */
				overflow = true;
			}
		}
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || overflow || ngot > max) {
		close_all(got, ngot);
		return -EMSGSIZE;
	}
	if (ngot > 0)
		(*env)->SetIntArrayRegion(env, fds, 0, ngot, got);
	jint count = ngot;
	(*env)->SetIntArrayRegion(env, counts, 0, 1, &count);
	return (jint)n;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_send(JNIEnv *env, jclass cls JSHIM_UNUSED,
							   jint fd, jobject buf, jint pos, jint len)
{
	void *addr;
	int ret = jshim_buffer(env, buf, pos, len, &addr);
	if (ret < 0)
		return ret;
	ssize_t n = JSHIM_RETRY(send(fd, addr, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT));
	return n < 0 ? jshim_neg_errno() : (jint)n;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_sendWithFds(JNIEnv *env,
								  jclass cls JSHIM_UNUSED, jint fd,
								  jobject buf, jint pos, jint len,
								  jintArray fds, jint nfds)
{
	union jshim_scm_control control;
	int out[JSHIM_SCM_MAX_FD];
	void *addr;
	int ret = jshim_buffer(env, buf, pos, len, &addr);
	if (ret < 0)
		return ret;
	if (nfds < 0 || nfds > JSHIM_SCM_MAX_FD || jshim_array_min(env, fds, nfds) < 0)
		return -EINVAL;

	struct iovec iov = {.iov_base = addr, .iov_len = (size_t)len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds > 0) {
		(*env)->GetIntArrayRegion(env, fds, 0, nfds, out);
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), out, sizeof(int) * (size_t)nfds);
	}
	ssize_t n = JSHIM_RETRY(sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT));
	return n < 0 ? jshim_neg_errno() : (jint)n;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_shutdown(JNIEnv *env JSHIM_UNUSED,
							       jclass cls JSHIM_UNUSED, jint fd,
							       jint how)
{
	return shutdown(fd, how) < 0 ? jshim_neg_errno() : 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_socketpair(JNIEnv *env,
								 jclass cls JSHIM_UNUSED, jint type,
								 jintArray fds)
{
	int ret = jshim_array_min(env, fds, 2);
	if (ret < 0)
		return ret;
	int sv[2];
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return jshim_neg_errno();
	(*env)->SetIntArrayRegion(env, fds, 0, 2, sv);
	return 0;
}

JNIEXPORT jlong JNICALL Java_io_jshim_nativeio_Native_peerUid(JNIEnv *env JSHIM_UNUSED,
							       jclass cls JSHIM_UNUSED, jint fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return jshim_neg_errno();
	return (jlong)cred.uid;
}
