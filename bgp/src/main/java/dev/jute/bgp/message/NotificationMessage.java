package dev.jute.bgp.message;

import java.util.Arrays;
import java.util.HexFormat;

/** NOTIFICATION: error code, subcode and diagnostic data (RFC 4271 §4.5). */
public record NotificationMessage(int code, int subcode, byte[] data) implements BgpMessage {

    public NotificationMessage {
        data = data == null ? new byte[0] : data.clone();
    }

    public NotificationMessage(int code, int subcode) {
        this(code, subcode, new byte[0]);
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public int type() {
        return TYPE_NOTIFICATION;
    }

    /** Human-readable form for logs and {@code jute bgp peers}. */
    public String describe() {
        String text = ErrorCodes.describe(code, subcode);
        if (code == ErrorCodes.CEASE && (subcode == 2 || subcode == 4) && data.length > 0) {
            // RFC 8203: shutdown communication, a length-prefixed UTF-8 string.
            int n = Math.min(data[0] & 0xFF, data.length - 1);
            return text + ": " + new String(data, 1, n, java.nio.charset.StandardCharsets.UTF_8);
        }
        return data.length == 0 ? text : text + " [" + HexFormat.of().formatHex(data) + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NotificationMessage n && n.code == code && n.subcode == subcode
                && Arrays.equals(n.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * code + subcode) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "NOTIFICATION(" + describe() + ")";
    }
}
