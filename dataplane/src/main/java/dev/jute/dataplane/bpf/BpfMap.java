package dev.jute.dataplane.bpf;

import dev.jute.dataplane.Errno;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A BPF map reached through a file descriptor, with raw byte keys and values of the sizes the
 * kernel reports. Typed layouts live in {@link MapLayouts}; this class only moves bytes.
 *
 * <p>Per-CPU maps take and return one value per possible CPU, each padded to 8 bytes, in CPU
 * order ({@link #valueBufferSize()}).
 */
public final class BpfMap implements AutoCloseable {

    /** {@code BPF_ANY}: create or replace. */
    public static final long UPDATE_ANY = 0;
    /** {@code BPF_NOEXIST}: create only. */
    public static final long UPDATE_NOEXIST = 1;
    /** {@code BPF_EXIST}: replace only. */
    public static final long UPDATE_EXIST = 2;

    private static final int ENOTSUPP = 524;

    private final String name;
    private final int fd;
    private final boolean ownsFd;
    private final BpfMapType type;
    private final int keySize;
    private final int valueSize;
    private final int maxEntries;
    private final int id;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean batchUnsupported;

    private BpfMap(String name, int fd, boolean ownsFd, byte[] info) {
        ByteBuffer b = ByteBuffer.wrap(info).order(ByteOrder.LITTLE_ENDIAN);
        this.fd = fd;
        this.ownsFd = ownsFd;
        this.type = BpfMapType.of(b.getInt(0));
        this.id = b.getInt(4);
        this.keySize = b.getInt(8);
        this.valueSize = b.getInt(12);
        this.maxEntries = b.getInt(16);
        this.name = name != null ? name : kernelName(info);
    }

    /** {@code struct bpf_map_info}: 0 type, 4 id, 8 key_size, 12 value_size, 16 max_entries, 20 map_flags, 24 name[16]. */
    private static byte[] info(int fd, String what) {
        byte[] info = new byte[88];
        int[] length = {info.length};
        BpfException.check(Libbpf.bpf_obj_get_info_by_fd(fd, info, length), "read map info of " + what);
        return info;
    }

    private static String kernelName(byte[] info) {
        int end = 24;
        while (end < 40 && info[end] != 0) {
            end++;
        }
        return new String(info, 24, end - 24, StandardCharsets.UTF_8);
    }

    /** Opens the map pinned at {@code path} (a new descriptor this object owns). */
    public static BpfMap openPinned(Path path) {
        int fd = Libbpf.bpf_obj_get(path.toString());
        if (fd < 0) {
            throw new BpfException("open pinned map " + path, -fd);
        }
        try {
            return new BpfMap(path.getFileName().toString(), fd, true, info(fd, path.toString()));
        } catch (RuntimeException e) {
            Libbpf.close(fd);
            throw e;
        }
    }

    /** Wraps a descriptor owned by someone else (a loaded {@link BpfObject}); {@link #close} leaves it open. */
    static BpfMap borrowed(String name, int fd) {
        return new BpfMap(name, fd, false, info(fd, name));
    }

    public String name() {
        return name;
    }

    public int fd() {
        ensureOpen();
        return fd;
    }

    /** The kernel's id of the map, the same for every descriptor on it (what {@code bpftool map show} lists). */
    public int id() {
        return id;
    }

    public BpfMapType type() {
        return type;
    }

    public int keySize() {
        return keySize;
    }

    public int valueSize() {
        return valueSize;
    }

    public int maxEntries() {
        return maxEntries;
    }

    /** The size of the value buffer of {@link #lookup}/{@link #update}: per-CPU maps hold one padded value per CPU. */
    public int valueBufferSize() {
        return type.isPerCpu() ? ((valueSize + 7) & ~7) * PossibleCpus.count() : valueSize;
    }

    public Optional<byte[]> lookup(byte[] key) {
        requireKey(key);
        byte[] value = new byte[valueBufferSize()];
        int result = Libbpf.bpf_map_lookup_elem(fd(), key, value);
        if (result == -Errno.ENOENT) {
            return Optional.empty();
        }
        BpfException.check(result, "lookup in map " + name);
        return Optional.of(value);
    }

    /** Writes one entry; {@code flags} is {@link #UPDATE_ANY}, {@link #UPDATE_NOEXIST} or {@link #UPDATE_EXIST}. */
    public void update(byte[] key, byte[] value, long flags) {
        requireKey(key);
        requireValue(value);
        BpfException.check(Libbpf.bpf_map_update_elem(fd(), key, value, flags), "update map " + name);
    }

    /** Creates the entry unless the exact key exists; whether it created it. */
    public boolean insertIfAbsent(byte[] key, byte[] value) {
        requireKey(key);
        requireValue(value);
        int result = Libbpf.bpf_map_update_elem(fd(), key, value, UPDATE_NOEXIST);
        if (result == -Errno.EEXIST) {
            return false;
        }
        BpfException.check(result, "insert into map " + name);
        return true;
    }

    /** Deletes the exact key; whether it was there. */
    public boolean delete(byte[] key) {
        requireKey(key);
        int result = Libbpf.bpf_map_delete_elem(fd(), key);
        if (result == -Errno.ENOENT) {
            return false;
        }
        BpfException.check(result, "delete from map " + name);
        return true;
    }

    /**
     * Writes many entries with {@code BPF_ANY}: one {@code BPF_MAP_UPDATE_BATCH} syscall where the
     * map type supports it (hash maps), one update per entry otherwise. On failure nothing after
     * the failing entry is written; earlier entries stay (map writes are idempotent, so the
     * caller retries the whole set).
     */
    public void updateAll(List<byte[]> keys, List<byte[]> values) {
        if (keys.size() != values.size()) {
            throw new IllegalArgumentException(keys.size() + " keys but " + values.size() + " values");
        }
        if (keys.isEmpty()) {
            return;
        }
        keys.forEach(this::requireKey);
        values.forEach(this::requireValue);
        if (!batchUnsupported && (type == BpfMapType.HASH || type == BpfMapType.LRU_HASH) && !type.isPerCpu()) {
            byte[] allKeys = concatenate(keys, keySize);
            byte[] allValues = concatenate(values, valueSize);
            int[] count = {keys.size()};
            int result = Libbpf.bpf_map_update_batch(fd(), allKeys, allValues, count, null);
            if (result == 0) {
                return;
            }
            if (result != -ENOTSUPP && result != -Errno.EOPNOTSUPP) {
                throw new BpfException("batch update of map " + name + " (" + count[0] + " of " + keys.size()
                                       + " written)", -result);
            }
            batchUnsupported = true;
        }
        for (int i = 0; i < keys.size(); i++) {
            update(keys.get(i), values.get(i), UPDATE_ANY);
        }
    }

    private static byte[] concatenate(List<byte[]> parts, int size) {
        byte[] all = new byte[parts.size() * size];
        for (int i = 0; i < parts.size(); i++) {
            System.arraycopy(parts.get(i), 0, all, i * size, size);
        }
        return all;
    }

    /** Whether the map holds no entry: one {@code BPF_MAP_GET_NEXT_KEY}, whatever its size. */
    public boolean isEmpty() {
        int result = Libbpf.bpf_map_get_next_key(fd(), null, new byte[keySize]);
        if (result == -Errno.ENOENT) {
            return true;
        }
        BpfException.check(result, "iterate map " + name);
        return false;
    }

    /**
     * Every key, walked with {@code BPF_MAP_GET_NEXT_KEY}. When the current key disappears meanwhile
     * (an LRU eviction by the programs), the kernel restarts the walk at the first bucket; keys met
     * twice are reported once and the walk is bounded by {@code 2 * maxEntries} steps.
     */
    public List<byte[]> keys() {
        List<byte[]> keys = new ArrayList<>();
        java.util.Set<java.nio.ByteBuffer> seen = new java.util.HashSet<>();
        byte[] current = null;
        long limit = 2L * maxEntries + 1;
        for (long step = 0; step < limit; step++) {
            byte[] next = new byte[keySize];
            int result = Libbpf.bpf_map_get_next_key(fd(), current, next);
            if (result == -Errno.ENOENT) {
                return keys;
            }
            BpfException.check(result, "iterate map " + name);
            if (seen.add(ByteBuffer.wrap(next))) {
                keys.add(next);
            }
            current = next;
        }
        return keys;
    }

    /** Pins the map at {@code path} on a BPF filesystem. */
    public void pin(Path path) {
        BpfException.check(Libbpf.bpf_obj_pin(fd(), path.toString()), "pin map " + name + " at " + path);
    }

    private void requireKey(byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length != keySize) {
            throw new IllegalArgumentException("map " + name + " has " + keySize + "-byte keys, got " + key.length);
        }
    }

    private void requireValue(byte[] value) {
        Objects.requireNonNull(value, "value");
        if (value.length != valueBufferSize()) {
            throw new IllegalArgumentException("map " + name + " takes " + valueBufferSize() + "-byte values, got "
                                               + value.length);
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("map " + name + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && ownsFd) {
            Libbpf.close(fd);
        }
    }

    @Override
    public String toString() {
        return "BpfMap[" + name + " " + type + " id " + id + "]";
    }
}
