package dev.jute.inbox.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes a POSIX tar stream (ustar headers, PAX extended headers for names that do not fit) whose bytes
 * depend only on the entries given: every entry is owned by root (uid and gid 0) and carries the same
 * modification time, so the same files always give the same layer digest. The caller decides the order
 * (image layers are written sorted by {@link ImageTree}).
 */
public final class TarArchiveWriter implements AutoCloseable {

    private static final int BLOCK = 512;
    private static final byte REGULAR = '0';
    private static final byte SYMLINK = '2';
    private static final byte DIRECTORY = '5';
    private static final byte PAX_HEADER = 'x';
    private static final long MAX_OCTAL_SIZE = 077777777777L; // 11 octal digits: 8 GiB - 1

    private final OutputStream out;
    private final long mtime;
    private long written;
    private boolean closed;

    /**
     * @param out   where the archive goes; closed with this writer
     * @param mtime the modification time of every entry, in seconds since the epoch
     */
    public TarArchiveWriter(OutputStream out, long mtime) {
        if (mtime < 0) {
            throw new IllegalArgumentException("tar mtime must not be negative: " + mtime);
        }
        this.out = out;
        this.mtime = mtime;
    }

    /** A directory; {@code path} is relative ("opt/jute"), a trailing slash is added. */
    public void directory(String path, int mode) throws IOException {
        header(checked(path) + "/", mode, 0, DIRECTORY, "");
    }

    /** A regular file of exactly {@code size} bytes read from {@code content}. */
    public void file(String path, int mode, long size, InputStream content) throws IOException {
        header(checked(path), mode, size, REGULAR, "");
        byte[] buffer = new byte[64 * 1024];
        long left = size;
        while (left > 0) {
            int n = content.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException(path + " ended " + left + " bytes before its declared size " + size);
            }
            write(buffer, 0, n);
            left -= n;
        }
        if (content.read() >= 0) {
            throw new IOException(path + " is longer than its declared size " + size + " (changed while archived?)");
        }
        pad();
    }

    public void symlink(String path, String target) throws IOException {
        if (target.isEmpty()) {
            throw new IllegalArgumentException("symlink " + path + " has an empty target");
        }
        header(checked(path), 0777, 0, SYMLINK, target);
    }

    /** Bytes written so far, including padding. */
    public long size() {
        return written;
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try (out) {
            write(new byte[2 * BLOCK], 0, 2 * BLOCK);
            out.flush();
        }
    }

    private void header(String name, int mode, long size, byte type, String linkName) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        byte[] linkBytes = linkName.getBytes(StandardCharsets.UTF_8);
        int split = ustarSplit(nameBytes);
        boolean paxPath = split < 0;
        boolean paxLink = linkBytes.length > 100;
        if (paxPath || paxLink || size > MAX_OCTAL_SIZE) {
            StringBuilder records = new StringBuilder();
            if (paxPath) {
                records.append(paxRecord("path", name));
            }
            if (paxLink) {
                records.append(paxRecord("linkpath", linkName));
            }
            if (size > MAX_OCTAL_SIZE) {
                records.append(paxRecord("size", Long.toString(size)));
            }
            byte[] body = records.toString().getBytes(StandardCharsets.UTF_8);
            // The PAX header's own name only needs to be stable and to fit.
            write(ustarHeader(paxName(nameBytes), 0644, body.length, PAX_HEADER, new byte[0], new byte[0]), 0, BLOCK);
            write(body, 0, body.length);
            pad();
        }
        byte[] prefix = new byte[0];
        byte[] shortName = nameBytes;
        if (paxPath) {
            shortName = paxName(nameBytes);
        } else if (split > 0) {
            prefix = Arrays.copyOfRange(nameBytes, 0, split);
            shortName = Arrays.copyOfRange(nameBytes, split + 1, nameBytes.length);
        }
        byte[] link = paxLink ? Arrays.copyOf(linkBytes, 100) : linkBytes;
        write(ustarHeader(shortName, mode, size > MAX_OCTAL_SIZE ? 0 : size, type, link, prefix), 0, BLOCK);
    }

    private byte[] ustarHeader(byte[] name, int mode, long size, byte type, byte[] link, byte[] prefix) {
        byte[] h = new byte[BLOCK];
        System.arraycopy(name, 0, h, 0, Math.min(name.length, 100));
        octal(h, 100, 8, mode & 07777);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = type;
        System.arraycopy(link, 0, h, 157, Math.min(link.length, 100));
        System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
        System.arraycopy("root".getBytes(StandardCharsets.US_ASCII), 0, h, 265, 4);
        System.arraycopy("root".getBytes(StandardCharsets.US_ASCII), 0, h, 297, 4);
        System.arraycopy(prefix, 0, h, 345, Math.min(prefix.length, 155));
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        // Six octal digits, NUL, space: the historical layout every reader accepts.
        String checksum = String.format("%06o", sum);
        System.arraycopy(checksum.getBytes(StandardCharsets.US_ASCII), 0, h, 148, 6);
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    /** Where to split a name into ustar prefix and name; 0 when it fits the name field, -1 when it fits nowhere. */
    private static int ustarSplit(byte[] name) {
        if (name.length <= 100) {
            return 0;
        }
        for (int i = Math.min(name.length - 2, 155); i > 0; i--) {
            if (name[i] == '/' && name.length - i - 1 <= 100 && name.length - i - 1 > 0) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] paxName(byte[] name) {
        byte[] tail = Arrays.copyOfRange(name, Math.max(0, name.length - 80), name.length);
        byte[] result = new byte[tail.length + 10];
        System.arraycopy("PaxHeader/".getBytes(StandardCharsets.US_ASCII), 0, result, 0, 10);
        System.arraycopy(tail, 0, result, 10, tail.length);
        return result;
    }

    /** A PAX record "LEN key=value\n", where LEN counts the whole record including its own digits. */
    private static String paxRecord(String key, String value) {
        int body = key.getBytes(StandardCharsets.UTF_8).length + value.getBytes(StandardCharsets.UTF_8).length + 3;
        int length = body + Integer.toString(body).length();
        if (Integer.toString(length).length() != Integer.toString(body).length()) {
            length++;
        }
        return length + " " + key + "=" + value + "\n";
    }

    private static void octal(byte[] header, int offset, int width, long value) {
        String digits = Long.toOctalString(value);
        if (digits.length() > width - 1) {
            throw new IllegalArgumentException("value " + value + " does not fit a " + width + "-byte tar field");
        }
        String padded = "0".repeat(width - 1 - digits.length()) + digits;
        System.arraycopy(padded.getBytes(StandardCharsets.US_ASCII), 0, header, offset, width - 1);
        header[offset + width - 1] = 0;
    }

    private static String checked(String path) {
        if (path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("//")
            || Arrays.asList(path.split("/")).contains("..") || Arrays.asList(path.split("/")).contains(".")) {
            throw new IllegalArgumentException("not a clean relative archive path: '" + path + "'");
        }
        return path;
    }

    private void pad() throws IOException {
        int rest = (int) (written % BLOCK);
        if (rest != 0) {
            write(new byte[BLOCK - rest], 0, BLOCK - rest);
        }
    }

    private void write(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
        written += length;
    }
}
