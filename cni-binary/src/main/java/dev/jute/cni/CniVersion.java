package dev.jute.cni;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CNI specification versions Jute speaks, oldest first (so {@link #compareTo} orders them).
 *
 * <p>0.1.0 and 0.2.0 are deliberately unsupported: their result format (a single "ip4"/"ip6"
 * object) cannot describe Jute's interfaces, and no runtime Jute targets still needs them.
 */
public enum CniVersion {
    V0_3_0("0.3.0"),
    V0_3_1("0.3.1"),
    V0_4_0("0.4.0"),
    V1_0_0("1.0.0"),
    V1_1_0("1.1.0");

    /** The newest version, used when the caller named none we know. */
    public static final CniVersion LATEST = V1_1_0;

    private final String text;

    CniVersion(String text) {
        this.text = text;
    }

    /** The version as written in JSON, e.g. "0.4.0". */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }

    /**
     * The supported version for a {@code cniVersion} string.
     *
     * @throws CniException code 1 (incompatible CNI version) for anything else
     */
    public static CniVersion parse(String version) throws CniException {
        CniVersion v = find(version);
        if (v != null) {
            return v;
        }
        String supported = supportedList();
        if (version == null || version.isEmpty()) {
            throw new CniException(CniErrorCode.INCOMPATIBLE_CNI_VERSION,
                    "network configuration has no cniVersion",
                    "a missing cniVersion means 0.1.0, which jute does not support; supported versions: " + supported);
        }
        if ("0.1.0".equals(version) || "0.2.0".equals(version)) {
            throw new CniException(CniErrorCode.INCOMPATIBLE_CNI_VERSION,
                    "CNI version " + version + " is not supported",
                    "jute needs the result format introduced in 0.3.0; supported versions: " + supported);
        }
        throw new CniException(CniErrorCode.INCOMPATIBLE_CNI_VERSION,
                "incompatible CNI version \"" + version + "\"",
                "supported versions: " + supported);
    }

    /** The supported version for the exact string, or null. */
    public static CniVersion find(String version) {
        if (version == null) {
            return null;
        }
        for (CniVersion v : values()) {
            if (v.text.equals(version)) {
                return v;
            }
        }
        return null;
    }

    /** Does the specification of this version define the command? */
    public boolean allows(CniCommand command) {
        return compareTo(command.introducedIn()) >= 0;
    }

    /** CHECK exists since 0.4.0. */
    public boolean supportsCheck() {
        return allows(CniCommand.CHECK);
    }

    /** STATUS exists since 1.1.0. */
    public boolean supportsStatus() {
        return allows(CniCommand.STATUS);
    }

    /** GC exists since 1.1.0. */
    public boolean supportsGc() {
        return allows(CniCommand.GC);
    }

    /** Results before 1.0.0 carry {@code "version":"4"|"6"} in every IP entry. */
    public boolean ipsCarryVersion() {
        return compareTo(V1_0_0) < 0;
    }

    /**
     * 1.1.0 added interface mtu/socketPath/pciID and route mtu/advmss/priority/table/scope.
     */
    public boolean hasExtendedFields() {
        return compareTo(V1_1_0) >= 0;
    }

    /** The texts of all supported versions, oldest first. */
    public static List<String> supportedTexts() {
        ArrayList<String> list = new ArrayList<>();
        for (CniVersion v : values()) {
            list.add(v.text);
        }
        return list;
    }

    private static String supportedList() {
        StringBuilder sb = new StringBuilder();
        for (CniVersion v : values()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(v.text);
        }
        return sb.toString();
    }

    /**
     * The VERSION result. The spec asks the plugin to answer in the cniVersion of the request; a
     * request naming a version we do not speak (or none) is answered in {@link #LATEST}, because
     * the point of VERSION is to let the runtime discover what we do speak.
     */
    public static Map<String, Object> versionResult(String requestedVersion) {
        CniVersion answer = find(requestedVersion);
        LinkedHashMap<String, Object> json = new LinkedHashMap<>();
        json.put("cniVersion", (answer == null ? LATEST : answer).text);
        json.put("supportedVersions", supportedTexts());
        return json;
    }

    /** {@link #versionResult(String)} as compact JSON text. */
    public static String versionResultText(String requestedVersion) {
        try {
            return Json.write(versionResult(requestedVersion));
        } catch (JsonException e) {
            throw new IllegalStateException("version result is plain strings", e);
        }
    }

    /**
     * The version to write an error in when a request did not validate: the cniVersion of the
     * configuration text if it is one we speak, else {@link #LATEST}. Never fails.
     */
    public static CniVersion ofConfigOrLatest(String configJson) {
        if (configJson != null && !configJson.isBlank()) {
            try {
                if (Json.parse(configJson) instanceof Map<?, ?> map && map.get("cniVersion") instanceof String v) {
                    CniVersion version = find(v);
                    if (version != null) {
                        return version;
                    }
                }
            } catch (JsonException e) {
                // undecodable: the newest version it is
            }
        }
        return LATEST;
    }
}
