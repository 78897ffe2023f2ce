/* jni_path.c: calls that take a path (open/rename/unlink/lstat) and strerror. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "io_jshim_nativeio_Native.h"
#include "jni_util.h"

JNIEXPORT jstring JNICALL Java_io_jshim_nativeio_Native_strerror(JNIEnv *env,
								   jclass cls JSHIM_UNUSED,
								   jint errnum)
{
	char buf[256];
	/* GNU strerror_r: returns a pointer to the text, possibly not buf. */
	const char *text = strerror_r(errnum, buf, sizeof(buf));
	return (*env)->NewStringUTF(env, text);
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_open(JNIEnv *env, jclass cls JSHIM_UNUSED,
							   jstring path, jint flags, jint mode)
{
	JSHIM_AUTO_STR p = { 0 };
	int ret = jshim_str_get(env, path, &p);
	if (ret < 0)
		return ret;
	int oflags = jshim_open_flags(flags);
	if (oflags < 0)
		return oflags;
	int fd = JSHIM_RETRY(open(p.chars, oflags | O_CLOEXEC, (mode_t)mode));
	return fd < 0 ? jshim_neg_errno() : fd;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_rename(JNIEnv *env, jclass cls JSHIM_UNUSED,
							     jstring from, jstring to)
{
	JSHIM_AUTO_STR f = { 0 };
	JSHIM_AUTO_STR t = { 0 };
	int ret = jshim_str_get(env, from, &f);
	if (ret < 0)
		return ret;
	ret = jshim_str_get(env, to, &t);
	if (ret < 0)
		return ret;
	return rename(f.chars, t.chars) < 0 ? jshim_neg_errno() : 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_unlink(JNIEnv *env, jclass cls JSHIM_UNUSED,
							     jstring path)
{
	JSHIM_AUTO_STR p = { 0 };
	int ret = jshim_str_get(env, path, &p);
	if (ret < 0)
		return ret;
	return unlink(p.chars) < 0 ? jshim_neg_errno() : 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_lstatMode(JNIEnv *env,
								jclass cls JSHIM_UNUSED,
								jstring path)
{
	JSHIM_AUTO_STR p = { 0 };
	int ret = jshim_str_get(env, path, &p);
	if (ret < 0)
		return ret;
	struct stat st;
	if (lstat(p.chars, &st) < 0)
		return jshim_neg_errno();
	return (jint)st.st_mode;
}
