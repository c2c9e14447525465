package dev.jute.ipam;

import java.util.Objects;

/**
 * What an allocation belongs to: a CNI attachment, identified by the container ID and the interface
 * name inside the container, as the CNI specification identifies attachments.
 *
 * @param containerId the CNI {@code CNI_CONTAINERID}
 * @param ifname      the CNI {@code CNI_IFNAME}
 */
public record AllocationKey(String containerId, String ifname) {
    public AllocationKey {
        requireText(containerId, "containerId");
        requireText(ifname, "ifname");
    }

    private static void requireText(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
        // The store writes one field per line; control characters have no business in CNI identifiers.
        if (value.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(name + " contains a control character: " + value.strip());
        }
    }

    @Override
    public String toString() {
        return containerId + "/" + ifname;
    }
}
