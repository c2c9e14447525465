package dev.jute.ipam;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An {@link IpamStore} that keeps one small text file per allocated address in a directory, named by
 * the address ({@code /var/lib/jute/ipam/10.244.1.5}, {@code .../fd00:10:244:1::5}); see
 * {@link AllocationRecordCodec} for the content. {@code ls} shows what is allocated, {@code cat} to whom.
 *
 * <h2>Crash safety</h2>
 * A record is written to a temporary file, fsync'd, and then hard-linked to its final name. The link is
 * atomic and fails if the name exists, so the final name only ever holds a complete record, and two
 * allocations of one address cannot both succeed. The directory is fsync'd before {@link #add} returns,
 * so the new name survives a power cut. Release is unlink plus directory fsync. A crash at any
 * instruction therefore leaves either the old or the new state of each address, plus perhaps a
 * temporary file, which {@link #open} removes. (Rename would replace an existing record silently; link
 * does not, which is why it is used.)
 *
 * <h2>Ownership</h2>
 * Only one process may use a directory: {@link #open} takes an exclusive lock on the {@code lock} file
 * (released by the kernel when the process dies, even by SIGKILL) and fails with {@link
 * IpamStoreLockedException} if another process holds it. The lock file also names the owner's PID.
 *
 * <h2>Round-robin cursor</h2>
 * {@code last-allocated-ipv4} / {@code -ipv6} hold the address handed out last. They are replaced by
 * rename without their own fsync (a lost or stale cursor only changes which free address comes next);
 * the directory fsync of the record that follows usually makes them durable anyway.
 */
public final class FileIpamStore implements IpamStore {
    private static final System.Logger LOG = System.getLogger(FileIpamStore.class.getName());
    static final String LOCK_FILE = "lock";
    static final String TEMP_PREFIX = ".tmp-";
    static final String CURSOR_PREFIX = "last-allocated-";
    /** A record is a few hundred bytes; anything much bigger is not one of ours. */
    private static final int MAX_RECORD_BYTES = 64 * 1024;
    /**
     * Directories open in this JVM. POSIX record locks belong to the process, so a second open in the same
     * process would not be refused by the kernel, and closing its channel would drop the first owner's
     * lock; this set refuses it before the lock file is touched.
     */
    private static final Set<Path> OPEN_IN_THIS_PROCESS = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileChannel dirChannel;
    private final AtomicLong tempCounter = new AtomicLong();
    private boolean closed;

    private FileIpamStore(Path dir, FileChannel lockChannel, FileChannel dirChannel) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.dirChannel = dirChannel;
    }

    /**
     * Opens (creating if needed) a store directory, takes ownership of it and removes temporary files
     * left by a crashed owner.
     *
     * @throws IpamStoreLockedException if another process, or this one, has the directory open
     */
    public static FileIpamStore open(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path realDir = dir.toRealPath();
        if (!OPEN_IN_THIS_PROCESS.add(realDir)) {
            throw new IpamStoreLockedException("IPAM store " + realDir + " is already open in this process");
        }
        FileChannel lockChannel = null;
        FileChannel dirChannel = null;
        try {
            lockChannel = FileChannel.open(realDir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IpamStoreLockedException("IPAM store " + realDir + " is in use by another process"
                        + owner(lockChannel) + "; only one agent per node may run");
            }
            lockChannel.truncate(0);
            lockChannel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            dirChannel = FileChannel.open(realDir, StandardOpenOption.READ);
            FileIpamStore store = new FileIpamStore(realDir, lockChannel, dirChannel);
            store.removeTemporaryFiles();
            return store;
        } catch (IOException | RuntimeException e) {
            closeQuietly(dirChannel, e);
            closeQuietly(lockChannel, e);
            OPEN_IN_THIS_PROCESS.remove(realDir);
            throw e;
        }
    }

    private static String owner(FileChannel lockChannel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            lockChannel.read(buffer, 0);
            String pid = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).strip();
            return pid.isEmpty() ? "" : " (pid " + pid + ")";
        } catch (IOException e) {
            return "";
        }
    }

    private static void closeQuietly(FileChannel channel, Exception cause) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
    }

    /** The store directory. */
    public Path directory() {
        return dir;
    }

    private void removeTemporaryFiles() throws IOException {
        List<Path> leftovers = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, TEMP_PREFIX + "*")) {
            entries.forEach(leftovers::add);
        }
        for (Path leftover : leftovers) {
            // We own the directory, so nobody is writing these: they are from a crashed owner. A temporary
            // record was never linked (or was linked and its final name already holds the record).
            Files.deleteIfExists(leftover);
        }
        if (!leftovers.isEmpty()) {
            LOG.log(Level.INFO, "removed {0} temporary file(s) left in {1} by an earlier crash", leftovers.size(), dir);
            syncDirectory();
        }
    }

    @Override
    public synchronized StoredState load() throws IOException {
        ensureOpen();
        List<Allocation> allocations = new ArrayList<>();
        List<UnreadableRecord> unreadable = new ArrayList<>();
        Map<IpFamily, InetAddress> cursors = new EnumMap<>(IpFamily.class);
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(entries::add);
        }
        entries.sort(null);
        for (Path file : entries) {
            String name = file.getFileName().toString();
            if (name.equals(LOCK_FILE) || name.startsWith(TEMP_PREFIX)) {
                continue;
            }
            if (name.startsWith(CURSOR_PREFIX)) {
                readCursor(file, name.substring(CURSOR_PREFIX.length()), cursors);
                continue;
            }
            InetAddress address;
            try {
                address = IpAddresses.parse(name);
            } catch (IllegalArgumentException e) {
                LOG.log(Level.WARNING, "ignoring {0}: not an IPAM record (file name is not an IP address)", file);
                continue;
            }
            try {
                allocations.add(readRecord(file, address, name));
            } catch (IOException | IllegalArgumentException e) {
                unreadable.add(new UnreadableRecord(address, file.toString(), e.getMessage()));
            }
        }
        return new StoredState(allocations, unreadable, cursors);
    }

    private static Allocation readRecord(Path file, InetAddress address, String name) throws IOException {
        if (!IpAddresses.format(address).equals(name)) {
            throw new IllegalArgumentException("file name is not the canonical form "
                    + IpAddresses.format(address) + " of its address");
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("not a regular file");
        }
        if (Files.size(file) > MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("larger than " + MAX_RECORD_BYTES + " bytes");
        }
        Allocation allocation = AllocationRecordCodec.decode(Files.readAllBytes(file));
        if (!allocation.address().equals(address)) {
            throw new IllegalArgumentException("record is for " + IpAddresses.format(allocation.address())
                    + " but named " + name);
        }
        return allocation;
    }

    private static void readCursor(Path file, String familyLabel, Map<IpFamily, InetAddress> cursors) {
        try {
            IpFamily family = IpFamily.valueOf(familyLabel.toUpperCase(java.util.Locale.ROOT));
            InetAddress address = IpAddresses.parse(Files.readString(file, StandardCharsets.US_ASCII).strip());
            if (IpFamily.of(address) == family) {
                cursors.put(family, address);
            }
        } catch (IOException | IllegalArgumentException e) {
            // Only a hint: without it allocation continues after the newest record instead.
            LOG.log(Level.WARNING, "ignoring unreadable round-robin cursor {0}: {1}", file, e.getMessage());
        }
    }

    @Override
    public synchronized void add(Allocation allocation) throws IOException {
        ensureOpen();
        String name = IpAddresses.format(allocation.address());
        Path target = dir.resolve(name);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new AddressAlreadyRecordedException(allocation.address(), target.toString());
        }
        Path temp = dir.resolve(TEMP_PREFIX + name + "." + tempCounter.incrementAndGet());
        try {
            writeDurably(temp, AllocationRecordCodec.encode(allocation));
            try {
                Files.createLink(target, temp);
            } catch (FileAlreadyExistsException e) {
                throw new AddressAlreadyRecordedException(allocation.address(), target.toString());
            }
        } finally {
            deleteTemporary(temp);
        }
        try {
            syncDirectory();
        } catch (IOException e) {
            // The caller will treat the address as not allocated; do not leave a record that says otherwise.
            try {
                Files.deleteIfExists(target);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static void writeDurably(Path file, byte[] content) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
    }

    private static void deleteTemporary(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            // Harmless: the next open removes it.
            LOG.log(Level.WARNING, "could not remove temporary file {0}: {1}", temp, e.getMessage());
        }
    }

    @Override
    public synchronized void remove(Allocation allocation) throws IOException {
        ensureOpen();
        Files.deleteIfExists(dir.resolve(IpAddresses.format(allocation.address())));
        syncDirectory();
    }

    @Override
    public synchronized void recordCursor(IpFamily family, InetAddress lastAllocated) {
        if (closed) {
            return;
        }
        Path temp = dir.resolve(TEMP_PREFIX + CURSOR_PREFIX + family.label());
        try {
            Files.writeString(temp, IpAddresses.format(lastAllocated) + "\n", StandardCharsets.US_ASCII);
            try {
                Files.move(temp, dir.resolve(CURSOR_PREFIX + family.label()), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system cannot rename atomically", e);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not record round-robin cursor in {0}: {1}", dir, e.getMessage());
            deleteTemporary(temp);
        }
    }

    private void syncDirectory() throws IOException {
        dirChannel.force(true);
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("IPAM store " + dir + " is closed");
        }
    }

    /** Releases ownership of the directory. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try (lockChannel; dirChannel) {
            // Closing the lock channel releases the lock.
        } finally {
            OPEN_IN_THIS_PROCESS.remove(dir);
        }
    }
}
