package dev.jute.cni;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Typed access to the members of one parsed JSON object of the network configuration. A member of
 * the wrong type is reported as CNI error 7 (invalid network config) naming its full path, e.g.
 * {@code prevResult.ips[1].address}. JSON {@code null} counts as absent, as in libcni.
 */
public final class JsonFields {
    private final Map<String, Object> object;
    private final String path;

    private JsonFields(Map<String, Object> object, String path) {
        this.object = object;
        this.path = path;
    }

    /** Fields of a top-level object (path prefix empty). */
    public static JsonFields of(Map<String, Object> object) {
        return new JsonFields(object, "");
    }

    /** Fields of a value that must be an object; {@code path} names it in errors. */
    @SuppressWarnings("unchecked")
    public static JsonFields of(Object value, String path) throws CniException {
        if (!(value instanceof Map)) {
            throw invalid(path, "must be an object, found " + Json.typeName(value));
        }
        return new JsonFields((Map<String, Object>) value, path);
    }

    /** The underlying object. */
    public Map<String, Object> object() {
        return object;
    }

    /** The path of this object in the configuration ("" for the top level). */
    public String path() {
        return path;
    }

    /** The path of a member, for error messages. */
    public String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public boolean has(String key) {
        return object.get(key) != null;
    }

    /** An optional string member; null when absent. */
    public String string(String key) throws CniException {
        Object v = object.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw invalid(pathOf(key), "must be a string, found " + Json.typeName(v));
        }
        return s;
    }

    /** A string member that must be present and non-empty. */
    public String requiredString(String key) throws CniException {
        String s = string(key);
        if (s == null || s.isEmpty()) {
            throw invalid(pathOf(key), "is required");
        }
        return s;
    }

    /** An optional integer member within [min, max]; null when absent. */
    public Integer integer(String key, int min, int max) throws CniException {
        Object v = object.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Long l)) {
            throw invalid(pathOf(key), "must be an integer, found " + describe(v));
        }
        if (l < min || l > max) {
            throw invalid(pathOf(key), "must be between " + min + " and " + max + ", found " + l);
        }
        return (int) l.longValue();
    }

    /** An optional boolean member; null when absent. */
    public Boolean bool(String key) throws CniException {
        Object v = object.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Boolean b)) {
            throw invalid(pathOf(key), "must be a boolean, found " + Json.typeName(v));
        }
        return b;
    }

    /** An optional object member; null when absent. */
    public JsonFields object(String key) throws CniException {
        Object v = object.get(key);
        return v == null ? null : of(v, pathOf(key));
    }

    /** An optional array member; null when absent. */
    @SuppressWarnings("unchecked")
    public List<Object> array(String key) throws CniException {
        Object v = object.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List)) {
            throw invalid(pathOf(key), "must be an array, found " + Json.typeName(v));
        }
        return (List<Object>) v;
    }

    /** An optional array of strings; empty when absent. */
    public List<String> stringList(String key) throws CniException {
        List<Object> raw = array(key);
        ArrayList<String> out = new ArrayList<>();
        if (raw == null) {
            return out;
        }
        for (int i = 0; i < raw.size(); i++) {
            if (!(raw.get(i) instanceof String s)) {
                throw invalid(pathOf(key) + "[" + i + "]", "must be a string, found " + Json.typeName(raw.get(i)));
            }
            out.add(s);
        }
        return out;
    }

    /** An optional IP address member; null when absent. */
    public IpAddress ipAddress(String key) throws CniException {
        String s = string(key);
        if (s == null) {
            return null;
        }
        try {
            return IpAddress.parse(s);
        } catch (IllegalArgumentException e) {
            throw invalid(pathOf(key), "must be an IP address: " + e.getMessage());
        }
    }

    /** A required CIDR member ("address/length"). */
    public IpPrefix requiredPrefix(String key) throws CniException {
        String s = requiredString(key);
        try {
            return IpPrefix.parse(s);
        } catch (IllegalArgumentException e) {
            throw invalid(pathOf(key), "must be an address in CIDR notation: " + e.getMessage());
        }
    }

    /** The error for a field at {@code path}: code 7, message naming the field. */
    public static CniException invalid(String path, String problem) {
        return new CniException(CniErrorCode.INVALID_NETWORK_CONFIG,
                "invalid network configuration: field \"" + path + "\" " + problem);
    }

    private static String describe(Object v) {
        return v instanceof Double ? "the number " + v : Json.typeName(v);
    }
}
