package dev.jute.bgp.message;

/**
 * A message that cannot be accepted; carries the NOTIFICATION that must be sent to the peer
 * before the session is closed ("session reset" in RFC 7606 terms).
 */
public final class BgpDecodeException extends Exception {
    private final int code;
    private final int subcode;
    private final byte[] data;

    public BgpDecodeException(int code, int subcode, byte[] data, String message) {
        super(message);
        this.code = code;
        this.subcode = subcode;
        this.data = data == null ? new byte[0] : data.clone();
    }

    public BgpDecodeException(int code, int subcode, String message) {
        this(code, subcode, null, message);
    }

    public int code() {
        return code;
    }

    public int subcode() {
        return subcode;
    }

    public NotificationMessage toNotification() {
        return new NotificationMessage(code, subcode, data);
    }

    @Override
    public String getMessage() {
        return ErrorCodes.describe(code, subcode) + ": " + super.getMessage();
    }
}
