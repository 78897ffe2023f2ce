/* jni_process.c: getpid, geteuid, kill, child subreaper, waitpid. */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "io_jshim_nativeio_Native.h"
#include "jni_util.h"

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_getpid(JNIEnv *env JSHIM_UNUSED,
							     jclass cls JSHIM_UNUSED)
{
	return (jint)getpid();
}

JNIEXPORT jlong JNICALL Java_io_jshim_nativeio_Native_geteuid(JNIEnv *env JSHIM_UNUSED,
							       jclass cls JSHIM_UNUSED)
{
	return (jlong)geteuid();
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_kill(JNIEnv *env JSHIM_UNUSED,
							   jclass cls JSHIM_UNUSED, jint pid,
							   jint signal)
{
	return kill((pid_t)pid, signal) < 0 ? jshim_neg_errno() : 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_setChildSubreaper(JNIEnv *env JSHIM_UNUSED,
									jclass cls JSHIM_UNUSED)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) < 0 ? jshim_neg_errno() : 0;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_waitpid(JNIEnv *env, jclass cls JSHIM_UNUSED,
							      jint pid, jint options,
							      jintArray status)
{
	int ret = jshim_array_min(env, status, 1);
	if (ret < 0)
		return ret;
	int st = 0;
	pid_t r = JSHIM_RETRY(waitpid((pid_t)pid, &st, options));
	if (r < 0)
		return jshim_neg_errno();
	if (r > 0)
		(*env)->SetIntArrayRegion(env, status, 0, 1, &st);
	return (jint)r;
}
