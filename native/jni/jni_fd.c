/* jni_fd.c: plain fd I/O (read/write/pread/close/splice/seek/space/stat/sync), pipes, memfds. */
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "io_jshim_nativeio_Native.h"
#include "jni_util.h"

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_read(JNIEnv *env, jclass cls JSHIM_UNUSED,
							   jint fd, jobject buf, jint pos, jint len)
{
	void *addr;
	int ret = jshim_buffer(env, buf, pos, len, &addr);
	if (ret < 0)
		return ret;
	ssize_t n = JSHIM_RETRY(read(fd, addr, (size_t)len));
	return n < 0 ? jshim_neg_errno() : (jint)n;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_write(JNIEnv *env, jclass cls JSHIM_UNUSED,
							    jint fd, jobject buf, jint pos, jint len)
{
	void *addr;
	int ret = jshim_buffer(env, buf, pos, len, &addr);
	if (ret < 0)
		return ret;
	ssize_t n = JSHIM_RETRY(write(fd, addr, (size_t)len));
	return n < 0 ? jshim_neg_errno() : (jint)n;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_pread(JNIEnv *env, jclass cls JSHIM_UNUSED,
							    jint fd, jobject buf, jint pos, jint len,
							    jlong offset)
{
	void *addr;
	int ret = jshim_buffer(env, buf, pos, len, &addr);
	if (ret < 0)
		return ret;
	if (offset < 0)
		return -EINVAL;
	ssize_t n = JSHIM_RETRY(pread(fd, addr, (size_t)len, (off_t)offset));
	return n < 0 ? jshim_neg_errno() : (jint)n;
}

/* Bounds of arr[off..off+len); the array is pinned with GetPrimitiveArrayCritical only around
 * the one syscall, which never blocks here (memfds and regular files). */
static int jshim_array_range(JNIEnv *env, jbyteArray arr, jint off, jint len)
{
	if (arr == NULL || off < 0 || len < 0)
		return -EINVAL;
	jsize n = (*env)->GetArrayLength(env, arr);
	return (jlong)off + (jlong)len > (jlong)n ? -EINVAL : 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_preadArray(JNIEnv *env, jclass cls JSHIM_UNUSED,
								 jint fd, jbyteArray arr, jint off,
								 jint len, jlong offset)
{
	int ret = jshim_array_range(env, arr, off, len);
	if (ret < 0)
		return ret;
	if (offset < 0)
		return -EINVAL;
	jbyte *base = (*env)->GetPrimitiveArrayCritical(env, arr, NULL);
	if (base == NULL)
		return -ENOMEM;
	ssize_t n = JSHIM_RETRY(pread(fd, base + off, (size_t)len, (off_t)offset));
	int err = n < 0 ? jshim_neg_errno() : 0;
	(*env)->ReleasePrimitiveArrayCritical(env, arr, base, 0);
	return n < 0 ? err : (jint)n;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_writeArray(JNIEnv *env, jclass cls JSHIM_UNUSED,
								 jint fd, jbyteArray arr, jint off,
								 jint len)
{
	int ret = jshim_array_range(env, arr, off, len);
	if (ret < 0)
		return ret;
	jbyte *base = (*env)->GetPrimitiveArrayCritical(env, arr, NULL);
	if (base == NULL)
		return -ENOMEM;
	ssize_t n = JSHIM_RETRY(write(fd, base + off, (size_t)len));
	int err = n < 0 ? jshim_neg_errno() : 0;
	(*env)->ReleasePrimitiveArrayCritical(env, arr, base, JNI_ABORT);
	return n < 0 ? err : (jint)n;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_close(JNIEnv *env JSHIM_UNUSED,
							    jclass cls JSHIM_UNUSED, jint fd)
{
	/* Never retried: on Linux the fd is gone even when close() reports EINTR. */
	if (close(fd) < 0 && errno != EINTR)
		return jshim_neg_errno();
	return 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_setNonBlocking(JNIEnv *env JSHIM_UNUSED,
								     jclass cls JSHIM_UNUSED,
								     jint fd, jboolean nonBlocking)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return jshim_neg_errno();
	int want = nonBlocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
	if (want != flags && fcntl(fd, F_SETFL, want) < 0)
		return jshim_neg_errno();
	return 0;
}

JNIEXPORT jlong JNICALL Java_io_jshim_nativeio_Native_splice(JNIEnv *env JSHIM_UNUSED,
							      jclass cls JSHIM_UNUSED, jint fdIn,
							      jint fdOut, jlong len, jint flags)
{
	if (len < 0)
		return -EINVAL;
	ssize_t n = JSHIM_RETRY(splice(fdIn, NULL, fdOut, NULL, (size_t)len, (unsigned)flags));
	return n < 0 ? jshim_neg_errno() : (jlong)n;
}

JNIEXPORT jlong JNICALL Java_io_jshim_nativeio_Native_lseek(JNIEnv *env JSHIM_UNUSED,
							     jclass cls JSHIM_UNUSED, jint fd,
							     jlong offset, jint whence)
{
	off_t r = lseek(fd, (off_t)offset, whence);
	return r < 0 ? jshim_neg_errno() : (jlong)r;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_punchHole(JNIEnv *env JSHIM_UNUSED,
								jclass cls JSHIM_UNUSED, jint fd,
								jlong offset, jlong len)
{
	if (offset < 0 || len <= 0)
		return -EINVAL;
	int r = JSHIM_RETRY(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      (off_t)offset, (off_t)len));
	return r < 0 ? jshim_neg_errno() : 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_ftruncate(JNIEnv *env JSHIM_UNUSED,
								jclass cls JSHIM_UNUSED, jint fd,
								jlong len)
{
	if (len < 0)
		return -EINVAL;
	int r = JSHIM_RETRY(ftruncate(fd, (off_t)len));
	return r < 0 ? jshim_neg_errno() : 0;
}

JNIEXPORT jlong JNICALL Java_io_jshim_nativeio_Native_fstatSize(JNIEnv *env JSHIM_UNUSED,
								 jclass cls JSHIM_UNUSED, jint fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return jshim_neg_errno();
	return (jlong)st.st_size;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_fsync(JNIEnv *env JSHIM_UNUSED,
							    jclass cls JSHIM_UNUSED, jint fd)
{
	int r = JSHIM_RETRY(fsync(fd));
	return r < 0 ? jshim_neg_errno() : 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_startWriteback(JNIEnv *env JSHIM_UNUSED,
								     jclass cls JSHIM_UNUSED, jint fd,
								     jlong offset, jlong len)
{
	if (offset < 0 || len <= 0)
		return -EINVAL;
	int r = JSHIM_RETRY(sync_file_range(fd, (off_t)offset, (off_t)len, SYNC_FILE_RANGE_WRITE));
	return r < 0 ? jshim_neg_errno() : 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_pipe(JNIEnv *env, jclass cls JSHIM_UNUSED,
							   jintArray fds)
{
	int ret = jshim_array_min(env, fds, 2);
	if (ret < 0)
		return ret;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return jshim_neg_errno();
	(*env)->SetIntArrayRegion(env, fds, 0, 2, p);
	return 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_memfdCreate(JNIEnv *env,
								  jclass cls JSHIM_UNUSED,
								  jstring name)
{
	JSHIM_AUTO_STR s = { 0 };
	int ret = jshim_str_get(env, name, &s);
	if (ret < 0)
		return ret;
	int fd = memfd_create(s.chars, MFD_CLOEXEC);
	return fd < 0 ? jshim_neg_errno() : fd;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_pollIn(JNIEnv *env JSHIM_UNUSED, jclass cls JSHIM_UNUSED,
							     jint fd1, jint fd2, jint timeoutMs)
{
	/* a negative fd is ignored by poll(2) */
	struct pollfd p[2] = { { fd1, POLLIN, 0 }, { fd2, POLLIN, 0 } };
	int n = poll(p, 2, timeoutMs);
	if (n < 0)
		return jshim_neg_errno();
	return (p[0].revents ? 1 : 0) | (p[1].revents ? 2 : 0);
}
