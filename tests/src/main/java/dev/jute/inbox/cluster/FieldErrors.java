package dev.jute.inbox.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Validation errors of one object, worded as the API server words them (apimachinery's field.Error and
 * NewInvalid): {@code Service "web" is invalid: spec.ipFamilies[1]: Duplicate value: "IPv4"}, several
 * in brackets separated by ", ". Values are printed as the API prints them: strings quoted, lists as JSON.
 */
final class FieldErrors {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String kind;
    private final String name;
    private final List<String> errors = new ArrayList<>();

    FieldErrors(String kind, String name) {
        this.kind = kind;
        this.name = name;
    }

    void invalid(String path, Object value, String detail) {
        errors.add(path + ": Invalid value: " + render(value) + ": " + detail);
    }

    void notSupported(String path, Object value, List<String> supported) {
        errors.add(path + ": Unsupported value: " + render(value) + ": supported values: "
                   + supported.stream().map(FieldErrors::render).collect(Collectors.joining(", ")));
    }

    void duplicate(String path, Object value) {
        errors.add(path + ": Duplicate value: " + render(value));
    }

    /** Throws the collected errors as one rejection (HTTP 422), if there are any. */
    void throwIfAny() throws ServiceAllocator.Rejected {
        if (errors.isEmpty()) {
            return;
        }
        String list = errors.size() == 1 ? errors.getFirst() : "[" + String.join(", ", errors) + "]";
        throw new ServiceAllocator.Rejected(kind + " \"" + name + "\" is invalid: " + list);
    }

    private static String render(Object value) {
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            return String.valueOf(value);
        }
    }
}
