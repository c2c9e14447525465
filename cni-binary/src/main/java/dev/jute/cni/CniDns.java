package dev.jute.cni;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code dns} object of a result (same shape in every supported version).
 *
 * @param nameservers resolver addresses, in priority order
 * @param domain      local domain, or null
 * @param search      search domains
 * @param options     resolver options, e.g. "ndots:5"
 */
public record CniDns(List<String> nameservers, String domain, List<String> search, List<String> options) {

    /** No DNS information. */
    public static final CniDns EMPTY = new CniDns(List.of(), null, List.of(), List.of());

    public CniDns {
        nameservers = nameservers == null ? List.of() : List.copyOf(nameservers);
        domain = CniInterface.emptyToNull(domain);
        search = search == null ? List.of() : List.copyOf(search);
        options = options == null ? List.of() : List.copyOf(options);
    }

    public boolean isEmpty() {
        return nameservers.isEmpty() && domain == null && search.isEmpty() && options.isEmpty();
    }

    Map<String, Object> toJson() {
        LinkedHashMap<String, Object> json = new LinkedHashMap<>();
        if (!nameservers.isEmpty()) {
            json.put("nameservers", nameservers);
        }
        if (domain != null) {
            json.put("domain", domain);
        }
        if (!search.isEmpty()) {
            json.put("search", search);
        }
        if (!options.isEmpty()) {
            json.put("options", options);
        }
        return json;
    }

    static CniDns fromJson(JsonFields f) throws CniException {
        return new CniDns(f.stringList("nameservers"), f.string("domain"), f.stringList("search"),
                f.stringList("options"));
    }
}
