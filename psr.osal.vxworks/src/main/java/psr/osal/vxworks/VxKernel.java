package psr.osal.vxworks;

/**
 * The only way the VxWorks backend reaches the operating system: a narrow, Java-shaped view of the kernel
 * routines it uses. On target it is {@link JniVxKernel} (a thin JNI binding, {@code src/main/c/psr_vxkernel.c});
 * on a Linux host it is {@link EmulatedVxKernel}, which models the semantics the backend relies on (tick
 * clock, priority order, inversion-safe mutexes, HRFS/dosFs durability, device paths, interface names).
 *
 * <p>Conventions. A routine that returns {@code ERROR} in C throws {@link VxException} with the errno it set;
 * nothing returns an error code. Constants below are this interface's own: the binding translates them to
 * the values of the target's headers ({@code O_CREAT}, {@code FIOSYNC}, {@code SEM_Q_PRIORITY}, ...), so Java
 * never depends on header values it cannot see. Ticks are unsigned 64-bit counts; compare them only through
 * {@link #ticksBetween}. Every method may be called from any task; file, semaphore and delay calls may block.
 */
public interface VxKernel {

    // ---- open() flags (translated to O_* by the binding)
    int O_RDONLY = 0x0;
    int O_WRONLY = 0x1;
    int O_RDWR = 0x2;
    int O_CREAT = 0x100;
    int O_TRUNC = 0x200;
    int O_APPEND = 0x400;

    // ---- ioctl() functions (translated to FIO* by the binding)
    /** FIOSYNC: write the file's cached data and metadata to the device. */
    int IOCTL_FIOSYNC = 1;
    /** FIOFLUSH: dosFs flush of the file's buffers, FAT and directory entry. */
    int IOCTL_FIOFLUSH = 2;
    /** FIOCOMMITFS: HRFS transaction point: everything written on the volume becomes durable at once. */
    int IOCTL_FIOCOMMITFS = 3;

    // ---- semaphore options (translated to SEM_* by the binding)
    int SEM_Q_FIFO = 0x0;
    int SEM_Q_PRIORITY = 0x1;
    int SEM_DELETE_SAFE = 0x4;
    int SEM_INVERSION_SAFE = 0x8;
    /** semTake timeout: wait as long as it takes. */
    int WAIT_FOREVER = -1;
    /** semTake timeout: do not wait. */
    int NO_WAIT = 0;

    // ---- volume types
    int VOLUME_HRFS = 1;
    int VOLUME_DOSFS = 2;

    // ---- errno values the backend tells apart (POSIX numbers, as VxWorks' errno.h defines them)
    int ENOENT = 2;
    int EIO = 5;
    int EBADF = 9;
    int ENOMEM = 12;
    int EEXIST = 17;
    int ENODEV = 19;
    int EINVAL = 22;
    int ENOSPC = 28;
    /** The request is not supported by this device or file system (S_ioLib_UNKNOWN_REQUEST). */
    int ENOTSUP = 35;

    // ---- clock (sysLib, tickLib)

    /** sysClkRateGet(): system clock ticks per second. */
    int sysClkRateGet();

    /** tick64Get(): ticks since boot as an unsigned 64-bit count (it wraps; compare with {@link #ticksBetween}). */
    long tick64Get();

    // ---- tasks (taskLib)

    /**
     * taskSpawn(): a new task at {@code priority} (0 highest, 255 lowest) that runs {@code entry} and ends when it
     * returns. Returns the task id (a TASK_ID handle, pointer-sized on VxWorks 7).
     */
    long taskSpawn(String name, int priority, int stackSize, Runnable entry) throws VxException;

    /** taskIdSelf(). */
    long taskIdSelf();

    /** taskPriorityGet(): the task's current priority, raised by priority inheritance while it holds an inversion-safe mutex. */
    int taskPriorityGet(long taskId) throws VxException;

    /** taskPrioritySet(): the task's normal priority. */
    void taskPrioritySet(long taskId, int priority) throws VxException;

    /** taskDelay(). */
    void taskDelay(int ticks) throws VxException;

    // ---- semaphores (semLib)

    /** semMCreate(): a mutex (recursive, owned, released only by its owner). */
    long semMCreate(int options) throws VxException;

    /** semBCreate(): a binary semaphore, full or empty. */
    long semBCreate(int options, boolean full) throws VxException;

    /** semTake(): true when taken, false when {@code timeoutTicks} passed first (S_objLib_OBJ_TIMEOUT). */
    boolean semTake(long semaphore, int timeoutTicks) throws VxException;

    /** semGive(). */
    void semGive(long semaphore) throws VxException;

    /** semDelete(). */
    void semDelete(long semaphore) throws VxException;

    // ---- files (ioLib, dirLib, usrFsLib)

    /** open(): a file descriptor. */
    int open(String path, int flags, int mode) throws VxException;

    /** write(): bytes written (the backend loops on short writes). */
    int write(int fd, byte[] data, int offset, int length) throws VxException;

    /** read(): bytes read, 0 at the end of the file. */
    int read(int fd, byte[] data, int offset, int length) throws VxException;

    /** ioctl() with one of the IOCTL_ functions above and an integer argument. */
    void ioctl(int fd, int function, long argument) throws VxException;

    /** ftruncate(). */
    void ftruncate(int fd, long length) throws VxException;

    /** close(). */
    void close(int fd) throws VxException;

    /** rename(). On HRFS it replaces an existing target; on dosFs an existing target makes it fail with EEXIST. */
    void rename(String from, String to) throws VxException;

    /** remove(). */
    void remove(String path) throws VxException;

    /** mkdir(). */
    void mkdir(String path) throws VxException;

    /** opendir()/readdir()/closedir(): the names in a directory, without "." and "..". */
    String[] readdir(String path) throws VxException;

    /** The file system of the volume holding {@code path}: {@link #VOLUME_HRFS} or {@link #VOLUME_DOSFS}. */
    int volumeType(String path) throws VxException;

    // ---- network interfaces (ifLib, if_nameindex)

    /** The interface names, e.g. {@code gei0}, {@code lo0}. */
    String[] ifNames() throws VxException;

    /** The interface's addresses as literals (ifAddrGet: IPv4). ENODEV when there is no such interface. */
    String[] ifAddresses(String name) throws VxException;

    /** Whether IFF_UP is set (ifFlagGet). ENODEV when there is no such interface. */
    boolean ifUp(String name) throws VxException;

    /** How many ticks from {@code from} to {@code to}, wrap-safe for unsigned 64-bit tick counts. */
    static long ticksBetween(long from, long to) {
        return to - from;
    }

    /** True when {@code now} is at or after {@code deadline}, wrap-safe (deadlines less than 2^63 ticks away). */
    static boolean reached(long now, long deadline) {
        return now - deadline >= 0;
    }
}
