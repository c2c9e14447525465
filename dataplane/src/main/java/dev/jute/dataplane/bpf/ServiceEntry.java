package dev.jute.dataplane.bpf;

import java.util.List;
import java.util.Objects;

/** A frontend with its backends as the maps hold them, in slot order (node-local ones first). */
public record ServiceEntry(ServiceFrontend frontend, List<ServiceBackend> backends) {

    public ServiceEntry {
        Objects.requireNonNull(frontend, "frontend");
        backends = List.copyOf(backends);
    }
}
