/*
 * jni_util.h: helpers shared by the JNI sources of libjshim-jni.
 *
 * Conventions for every native in io.jshim.nativeio.Native:
 *  - success is a value >= 0, failure is -errno; a native never throws, except the
 *    OutOfMemoryError that JNI itself raises when it cannot allocate (then -ENOMEM is
 *    returned and the pending exception surfaces when the native returns).
 *  - EINTR is retried inside the native for every call that can be restarted. The only
 *    exception is epollWait, which returns -EINTR so the caller recomputes its timeout.
 *    close() treats EINTR as success (on Linux the fd is released anyway).
 *  - buffers must be direct; pos/len are checked against the capacity (-EINVAL).
 *  - arrays that receive results must be non-null and large enough (-EINVAL).
 */
#ifndef JSHIM_JNI_UTIL_H
#define JSHIM_JNI_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <jni.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#define JSHIM_UNUSED __attribute__((unused))

/* Repeat expr (which sets errno and returns -1 on failure) while it fails with EINTR. */
#define JSHIM_RETRY(expr)                                                                   \
	({                                                                                  \
		__typeof__(expr) _r;                                                        \
		do                                                                          \
			_r = (expr);                                                        \
		while (_r == -1 && errno == EINTR);                                         \
		_r;                                                                         \
	})

/* -errno of the last failed call, never 0 (so a failure cannot look like success). */
static inline int jshim_neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* The address of buf[pos], after checking that buf is direct and [pos, pos+len) fits. */
static inline int jshim_buffer(JNIEnv *env, jobject buf, jint pos, jint len, void **out)
{
	if (buf == NULL || pos < 0 || len < 0)
		return -EINVAL;
	char *base = (*env)->GetDirectBufferAddress(env, buf);
	jlong cap = (*env)->GetDirectBufferCapacity(env, buf);
	if (base == NULL || cap < 0 || (jlong)pos + (jlong)len > cap)
		return -EINVAL;
	*out = base + pos;
	return 0;
}

/* A Java string borrowed as modified UTF-8; released by cleanup on every path. */
struct jshim_str {
	JNIEnv *env;
	jstring str;
	const char *chars;
};

static inline void jshim_str_release(struct jshim_str *s)
{
	if (s->chars != NULL)
		(*s->env)->ReleaseStringUTFChars(s->env, s->str, s->chars);
	s->chars = NULL;
}

#define JSHIM_AUTO_STR __attribute__((cleanup(jshim_str_release))) struct jshim_str

/* 0 with s->chars set, -EINVAL for a null string, -ENOMEM when JNI is out of memory. */
static inline int jshim_str_get(JNIEnv *env, jstring str, struct jshim_str *s)
{
	s->env = env;
	s->str = str;
	s->chars = NULL;
	if (str == NULL)
		return -EINVAL;
	s->chars = (*env)->GetStringUTFChars(env, str, NULL);
	return s->chars == NULL ? -ENOMEM : 0;
}

/* Closes *fd if it is >= 0; for __attribute__((cleanup)). */
static inline void jshim_fd_release(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

#define JSHIM_AUTO_FD __attribute__((cleanup(jshim_fd_release))) int

/* Length of a Java int array, or -EINVAL if it is null or shorter than min. */
static inline jint jshim_array_min(JNIEnv *env, jintArray arr, jint min)
{
	if (arr == NULL)
		return -EINVAL;
	jint n = (*env)->GetArrayLength(env, arr);
	return n < min ? -EINVAL : n;
}

/* The O_* values of io.jshim.nativeio.Native (x86_64's) translated to this libc's: -EINVAL for
 * a bit the Java side does not define. O_CLOEXEC is always added by the caller. */
static inline int jshim_open_flags(jint jflags)
{
	static const struct {
		jint java;
		int native;
	} map[] = {
		{ 0100, O_CREAT },	 { 0200, O_EXCL },	    { 01000, O_TRUNC },
		{ 02000, O_APPEND },	 { 04000, O_NONBLOCK },    { 0200000, O_DIRECTORY },
		{ 0400000, O_NOFOLLOW },
		{ 010000000, O_PATH },
	};
	int out = jflags & 3; /* O_RDONLY, O_WRONLY, O_RDWR: the same everywhere */
	jint rest = jflags & ~3;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (rest & map[i].java) {
			out |= map[i].native;
			rest &= ~map[i].java;
		}
	}
	return rest != 0 ? -EINVAL : out;
}

#endif
