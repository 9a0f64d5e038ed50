package psr.osal.vxworks;

/**
 * {@link VxKernel} on a VxWorks target: each method is one native function in {@code src/main/c/psr_vxkernel.c}
 * (library {@code psrvx}), a thin wrapper around the kernel routine of the same name that turns
 * {@code ERROR}/{@code errno} into a {@link VxException}. The library comes with the bundle through
 * {@code Bundle-NativeCode}, so the framework extracts it and {@link System#loadLibrary} finds it.
 *
 * <p>{@code taskSpawn} starts a real VxWorks task at the given priority whose entry attaches itself to the
 * JVM ({@code AttachCurrentThread}), runs the {@link Runnable} and detaches.
 */
final class JniVxKernel implements VxKernel {

    static final String LIBRARY = "psrvx";

    /**
     * Loads the native library.
     *
     * @throws UnsatisfiedLinkError when the library is not in the bundle for this platform
     */
    static JniVxKernel load() {
        System.loadLibrary(LIBRARY);
        return new JniVxKernel();
    }

    private JniVxKernel() {
    }

    @Override
    public native int sysClkRateGet();

    @Override
    public native long tick64Get();

    @Override
    public native long taskSpawn(String name, int priority, int stackSize, Runnable entry) throws VxException;

    @Override
    public native long taskIdSelf();

    @Override
    public native int taskPriorityGet(long taskId) throws VxException;

    @Override
    public native void taskPrioritySet(long taskId, int priority) throws VxException;

    @Override
    public native void taskDelay(int ticks) throws VxException;

    @Override
    public native long semMCreate(int options) throws VxException;

    @Override
    public native long semBCreate(int options, boolean full) throws VxException;

    @Override
    public native boolean semTake(long semaphore, int timeoutTicks) throws VxException;

    @Override
    public native void semGive(long semaphore) throws VxException;

    @Override
    public native void semDelete(long semaphore) throws VxException;

    @Override
    public native int open(String path, int flags, int mode) throws VxException;

    @Override
    public native int write(int fd, byte[] data, int offset, int length) throws VxException;

    @Override
    public native int read(int fd, byte[] data, int offset, int length) throws VxException;

    @Override
    public native void ioctl(int fd, int function, long argument) throws VxException;

    @Override
    public native void ftruncate(int fd, long length) throws VxException;

    @Override
    public native void close(int fd) throws VxException;

    @Override
    public native void rename(String from, String to) throws VxException;

    @Override
    public native void remove(String path) throws VxException;

    @Override
    public native void mkdir(String path) throws VxException;

    @Override
    public native String[] readdir(String path) throws VxException;

    @Override
    public native int volumeType(String path) throws VxException;

    @Override
    public native String[] ifNames() throws VxException;

    @Override
    public native String[] ifAddresses(String name) throws VxException;

    @Override
    public native boolean ifUp(String name) throws VxException;

    @Override
    public String toString() {
        return "JniVxKernel[lib" + LIBRARY + "]";
    }
}
