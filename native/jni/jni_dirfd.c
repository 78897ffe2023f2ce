/* jni_dirfd.c: calls on a name inside a directory fd (openat/renameat/unlinkat/fstatat). The
 * name is a Java byte[] (never decoded), copied with a terminating NUL; a NUL inside it, an
 * empty name or one of PATH_MAX bytes or more is refused. */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "io_jshim_nativeio_Native.h"
#include "jni_util.h"

/* name[0..len) into buf as a C string. */
static int name_get(JNIEnv *env, jbyteArray name, char buf[PATH_MAX])
{
	if (name == NULL)
		return -EINVAL;
	jsize len = (*env)->GetArrayLength(env, name);
	if (len <= 0)
		return -EINVAL;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	(*env)->GetByteArrayRegion(env, name, 0, len, (jbyte *)buf);
	if (memchr(buf, 0, (size_t)len) != NULL)
		return -EINVAL;
	buf[len] = '\0';
	return 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_openat(JNIEnv *env, jclass cls JSHIM_UNUSED,
							     jint dirfd, jbyteArray name, jint flags,
							     jint mode)
{
	char n[PATH_MAX];
	int ret = name_get(env, name, n);
	if (ret < 0)
		return ret;
	int oflags = jshim_open_flags(flags);
	if (oflags < 0)
		return oflags;
	int fd = JSHIM_RETRY(openat(dirfd, n, oflags | O_CLOEXEC, (mode_t)mode));
	return fd < 0 ? jshim_neg_errno() : fd;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_renameat(JNIEnv *env, jclass cls JSHIM_UNUSED,
							       jint fromDirfd, jbyteArray from,
							       jint toDirfd, jbyteArray to)
{
	char f[PATH_MAX];
	char t[PATH_MAX];
	int ret = name_get(env, from, f);
	if (ret < 0)
		return ret;
	ret = name_get(env, to, t);
	if (ret < 0)
		return ret;
	return renameat(fromDirfd, f, toDirfd, t) < 0 ? jshim_neg_errno() : 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_unlinkat(JNIEnv *env, jclass cls JSHIM_UNUSED,
							       jint dirfd, jbyteArray name)
{
	char n[PATH_MAX];
	int ret = name_get(env, name, n);
	if (ret < 0)
		return ret;
	return unlinkat(dirfd, n, 0) < 0 ? jshim_neg_errno() : 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_fstatatMode(JNIEnv *env,
								  jclass cls JSHIM_UNUSED,
								  jint dirfd, jbyteArray name)
{
	char n[PATH_MAX];
	int ret = name_get(env, name, n);
	if (ret < 0)
		return ret;
	struct stat st;
	if (fstatat(dirfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return jshim_neg_errno();
	return (jint)st.st_mode;
}

JNIEXPORT jlong JNICALL Java_io_jshim_nativeio_Native_fstatIno(JNIEnv *env JSHIM_UNUSED,
								jclass cls JSHIM_UNUSED, jint fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return jshim_neg_errno();
	return (jlong)st.st_ino;
}
