package dev.jute.cni;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The plugin configuration the runtime streams to stdin. Known fields are decoded and checked;
 * everything (including unknown fields such as "ipam" or "capabilities") stays available in
 * {@link #raw()}.
 *
 * <p>Jute-specific fields: {@code agentSocket} (absolute path of the agent's unix socket,
 * default {@value #DEFAULT_AGENT_SOCKET_PATH}) and {@code agentTimeoutSeconds} (how long jute-cni
 * waits for the agent, 1..3600, default 60).
 */
public final class NetworkConfig {
    public static final String DEFAULT_AGENT_SOCKET_PATH = "/run/jute/cni.sock";
    public static final Duration DEFAULT_AGENT_TIMEOUT = Duration.ofSeconds(60);
    public static final String VALID_ATTACHMENTS_KEY = "cni.dev/valid-attachments";
    /** The smallest MTU IPv4 allows (RFC 791); the largest an interface can have. */
    public static final int MIN_MTU = 68;
    public static final int MAX_MTU = 65535;

    private final CniVersion cniVersion;
    private final String name;
    private final String type;
    private final Integer mtu;
    private final Path agentSocket;
    private final Duration agentTimeout;
    private final CniResult prevResult;
    private final String prevResultProblem;
    private final Map<String, Object> runtimeConfig;
    private final Map<String, Object> args;
    private final List<ValidAttachment> validAttachments;
    private final Map<String, Object> raw;

    private NetworkConfig(CniVersion cniVersion, String name, String type, Integer mtu, Path agentSocket,
                          Duration agentTimeout, CniResult prevResult, String prevResultProblem,
                          Map<String, Object> runtimeConfig, Map<String, Object> args,
                          List<ValidAttachment> validAttachments, Map<String, Object> raw) {
        this.cniVersion = cniVersion;
        this.name = name;
        this.type = type;
        this.mtu = mtu;
        this.agentSocket = agentSocket;
        this.agentTimeout = agentTimeout;
        this.prevResult = prevResult;
        this.prevResultProblem = prevResultProblem;
        this.runtimeConfig = runtimeConfig;
        this.args = args;
        this.validAttachments = validAttachments;
        this.raw = raw;
    }

    /**
     * Decodes stdin: undecodable JSON is code 6, anything but an object or a bad field is code 7,
     * an unsupported cniVersion is code 1.
     */
    public static NetworkConfig parse(String stdin) throws CniException {
        return fromJson(decode(stdin), false);
    }

    /** The JSON object on stdin, or code 6/7. */
    static Map<String, Object> decode(String stdin) throws CniException {
        if (stdin == null || stdin.isBlank()) {
            throw new CniException(CniErrorCode.DECODING_FAILURE, "no network configuration on stdin");
        }
        Object value;
        try {
            value = Json.parse(stdin);
        } catch (JsonException e) {
            throw new CniException(CniErrorCode.DECODING_FAILURE,
                    "cannot decode the network configuration on stdin", e.getMessage());
        }
        if (!(value instanceof Map)) {
            throw new CniException(CniErrorCode.INVALID_NETWORK_CONFIG,
                    "invalid network configuration: expected a JSON object, found " + Json.typeName(value));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) value;
        return map;
    }

    /**
     * Decodes an already parsed configuration object.
     *
     * @param tolerateBadPrevResult when true (DEL), a prevResult that cannot be read is ignored and
     *                              its problem kept in {@link #prevResultProblem()}: DEL must clean
     *                              up as much as it can instead of failing
     */
    public static NetworkConfig fromJson(Map<String, Object> raw, boolean tolerateBadPrevResult) throws CniException {
        JsonFields f = JsonFields.of(raw);
        CniVersion version = CniVersion.parse(f.string("cniVersion"));

        String name = f.string("name");
        if (name == null || name.isEmpty()) {
            throw JsonFields.invalid("name", "is required (the network name)");
        }
        String nameProblem = CniIdentifiers.networkNameProblem(name);
        if (nameProblem != null) {
            throw JsonFields.invalid("name", nameProblem + ", found \"" + name + "\"");
        }
        String type = f.string("type");
        if (type == null || type.isEmpty()) {
            String hint = raw.containsKey("plugins")
                    ? " (this is a configuration list; the runtime must pass one plugin's configuration)" : "";
            throw JsonFields.invalid("type", "is required" + hint);
        }
        Integer mtu = f.integer("mtu", MIN_MTU, MAX_MTU);

        Path agentSocket = Path.of(DEFAULT_AGENT_SOCKET_PATH);
        String socket = f.string("agentSocket");
        if (socket != null) {
            if (!socket.startsWith("/") || socket.indexOf('\0') >= 0) {
                throw JsonFields.invalid("agentSocket", "must be an absolute path, found \"" + socket + "\"");
            }
            agentSocket = Path.of(socket);
        }
        Integer timeoutSeconds = f.integer("agentTimeoutSeconds", 1, 3600);
        Duration agentTimeout = timeoutSeconds == null ? DEFAULT_AGENT_TIMEOUT : Duration.ofSeconds(timeoutSeconds);

        JsonFields runtimeConfig = f.object("runtimeConfig");
        JsonFields args = f.object("args");

        CniResult prevResult = null;
        String prevResultProblem = null;
        if (f.has("prevResult")) {
            try {
                prevResult = CniResult.fromJson(JsonFields.of(raw.get("prevResult"), "prevResult"), version);
            } catch (CniException e) {
                if (!tolerateBadPrevResult) {
                    throw e;
                }
                prevResultProblem = e.getMessage();
            } catch (IllegalArgumentException e) {
                // A structurally valid but inconsistent result, e.g. a scope out of range.
                CniException invalid = JsonFields.invalid("prevResult", e.getMessage());
                if (!tolerateBadPrevResult) {
                    throw invalid;
                }
                prevResultProblem = invalid.getMessage();
            }
        }

        List<ValidAttachment> validAttachments = null;
        List<Object> rawAttachments = f.array(VALID_ATTACHMENTS_KEY);
        if (rawAttachments != null) {
            ArrayList<ValidAttachment> list = new ArrayList<>(rawAttachments.size());
            for (int i = 0; i < rawAttachments.size(); i++) {
                JsonFields a = JsonFields.of(rawAttachments.get(i), VALID_ATTACHMENTS_KEY + "[" + i + "]");
                list.add(new ValidAttachment(a.requiredString("containerID"), a.requiredString("ifname")));
            }
            validAttachments = Collections.unmodifiableList(list);
        }

        return new NetworkConfig(version, name, type, mtu, agentSocket, agentTimeout, prevResult, prevResultProblem,
                runtimeConfig == null ? Map.of() : Collections.unmodifiableMap(runtimeConfig.object()),
                args == null ? Map.of() : Collections.unmodifiableMap(args.object()),
                validAttachments, Collections.unmodifiableMap(new LinkedHashMap<>(raw)));
    }

    public CniVersion cniVersion() {
        return cniVersion;
    }

    /** The network name (libcni rules). */
    public String name() {
        return name;
    }

    /** The plugin type (normally "jute-cni"). */
    public String type() {
        return type;
    }

    /** The configured MTU (68..65535), or null to let the agent decide. */
    public Integer mtu() {
        return mtu;
    }

    /** The agent's unix socket. */
    public Path agentSocket() {
        return agentSocket;
    }

    /** How long jute-cni waits for the agent's answer. */
    public Duration agentTimeout() {
        return agentTimeout;
    }

    /** The previous plugin's (or previous ADD's) result, or null. */
    public CniResult prevResult() {
        return prevResult;
    }

    /** Why a prevResult present in the configuration was ignored (DEL only), or null. */
    public String prevResultProblem() {
        return prevResultProblem;
    }

    /** {@code runtimeConfig} (capability arguments), empty when absent. */
    public Map<String, Object> runtimeConfig() {
        return runtimeConfig;
    }

    /** {@code args} (conventions' per-container arguments), empty when absent. */
    public Map<String, Object> args() {
        return args;
    }

    /** GC's still-valid attachments, or null when the key is absent (never "keep nothing"). */
    public List<ValidAttachment> validAttachments() {
        return validAttachments;
    }

    /** The whole configuration object as received. */
    public Map<String, Object> raw() {
        return raw;
    }
}
