package dev.jute.dataplane.bpf;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A compiled BPF ELF object loaded into the kernel through libbpf: its programs and maps.
 *
 * <p>With a pin directory, every named map is adopted from {@code <dir>/<map name>} when that pin
 * exists (after checking it has the type, key and value sizes, capacity and flags this object
 * declares) and otherwise created and pinned there by the load. So objects loaded later, by this
 * process or by a restarted agent, share one set of maps, and their content survives the process.
 * Maps libbpf makes for global data ({@code .rodata}, {@code .bss}) are never pinned.
 */
public final class BpfObject implements AutoCloseable {

    /** Verifier output kept on a failed load; the end of it is put in the exception. */
    private static final int VERIFIER_LOG_SIZE = 4 << 20;
    private static final int VERIFIER_LOG_TAIL = 4000;

    /** {@code struct bpf_object_open_opts} (libbpf 1.1, LP64): 0 sz, 8 object_name, 56 kernel_log_buf, 64 kernel_log_size, 72 kernel_log_level. */
    private static final int OPEN_OPTS_SIZE = 80;

    private final String name;
    private final Pointer object;
    // libbpf keeps pointers into these until the object is closed.
    private final Memory elf;
    private final Memory openOptions;
    private final Memory objectName;
    private final Map<String, BpfProgram> programs = new LinkedHashMap<>();
    private final Map<String, BpfMap> maps = new LinkedHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private BpfObject(String name, Pointer object, Memory elf, Memory openOptions, Memory objectName) {
        this.name = name;
        this.object = object;
        this.elf = elf;
        this.openOptions = openOptions;
        this.objectName = objectName;
    }

    /**
     * Opens and loads an ELF object.
     *
     * @param name           the object's name (shown by bpftool; at most 15 characters are kept by the kernel)
     * @param elfBytes       the ELF file content
     * @param pinDirectory   where the maps are pinned and adopted from, or null for private maps;
     *                       must be a directory on a BPF filesystem
     * @param programNames   the programs the object must contain
     * @throws BpfException  when libbpf or the kernel refuse it (the verifier log tail is in the message)
     * @throws IllegalStateException when a pinned map does not match this object's definition
     */
    public static BpfObject load(String name, byte[] elfBytes, Path pinDirectory, String... programNames) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(elfBytes, "elfBytes");
        if (elfBytes.length == 0) {
            throw new IllegalArgumentException("empty BPF object " + name);
        }
        Memory elf = new Memory(elfBytes.length);
        elf.write(0, elfBytes, 0, elfBytes.length);
        Memory objectName = nulTerminated(name);
        Memory log = new Memory(VERIFIER_LOG_SIZE);
        log.setByte(0, (byte) 0);
        Memory options = new Memory(OPEN_OPTS_SIZE);
        options.clear();
        options.setLong(0, OPEN_OPTS_SIZE);
        options.setPointer(8, objectName);
        options.setPointer(56, log);
        options.setLong(64, VERIFIER_LOG_SIZE);
        options.setInt(72, 0); // only on failure: libbpf then reloads with a log

        Libbpf.ensureLoaded();
        Pointer[] opened = new Pointer[1];
        int[] openErrno = new int[1];
        LibbpfLog.Captured openMessages = LibbpfLog.capture(() -> {
            opened[0] = Libbpf.bpf_object__open_mem(elf, elfBytes.length, options);
            openErrno[0] = opened[0] == null ? Libbpf.lastErrno() : 0;
            return openErrno[0];
        });
        Pointer handle = opened[0];
        if (handle == null) {
            throw new BpfException("open BPF object " + name, openErrno[0], openMessages.detail());
        }
        BpfObject loaded = new BpfObject(name, handle, elf, options, objectName);
        try {
            loaded.preparePins(pinDirectory);
            LibbpfLog.Captured load = LibbpfLog.capture(() -> Libbpf.bpf_object__load(handle));
            if (load.result() < 0) {
                String detail = load.detail() == null ? tail(log) : load.detail() + "; verifier: " + tail(log);
                throw new BpfException("load BPF object " + name, -load.result(), detail);
            }
            loaded.collect(programNames);
            return loaded;
        } catch (RuntimeException | Error e) {
            loaded.close();
            throw e;
        } finally {
            // libbpf writes the verifier log during the load only.
            java.lang.ref.Reference.reachabilityFence(log);
        }
    }

    private static Memory nulTerminated(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        Memory memory = new Memory(bytes.length + 1L);
        memory.write(0, bytes, 0, bytes.length);
        memory.setByte(bytes.length, (byte) 0);
        return memory;
    }

    private static String tail(Memory log) {
        String text = log.getString(0, StandardCharsets.UTF_8.name()).strip();
        if (text.isEmpty()) {
            return "no verifier log (see libbpf's messages on stderr)";
        }
        return text.length() <= VERIFIER_LOG_TAIL ? text : "..." + text.substring(text.length() - VERIFIER_LOG_TAIL);
    }

    private void preparePins(Path pinDirectory) {
        if (pinDirectory == null) {
            return;
        }
        for (Pointer map = Libbpf.bpf_object__next_map(object, null); map != null;
             map = Libbpf.bpf_object__next_map(object, map)) {
            String mapName = Libbpf.bpf_map__name(map);
            if (mapName == null || mapName.indexOf('.') >= 0) {
                continue;
            }
            Path pin = pinDirectory.resolve(mapName);
            if (Files.exists(pin)) {
                adopt(map, mapName, pin);
            } else {
                BpfException.check(Libbpf.bpf_map__set_pin_path(map, pin.toString()), "set pin path of map " + mapName);
            }
        }
    }

    /** Makes libbpf use the pinned map instead of creating one, after checking it is the same kind of map. */
    private void adopt(Pointer map, String mapName, Path pin) {
        int fd = Libbpf.bpf_obj_get(pin.toString());
        if (fd < 0) {
            throw new BpfException("open pinned map " + pin, -fd);
        }
        try {
            byte[] info = new byte[88];
            int[] length = {info.length};
            BpfException.check(Libbpf.bpf_obj_get_info_by_fd(fd, info, length), "read map info of " + pin);
            ByteBuffer b = ByteBuffer.wrap(info).order(ByteOrder.LITTLE_ENDIAN);
            String pinned = describe(b.getInt(0), b.getInt(8), b.getInt(12), b.getInt(16), b.getInt(20));
            String declared = describe(Libbpf.bpf_map__type(map), Libbpf.bpf_map__key_size(map),
                    Libbpf.bpf_map__value_size(map), Libbpf.bpf_map__max_entries(map), Libbpf.bpf_map__map_flags(map));
            if (!pinned.equals(declared)) {
                throw new IllegalStateException("pinned map " + pin + " is " + pinned + " but object " + name
                                                + " declares " + declared + ": it was made by another version;"
                                                + " remove the pin (losing its entries) to start over");
            }
            // reuse_fd dups the descriptor; ours is closed below either way.
            BpfException.check(Libbpf.bpf_map__reuse_fd(map, fd), "adopt pinned map " + pin);
        } finally {
            Libbpf.close(fd);
        }
    }

    private static String describe(int type, int keySize, int valueSize, int maxEntries, int flags) {
        return "type " + type + ", key " + keySize + " B, value " + valueSize + " B, " + maxEntries + " entries, flags 0x"
               + Integer.toHexString(flags);
    }

    private void collect(String... programNames) {
        for (String programName : programNames) {
            Pointer program = Libbpf.bpf_object__find_program_by_name(object, programName);
            if (program == null) {
                throw new IllegalArgumentException("BPF object " + name + " has no program " + programName);
            }
            programs.put(programName, new BpfProgram(programName, Libbpf.bpf_program__fd(program)));
        }
        for (Pointer map = Libbpf.bpf_object__next_map(object, null); map != null;
             map = Libbpf.bpf_object__next_map(object, map)) {
            String mapName = Libbpf.bpf_map__name(map);
            maps.put(mapName, BpfMap.borrowed(mapName, Libbpf.bpf_map__fd(map)));
        }
    }

    public String name() {
        return name;
    }

    public BpfProgram program(String programName) {
        ensureOpen();
        BpfProgram program = programs.get(programName);
        if (program == null) {
            throw new IllegalArgumentException("BPF object " + name + " has no loaded program " + programName);
        }
        return program;
    }

    /** A map of this object; valid until the object is closed. */
    public BpfMap map(String mapName) {
        ensureOpen();
        BpfMap map = maps.get(mapName);
        if (map == null) {
            throw new IllegalArgumentException("BPF object " + name + " has no map " + mapName);
        }
        return map;
    }

    public Map<String, BpfMap> maps() {
        ensureOpen();
        return Map.copyOf(maps);
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("BPF object " + name + " is closed");
        }
    }

    /**
     * Closes the object's descriptors. Programs attached to hooks and pinned maps stay in the
     * kernel: they are referenced by the hook and the pin, not by this process.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            programs.values().forEach(BpfProgram::invalidate);
            maps.values().forEach(BpfMap::close);
            Libbpf.bpf_object__close(object);
            java.lang.ref.Reference.reachabilityFence(elf);
            java.lang.ref.Reference.reachabilityFence(openOptions);
            java.lang.ref.Reference.reachabilityFence(objectName);
        }
    }
}
