/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Definitions shared by every Jute BPF program: verdicts, reserved identities, directions, drop
 * reasons. The numbers here are an ABI with the Java side (dev.jute.dataplane.bpf): change them
 * only together with the Java constants that mirror them.
 */
#ifndef JUTE_COMMON_H
#define JUTE_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define JUTE_INLINE static __always_inline

/* Directions, seen from the pod (a packet leaving the pod is its egress). */
#define DIR_INGRESS 0
#define DIR_EGRESS 1

/* Reserved identities (IdentityAllocator in the policy module: 0 unknown, 2 world; 1 is the node). */
#define IDENTITY_UNKNOWN 0
#define IDENTITY_HOST 1
#define IDENTITY_WORLD 2

/* Address families as stored in map keys (not AF_*: these are the IP version numbers). */
#define FAMILY_IPV4 4
#define FAMILY_IPV6 6

/* Why a packet was dropped: the second half of the drops map key (DropReason in Java). */
#define DROP_POLICY_DENIED 1      /* the endpoint is isolated in this direction and no entry allows the packet */
#define DROP_UNKNOWN_ENDPOINT 2   /* the interface has no endpoint entry: fail closed (key holds the ifindex) */
#define DROP_SOURCE_SPOOFED 3     /* the pod sent a packet with a source address that is not its own; or a packet
				   * at to_pod / from_netdev claims the hairpin service loopback source (lb.h) */
#define DROP_MALFORMED 4          /* truncated or unparseable IP/transport header */
#define DROP_FRAGMENT_UNTRACKED 5 /* a non-first fragment whose first fragment was not allowed here */
#define DROP_VLAN_TAGGED 6        /* an 802.1Q/802.1ad frame from or to a pod: never legitimate on a pod link */
#define DROP_SERVICE_NO_BACKEND 7 /* a new connection to a service frontend without an eligible backend (and no reject asked) */
#define DROP_SERVICE_NAT_FAILED 8 /* no free SNAT port, or a reject could not be built */
#define DROP_SERVICE_BACKEND_RETIRED 9 /* a non-opening TCP segment of a connection whose backend left the service (answered with a RST) */

/* Drop counters of the node uplink (from_netdev) use this endpoint id: real endpoints are never 0. */
#define UPLINK_ENDPOINT_ID 0

#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88A8

#define IPPROTO_ICMPV6_ 58
#define IPPROTO_SCTP_ 132

/* Endpoint flags (endpoints map value). */
#define ENDPOINT_INGRESS_ISOLATED (1u << 0)
#define ENDPOINT_EGRESS_ISOLATED (1u << 1)

#endif
