package dev.jute.policy;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Kubernetes syntax rules for label keys, label values and port names (apimachinery's
 * IsQualifiedName, IsValidLabelValue and IsValidPortName). Each check returns the problem
 * description, or empty when the text is valid.
 */
final class LabelSyntax {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern PORT_NAME = Pattern.compile("[-a-z0-9]+");
    private static final int MAX_NAME = 63;
    private static final int MAX_PREFIX = 253;
    private static final int MAX_PORT_NAME = 15;

    private LabelSyntax() {
    }

    /** A label key: {@code [prefix/]name}, prefix a DNS subdomain. */
    static Optional<String> checkKey(String key) {
        if (key == null || key.isEmpty()) {
            return Optional.of("label key must not be empty");
        }
        int slash = key.indexOf('/');
        String name = key;
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            name = key.substring(slash + 1);
            if (prefix.isEmpty() || prefix.length() > MAX_PREFIX || !isDnsSubdomain(prefix)) {
                return Optional.of("label key '" + key + "': prefix must be a DNS subdomain of at most 253 characters");
            }
        }
        if (name.isEmpty() || name.length() > MAX_NAME || !NAME.matcher(name).matches()) {
            return Optional.of("label key '" + key + "': name must be 1-63 characters of [A-Za-z0-9-_.], "
                    + "starting and ending with an alphanumeric character");
        }
        return Optional.empty();
    }

    /** A label value: empty, or a name as in a key. */
    static Optional<String> checkValue(String value) {
        if (value == null) {
            return Optional.of("label value must not be null");
        }
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (value.length() > MAX_NAME || !NAME.matcher(value).matches()) {
            return Optional.of("label value '" + value + "' must be at most 63 characters of [A-Za-z0-9-_.], "
                    + "starting and ending with an alphanumeric character");
        }
        return Optional.empty();
    }

    /** A container port name (IANA service name): what a policy's named port must look like. */
    static Optional<String> checkPortName(String name) {
        if (name == null || name.isEmpty()) {
            return Optional.of("port name must not be empty");
        }
        if (name.length() > MAX_PORT_NAME) {
            return Optional.of("port name '" + name + "' is longer than 15 characters");
        }
        if (!PORT_NAME.matcher(name).matches()) {
            return Optional.of("port name '" + name + "' may contain only lowercase letters, digits and '-'");
        }
        if (name.chars().noneMatch(c -> c >= 'a' && c <= 'z')) {
            return Optional.of("port name '" + name + "' must contain at least one letter");
        }
        if (name.startsWith("-") || name.endsWith("-") || name.contains("--")) {
            return Optional.of("port name '" + name + "' must not start or end with '-' or contain '--'");
        }
        return Optional.empty();
    }

    private static boolean isDnsSubdomain(String text) {
        for (String label : text.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > MAX_NAME || !DNS_LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }
}
