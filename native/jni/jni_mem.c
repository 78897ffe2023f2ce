/* jni_mem.c: shared mappings and direct buffers over native memory. */
#include <stdint.h>
#include <sys/mman.h>

#include "io_jshim_nativeio_Native.h"
#include "jni_util.h"

JNIEXPORT jlong JNICALL Java_io_jshim_nativeio_Native_mmapShared(JNIEnv *env JSHIM_UNUSED,
								  jclass cls JSHIM_UNUSED, jint fd,
								  jlong len)
{
	if (len <= 0)
		return -EINVAL;
	void *p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return jshim_neg_errno();
	return (jlong)(intptr_t)p;
}

JNIEXPORT jint JNICALL Java_io_jshim_nativeio_Native_munmap(JNIEnv *env JSHIM_UNUSED,
							     jclass cls JSHIM_UNUSED, jlong address,
							     jlong len)
{
	if (address == 0 || len <= 0)
		return -EINVAL;
	if (munmap((void *)(intptr_t)address, (size_t)len) < 0)
		return jshim_neg_errno();
	return 0;
}

JNIEXPORT jobject JNICALL Java_io_jshim_nativeio_Native_directBuffer(JNIEnv *env,
								      jclass cls JSHIM_UNUSED,
								      jlong address, jint len)
{
	/* No errno channel here: an invalid request gives null. */
	if (address == 0 || len < 0)
		return NULL;
	return (*env)->NewDirectByteBuffer(env, (void *)(intptr_t)address, (jlong)len);
}
