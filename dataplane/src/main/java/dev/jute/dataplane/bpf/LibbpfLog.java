package dev.jute.dataplane.bpf;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

/**
 * Where libbpf's messages go. By default libbpf prints warnings to stderr, including the kernel's
 * answers to calls whose failure Jute expects and handles ("Exclusivity flag on" for a clsact
 * qdisc that exists, "Cannot find specified filter chain" for a detach of nothing). Here every
 * message is formatted (libc {@code vsnprintf} over libbpf's {@code va_list}) and either captured
 * for the call that caused it, so an unexpected failure carries its explanation, or passed to
 * {@link System.Logger} {@code dev.jute.dataplane.bpf.libbpf} (warnings at WARNING, the rest at DEBUG).
 */
final class LibbpfLog {

    private static final System.Logger LOGGER = System.getLogger("dev.jute.dataplane.bpf.libbpf");
    private static final int LIBBPF_WARN = 0;
    private static final int MESSAGE_LIMIT = 4096;
    private static final ThreadLocal<StringBuilder> CAPTURE = new ThreadLocal<>();

    /** {@code libbpf_print_fn_t}: {@code int (*)(enum libbpf_print_level, const char *, va_list)}. */
    interface PrintFunction extends Callback {
        int invoke(int level, String format, Pointer arguments);
    }

    private static final PrintFunction PRINT = LibbpfLog::print;

    static {
        Native.register(LibbpfLog.class, Platform.C_LIBRARY_NAME);
        Libbpf.libbpf_set_print(PRINT);
    }

    private LibbpfLog() {
    }

    private static native int vsnprintf(byte[] buffer, long size, String format, Pointer arguments);

    /** Installs the hook (class initialisation does it). */
    static void install() {
        // Class initialisation did the work.
    }

    private static int print(int level, String format, Pointer arguments) {
        try {
            byte[] buffer = new byte[MESSAGE_LIMIT];
            int length = vsnprintf(buffer, buffer.length, format, arguments);
            String message = new String(buffer, 0, Math.max(0, Math.min(length, buffer.length - 1)), StandardCharsets.UTF_8).strip();
            StringBuilder capture = CAPTURE.get();
            if (capture != null) {
                if (!capture.isEmpty()) {
                    capture.append("; ");
                }
                capture.append(message);
            } else {
                LOGGER.log(level == LIBBPF_WARN ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG, message);
            }
            return length;
        } catch (Throwable t) {
            // Never let an exception unwind into native code.
            return 0;
        }
    }

    /** The result of a libbpf call and what libbpf said during it. */
    record Captured(int result, String messages) {
        /** The messages as exception detail, or null when libbpf said nothing. */
        String detail() {
            return messages.isEmpty() ? null : "libbpf: " + messages;
        }
    }

    /** Runs a libbpf call on this thread, capturing its messages instead of logging them. */
    static Captured capture(IntSupplier call) {
        StringBuilder outer = CAPTURE.get();
        StringBuilder messages = new StringBuilder();
        CAPTURE.set(messages);
        try {
            return new Captured(call.getAsInt(), messages.toString());
        } finally {
            if (outer == null) {
                CAPTURE.remove();
            } else {
                CAPTURE.set(outer);
            }
        }
    }
}
