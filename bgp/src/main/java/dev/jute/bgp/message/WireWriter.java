package dev.jute.bgp.message;

import java.util.Arrays;

/** Growable big-endian writer; {@link #patch16} fills in length fields written before the body. */
final class WireWriter {
    private byte[] buffer;
    private int size;

    WireWriter(int initialCapacity) {
        buffer = new byte[Math.max(16, initialCapacity)];
    }

    private void ensure(int n) {
        if (size + n > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + n));
        }
    }

    int size() {
        return size;
    }

    void u8(int v) {
        ensure(1);
        buffer[size++] = (byte) v;
    }

    void u16(int v) {
        ensure(2);
        buffer[size++] = (byte) (v >>> 8);
        buffer[size++] = (byte) v;
    }

    void u32(long v) {
        ensure(4);
        buffer[size++] = (byte) (v >>> 24);
        buffer[size++] = (byte) (v >>> 16);
        buffer[size++] = (byte) (v >>> 8);
        buffer[size++] = (byte) v;
    }

    void bytes(byte[] b) {
        bytes(b, 0, b.length);
    }

    void bytes(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buffer, size, len);
        size += len;
    }

    void patch16(int at, int v) {
        buffer[at] = (byte) (v >>> 8);
        buffer[at + 1] = (byte) v;
    }

    void patch8(int at, int v) {
        buffer[at] = (byte) v;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buffer, size);
    }
}
