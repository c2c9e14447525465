package dev.jute.dataplane.bpf;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import dev.jute.dataplane.ErrnoException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The BPF filesystem pins live on. Nodes normally have it at {@code /sys/fs/bpf}; a pin directory
 * anywhere else is refused early with a clear message instead of a bare EPERM from the kernel.
 */
public final class BpfFilesystem {

    /** {@code BPF_FS_MAGIC} from {@code linux/magic.h}. */
    private static final long BPF_FS_MAGIC = 0xcafe4a11L;
    private static final int MNT_DETACH = 2;

    static {
        Native.register(BpfFilesystem.class, Platform.C_LIBRARY_NAME);
    }

    private BpfFilesystem() {
    }

    private static native int statfs(String path, byte[] buffer);

    private static native int mount(String source, String target, String type, long flags, String data);

    private static native int umount2(String target, int flags);

    /** Whether {@code path} exists and lies on a BPF filesystem. */
    public static boolean isBpfFilesystem(Path path) {
        byte[] buffer = new byte[256]; // struct statfs is 120 bytes on LP64; f_type is its first long
        if (statfs(path.toString(), buffer) != 0) {
            return false;
        }
        return ByteBuffer.wrap(buffer).order(ByteOrder.nativeOrder()).getLong(0) == BPF_FS_MAGIC;
    }

    /**
     * Creates {@code directory} (and parents) for pins and checks it is on a BPF filesystem.
     *
     * @throws IllegalStateException when it is not, naming the mount the node lacks
     */
    public static Path requirePinDirectory(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create pin directory " + directory, e);
        }
        if (!isBpfFilesystem(directory)) {
            throw new IllegalStateException("pin directory " + directory + " is not on a BPF filesystem;"
                                            + " mount one first (mount -t bpf bpf /sys/fs/bpf)");
        }
        return directory;
    }

    /** Mounts a fresh BPF filesystem on the existing directory {@code target}. */
    public static void mount(Path target) {
        if (mount("bpf", target.toString(), "bpf", 0, "mode=0700") != 0) {
            throw new ErrnoException("mount bpf filesystem on " + target, Native.getLastError());
        }
    }

    /** Lazily unmounts {@code target}; pins under it disappear once nothing else holds them. */
    public static void unmount(Path target) {
        if (umount2(target.toString(), MNT_DETACH) != 0) {
            throw new ErrnoException("unmount " + target, Native.getLastError());
        }
    }
}
