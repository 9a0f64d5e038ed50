/*
 * psr_vxkernel.c - the JNI binding of psr.osal.vxworks.JniVxKernel (library psrvx).
 *
 * Each Java native method is a thin wrapper around the VxWorks routine of the same name. A routine that
 * returns ERROR makes the wrapper throw psr.osal.vxworks.VxException(call, errno, text) and return a dummy
 * value. Constants cross the boundary as the Java interface's own numbers (VxKernel.O_CREAT,
 * VxKernel.IOCTL_FIOSYNC, ...) and are translated here to the values of the target's headers.
 *
 * Build for a target with the Wind River toolchain as an RTP shared library, e.g.
 *   wr-cc -shared -fPIC -I$JAVA_HOME/include -I$JAVA_HOME/include/vxworks psr_vxkernel.c -o libpsrvx.so
 * (see the module README). The test CStandInCompileTest compiles this file on the build host against
 * stand-in headers in src/test/c to keep it syntactically and type-wise sound.
 */

#include <vxWorks.h>
#include <ioLib.h>
#include <taskLib.h>
#include <semLib.h>
#include <sysLib.h>
#include <tickLib.h>
#include <errnoLib.h>
#include <ifLib.h>
#include <objLib.h>
#include <inetLib.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jni.h>

/* Values of psr.osal.vxworks.VxKernel; keep in step with it (the compile test checks the method names). */
#define PSR_O_WRONLY 0x1
#define PSR_O_RDWR 0x2
#define PSR_O_CREAT 0x100
#define PSR_O_TRUNC 0x200
#define PSR_O_APPEND 0x400
#define PSR_IOCTL_FIOSYNC 1
#define PSR_IOCTL_FIOFLUSH 2
#define PSR_IOCTL_FIOCOMMITFS 3
#define PSR_SEM_Q_PRIORITY 0x1
#define PSR_SEM_DELETE_SAFE 0x4
#define PSR_SEM_INVERSION_SAFE 0x8
#define PSR_WAIT_FOREVER (-1)
#define PSR_VOLUME_HRFS 1
#define PSR_VOLUME_DOSFS 2
#define PSR_ENODEV 19

static JavaVM *psrVm;
static jclass psrVxExceptionClass;
static jmethodID psrVxExceptionInit;
static jclass psrStringClass;
static jmethodID psrRunnableRun;

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved)
{
    JNIEnv *env;
    jclass local;
    (void) reserved;
    psrVm = vm;
    if ((*vm)->GetEnv(vm, (void **) &env, JNI_VERSION_1_8) != JNI_OK) {
        return JNI_ERR;
    }
    local = (*env)->FindClass(env, "psr/osal/vxworks/VxException");
    if (local == NULL) {
        return JNI_ERR;
    }
    psrVxExceptionClass = (jclass) (*env)->NewGlobalRef(env, local);
    psrVxExceptionInit = (*env)->GetMethodID(env, local, "<init>", "(Ljava/lang/String;ILjava/lang/String;)V");
    local = (*env)->FindClass(env, "java/lang/String");
    psrStringClass = (jclass) (*env)->NewGlobalRef(env, local);
    local = (*env)->FindClass(env, "java/lang/Runnable");
    psrRunnableRun = (*env)->GetMethodID(env, local, "run", "()V");
    if (psrVxExceptionInit == NULL || psrStringClass == NULL || psrRunnableRun == NULL) {
        return JNI_ERR;
    }
    return JNI_VERSION_1_8;
}

/* Throws VxException(call, errno, strerror(errno)) in the calling Java thread. */
static void psrThrow(JNIEnv *env, const char *call, int error)
{
    jstring jcall = (*env)->NewStringUTF(env, call);
    jstring jtext = (*env)->NewStringUTF(env, strerror(error));
    jobject exception;
    if (jcall == NULL || jtext == NULL) {
        return; /* OutOfMemoryError is pending. */
    }
    exception = (*env)->NewObject(env, psrVxExceptionClass, psrVxExceptionInit, jcall, (jint) error, jtext);
    if (exception != NULL) {
        (*env)->Throw(env, (jthrowable) exception);
    }
}

static void psrThrowErrno(JNIEnv *env, const char *call)
{
    psrThrow(env, call, errnoGet());
}

/* A modified-UTF-8 copy of a Java string, or NULL with an exception pending. Free with psrRelease. */
static const char *psrChars(JNIEnv *env, jstring value, const char *call)
{
    if (value == NULL) {
        psrThrow(env, call, EINVAL);
        return NULL;
    }
    return (*env)->GetStringUTFChars(env, value, NULL);
}

static void psrRelease(JNIEnv *env, jstring value, const char *chars)
{
    if (chars != NULL) {
        (*env)->ReleaseStringUTFChars(env, value, chars);
    }
}

/* ------------------------------------------------------------------ clock */

JNIEXPORT jint JNICALL Java_psr_osal_vxworks_JniVxKernel_sysClkRateGet(JNIEnv *env, jobject self)
{
    (void) env;
    (void) self;
    return (jint) sysClkRateGet();
}

JNIEXPORT jlong JNICALL Java_psr_osal_vxworks_JniVxKernel_tick64Get(JNIEnv *env, jobject self)
{
    (void) env;
    (void) self;
    /* UINT64 to jlong keeps all 64 bits; Java compares ticks by subtraction, so the wrap is harmless. */
    return (jlong) tick64Get();
}

/* ------------------------------------------------------------------ tasks */

/* The entry of a task spawned for Java: attach to the JVM, run the Runnable, detach. */
static int psrTaskEntry(_Vx_usr_arg_t runnable, _Vx_usr_arg_t a2, _Vx_usr_arg_t a3, _Vx_usr_arg_t a4,
        _Vx_usr_arg_t a5, _Vx_usr_arg_t a6, _Vx_usr_arg_t a7, _Vx_usr_arg_t a8, _Vx_usr_arg_t a9,
        _Vx_usr_arg_t a10)
{
    JNIEnv *env;
    jobject entry = (jobject) runnable;
    (void) a2; (void) a3; (void) a4; (void) a5; (void) a6; (void) a7; (void) a8; (void) a9; (void) a10;
    if ((*psrVm)->AttachCurrentThread(psrVm, (void **) &env, NULL) != JNI_OK) {
        return ERROR;
    }
    (*env)->CallVoidMethod(env, entry, psrRunnableRun);
    if ((*env)->ExceptionCheck(env)) {
        (*env)->ExceptionDescribe(env);
        (*env)->ExceptionClear(env);
    }
    (*env)->DeleteGlobalRef(env, entry);
    (*psrVm)->DetachCurrentThread(psrVm);
    return OK;
}

JNIEXPORT jlong JNICALL Java_psr_osal_vxworks_JniVxKernel_taskSpawn(JNIEnv *env, jobject self, jstring name,
        jint priority, jint stackSize, jobject entry)
{
    const char *cname;
    jobject global;
    TASK_ID task;
    (void) self;
    cname = psrChars(env, name, "taskSpawn");
    if (cname == NULL) {
        return 0;
    }
    global = (*env)->NewGlobalRef(env, entry);
    if (global == NULL) {
        psrRelease(env, name, cname);
        return 0;
    }
    task = taskSpawn((char *) cname, (int) priority, VX_FP_TASK, (size_t) stackSize, (FUNCPTR) psrTaskEntry,
            (_Vx_usr_arg_t) global, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    psrRelease(env, name, cname);
    if (task == TASK_ID_ERROR) {
        (*env)->DeleteGlobalRef(env, global);
        psrThrowErrno(env, "taskSpawn");
        return 0;
    }
    return (jlong) (intptr_t) task;
}

JNIEXPORT jlong JNICALL Java_psr_osal_vxworks_JniVxKernel_taskIdSelf(JNIEnv *env, jobject self)
{
    (void) env;
    (void) self;
    return (jlong) (intptr_t) taskIdSelf();
}

JNIEXPORT jint JNICALL Java_psr_osal_vxworks_JniVxKernel_taskPriorityGet(JNIEnv *env, jobject self, jlong task)
{
    int priority = 0;
    (void) self;
    if (taskPriorityGet((TASK_ID) (intptr_t) task, &priority) == ERROR) {
        psrThrowErrno(env, "taskPriorityGet");
    }
    return (jint) priority;
}

JNIEXPORT void JNICALL Java_psr_osal_vxworks_JniVxKernel_taskPrioritySet(JNIEnv *env, jobject self, jlong task,
        jint priority)
{
    (void) self;
    if (taskPrioritySet((TASK_ID) (intptr_t) task, (int) priority) == ERROR) {
        psrThrowErrno(env, "taskPrioritySet");
    }
}

JNIEXPORT void JNICALL Java_psr_osal_vxworks_JniVxKernel_taskDelay(JNIEnv *env, jobject self, jint ticks)
{
    (void) self;
    if (taskDelay((_Vx_ticks_t) ticks) == ERROR) {
        psrThrowErrno(env, "taskDelay");
    }
}

/* ------------------------------------------------------------------ semaphores */

static int psrSemOptions(jint options)
{
    int result = (options & PSR_SEM_Q_PRIORITY) ? SEM_Q_PRIORITY : SEM_Q_FIFO;
    if (options & PSR_SEM_DELETE_SAFE) {
        result |= SEM_DELETE_SAFE;
    }
    if (options & PSR_SEM_INVERSION_SAFE) {
        result |= SEM_INVERSION_SAFE;
    }
    return result;
}

JNIEXPORT jlong JNICALL Java_psr_osal_vxworks_JniVxKernel_semMCreate(JNIEnv *env, jobject self, jint options)
{
    SEM_ID semaphore;
    (void) self;
    semaphore = semMCreate(psrSemOptions(options));
    if (semaphore == SEM_ID_NULL) {
        psrThrowErrno(env, "semMCreate");
        return 0;
    }
    return (jlong) (intptr_t) semaphore;
}

JNIEXPORT jlong JNICALL Java_psr_osal_vxworks_JniVxKernel_semBCreate(JNIEnv *env, jobject self, jint options,
        jboolean full)
{
    SEM_ID semaphore;
    (void) self;
    semaphore = semBCreate(psrSemOptions(options), full ? SEM_FULL : SEM_EMPTY);
    if (semaphore == SEM_ID_NULL) {
        psrThrowErrno(env, "semBCreate");
        return 0;
    }
    return (jlong) (intptr_t) semaphore;
}

JNIEXPORT jboolean JNICALL Java_psr_osal_vxworks_JniVxKernel_semTake(JNIEnv *env, jobject self, jlong semaphore,
        jint timeoutTicks)
{
    int error;
    (void) self;
    if (semTake((SEM_ID) (intptr_t) semaphore,
            timeoutTicks == PSR_WAIT_FOREVER ? WAIT_FOREVER : (_Vx_ticks_t) timeoutTicks) == OK) {
        return JNI_TRUE;
    }
    error = errnoGet();
    if (error == S_objLib_OBJ_TIMEOUT || error == S_objLib_OBJ_UNAVAILABLE) {
        return JNI_FALSE;
    }
    psrThrow(env, "semTake", error);
    return JNI_FALSE;
}

JNIEXPORT void JNICALL Java_psr_osal_vxworks_JniVxKernel_semGive(JNIEnv *env, jobject self, jlong semaphore)
{
    (void) self;
    if (semGive((SEM_ID) (intptr_t) semaphore) == ERROR) {
        psrThrowErrno(env, "semGive");
    }
}

JNIEXPORT void JNICALL Java_psr_osal_vxworks_JniVxKernel_semDelete(JNIEnv *env, jobject self, jlong semaphore)
{
    (void) self;
    if (semDelete((SEM_ID) (intptr_t) semaphore) == ERROR) {
        psrThrowErrno(env, "semDelete");
    }
}

/* ------------------------------------------------------------------ files */

static int psrOpenFlags(jint flags)
{
    int result = (flags & PSR_O_RDWR) ? O_RDWR : (flags & PSR_O_WRONLY) ? O_WRONLY : O_RDONLY;
    if (flags & PSR_O_CREAT) {
        result |= O_CREAT;
    }
    if (flags & PSR_O_TRUNC) {
        result |= O_TRUNC;
    }
    if (flags & PSR_O_APPEND) {
        result |= O_APPEND;
    }
    return result;
}

JNIEXPORT jint JNICALL Java_psr_osal_vxworks_JniVxKernel_open(JNIEnv *env, jobject self, jstring path, jint flags,
        jint mode)
{
    const char *cpath;
    int fd;
    (void) self;
    cpath = psrChars(env, path, "open");
    if (cpath == NULL) {
        return -1;
    }
    fd = open(cpath, psrOpenFlags(flags), (int) mode);
    psrRelease(env, path, cpath);
    if (fd == ERROR) {
        psrThrowErrno(env, "open");
    }
    return (jint) fd;
}

JNIEXPORT jint JNICALL Java_psr_osal_vxworks_JniVxKernel_write(JNIEnv *env, jobject self, jint fd, jbyteArray data,
        jint offset, jint length)
{
    jbyte *bytes;
    ssize_t written;
    (void) self;
    bytes = (*env)->GetByteArrayElements(env, data, NULL);
    if (bytes == NULL) {
        return 0;
    }
    written = write((int) fd, (char *) bytes + offset, (size_t) length);
    (*env)->ReleaseByteArrayElements(env, data, bytes, JNI_ABORT);
    if (written == ERROR) {
        psrThrowErrno(env, "write");
        return 0;
    }
    return (jint) written;
}

JNIEXPORT jint JNICALL Java_psr_osal_vxworks_JniVxKernel_read(JNIEnv *env, jobject self, jint fd, jbyteArray data,
        jint offset, jint length)
{
    char *buffer;
    ssize_t count;
    (void) self;
    buffer = malloc(length > 0 ? (size_t) length : 1);
    if (buffer == NULL) {
        psrThrow(env, "read", ENOMEM);
        return 0;
    }
    count = read((int) fd, buffer, (size_t) length);
    if (count == ERROR) {
        free(buffer);
        psrThrowErrno(env, "read");
        return 0;
    }
    (*env)->SetByteArrayRegion(env, data, offset, (jsize) count, (jbyte *) buffer);
    free(buffer);
    return (jint) count;
}

JNIEXPORT void JNICALL Java_psr_osal_vxworks_JniVxKernel_ioctl(JNIEnv *env, jobject self, jint fd, jint function,
        jlong argument)
{
    int request;
    const char *call;
    (void) self;
    switch (function) {
    case PSR_IOCTL_FIOSYNC:
        request = FIOSYNC;
        call = "ioctl(FIOSYNC)";
        break;
    case PSR_IOCTL_FIOFLUSH:
        request = FIOFLUSH;
        call = "ioctl(FIOFLUSH)";
        break;
    case PSR_IOCTL_FIOCOMMITFS:
        request = FIOCOMMITFS;
        call = "ioctl(FIOCOMMITFS)";
        break;
    default:
        psrThrow(env, "ioctl", EINVAL);
        return;
    }
    if (ioctl((int) fd, request, (_Vx_ioctl_arg_t) argument) == ERROR) {
        psrThrowErrno(env, call);
    }
}

JNIEXPORT void JNICALL Java_psr_osal_vxworks_JniVxKernel_ftruncate(JNIEnv *env, jobject self, jint fd, jlong length)
{
    (void) self;
    if (ftruncate((int) fd, (off_t) length) == ERROR) {
        psrThrowErrno(env, "ftruncate");
    }
}

JNIEXPORT void JNICALL Java_psr_osal_vxworks_JniVxKernel_close(JNIEnv *env, jobject self, jint fd)
{
    (void) self;
    if (close((int) fd) == ERROR) {
        psrThrowErrno(env, "close");
    }
}

JNIEXPORT void JNICALL Java_psr_osal_vxworks_JniVxKernel_rename(JNIEnv *env, jobject self, jstring from, jstring to)
{
    const char *cfrom;
    const char *cto;
    int result;
    (void) self;
    cfrom = psrChars(env, from, "rename");
    if (cfrom == NULL) {
        return;
    }
    cto = psrChars(env, to, "rename");
    if (cto == NULL) {
        psrRelease(env, from, cfrom);
        return;
    }
    result = rename(cfrom, cto);
    psrRelease(env, to, cto);
    psrRelease(env, from, cfrom);
    if (result == ERROR) {
        psrThrowErrno(env, "rename");
    }
}

JNIEXPORT void JNICALL Java_psr_osal_vxworks_JniVxKernel_remove(JNIEnv *env, jobject self, jstring path)
{
    const char *cpath;
    int result;
    (void) self;
    cpath = psrChars(env, path, "remove");
    if (cpath == NULL) {
        return;
    }
    result = remove(cpath);
    psrRelease(env, path, cpath);
    if (result == ERROR) {
        psrThrowErrno(env, "remove");
    }
}

JNIEXPORT void JNICALL Java_psr_osal_vxworks_JniVxKernel_mkdir(JNIEnv *env, jobject self, jstring path)
{
    const char *cpath;
    int result;
    (void) self;
    cpath = psrChars(env, path, "mkdir");
    if (cpath == NULL) {
        return;
    }
    result = mkdir(cpath, 0755);
    psrRelease(env, path, cpath);
    if (result == ERROR) {
        psrThrowErrno(env, "mkdir");
    }
}

JNIEXPORT jobjectArray JNICALL Java_psr_osal_vxworks_JniVxKernel_readdir(JNIEnv *env, jobject self, jstring path)
{
    const char *cpath;
    DIR *directory;
    struct dirent *entry;
    jsize count = 0;
    jsize index = 0;
    jobjectArray names;
    (void) self;
    cpath = psrChars(env, path, "readdir");
    if (cpath == NULL) {
        return NULL;
    }
    /* Two passes: count, then fill. The directory is PSR's own, so it does not change in between. */
    directory = opendir(cpath);
    if (directory == NULL) {
        psrRelease(env, path, cpath);
        psrThrowErrno(env, "opendir");
        return NULL;
    }
    while ((entry = readdir(directory)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
            count++;
        }
    }
    rewinddir(directory);
    names = (*env)->NewObjectArray(env, count, psrStringClass, NULL);
    while (names != NULL && index < count && (entry = readdir(directory)) != NULL) {
        jstring name;
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        name = (*env)->NewStringUTF(env, entry->d_name);
        if (name == NULL) {
            names = NULL;
            break;
        }
        (*env)->SetObjectArrayElement(env, names, index++, name);
        (*env)->DeleteLocalRef(env, name);
    }
    closedir(directory);
    psrRelease(env, path, cpath);
    return names;
}

/*
 * The volume's file system, found by asking it: HRFS accepts FIOCOMMITFS (a transaction point, which changes
 * nothing that was durable), dosFs refuses it and accepts FIOFLUSH.
 */
JNIEXPORT jint JNICALL Java_psr_osal_vxworks_JniVxKernel_volumeType(JNIEnv *env, jobject self, jstring path)
{
    const char *cpath;
    char volume[PATH_MAX];
    const char *slash;
    int fd;
    jint type = 0;
    (void) self;
    cpath = psrChars(env, path, "volumeType");
    if (cpath == NULL) {
        return 0;
    }
    /* The volume is the first path component: "/ata0:1/psr/a" -> "/ata0:1". */
    slash = strchr(cpath + 1, '/');
    snprintf(volume, sizeof volume, "%.*s", slash == NULL ? (int) strlen(cpath) : (int) (slash - cpath), cpath);
    psrRelease(env, path, cpath);
    fd = open(volume, O_RDONLY, 0);
    if (fd == ERROR) {
        psrThrow(env, "volumeType", PSR_ENODEV);
        return 0;
    }
    if (ioctl(fd, FIOCOMMITFS, 0) == OK) {
        type = PSR_VOLUME_HRFS;
    } else if (ioctl(fd, FIOFLUSH, 0) == OK) {
        type = PSR_VOLUME_DOSFS;
    }
    close(fd);
    return type;
}

/* ------------------------------------------------------------------ network interfaces */

JNIEXPORT jobjectArray JNICALL Java_psr_osal_vxworks_JniVxKernel_ifNames(JNIEnv *env, jobject self)
{
    struct if_nameindex *all;
    jsize count = 0;
    jsize index;
    jobjectArray names;
    (void) self;
    all = if_nameindex();
    if (all == NULL) {
        psrThrowErrno(env, "if_nameindex");
        return NULL;
    }
    while (all[count].if_name != NULL) {
        count++;
    }
    names = (*env)->NewObjectArray(env, count, psrStringClass, NULL);
    for (index = 0; names != NULL && index < count; index++) {
        jstring name = (*env)->NewStringUTF(env, all[index].if_name);
        if (name == NULL) {
            names = NULL;
            break;
        }
        (*env)->SetObjectArrayElement(env, names, index, name);
        (*env)->DeleteLocalRef(env, name);
    }
    if_freenameindex(all);
    return names;
}

JNIEXPORT jobjectArray JNICALL Java_psr_osal_vxworks_JniVxKernel_ifAddresses(JNIEnv *env, jobject self,
        jstring name)
{
    const char *cname;
    char address[INET_ADDR_LEN];
    int flags = 0;
    STATUS status;
    jobjectArray addresses;
    jstring literal;
    (void) self;
    cname = psrChars(env, name, "ifAddresses");
    if (cname == NULL) {
        return NULL;
    }
    if (ifFlagGet((char *) cname, &flags) == ERROR) {
        psrRelease(env, name, cname);
        psrThrow(env, "ifFlagGet", PSR_ENODEV);
        return NULL;
    }
    memset(address, 0, sizeof address);
    status = (flags & IFF_UP) ? ifAddrGet((char *) cname, address) : ERROR;
    psrRelease(env, name, cname);
    if (status == ERROR || address[0] == '\0') {
        return (*env)->NewObjectArray(env, 0, psrStringClass, NULL);
    }
    addresses = (*env)->NewObjectArray(env, 1, psrStringClass, NULL);
    literal = (*env)->NewStringUTF(env, address);
    if (addresses == NULL || literal == NULL) {
        return NULL;
    }
    (*env)->SetObjectArrayElement(env, addresses, 0, literal);
    return addresses;
}

JNIEXPORT jboolean JNICALL Java_psr_osal_vxworks_JniVxKernel_ifUp(JNIEnv *env, jobject self, jstring name)
{
    const char *cname;
    int flags = 0;
    STATUS status;
    (void) self;
    cname = psrChars(env, name, "ifUp");
    if (cname == NULL) {
        return JNI_FALSE;
    }
    status = ifFlagGet((char *) cname, &flags);
    psrRelease(env, name, cname);
    if (status == ERROR) {
        psrThrow(env, "ifFlagGet", PSR_ENODEV);
        return JNI_FALSE;
    }
    return (flags & IFF_UP) ? JNI_TRUE : JNI_FALSE;
}
