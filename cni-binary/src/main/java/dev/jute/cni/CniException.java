package dev.jute.cni;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A failure reported to the container runtime as a CNI error result:
 * {@code {"cniVersion":..., "code":..., "msg":..., "details":...}} on stdout and a non-zero exit.
 */
public final class CniException extends Exception {
    private static final long serialVersionUID = 1L;

    private final CniErrorCode errorCode;
    private final String details;

    public CniException(CniErrorCode errorCode, String msg, String details) {
        super(msg);
        if (errorCode == null || msg == null) {
            throw new IllegalArgumentException("errorCode and msg are required");
        }
        this.errorCode = errorCode;
        this.details = details == null ? "" : details;
    }

    public CniException(CniErrorCode errorCode, String msg) {
        this(errorCode, msg, "");
    }

    public CniErrorCode errorCode() {
        return errorCode;
    }

    /** The numeric code of the error result. */
    public int code() {
        return errorCode.code();
    }

    /** The short message ({@code msg}). */
    public String msg() {
        return getMessage();
    }

    /** Longer explanation ({@code details}); empty when there is none. */
    public String details() {
        return details;
    }

    /**
     * The spec's error object for the given cniVersion string. {@code details} is left out when
     * empty, as libcni does.
     */
    public Map<String, Object> toJson(String cniVersion) {
        LinkedHashMap<String, Object> json = new LinkedHashMap<>();
        json.put("cniVersion", cniVersion);
        json.put("code", Long.valueOf(errorCode.code()));
        json.put("msg", getMessage());
        if (!details.isEmpty()) {
            json.put("details", details);
        }
        return json;
    }

    /** {@link #toJson(String)} as compact JSON text. */
    public String toJsonText(String cniVersion) {
        try {
            return Json.write(toJson(cniVersion));
        } catch (JsonException e) {
            // Only strings with unpaired surrogates can fail; fall back to a safe message.
            return "{\"cniVersion\":\"" + CniVersion.LATEST.text() + "\",\"code\":" + errorCode.code()
                    + ",\"msg\":\"unprintable error message\"}";
        }
    }

    @Override
    public String toString() {
        return "CniException[" + errorCode.code() + " " + getMessage()
                + (details.isEmpty() ? "" : ": " + details) + "]";
    }
}
