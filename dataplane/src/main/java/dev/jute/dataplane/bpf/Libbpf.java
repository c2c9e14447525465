package dev.jute.dataplane.bpf;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * JNA direct mapping of the libbpf 1.1 functions Jute uses ({@code libbpf.so.1}, Debian package
 * {@code libbpf1}). libbpf 1.x returns {@code -errno} from functions returning {@code int} and
 * {@code NULL} with {@code errno} set from functions returning pointers; {@link BpfException}
 * turns both into exceptions.
 *
 * <p>Option structs ({@code bpf_test_run_opts}, {@code bpf_tc_hook}, {@code bpf_tc_opts},
 * {@code bpf_object_open_opts}) are passed as native memory laid out by the classes that use them;
 * the offsets are those of libbpf 1.1's headers on LP64 and carry their own {@code sz} field, so
 * a newer libbpf accepts them unchanged.
 */
final class Libbpf {

    static {
        NativeLibrary library = NativeLibrary.getInstance("libbpf.so.1");
        Native.register(Libbpf.class, library);
    }

    private Libbpf() {
    }

    /** Loads the library now, or throws {@link UnsatisfiedLinkError} with the loader's reason. */
    static void ensureLoaded() {
        LibbpfLog.install();
    }

    // --- objects and programs -------------------------------------------------------------------

    static native Pointer bpf_object__open_mem(Pointer objectBuffer, long size, Pointer openOptions);

    static native Pointer bpf_object__open_file(String path, Pointer openOptions);

    static native int bpf_object__load(Pointer object);

    static native void bpf_object__close(Pointer object);

    static native Pointer bpf_object__find_program_by_name(Pointer object, String name);

    static native int bpf_program__fd(Pointer program);

    static native Pointer bpf_object__find_map_by_name(Pointer object, String name);

    static native Pointer bpf_object__next_map(Pointer object, Pointer previousMap);

    static native String bpf_map__name(Pointer map);

    static native int bpf_map__fd(Pointer map);

    static native int bpf_map__set_pin_path(Pointer map, String path);

    static native int bpf_map__type(Pointer map);

    static native int bpf_map__key_size(Pointer map);

    static native int bpf_map__value_size(Pointer map);

    static native int bpf_map__max_entries(Pointer map);

    static native int bpf_map__map_flags(Pointer map);

    static native int bpf_map__reuse_fd(Pointer map, int fd);

    // --- generic syscall wrappers ---------------------------------------------------------------

    static native int bpf_obj_pin(int fd, String path);

    static native int bpf_obj_get(String path);

    static native int bpf_obj_get_info_by_fd(int fd, byte[] info, int[] infoLength);

    static native int bpf_map_update_elem(int fd, byte[] key, byte[] value, long flags);

    static native int bpf_map_lookup_elem(int fd, byte[] key, byte[] value);

    static native int bpf_map_delete_elem(int fd, byte[] key);

    static native int bpf_map_get_next_key(int fd, byte[] key, byte[] nextKey);

    static native int bpf_map_update_batch(int fd, byte[] keys, byte[] values, int[] count, Pointer options);

    static native int bpf_prog_test_run_opts(int programFd, Pointer options);

    static native int libbpf_num_possible_cpus();

    static native Pointer libbpf_set_print(LibbpfLog.PrintFunction print);

    // --- links (cgroup attachments) ---------------------------------------------------------------

    static native int bpf_link_create(int programFd, int targetFd, int attachType, Pointer options);

    static native int bpf_link_update(int linkFd, int newProgramFd, Pointer options);

    static native int bpf_link_detach(int linkFd);

    // --- iterators --------------------------------------------------------------------------------

    /** A new walk of the iterator behind {@code linkFd} (a {@code BPF_TRACE_ITER} link); read it until EOF. */
    static native int bpf_iter_create(int linkFd);

    // --- tc ---------------------------------------------------------------------------------------

    static native int bpf_tc_hook_create(Pointer hook);

    static native int bpf_tc_hook_destroy(Pointer hook);

    static native int bpf_tc_attach(Pointer hook, Pointer options);

    static native int bpf_tc_detach(Pointer hook, Pointer options);

    static native int bpf_tc_query(Pointer hook, Pointer options);

    // --- libc, for closing descriptors libbpf handed us -----------------------------------------

    static int close(int fd) {
        return dev.jute.dataplane.LibC.close(fd);
    }

    /** {@code errno} after a function that returned NULL. */
    static int lastErrno() {
        return Native.getLastError();
    }
}
