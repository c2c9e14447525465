package dev.jute.cni;

import java.nio.charset.StandardCharsets;

/**
 * The identifier rules of libcni (pkg/utils): container IDs and network names start with an ASCII
 * letter or digit followed by letters, digits, '_', '.' or '-'; interface names follow the Linux
 * kernel's rules (at most 15 bytes, not "." or "..", no '/', ':' or whitespace).
 */
public final class CniIdentifiers {
    /** IFNAMSIZ - 1: the kernel keeps interface names in 16 bytes including the NUL. */
    public static final int MAX_INTERFACE_NAME_BYTES = 15;

    private CniIdentifiers() {
    }

    /** Null if valid, else why not. */
    public static String containerIdProblem(String id) {
        if (id == null || id.isEmpty()) {
            return "is empty";
        }
        return isCniName(id) ? null
                : "must start with a letter or digit followed by letters, digits, '_', '.' or '-'";
    }

    /** Null if valid, else why not. */
    public static String networkNameProblem(String name) {
        return containerIdProblem(name);
    }

    /** Null if valid, else why not. */
    public static String interfaceNameProblem(String name) {
        if (name == null || name.isEmpty()) {
            return "is empty";
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_INTERFACE_NAME_BYTES) {
            return "is longer than " + MAX_INTERFACE_NAME_BYTES + " bytes";
        }
        if (name.equals(".") || name.equals("..")) {
            return "must not be \".\" or \"..\"";
        }
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            // Go's unicode.IsSpace = Java whitespace plus the no-break spaces and NEL.
            if (cp == '/' || cp == ':' || Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85) {
                return "must not contain '/', ':' or whitespace";
            }
            i += Character.charCount(cp);
        }
        return null;
    }

    private static boolean isCniName(String s) {
        if (!isAsciiLetterOrDigit(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!isAsciiLetterOrDigit(c) && c != '_' && c != '.' && c != '-') {
                return false;
            }
        }
        return true;
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
}
