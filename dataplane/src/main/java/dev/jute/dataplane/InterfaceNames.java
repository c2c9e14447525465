package dev.jute.dataplane;

import java.nio.charset.StandardCharsets;

/** The kernel's rules for network interface names ({@code dev_valid_name}). */
public final class InterfaceNames {

    /** IFNAMSIZ minus the terminating NUL. */
    public static final int MAX_LENGTH = 15;

    private InterfaceNames() {
    }

    /** Returns {@code name} if the kernel would accept it as an interface name, else throws. */
    public static String requireValid(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("interface name is empty");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_LENGTH) {
            throw new IllegalArgumentException("interface name \"" + name + "\" is longer than " + MAX_LENGTH + " bytes");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("interface name \"" + name + "\" is not allowed");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw new IllegalArgumentException("interface name \"" + name + "\" contains an invalid character");
            }
        }
        return name;
    }
}
