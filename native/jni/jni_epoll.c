/* jni_epoll.c: epoll and eventfd for io.jshim.nativeio.Native. */
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "io_jshim_nativeio_Native.h"
#include "jni_util.h"

/* One entry as Java reads it: i32 events, i32 0, i64 data, native byte order. */
#define JSHIM_EVENT_SIZE 16
/* Events fetched per epoll_wait call; struct epoll_event is packed on x86_64, so we copy. */
#define JSHIM_MAX_EVENTS 256

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_epollCreate(JNIEnv *env JSHIM_UNUSED,
								  jclass cls JSHIM_UNUSED)
{
	int fd = epoll_create1(EPOLL_CLOEXEC);
	return fd < 0 ? jshim_neg_errno() : fd;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_epollCtl(JNIEnv *env JSHIM_UNUSED,
							       jclass cls JSHIM_UNUSED, jint epfd,
							       jint op, jint fd, jint events,
							       jlong data)
{
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = (uint32_t)events;
	ev.data.u64 = (uint64_t)data;
	if (epoll_ctl(epfd, op, fd, &ev) < 0)
		return jshim_neg_errno();
	return 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_epollWait(JNIEnv *env, jclass cls JSHIM_UNUSED,
								jint epfd, jobject buf,
								jint maxEvents, jint timeoutMs)
{
	struct epoll_event evs[JSHIM_MAX_EVENTS];
	void *addr;
	int ret;

	if (maxEvents <= 0)
		return -EINVAL;
	if (maxEvents > JSHIM_MAX_EVENTS)
		maxEvents = JSHIM_MAX_EVENTS;
	ret = jshim_buffer(env, buf, 0, maxEvents * JSHIM_EVENT_SIZE, &addr);
	if (ret < 0)
		return ret;
	/* Not retried on EINTR: the caller recomputes its timeout (see jni_util.h). */
	int n = epoll_wait(epfd, evs, maxEvents, timeoutMs);
	if (n < 0)
		return jshim_neg_errno();
	char *out = addr;
	for (int i = 0; i < n; i++) {
		int32_t events = (int32_t)evs[i].events, pad = 0;
		int64_t data = (int64_t)evs[i].data.u64;
		memcpy(out, &events, 4);
		memcpy(out + 4, &pad, 4);
		memcpy(out + 8, &data, 8);
		out += JSHIM_EVENT_SIZE;
	}
	return n;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_eventfd(JNIEnv *env JSHIM_UNUSED,
							      jclass cls JSHIM_UNUSED)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return fd < 0 ? jshim_neg_errno() : fd;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_eventfdWrite(JNIEnv *env JSHIM_UNUSED,
								   jclass cls JSHIM_UNUSED, jint fd,
								   jlong value)
{
	uint64_t v = (uint64_t)value;
	ssize_t n = JSHIM_RETRY(write(fd, &v, sizeof(v)));
	if (n < 0)
		return jshim_neg_errno();
	return n == sizeof(v) ? 0 : -EIO;
}

JNIEXPORT jlong JNICALL Java_io_jshim_nativeio_Native_eventfdRead(JNIEnv *env JSHIM_UNUSED,
								   jclass cls JSHIM_UNUSED, jint fd)
{
	uint64_t v;
	ssize_t n = JSHIM_RETRY(read(fd, &v, sizeof(v)));
	if (n < 0)
		return jshim_neg_errno();
	if (n != sizeof(v))
		return -EIO;
	/* The counter tops out at 2^64 - 2; clamp so it can never look like -errno. */
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (jlong)v;
}
