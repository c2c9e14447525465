package dev.jute.dataplane.bpf;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** What the typed map sets ({@link PolicyMaps}, {@link ServiceMaps}) share: opening pins and checking layouts. */
final class PinnedMaps {

    private PinnedMaps() {
    }

    /**
     * Opens the maps {@code names} pinned under {@code pinDirectory} and wraps them; all or none: if
     * opening or wrapping (its layout checks) fails, the maps opened so far are closed.
     */
    static <T> T open(Path pinDirectory, List<String> names, Function<Map<String, BpfMap>, T> wrap) {
        Map<String, BpfMap> opened = new LinkedHashMap<>();
        try {
            for (String name : names) {
                opened.put(name, BpfMap.openPinned(pinDirectory.resolve(name)));
            }
            return wrap.apply(opened);
        } catch (RuntimeException e) {
            opened.values().forEach(BpfMap::close);
            throw e;
        }
    }

    /** Refuses a map whose key or value size is not this build's layout (e.g. pinned by an older agent). */
    static void requireSizes(Map<String, BpfMap> maps, String name, int keySize, int valueSize) {
        BpfMap map = maps.get(name);
        if (map.keySize() != keySize || map.valueSize() != valueSize) {
            throw new IllegalStateException("map " + name + " has " + map.keySize() + "/" + map.valueSize()
                                            + "-byte keys/values, this build expects " + keySize + "/" + valueSize);
        }
    }
}
