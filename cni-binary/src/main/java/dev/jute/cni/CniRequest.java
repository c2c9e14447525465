package dev.jute.cni;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One plugin invocation: the CNI environment variables plus the configuration on stdin, validated
 * for the command as the CNI 1.1.0 specification (and libcni's skel) require.
 *
 * <p>Checks, in order: CNI_COMMAND (code 4); for ADD/DEL/CHECK the container ID, network namespace
 * (not needed by DEL) and interface name, and CNI_ARGS (code 4); the configuration (code 6 when
 * undecodable, 7 when invalid, 1 when its cniVersion is unsupported); the command against the
 * configuration's version (code 1: CHECK needs 0.4.0, STATUS and GC 1.1.0); CHECK's prevResult and
 * GC's valid attachments (code 7). STATUS and GC ignore the container variables.
 */
public final class CniRequest {
    public static final String CNI_COMMAND = "CNI_COMMAND";
    public static final String CNI_CONTAINERID = "CNI_CONTAINERID";
    public static final String CNI_NETNS = "CNI_NETNS";
    public static final String CNI_IFNAME = "CNI_IFNAME";
    public static final String CNI_ARGS = "CNI_ARGS";
    public static final String CNI_PATH = "CNI_PATH";

    public static final String K8S_POD_NAMESPACE = "K8S_POD_NAMESPACE";
    public static final String K8S_POD_NAME = "K8S_POD_NAME";
    public static final String K8S_POD_UID = "K8S_POD_UID";
    public static final String K8S_POD_INFRA_CONTAINER_ID = "K8S_POD_INFRA_CONTAINER_ID";

    private final CniCommand command;
    private final String containerId;
    private final String netns;
    private final String ifname;
    private final Map<String, String> args;
    private final List<String> path;
    private final NetworkConfig config;
    private final String requestedVersion;
    private final Map<String, String> environment;

    private CniRequest(CniCommand command, String containerId, String netns, String ifname, Map<String, String> args,
                       List<String> path, NetworkConfig config, String requestedVersion,
                       Map<String, String> environment) {
        this.command = command;
        this.containerId = containerId;
        this.netns = netns;
        this.ifname = ifname;
        this.args = args;
        this.path = path;
        this.config = config;
        this.requestedVersion = requestedVersion;
        this.environment = environment;
    }

    /**
     * Validates an invocation.
     *
     * @param env   the process environment (only CNI_* variables are looked at)
     * @param stdin everything read from stdin
     */
    public static CniRequest parse(Map<String, String> env, String stdin) throws CniException {
        Map<String, String> cniEnv = cniVariables(env);
        String commandName = cniEnv.get(CNI_COMMAND);
        if (commandName == null || commandName.isEmpty()) {
            throw new CniException(CniErrorCode.INVALID_ENVIRONMENT_VARIABLES,
                    "required environment variables [CNI_COMMAND] missing");
        }
        CniCommand command = CniCommand.ofName(commandName);
        if (command == null) {
            throw new CniException(CniErrorCode.INVALID_ENVIRONMENT_VARIABLES,
                    "unknown CNI_COMMAND: " + commandName,
                    "CNI_COMMAND must be one of ADD, DEL, CHECK, STATUS, GC, VERSION");
        }
        List<String> path = splitPath(cniEnv.get(CNI_PATH));

        if (command == CniCommand.VERSION) {
            return new CniRequest(command, null, null, null, Map.of(), path, null,
                    requestedVersion(stdin), cniEnv);
        }

        String containerId = null;
        String netns = null;
        String ifname = null;
        if (command.targetsContainer()) {
            containerId = cniEnv.get(CNI_CONTAINERID);
            netns = cniEnv.get(CNI_NETNS);
            ifname = cniEnv.get(CNI_IFNAME);
            StringBuilder missing = new StringBuilder();
            appendIfMissing(missing, CNI_CONTAINERID, containerId);
            if (command.requiresNetns()) {
                appendIfMissing(missing, CNI_NETNS, netns);
            }
            appendIfMissing(missing, CNI_IFNAME, ifname);
            if (missing.length() > 0) {
                throw new CniException(CniErrorCode.INVALID_ENVIRONMENT_VARIABLES,
                        "required environment variables [" + missing + "] missing");
            }
            String problem = CniIdentifiers.containerIdProblem(containerId);
            if (problem != null) {
                throw invalidVariable(CNI_CONTAINERID, containerId, problem);
            }
            if (netns == null || netns.isEmpty()) {
                netns = null; // DEL: the namespace may already be gone
            } else if (!netns.startsWith("/")) {
                throw invalidVariable(CNI_NETNS, netns, "must be an absolute path to a network namespace");
            }
            problem = CniIdentifiers.interfaceNameProblem(ifname);
            if (problem != null) {
                throw invalidVariable(CNI_IFNAME, ifname, problem);
            }
        }
        Map<String, String> args = parseArgs(cniEnv.get(CNI_ARGS));

        NetworkConfig config = NetworkConfig.fromJson(NetworkConfig.decode(stdin), command == CniCommand.DEL);
        CniVersion version = config.cniVersion();
        if (!version.allows(command)) {
            throw new CniException(CniErrorCode.INCOMPATIBLE_CNI_VERSION,
                    "config version " + version.text() + " does not allow " + command.name(),
                    command.name() + " needs cniVersion " + command.introducedIn().text() + " or newer");
        }
        if (command == CniCommand.CHECK && config.prevResult() == null) {
            throw JsonFields.invalid("prevResult", "is required for CHECK (the result of the preceding ADD)");
        }
        if (command == CniCommand.GC && config.validAttachments() == null) {
            // Treating a missing list as "nothing is valid" would delete every attachment.
            throw JsonFields.invalid(NetworkConfig.VALID_ATTACHMENTS_KEY, "is required for GC");
        }
        return new CniRequest(command, containerId, netns, ifname, args, path, config, null, cniEnv);
    }

    /** The CNI_* variables of an environment, in a new map. */
    public static Map<String, String> cniVariables(Map<String, String> env) {
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().startsWith("CNI_")) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Parses CNI_ARGS ("K=V;K=V", libcni's format). Empty segments are skipped; a segment without
     * '=' or with an empty key is code 4; the value is everything after the first '='; a repeated
     * key keeps its last value.
     */
    public static Map<String, String> parseArgs(String cniArgs) throws CniException {
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        if (cniArgs == null || cniArgs.isEmpty()) {
            return Collections.unmodifiableMap(out);
        }
        int start = 0;
        while (start <= cniArgs.length()) {
            int end = cniArgs.indexOf(';', start);
            if (end < 0) {
                end = cniArgs.length();
            }
            if (end > start) {
                String pair = cniArgs.substring(start, end);
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw invalidVariable(CNI_ARGS, cniArgs,
                            "must be KEY=VALUE pairs separated by ';', found \"" + pair + "\"");
                }
                out.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
            start = end + 1;
        }
        return Collections.unmodifiableMap(out);
    }

    private static List<String> splitPath(String cniPath) {
        ArrayList<String> dirs = new ArrayList<>();
        if (cniPath != null) {
            int start = 0;
            while (start <= cniPath.length()) {
                int end = cniPath.indexOf(':', start);
                if (end < 0) {
                    end = cniPath.length();
                }
                if (end > start) {
                    dirs.add(cniPath.substring(start, end));
                }
                start = end + 1;
            }
        }
        return Collections.unmodifiableList(dirs);
    }

    /** VERSION's stdin is {@code {"cniVersion":...}} or, from older runtimes, nothing at all. */
    private static String requestedVersion(String stdin) throws CniException {
        if (stdin == null || stdin.isBlank()) {
            return null;
        }
        Object value;
        try {
            value = Json.parse(stdin);
        } catch (JsonException e) {
            throw new CniException(CniErrorCode.DECODING_FAILURE, "cannot decode the VERSION request on stdin",
                    e.getMessage());
        }
        if (value instanceof Map<?, ?> map && map.get("cniVersion") instanceof String v) {
            return v;
        }
        return null;
    }

    private static void appendIfMissing(StringBuilder missing, String name, String value) {
        if (value == null || value.isEmpty()) {
            if (missing.length() > 0) {
                missing.append(',');
            }
            missing.append(name);
        }
    }

    private static CniException invalidVariable(String name, String value, String problem) {
        return new CniException(CniErrorCode.INVALID_ENVIRONMENT_VARIABLES,
                "invalid " + name + ": " + problem, name + "=" + value);
    }

    public CniCommand command() {
        return command;
    }

    /** CNI_CONTAINERID for ADD/DEL/CHECK, else null. */
    public String containerId() {
        return containerId;
    }

    /** CNI_NETNS for ADD/CHECK; for DEL possibly null (namespace already gone); else null. */
    public String netns() {
        return netns;
    }

    /** CNI_IFNAME for ADD/DEL/CHECK, else null. */
    public String ifname() {
        return ifname;
    }

    /** The parsed CNI_ARGS, empty when unset. */
    public Map<String, String> args() {
        return args;
    }

    /** One CNI_ARGS value. */
    public Optional<String> arg(String key) {
        return Optional.ofNullable(args.get(key));
    }

    public Optional<String> podNamespace() {
        return arg(K8S_POD_NAMESPACE);
    }

    public Optional<String> podName() {
        return arg(K8S_POD_NAME);
    }

    public Optional<String> podUid() {
        return arg(K8S_POD_UID);
    }

    public Optional<String> podInfraContainerId() {
        return arg(K8S_POD_INFRA_CONTAINER_ID);
    }

    /** CNI_PATH split into directories. */
    public List<String> path() {
        return path;
    }

    /** The network configuration; null for VERSION. */
    public NetworkConfig config() {
        return config;
    }

    /** VERSION only: the cniVersion the runtime asked in, or null. */
    public String requestedVersion() {
        return requestedVersion;
    }

    /**
     * The version to answer in: the configuration's, or for VERSION the one the runtime asked for
     * when supported, else {@link CniVersion#LATEST}.
     */
    public CniVersion responseVersion() {
        if (config != null) {
            return config.cniVersion();
        }
        CniVersion v = CniVersion.find(requestedVersion);
        return v == null ? CniVersion.LATEST : v;
    }

    /** The CNI_* environment variables as received. */
    public Map<String, String> environment() {
        return environment;
    }
}
