package dev.jute.inbox.cluster;

import dev.jute.cni.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code <state dir>/cluster.json}: which process runs the cluster and where its API is. Written when the
 * cluster is up (so its presence means "ready"); {@code cluster down} and {@code status} read it.
 */
record ClusterStateFile(long pid, String apiUrl, List<String> nodes) {

    static void write(ClusterNames names, long pid, String apiUrl, List<String> nodes) throws IOException {
        String nodeList = String.join(",", nodes.stream().map(n -> "\"" + n + "\"").toList());
        String text = "{\"cluster\":\"" + names.cluster() + "\",\"pid\":" + pid + ",\"api\":\"" + apiUrl
                      + "\",\"nodes\":[" + nodeList + "]}\n";
        var temporary = names.stateFile().resolveSibling("cluster.json.tmp");
        Files.writeString(temporary, text);
        Files.move(temporary, names.stateFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @SuppressWarnings("unchecked")
    static Optional<ClusterStateFile> read(ClusterNames names) {
        try {
            Map<String, Object> json = Json.parseObject(Files.readString(names.stateFile()));
            return Optional.of(new ClusterStateFile(((Number) json.get("pid")).longValue(), (String) json.get("api"),
                    (List<String>) json.get("nodes")));
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}
