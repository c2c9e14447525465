package dev.jute.dataplane;

import java.nio.file.Path;

/** A wired pod interface: both ends of its veth pair. */
public record PodLink(String hostInterfaceName, int hostInterfaceIndex, MacAddress hostMac,
                      String podInterfaceName, int podInterfaceIndex, MacAddress podMac, Path podNetns) {
}
