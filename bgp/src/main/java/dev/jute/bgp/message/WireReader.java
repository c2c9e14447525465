package dev.jute.bgp.message;

/**
 * Bounds-checked big-endian reader over a byte range. Running past the end raises the
 * NOTIFICATION chosen by whoever created the reader, so truncation errors are always precise.
 */
final class WireReader {
    private final byte[] bytes;
    private int position;
    private final int limit;
    private final int code;
    private final int subcode;
    private final String what;

    WireReader(byte[] bytes, int offset, int length, int code, int subcode, String what) {
        this.bytes = bytes;
        this.position = offset;
        this.limit = offset + length;
        this.code = code;
        this.subcode = subcode;
        this.what = what;
    }

    private void need(int n) throws BgpDecodeException {
        if (n < 0 || limit - position < n) {
            throw new BgpDecodeException(code, subcode, what + " truncated: need " + n + " more octets, have "
                    + (limit - position));
        }
    }

    int remaining() {
        return limit - position;
    }

    boolean hasRemaining() {
        return position < limit;
    }

    int position() {
        return position;
    }

    int u8() throws BgpDecodeException {
        need(1);
        return bytes[position++] & 0xFF;
    }

    int u16() throws BgpDecodeException {
        need(2);
        int v = ((bytes[position] & 0xFF) << 8) | (bytes[position + 1] & 0xFF);
        position += 2;
        return v;
    }

    long u32() throws BgpDecodeException {
        return s32() & 0xFFFF_FFFFL;
    }

    int s32() throws BgpDecodeException {
        need(4);
        int v = ((bytes[position] & 0xFF) << 24) | ((bytes[position + 1] & 0xFF) << 16)
                | ((bytes[position + 2] & 0xFF) << 8) | (bytes[position + 3] & 0xFF);
        position += 4;
        return v;
    }

    byte[] bytes(int n) throws BgpDecodeException {
        need(n);
        byte[] out = new byte[n];
        System.arraycopy(bytes, position, out, 0, n);
        position += n;
        return out;
    }

    /** A reader over the next {@code n} octets with its own error, advancing this one past them. */
    WireReader slice(int n, int sliceCode, int sliceSubcode, String sliceWhat) throws BgpDecodeException {
        need(n);
        WireReader r = new WireReader(bytes, position, n, sliceCode, sliceSubcode, sliceWhat);
        position += n;
        return r;
    }

    byte[] array() {
        return bytes;
    }
}
