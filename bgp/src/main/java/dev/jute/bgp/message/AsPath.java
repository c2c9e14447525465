package dev.jute.bgp.message;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An AS path: a list of segments, AS numbers held as unsigned 32-bit values in ints.
 * Immutable; hash code is cached because paths are interned with their attribute sets.
 */
public final class AsPath {
    public static final int AS_SET = 1;
    public static final int AS_SEQUENCE = 2;
    public static final int AS_CONFED_SEQUENCE = 3;
    public static final int AS_CONFED_SET = 4;

    public static final AsPath EMPTY = new AsPath(List.of());

    /** One path segment; {@code asns} is defensively copied. */
    public record Segment(int type, int[] asns) {
        public Segment {
            if (type < AS_SET || type > AS_CONFED_SET) {
                throw new IllegalArgumentException("unknown AS path segment type " + type);
            }
            asns = asns.clone();
        }

        @Override
        public int[] asns() {
            return asns.clone();
        }

        int size() {
            return asns.length;
        }

        int asAt(int i) {
            return asns[i];
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Segment s && s.type == type && Arrays.equals(s.asns, asns);
        }

        @Override
        public int hashCode() {
            return type * 31 + Arrays.hashCode(asns);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            for (int a : asns) {
                if (!b.isEmpty()) {
                    b.append(' ');
                }
                b.append(Integer.toUnsignedString(a));
            }
            return switch (type) {
                case AS_SET -> "{" + b + "}";
                case AS_CONFED_SEQUENCE -> "(" + b + ")";
                case AS_CONFED_SET -> "[" + b + "]";
                default -> b.toString();
            };
        }
    }

    private final List<Segment> segments;
    private final int hash;

    public AsPath(List<Segment> segments) {
        this.segments = List.copyOf(segments);
        this.hash = this.segments.hashCode();
    }

    /** A path that is one AS_SEQUENCE of the given AS numbers. */
    public static AsPath sequence(long... asns) {
        if (asns.length == 0) {
            return EMPTY;
        }
        int[] a = new int[asns.length];
        for (int i = 0; i < asns.length; i++) {
            a[i] = (int) asns[i];
        }
        return new AsPath(List.of(new Segment(AS_SEQUENCE, a)));
    }

    public List<Segment> segments() {
        return segments;
    }

    /** Path length for the decision process (RFC 4271 §9.1.2.2): a set counts one, confed segments zero. */
    public int length() {
        int n = 0;
        for (Segment s : segments) {
            if (s.type() == AS_SEQUENCE) {
                n += s.size();
            } else if (s.type() == AS_SET) {
                n += 1;
            }
        }
        return n;
    }

    /** Number of AS numbers in all segments; used to merge AS_PATH with AS4_PATH (RFC 6793 §4.2.3). */
    public int asCount() {
        int n = 0;
        for (Segment s : segments) {
            n += s.type() == AS_SET || s.type() == AS_CONFED_SET ? 1 : s.size();
        }
        return n;
    }

    public boolean contains(long as) {
        for (Segment s : segments) {
            for (int i = 0; i < s.size(); i++) {
                if ((s.asAt(i) & 0xFFFF_FFFFL) == as) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The neighbouring AS: the first AS of a leading AS_SEQUENCE, or -1 (RFC 4271 §9.1.2.2 c). */
    public long firstAs() {
        for (Segment s : segments) {
            if (s.type() == AS_CONFED_SEQUENCE || s.type() == AS_CONFED_SET) {
                continue;
            }
            return s.type() == AS_SEQUENCE && s.size() > 0 ? s.asAt(0) & 0xFFFF_FFFFL : -1;
        }
        return -1;
    }

    public boolean hasFourOctetAs() {
        for (Segment s : segments) {
            for (int i = 0; i < s.size(); i++) {
                if ((s.asAt(i) & 0xFFFF_FFFFL) > 0xFFFF) {
                    return true;
                }
            }
        }
        return false;
    }

    /** This path with {@code as} prepended {@code times} times, respecting the 255-AS segment limit. */
    public AsPath prepend(long as, int times) {
        List<Segment> out = new ArrayList<>(segments);
        int[] lead = new int[0];
        if (!out.isEmpty() && out.get(0).type() == AS_SEQUENCE) {
            lead = out.remove(0).asns;
        }
        int[] merged = new int[lead.length + times];
        Arrays.fill(merged, 0, times, (int) as);
        System.arraycopy(lead, 0, merged, times, lead.length);
        List<Segment> split = new ArrayList<>();
        for (int i = 0; i < merged.length; i += 255) {
            split.add(new Segment(AS_SEQUENCE, Arrays.copyOfRange(merged, i, Math.min(merged.length, i + 255))));
        }
        split.addAll(out);
        return new AsPath(split);
    }

    /** The path with every AS above 65535 replaced by AS_TRANS, for a 2-octet peer (RFC 6793 §4.2.2). */
    public AsPath withAsTrans() {
        List<Segment> out = new ArrayList<>(segments.size());
        for (Segment s : segments) {
            int[] a = s.asns;
            int[] t = new int[a.length];
            for (int i = 0; i < a.length; i++) {
                t[i] = (a[i] & 0xFFFF_FFFFL) > 0xFFFF ? OpenMessage.AS_TRANS : a[i];
            }
            out.add(new Segment(s.type(), t));
        }
        return new AsPath(out);
    }

    /** Confederation segments removed: AS4_PATH never carries them (RFC 6793 §3). */
    public AsPath withoutConfederationSegments() {
        List<Segment> out = new ArrayList<>();
        for (Segment s : segments) {
            if (s.type() == AS_SEQUENCE || s.type() == AS_SET) {
                out.add(s);
            }
        }
        return out.size() == segments.size() ? this : new AsPath(out);
    }

    /**
     * Rebuilds the real path from a 2-octet AS_PATH and an AS4_PATH (RFC 6793 §4.2.3): keep the
     * leading AS numbers of AS_PATH that AS4_PATH does not cover, then append AS4_PATH.
     */
    public static AsPath merge(AsPath asPath, AsPath as4Path) {
        int extra = asPath.asCount() - as4Path.asCount();
        if (extra < 0) {
            return asPath; // AS4_PATH is longer: it must be ignored
        }
        List<Segment> out = new ArrayList<>();
        for (Segment s : asPath.segments) {
            if (extra == 0) {
                break;
            }
            if (s.type() == AS_SET || s.type() == AS_CONFED_SET) {
                out.add(s);
                extra--;
            } else if (s.size() <= extra) {
                out.add(s);
                extra -= s.size();
            } else {
                out.add(new Segment(s.type(), Arrays.copyOf(s.asns, extra)));
                extra = 0;
            }
        }
        for (Segment s : as4Path.segments) {
            Segment last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last.type() == AS_SEQUENCE && s.type() == AS_SEQUENCE && last.size() + s.size() <= 255) {
                // One sequence split only by the 2-octet/4-octet boundary is still one sequence.
                int[] joined = Arrays.copyOf(last.asns, last.size() + s.size());
                System.arraycopy(s.asns, 0, joined, last.size(), s.size());
                out.set(out.size() - 1, new Segment(AS_SEQUENCE, joined));
            } else {
                out.add(s);
            }
        }
        return new AsPath(out);
    }

    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof AsPath p && p.hash == hash && p.segments.equals(segments));
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Segment s : segments) {
            if (!b.isEmpty()) {
                b.append(' ');
            }
            b.append(s);
        }
        return b.toString();
    }
}
