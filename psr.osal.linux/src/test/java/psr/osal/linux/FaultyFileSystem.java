package psr.osal.linux;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The default file system seen through a thin wrapper whose file channels can be told to fail {@code force}, as
 * {@code fsync} does when the device reports a write-back error (EIO). Everything else goes to the real file
 * system. {@link DirectoryStorage} reaches files only through the {@link Path} it is given, so a storage opened
 * on {@link #wrap(Path)} runs its real code over this wrapper.
 */
final class FaultyFileSystem {

    private final FileSystem real = FileSystems.getDefault();
    private final FileSystemProvider realProvider = real.provider();
    private final Provider provider = new Provider();
    private final Fs fs = new Fs();
    /** How many of the next {@code force} calls on regular files fail. */
    final AtomicInteger failingForces = new AtomicInteger();
    final AtomicInteger forces = new AtomicInteger();

    Path wrap(Path p) {
        return p == null ? null : p instanceof WrappedPath w ? w : new WrappedPath(p);
    }

    static Path unwrap(Path p) {
        return p instanceof WrappedPath w ? w.real : p;
    }

    private final class WrappedPath implements Path {
        final Path real;

        WrappedPath(Path real) { this.real = real; }

        @Override public FileSystem getFileSystem() { return fs; }
        @Override public boolean isAbsolute() { return real.isAbsolute(); }
        @Override public Path getRoot() { return wrap(real.getRoot()); }
        @Override public Path getFileName() { return wrap(real.getFileName()); }
        @Override public Path getParent() { return wrap(real.getParent()); }
        @Override public int getNameCount() { return real.getNameCount(); }
        @Override public Path getName(int index) { return wrap(real.getName(index)); }
        @Override public Path subpath(int beginIndex, int endIndex) { return wrap(real.subpath(beginIndex, endIndex)); }
        @Override public boolean startsWith(Path other) { return real.startsWith(unwrap(other)); }
        @Override public boolean endsWith(Path other) { return real.endsWith(unwrap(other)); }
        @Override public Path normalize() { return wrap(real.normalize()); }
        @Override public Path resolve(Path other) { return wrap(real.resolve(unwrap(other))); }
        @Override public Path relativize(Path other) { return wrap(real.relativize(unwrap(other))); }
        @Override public URI toUri() { return real.toUri(); }
        @Override public Path toAbsolutePath() { return wrap(real.toAbsolutePath()); }
        @Override public Path toRealPath(LinkOption... options) throws IOException { return wrap(real.toRealPath(options)); }
        @Override public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) { throw new UnsupportedOperationException(); }
        @Override public int compareTo(Path other) { return real.compareTo(unwrap(other)); }
        @Override public boolean equals(Object o) { return o instanceof WrappedPath w && w.real.equals(real); }
        @Override public int hashCode() { return real.hashCode(); }
        @Override public String toString() { return real.toString(); }
    }

    private final class Fs extends FileSystem {
        @Override public FileSystemProvider provider() { return provider; }
        @Override public void close() { throw new UnsupportedOperationException(); }
        @Override public boolean isOpen() { return true; }
        @Override public boolean isReadOnly() { return false; }
        @Override public String getSeparator() { return real.getSeparator(); }
        @Override public Iterable<Path> getRootDirectories() { return real.getRootDirectories(); }
        @Override public Iterable<FileStore> getFileStores() { return real.getFileStores(); }
        @Override public Set<String> supportedFileAttributeViews() { return real.supportedFileAttributeViews(); }
        @Override public Path getPath(String first, String... more) { return wrap(real.getPath(first, more)); }
        @Override public PathMatcher getPathMatcher(String syntaxAndPattern) { return real.getPathMatcher(syntaxAndPattern); }
        @Override public UserPrincipalLookupService getUserPrincipalLookupService() { return real.getUserPrincipalLookupService(); }
        @Override public WatchService newWatchService() throws IOException { return real.newWatchService(); }
    }

    private final class Provider extends FileSystemProvider {
        @Override public String getScheme() { return "faulty"; }
        @Override public FileSystem newFileSystem(URI uri, Map<String, ?> env) { throw new UnsupportedOperationException(); }
        @Override public FileSystem getFileSystem(URI uri) { return fs; }
        @Override public Path getPath(URI uri) { return wrap(realProvider.getPath(uri)); }

        @Override
        public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
            return realProvider.newByteChannel(unwrap(path), options, attrs);
        }

        @Override
        public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
            FileChannel channel = realProvider.newFileChannel(unwrap(path), options, attrs);
            return new FaultyChannel(channel, Files.isDirectory(unwrap(path)));
        }

        @Override
        public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
            DirectoryStream<Path> entries = realProvider.newDirectoryStream(unwrap(dir), p -> filter.accept(wrap(p)));
            return new DirectoryStream<>() {
                @Override public Iterator<Path> iterator() {
                    Iterator<Path> it = entries.iterator();
                    return new Iterator<>() {
                        @Override public boolean hasNext() { return it.hasNext(); }
                        @Override public Path next() { return wrap(it.next()); }
                    };
                }
                @Override public void close() throws IOException { entries.close(); }
            };
        }

        @Override public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException { realProvider.createDirectory(unwrap(dir), attrs); }
        @Override public void delete(Path path) throws IOException { realProvider.delete(unwrap(path)); }
        @Override public void copy(Path source, Path target, CopyOption... options) throws IOException { realProvider.copy(unwrap(source), unwrap(target), options); }
        @Override public void move(Path source, Path target, CopyOption... options) throws IOException { realProvider.move(unwrap(source), unwrap(target), options); }
        @Override public boolean isSameFile(Path path, Path path2) throws IOException { return realProvider.isSameFile(unwrap(path), unwrap(path2)); }
        @Override public boolean isHidden(Path path) throws IOException { return realProvider.isHidden(unwrap(path)); }
        @Override public FileStore getFileStore(Path path) throws IOException { return realProvider.getFileStore(unwrap(path)); }
        @Override public void checkAccess(Path path, AccessMode... modes) throws IOException { realProvider.checkAccess(unwrap(path), modes); }

        @Override
        public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
            return realProvider.getFileAttributeView(unwrap(path), type, options);
        }

        @Override
        public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options) throws IOException {
            return realProvider.readAttributes(unwrap(path), type, options);
        }

        @Override
        public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
            return realProvider.readAttributes(unwrap(path), attributes, options);
        }

        @Override
        public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
            realProvider.setAttribute(unwrap(path), attribute, value, options);
        }
    }

    /** A real file channel whose {@code force} fails while {@link #failingForces} is positive (regular files only). */
    private final class FaultyChannel extends FileChannel {
        private final FileChannel d;
        private final boolean directory;

        FaultyChannel(FileChannel d, boolean directory) {
            this.d = d;
            this.directory = directory;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            forces.incrementAndGet();
            if (!directory && failingForces.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IOException("fsync: Input/output error (simulated)");
            }
            d.force(metaData);
        }

        @Override public int read(ByteBuffer dst) throws IOException { return d.read(dst); }
        @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException { return d.read(dsts, offset, length); }
        @Override public int write(ByteBuffer src) throws IOException { return d.write(src); }
        @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException { return d.write(srcs, offset, length); }
        @Override public long position() throws IOException { return d.position(); }
        @Override public FileChannel position(long newPosition) throws IOException { d.position(newPosition); return this; }
        @Override public long size() throws IOException { return d.size(); }
        @Override public FileChannel truncate(long size) throws IOException { d.truncate(size); return this; }
        @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException { return d.transferTo(position, count, target); }
        @Override public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException { return d.transferFrom(src, position, count); }
        @Override public int read(ByteBuffer dst, long position) throws IOException { return d.read(dst, position); }
        @Override public int write(ByteBuffer src, long position) throws IOException { return d.write(src, position); }
        @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException { return d.map(mode, position, size); }
        @Override public FileLock lock(long position, long size, boolean shared) throws IOException { return d.lock(position, size, shared); }
        @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException { return d.tryLock(position, size, shared); }
        @Override protected void implCloseChannel() throws IOException { d.close(); }
    }
}
