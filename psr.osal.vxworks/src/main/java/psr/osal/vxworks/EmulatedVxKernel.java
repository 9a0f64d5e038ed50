package psr.osal.vxworks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A host emulation of {@link VxKernel} for tests on Linux, in the spirit of NASA cFS OSAL, which tests its
 * VxWorks layer on Linux against stand-ins of the kernel. It models what the backend relies on:
 *
 * <ul>
 * <li><b>Clock.</b> {@code tick64Get} advances in whole ticks of {@code 1/sysClkRateGet} seconds with real
 * time, from a configurable start count (start near 2^64 to test wrap-safety).</li>
 * <li><b>Tasks and priorities.</b> A task is a Java thread; priority 0 is the highest. Semaphores created with
 * {@link #SEM_Q_PRIORITY} hand themselves to the highest-priority waiter (FIFO among equals); mutexes are
 * recursive and owned; with {@link #SEM_INVERSION_SAFE} the owner inherits the priority of its most urgent
 * waiter until it gives the mutex back ({@link #taskPriorityGet} shows it). The host scheduler does not
 * preempt by priority; only the order in which the kernel grants things follows priority.</li>
 * <li><b>Volumes.</b> Device-style paths ({@code /ata0:1/psr/a}) name a mounted volume, each a directory under
 * the emulation's root. Reads always see the latest writes; what survives {@link #powerLoss()} is decided per
 * volume type. <em>HRFS</em> is transactional: nothing written (data, creations, renames, removals) is durable
 * until a transaction point, {@code ioctl(FIOCOMMITFS)} on any descriptor of the volume; then all of it is, at
 * once. {@code FIOSYNC} and {@code FIOFLUSH} push the cache but are not transaction points. <em>dosFs</em> has
 * no transactions: {@code ioctl(FIOFLUSH)} (or {@code FIOSYNC}) on a file makes its data and the volume's
 * directory entries durable; a file whose data was never flushed survives as an empty entry; {@code rename} onto
 * an existing name fails with EEXIST; {@code FIOCOMMITFS} fails with ENOTSUP.</li>
 * <li><b>Interfaces</b> with names like {@code gei0}, up or down, with IPv4 addresses.</li>
 * <li><b>Faults.</b> {@link #failNext(String, int)} makes the next call of a routine fail with an errno, so
 * tests can drive every error path of the backend. A failing routine does nothing, except {@code close}, which
 * releases the descriptor and then reports the error (as VxWorks does).</li>
 * </ul>
 */
public final class EmulatedVxKernel implements VxKernel {

    /** The emulation's view of one mounted volume. */
    private static final class Volume {
        final String device;
        final Path root;
        final int type;
        /** What survives a power loss: relative file path to content. */
        final Map<String, byte[]> durableFiles = new TreeMap<>();
        final Set<String> durableDirectories = new TreeSet<>();
        /** dosFs: the flushed data of each file, following it through renames. */
        final Map<String, byte[]> flushedData = new HashMap<>();

        Volume(String device, Path root, int type) {
            this.device = device;
            this.root = root;
            this.type = type;
        }
    }

    private static final class OpenFile {
        final Volume volume;
        final String relative;
        final FileChannel channel;
        final boolean append;
        final boolean directory;

        OpenFile(Volume volume, String relative, FileChannel channel, boolean append, boolean directory) {
            this.volume = volume;
            this.relative = relative;
            this.channel = channel;
            this.append = append;
            this.directory = directory;
        }
    }

    private static final class Task {
        final long id;
        final String name;
        volatile int normalPriority;
        final Thread thread;
        /** Mutexes this task owns (for priority inheritance). */
        final List<Semaphore> owned = new ArrayList<>();

        Task(long id, String name, int priority, Thread thread) {
            this.id = id;
            this.name = name;
            this.normalPriority = priority;
            this.thread = thread;
        }
    }

    private final class Semaphore {
        final long id;
        final boolean mutex;
        final int options;
        boolean full;
        Task owner;
        int depth;
        boolean deleted;
        /** Waiters in grant order: by priority when SEM_Q_PRIORITY, else FIFO. */
        final List<Waiter> waiters = new ArrayList<>();

        Semaphore(long id, boolean mutex, int options, boolean full) {
            this.id = id;
            this.mutex = mutex;
            this.options = options;
            this.full = full;
        }
    }

    private static final class Waiter {
        final Task task;
        final long order;
        boolean granted;

        Waiter(Task task, long order) {
            this.task = task;
            this.order = order;
        }
    }

    private final int clockRate;
    private final long startTick;
    private final long startNanos = System.nanoTime();
    private final Path root;
    private final Map<String, Volume> volumes = new LinkedHashMap<>();
    private final Map<String, Boolean> interfaceUp = new TreeMap<>();
    private final Map<String, List<String>> interfaceAddresses = new TreeMap<>();
    /** Routine name to (errno, thread the fault is for or null for any). */
    private final Map<String, Object[]> faults = new ConcurrentHashMap<>();

    private final Object kernelLock = new Object();
    private final Map<Integer, OpenFile> files = new HashMap<>();
    private int nextFd = 3;
    private final Map<Long, Semaphore> semaphores = new HashMap<>();
    private long nextSemaphore = 0x8000;
    private long waiterOrder;
    private final Map<Thread, Task> tasks = new ConcurrentHashMap<>();
    private final AtomicInteger nextTaskId = new AtomicInteger(0x10000);
    private final AtomicLong calls = new AtomicLong();

    /**
     * @param clockRate ticks per second (VxWorks' default is 60)
     * @param startTick the tick count at creation, as an unsigned 64-bit value
     * @param root      directory under which each mounted volume gets its own directory
     */
    public EmulatedVxKernel(int clockRate, long startTick, Path root) {
        if (clockRate <= 0 || clockRate > 1_000_000) {
            throw new IllegalArgumentException("emulated clock rate " + clockRate + " Hz: expected 1 to 1000000");
        }
        this.clockRate = clockRate;
        this.startTick = startTick;
        this.root = Objects.requireNonNull(root, "root");
    }

    /** An emulation with the usual devices: HRFS on {@code /ata0:1}, dosFs on {@code /sd0:1}, interfaces {@code lo0}, {@code gei0} (up) and {@code gei1} (down). */
    public static EmulatedVxKernel withDefaults(int clockRate, long startTick, Path root) throws IOException {
        EmulatedVxKernel kernel = new EmulatedVxKernel(clockRate, startTick, root);
        kernel.mount("/ata0:1", VOLUME_HRFS);
        kernel.mount("/sd0:1", VOLUME_DOSFS);
        kernel.addInterface("lo0", true, "127.0.0.1");
        kernel.addInterface("gei0", true, "192.168.10.11");
        kernel.addInterface("gei1", false);
        return kernel;
    }

    // ------------------------------------------------------------------ set-up and test controls

    /** Mounts a volume of {@code type} at {@code device} (e.g. {@code /ata0:1}); what its host directory already holds counts as durable. */
    public void mount(String device, int type) throws IOException {
        if (!device.startsWith("/") || device.indexOf('/', 1) >= 0) {
            throw new IllegalArgumentException("device name '" + device + "': expected one component such as /ata0:1");
        }
        if (type != VOLUME_HRFS && type != VOLUME_DOSFS) {
            throw new IllegalArgumentException("volume type " + type + ": expected VOLUME_HRFS or VOLUME_DOSFS");
        }
        Path directory = root.resolve(device.substring(1).replace(':', '_'));
        Files.createDirectories(directory);
        Volume volume = new Volume(device, directory, type);
        // What the directory already holds was on the device before this boot: it is durable.
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path path : (Iterable<Path>) walk::iterator) {
                if (!path.equals(directory)) {
                    String relative = directory.relativize(path).toString();
                    if (Files.isDirectory(path)) {
                        volume.durableDirectories.add(relative);
                    } else {
                        byte[] content = Files.readAllBytes(path);
                        volume.durableFiles.put(relative, content);
                        volume.flushedData.put(relative, content);
                    }
                }
            }
        }
        synchronized (kernelLock) {
            volumes.put(device, volume);
        }
    }

    /** Adds a network interface. */
    public void addInterface(String name, boolean up, String... addresses) {
        synchronized (kernelLock) {
            interfaceUp.put(name, up);
            interfaceAddresses.put(name, List.of(addresses));
        }
    }

    /** The next call of {@code routine} (a method name of {@link VxKernel}, e.g. {@code "ioctl"}) fails with {@code errno}. */
    public void failNext(String routine, int errno) {
        faults.put(routine, new Object[] {errno, null});
    }

    /** The next call of {@code routine} made by {@code thread} fails with {@code errno}; other threads' calls work. */
    public void failNext(String routine, int errno, Thread thread) {
        faults.put(routine, new Object[] {errno, Objects.requireNonNull(thread, "thread")});
    }

    /** Forgets faults not yet triggered. */
    public void clearFaults() {
        faults.clear();
    }

    /** How many file descriptors are open now (tests check that error paths leak none). */
    public int openFileCount() {
        synchronized (kernelLock) {
            return files.size();
        }
    }

    /** How many semaphores exist now. */
    public int semaphoreCount() {
        synchronized (kernelLock) {
            return semaphores.size();
        }
    }

    /** The host directory that holds a volume's files (for diagnostics). */
    public Path hostDirectory(String device) {
        synchronized (kernelLock) {
            return volumes.get(device).root;
        }
    }

    /**
     * Cuts the power: every file descriptor is gone and every volume holds exactly what was durable under its
     * file system's rules. Tasks are not touched (tests stop their own first).
     */
    public void powerLoss() throws IOException {
        synchronized (kernelLock) {
            for (OpenFile file : files.values()) {
                file.channel.close();
            }
            files.clear();
            for (Volume volume : volumes.values()) {
                deleteTree(volume.root);
                Files.createDirectories(volume.root);
                for (String directory : volume.durableDirectories) {
                    Files.createDirectories(volume.root.resolve(directory));
                }
                for (Map.Entry<String, byte[]> file : volume.durableFiles.entrySet()) {
                    Path target = volume.root.resolve(file.getKey());
                    Files.createDirectories(target.getParent());
                    Files.write(target, file.getValue());
                }
                volume.flushedData.clear();
                volume.flushedData.putAll(volume.durableFiles);
            }
        }
    }

    // ------------------------------------------------------------------ clock

    @Override
    public int sysClkRateGet() {
        return clockRate;
    }

    @Override
    public long tick64Get() {
        long elapsed = System.nanoTime() - startNanos;
        long ticks = elapsed / 1_000_000_000L * clockRate + (elapsed % 1_000_000_000L) * clockRate / 1_000_000_000L;
        return startTick + ticks;
    }

    private long tickNanos() {
        return 1_000_000_000L / clockRate;
    }

    // ------------------------------------------------------------------ tasks

    @Override
    public long taskSpawn(String name, int priority, int stackSize, Runnable entry) throws VxException {
        fault("taskSpawn");
        checkPriority("taskSpawn", priority);
        if (stackSize <= 0) {
            throw new VxException("taskSpawn", EINVAL, "stack size " + stackSize);
        }
        Objects.requireNonNull(entry, "entry");
        long id = nextTaskId.getAndIncrement();
        Thread thread = new Thread(() -> {
            try {
                entry.run();
            } finally {
                tasks.remove(Thread.currentThread());
            }
        }, name);
        thread.setDaemon(true);
        thread.setPriority(Math.max(Thread.MIN_PRIORITY, Thread.MAX_PRIORITY - priority * 10 / 256));
        Task task = new Task(id, name, priority, thread);
        tasks.put(thread, task);
        thread.start();
        return id;
    }

    @Override
    public long taskIdSelf() {
        return currentTask().id;
    }

    @Override
    public int taskPriorityGet(long taskId) throws VxException {
        fault("taskPriorityGet");
        synchronized (kernelLock) {
            return effectivePriority(task("taskPriorityGet", taskId));
        }
    }

    @Override
    public void taskPrioritySet(long taskId, int priority) throws VxException {
        fault("taskPrioritySet");
        checkPriority("taskPrioritySet", priority);
        synchronized (kernelLock) {
            task("taskPrioritySet", taskId).normalPriority = priority;
        }
    }

    @Override
    public void taskDelay(int ticks) throws VxException {
        fault("taskDelay");
        if (ticks <= 0) {
            Thread.yield();
            return;
        }
        long target = tick64Get() + ticks;
        try {
            while (!VxKernel.reached(tick64Get(), target)) {
                Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(tickNanos())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VxException("taskDelay", EINVAL, "interrupted");
        }
    }

    /** The task of the calling thread; threads not spawned here become tasks at priority 100 on first use. */
    private Task currentTask() {
        return tasks.computeIfAbsent(Thread.currentThread(),
                t -> new Task(nextTaskId.getAndIncrement(), t.getName(), 100, t));
    }

    private Task task(String call, long taskId) throws VxException {
        if (taskId == 0) {
            return currentTask();
        }
        for (Task task : tasks.values()) {
            if (task.id == taskId) {
                return task;
            }
        }
        throw new VxException(call, EINVAL, "no task 0x" + Long.toHexString(taskId)
                + " (S_objLib_OBJ_ID_ERROR)");
    }

    private static void checkPriority(String call, int priority) throws VxException {
        if (priority < 0 || priority > 255) {
            throw new VxException(call, EINVAL, "priority " + priority + " not in 0..255 (S_taskLib_ILLEGAL_PRIORITY)");
        }
    }

    /** A task's priority with inheritance: the most urgent of its own and its owned inversion-safe mutexes' waiters. Caller holds kernelLock. */
    private int effectivePriority(Task task) {
        int priority = task.normalPriority;
        for (Semaphore mutex : task.owned) {
            if ((mutex.options & SEM_INVERSION_SAFE) != 0) {
                for (Waiter waiter : mutex.waiters) {
                    priority = Math.min(priority, effectivePriority(waiter.task));
                }
            }
        }
        return priority;
    }

    // ------------------------------------------------------------------ semaphores

    @Override
    public long semMCreate(int options) throws VxException {
        fault("semMCreate");
        if ((options & SEM_INVERSION_SAFE) != 0 && (options & SEM_Q_PRIORITY) == 0) {
            throw new VxException("semMCreate", EINVAL, "SEM_INVERSION_SAFE needs SEM_Q_PRIORITY (S_semLib_INVALID_OPTION)");
        }
        return newSemaphore(true, options, true);
    }

    @Override
    public long semBCreate(int options, boolean full) throws VxException {
        fault("semBCreate");
        if ((options & SEM_INVERSION_SAFE) != 0) {
            throw new VxException("semBCreate", EINVAL, "SEM_INVERSION_SAFE is for mutexes (S_semLib_INVALID_OPTION)");
        }
        return newSemaphore(false, options, full);
    }

    private long newSemaphore(boolean mutex, int options, boolean full) {
        synchronized (kernelLock) {
            long id = nextSemaphore++;
            semaphores.put(id, new Semaphore(id, mutex, options, full));
            return id;
        }
    }

    @Override
    public boolean semTake(long semaphoreId, int timeoutTicks) throws VxException {
        fault("semTake");
        Task self = currentTask();
        long deadlineNanos = timeoutTicks == WAIT_FOREVER ? Long.MAX_VALUE
                : System.nanoTime() + (long) timeoutTicks * tickNanos();
        synchronized (kernelLock) {
            Semaphore semaphore = semaphore("semTake", semaphoreId);
            if (semaphore.mutex && semaphore.owner == self) {
                semaphore.depth++;
                return true;
            }
            if (semaphore.full) {
                grant(semaphore, self);
                return true;
            }
            if (timeoutTicks == NO_WAIT) {
                return false;
            }
            Waiter waiter = new Waiter(self, waiterOrder++);
            semaphore.waiters.add(waiter);
            sortWaiters(semaphore);
            try {
                while (!waiter.granted) {
                    if (semaphore.deleted) {
                        throw new VxException("semTake", EINVAL, "semaphore deleted while waiting (S_objLib_OBJ_DELETED)");
                    }
                    long left = deadlineNanos == Long.MAX_VALUE ? 0 : deadlineNanos - System.nanoTime();
                    if (deadlineNanos != Long.MAX_VALUE && left <= 0) {
                        return false;
                    }
                    try {
                        if (deadlineNanos == Long.MAX_VALUE) {
                            kernelLock.wait();
                        } else {
                            TimeUnit.NANOSECONDS.timedWait(kernelLock, left);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new VxException("semTake", EINVAL, "interrupted");
                    }
                }
                return true;
            } finally {
                if (!waiter.granted) {
                    semaphore.waiters.remove(waiter);
                }
            }
        }
    }

    @Override
    public void semGive(long semaphoreId) throws VxException {
        fault("semGive");
        Task self = currentTask();
        synchronized (kernelLock) {
            Semaphore semaphore = semaphore("semGive", semaphoreId);
            if (semaphore.mutex) {
                if (semaphore.owner != self) {
                    throw new VxException("semGive", EINVAL, "mutex not owned by the calling task (S_semLib_INVALID_OPERATION)");
                }
                if (--semaphore.depth > 0) {
                    return;
                }
                self.owned.remove(semaphore);
                semaphore.owner = null;
            }
            if (semaphore.waiters.isEmpty()) {
                semaphore.full = true;
                return;
            }
            Waiter next = semaphore.waiters.remove(0);
            next.granted = true;
            grant(semaphore, next.task);
            kernelLock.notifyAll();
        }
    }

    @Override
    public void semDelete(long semaphoreId) throws VxException {
        fault("semDelete");
        synchronized (kernelLock) {
            Semaphore semaphore = semaphore("semDelete", semaphoreId);
            semaphore.deleted = true;
            if (semaphore.owner != null) {
                semaphore.owner.owned.remove(semaphore);
            }
            semaphores.remove(semaphoreId);
            kernelLock.notifyAll();
        }
    }

    private void grant(Semaphore semaphore, Task task) {
        semaphore.full = false;
        if (semaphore.mutex) {
            semaphore.owner = task;
            semaphore.depth = 1;
            task.owned.add(semaphore);
        }
    }

    private void sortWaiters(Semaphore semaphore) {
        if ((semaphore.options & SEM_Q_PRIORITY) != 0) {
            semaphore.waiters.sort(Comparator.comparingInt((Waiter w) -> effectivePriority(w.task))
                    .thenComparingLong(w -> w.order));
        }
    }

    private Semaphore semaphore(String call, long id) throws VxException {
        Semaphore semaphore = semaphores.get(id);
        if (semaphore == null) {
            throw new VxException(call, EINVAL, "no semaphore 0x" + Long.toHexString(id) + " (S_objLib_OBJ_ID_ERROR)");
        }
        return semaphore;
    }

    // ------------------------------------------------------------------ files

    @Override
    public int open(String path, int flags, int mode) throws VxException {
        fault("open");
        synchronized (kernelLock) {
            Volume volume = volume("open", path);
            String relative = relative(volume, path);
            Path host = host(volume, relative);
            if (Files.isDirectory(host)) {
                if ((flags & (O_WRONLY | O_RDWR)) != 0) {
                    throw new VxException("open", EINVAL, path + " is a directory");
                }
                return register(new OpenFile(volume, relative, null, false, true));
            }
            Set<StandardOpenOption> options = EnumSet.noneOf(StandardOpenOption.class);
            options.add(StandardOpenOption.READ);
            if ((flags & (O_WRONLY | O_RDWR)) != 0) {
                options.add(StandardOpenOption.WRITE);
            }
            if ((flags & O_CREAT) != 0) {
                options.add(StandardOpenOption.CREATE);
                options.add(StandardOpenOption.WRITE);
            }
            if ((flags & O_TRUNC) != 0) {
                options.add(StandardOpenOption.TRUNCATE_EXISTING);
            }
            if (relative.isEmpty() || !Files.isDirectory(host.getParent())) {
                throw new VxException("open", ENOENT, path + ": no such directory");
            }
            try {
                boolean existed = Files.exists(host);
                FileChannel channel = FileChannel.open(host, options);
                if (!existed && volume.type == VOLUME_DOSFS) {
                    volume.flushedData.put(relative, new byte[0]);
                }
                return register(new OpenFile(volume, relative, channel, (flags & O_APPEND) != 0, false));
            } catch (NoSuchFileException e) {
                throw new VxException("open", ENOENT, path + ": no such file");
            } catch (IOException e) {
                throw new VxException("open", EIO, path + ": " + e);
            }
        }
    }

    private int register(OpenFile file) {
        int fd = nextFd++;
        files.put(fd, file);
        return fd;
    }

    @Override
    public int write(int fd, byte[] data, int offset, int length) throws VxException {
        fault("write");
        Objects.checkFromIndexSize(offset, length, data.length);
        synchronized (kernelLock) {
            OpenFile file = file("write", fd);
            if (file.directory) {
                throw new VxException("write", EBADF, "fd " + fd + " is a directory");
            }
            try {
                ByteBuffer buffer = ByteBuffer.wrap(data, offset, length);
                int written = 0;
                long position = file.append ? file.channel.size() : file.channel.position();
                while (buffer.hasRemaining()) {
                    written += file.channel.write(buffer, position + written);
                }
                if (!file.append) {
                    file.channel.position(position + written);
                }
                return written;
            } catch (IOException e) {
                throw new VxException("write", EIO, e.toString());
            }
        }
    }

    @Override
    public int read(int fd, byte[] data, int offset, int length) throws VxException {
        fault("read");
        Objects.checkFromIndexSize(offset, length, data.length);
        synchronized (kernelLock) {
            OpenFile file = file("read", fd);
            if (file.directory) {
                throw new VxException("read", EBADF, "fd " + fd + " is a directory");
            }
            try {
                int n = file.channel.read(ByteBuffer.wrap(data, offset, length));
                return Math.max(n, 0);
            } catch (IOException e) {
                throw new VxException("read", EIO, e.toString());
            }
        }
    }

    @Override
    public void ioctl(int fd, int function, long argument) throws VxException {
        String call = "ioctl(" + ioctlName(function) + ")";
        fault("ioctl", call);
        synchronized (kernelLock) {
            OpenFile file = file(call, fd);
            Volume volume = file.volume;
            switch (function) {
                case IOCTL_FIOSYNC, IOCTL_FIOFLUSH -> {
                    force(call, file);
                    if (volume.type == VOLUME_DOSFS) {
                        flushDosFs(call, volume, file);
                    }
                    // HRFS: the cache is on the device now, but nothing is durable before a transaction point.
                }
                case IOCTL_FIOCOMMITFS -> {
                    if (volume.type != VOLUME_HRFS) {
                        throw new VxException(call, ENOTSUP, "not an HRFS volume (S_ioLib_UNKNOWN_REQUEST)");
                    }
                    force(call, file);
                    commitHrfs(call, volume);
                }
                default -> throw new VxException(call, ENOTSUP, "unknown request (S_ioLib_UNKNOWN_REQUEST)");
            }
        }
    }

    private static String ioctlName(int function) {
        return switch (function) {
            case IOCTL_FIOSYNC -> "FIOSYNC";
            case IOCTL_FIOFLUSH -> "FIOFLUSH";
            case IOCTL_FIOCOMMITFS -> "FIOCOMMITFS";
            default -> Integer.toString(function);
        };
    }

    private static void force(String call, OpenFile file) throws VxException {
        if (file.channel != null) {
            try {
                file.channel.force(true);
            } catch (IOException e) {
                throw new VxException(call, EIO, e.toString());
            }
        }
    }

    /** HRFS transaction point: the volume's whole present state becomes its durable state. */
    private void commitHrfs(String call, Volume volume) throws VxException {
        try {
            volume.durableFiles.clear();
            volume.durableDirectories.clear();
            try (Stream<Path> walk = Files.walk(volume.root)) {
                for (Path path : (Iterable<Path>) walk::iterator) {
                    if (path.equals(volume.root)) {
                        continue;
                    }
                    String relative = volume.root.relativize(path).toString();
                    if (Files.isDirectory(path)) {
                        volume.durableDirectories.add(relative);
                    } else {
                        volume.durableFiles.put(relative, Files.readAllBytes(path));
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new VxException(call, EIO, e.toString());
        }
    }

    /** dosFs flush: the file's data and the volume's directory entries become durable. */
    private void flushDosFs(String call, Volume volume, OpenFile file) throws VxException {
        try {
            if (!file.directory) {
                volume.flushedData.put(file.relative, Files.readAllBytes(host(volume, file.relative)));
            }
            volume.durableFiles.clear();
            volume.durableDirectories.clear();
            try (Stream<Path> walk = Files.walk(volume.root)) {
                for (Path path : (Iterable<Path>) walk::iterator) {
                    if (path.equals(volume.root)) {
                        continue;
                    }
                    String relative = volume.root.relativize(path).toString();
                    if (Files.isDirectory(path)) {
                        volume.durableDirectories.add(relative);
                    } else {
                        volume.durableFiles.put(relative, volume.flushedData.getOrDefault(relative, new byte[0]));
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new VxException(call, EIO, e.toString());
        }
    }

    @Override
    public void ftruncate(int fd, long length) throws VxException {
        fault("ftruncate");
        synchronized (kernelLock) {
            OpenFile file = file("ftruncate", fd);
            if (file.directory || length < 0) {
                throw new VxException("ftruncate", EINVAL, "fd " + fd + ", length " + length);
            }
            try {
                if (length > file.channel.size()) {
                    throw new VxException("ftruncate", EINVAL, "growing a file is not supported here");
                }
                file.channel.truncate(length);
            } catch (IOException e) {
                if (e instanceof VxException vx) {
                    throw vx;
                }
                throw new VxException("ftruncate", EIO, e.toString());
            }
        }
    }

    @Override
    public void close(int fd) throws VxException {
        synchronized (kernelLock) {
            OpenFile file = files.remove(fd);
            if (file == null) {
                throw new VxException("close", EBADF, "fd " + fd + " is not open");
            }
            try {
                if (file.channel != null) {
                    file.channel.close();
                }
            } catch (IOException e) {
                throw new VxException("close", EIO, e.toString());
            } finally {
                // As on VxWorks, the descriptor is released even when the driver reports an error at close.
                fault("close");
            }
        }
    }

    @Override
    public void rename(String from, String to) throws VxException {
        fault("rename");
        synchronized (kernelLock) {
            Volume volume = volume("rename", from);
            if (volume != volume("rename", to)) {
                throw new VxException("rename", EINVAL, from + " and " + to + " are on different volumes");
            }
            String source = relative(volume, from);
            String target = relative(volume, to);
            try {
                if (volume.type == VOLUME_DOSFS) {
                    Files.move(host(volume, source), host(volume, target));
                    byte[] flushed = volume.flushedData.remove(source);
                    if (flushed != null) {
                        volume.flushedData.put(target, flushed);
                    }
                } else {
                    Files.move(host(volume, source), host(volume, target), StandardCopyOption.REPLACE_EXISTING,
                            StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (NoSuchFileException e) {
                throw new VxException("rename", ENOENT, from + ": no such file");
            } catch (FileAlreadyExistsException e) {
                throw new VxException("rename", EEXIST, to + " exists (dosFs does not replace on rename)");
            } catch (IOException e) {
                throw new VxException("rename", EIO, e.toString());
            }
        }
    }

    @Override
    public void remove(String path) throws VxException {
        fault("remove");
        synchronized (kernelLock) {
            Volume volume = volume("remove", path);
            String relative = relative(volume, path);
            try {
                Files.delete(host(volume, relative));
                volume.flushedData.remove(relative);
            } catch (NoSuchFileException e) {
                throw new VxException("remove", ENOENT, path + ": no such file");
            } catch (DirectoryNotEmptyException e) {
                throw new VxException("remove", EINVAL, path + ": directory not empty");
            } catch (IOException e) {
                throw new VxException("remove", EIO, e.toString());
            }
        }
    }

    @Override
    public void mkdir(String path) throws VxException {
        fault("mkdir");
        synchronized (kernelLock) {
            Volume volume = volume("mkdir", path);
            String relative = relative(volume, path);
            Path host = host(volume, relative);
            if (relative.isEmpty() || Files.exists(host)) {
                throw new VxException("mkdir", EEXIST, path + " exists");
            }
            try {
                Files.createDirectory(host);
            } catch (NoSuchFileException e) {
                throw new VxException("mkdir", ENOENT, path + ": parent missing");
            } catch (IOException e) {
                throw new VxException("mkdir", EIO, e.toString());
            }
        }
    }

    @Override
    public String[] readdir(String path) throws VxException {
        fault("readdir");
        synchronized (kernelLock) {
            Volume volume = volume("readdir", path);
            Path host = host(volume, relative(volume, path));
            if (!Files.isDirectory(host)) {
                throw new VxException("readdir", ENOENT, path + ": no such directory");
            }
            try (Stream<Path> entries = Files.list(host)) {
                return entries.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
            } catch (IOException e) {
                throw new VxException("readdir", EIO, e.toString());
            }
        }
    }

    @Override
    public int volumeType(String path) throws VxException {
        fault("volumeType");
        synchronized (kernelLock) {
            return volume("volumeType", path).type;
        }
    }

    private Volume volume(String call, String path) throws VxException {
        if (path == null || !path.startsWith("/")) {
            throw new VxException(call, ENODEV, "'" + path + "' names no device (S_iosLib_DEVICE_NOT_FOUND)");
        }
        int slash = path.indexOf('/', 1);
        String device = slash < 0 ? path : path.substring(0, slash);
        Volume volume = volumes.get(device);
        if (volume == null) {
            throw new VxException(call, ENODEV, "no device " + device + " (S_iosLib_DEVICE_NOT_FOUND); devices: "
                    + volumes.keySet());
        }
        return volume;
    }

    private static String relative(Volume volume, String path) throws VxException {
        String rest = path.substring(volume.device.length());
        StringBuilder normal = new StringBuilder();
        for (String part : rest.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            if (part.equals(".") || part.equals("..")) {
                throw new VxException("path", EINVAL, path + ": '.' and '..' are not supported");
            }
            if (normal.length() > 0) {
                normal.append('/');
            }
            normal.append(part);
        }
        return normal.toString();
    }

    private static Path host(Volume volume, String relative) {
        return relative.isEmpty() ? volume.root : volume.root.resolve(relative);
    }

    private OpenFile file(String call, int fd) throws VxException {
        OpenFile file = files.get(fd);
        if (file == null) {
            throw new VxException(call, EBADF, "fd " + fd + " is not open");
        }
        return file;
    }

    // ------------------------------------------------------------------ network

    @Override
    public String[] ifNames() throws VxException {
        fault("ifNames");
        synchronized (kernelLock) {
            return interfaceUp.keySet().toArray(String[]::new);
        }
    }

    @Override
    public String[] ifAddresses(String name) throws VxException {
        fault("ifAddresses");
        synchronized (kernelLock) {
            List<String> addresses = interfaceAddresses.get(name);
            if (addresses == null) {
                throw new VxException("ifAddresses", ENODEV, "no interface " + name);
            }
            return Boolean.TRUE.equals(interfaceUp.get(name)) ? addresses.toArray(String[]::new) : new String[0];
        }
    }

    @Override
    public boolean ifUp(String name) throws VxException {
        fault("ifUp");
        synchronized (kernelLock) {
            Boolean up = interfaceUp.get(name);
            if (up == null) {
                throw new VxException("ifUp", ENODEV, "no interface " + name);
            }
            return up;
        }
    }

    // ------------------------------------------------------------------ faults

    private void fault(String routine) throws VxException {
        fault(routine, routine);
    }

    private void fault(String routine, String call) throws VxException {
        calls.incrementAndGet();
        for (String key : new String[] {routine, call}) {
            Object[] fault = faults.get(key);
            if (fault != null && (fault[1] == null || fault[1] == Thread.currentThread()) && faults.remove(key, fault)) {
                throw new VxException(call, (Integer) fault[0], "injected by the emulation");
            }
        }
    }

    private static void deleteTree(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    @Override
    public String toString() {
        return "EmulatedVxKernel[" + clockRate + " Hz, volumes " + volumes.keySet() + " under " + root + "]";
    }
}
