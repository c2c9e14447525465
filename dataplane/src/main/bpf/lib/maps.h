/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every map of the policy dataplane. Both programs include this file; the Java loader pins each
 * map under <pin dir>/<map name>, so the second program loaded and a restarted agent adopt the
 * maps the first one created instead of getting empty copies.
 *
 * Layout rules (mirrored byte for byte by dev.jute.dataplane.bpf.MapLayouts):
 *  - integers are little-endian (host order on x86-64/arm64), except the port in policy_key,
 *    which is big-endian because an LPM trie matches key bytes from the most significant bit;
 *  - addresses are raw network-order bytes in a 16-byte field; IPv4 uses the first 4 bytes and
 *    the rest is zero; the family byte keeps IPv4 and IPv6 prefixes apart (::/0 never covers IPv4);
 *  - every padding byte is zero (hash maps hash the whole key).
 */
#ifndef JUTE_MAPS_H
#define JUTE_MAPS_H

#include "common.h"

/* endpoints: host-side veth ifindex -> the pod behind it. */
struct endpoint_info {
	__u32 endpoint_id;   /* 0   the agent's number for the pod; keys policy, cidr, conntrack, drops */
	__u32 identity;      /* 4   the pod's own label identity (carried for tools; remote pods are found in the ipcache) */
	__u32 flags;         /* 8   ENDPOINT_*_ISOLATED */
	__u8 ipv4[4];        /* 12  the pod's IPv4 address, zero if none */
	__u8 ipv6[16];       /* 16  the pod's IPv6 address, zero if none */
};                           /* 32 bytes */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);  /* ifindex */
	__type(value, struct endpoint_info);
} endpoints SEC(".maps");

/* ipcache: longest-prefix match of a remote address to its identity. */
struct ipcache_key {
	__u32 prefixlen;     /* 0   32 + prefix length of the address */
	__u8 family;         /* 4   FAMILY_IPV4 / FAMILY_IPV6 */
	__u8 pad[3];         /* 5   zero; matched as part of the prefix */
	__u8 addr[16];       /* 8   network-order address, host bits zero */
};                           /* 24 bytes */

struct ipcache_value {
	__u32 identity;      /* 0   */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ipcache_key);
	__type(value, struct ipcache_value);
} ipcache SEC(".maps");

/*
 * policy_cidrs: per (endpoint, direction), the CIDR peers of its allow entries. The longest one
 * containing the remote address is the only CIDR whose entries are consulted (DesiredStateLookup);
 * the value repeats the prefix length because an LPM lookup returns no key.
 */
struct policy_cidr_key {
	__u32 prefixlen;     /* 0   64 + prefix length of the CIDR */
	__u32 endpoint_id;   /* 4   */
	__u8 direction;      /* 8   DIR_INGRESS / DIR_EGRESS */
	__u8 family;         /* 9   */
	__u8 pad[2];         /* 10  zero */
	__u8 addr[16];       /* 12  network-order CIDR address, host bits zero */
};                           /* 28 bytes */

struct policy_cidr_value {
	__u32 prefix_length; /* 0   the CIDR's own length (0-32 or 0-128) */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct policy_cidr_key);
	__type(value, struct policy_cidr_value);
} policy_cidrs SEC(".maps");

/*
 * policy: the allow entries. Everything before the port is matched exactly; the port is matched
 * as a prefix (a port range compiled to prefixes), so one lookup answers "does any entry for this
 * peer and protocol cover this port". Protocol 0 is "every protocol" and then the prefix ends
 * before the port.
 */
#define PEER_ANY 0
#define PEER_IDENTITY 1
#define PEER_CIDR 2

struct policy_key {
	__u32 prefixlen;     /* 0   POLICY_FIXED_BITS + port prefix length (0-16) */
	__u32 endpoint_id;   /* 4   */
	__u8 direction;      /* 8   */
	__u8 peer_kind;      /* 9   PEER_ANY / PEER_IDENTITY / PEER_CIDR */
	__u8 protocol;       /* 10  IP protocol number, 0 = every protocol */
	__u8 cidr_length;    /* 11  PEER_CIDR: prefix length; else 0 */
	__u32 identity;      /* 12  PEER_IDENTITY: remote identity; else 0 */
	__u8 cidr_family;    /* 16  PEER_CIDR: family; else 0 */
	__u8 pad[3];         /* 17  zero */
	__u8 cidr_addr[16];  /* 20  PEER_CIDR: network address, host bits zero; else 0 */
	__be16 port;         /* 36  big-endian destination port, bits below the prefix zero */
	__u16 pad2;          /* 38  zero, never matched */
};                           /* 40 bytes */

/* Bits of policy_key data before the port: 32 bytes. */
#define POLICY_FIXED_BITS 256

struct policy_value {
	__u64 admitted;      /* 0   packets this entry admitted that conntrack did not already know: once per new connection, per packet for stateless ICMP */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct policy_key);
	__type(value, struct policy_value);
} policy SEC(".maps");

/*
 * conntrack: one entry per (connection, endpoint) whose policy admitted it. The tuple is stored in
 * a normalised order (side a is the smaller (address, port)), so both directions of a connection
 * build the same key; the value says which side opened it.
 */
struct ct_key {
	__u8 addr_a[16];     /* 0   */
	__u8 addr_b[16];     /* 16  */
	__u16 port_a;        /* 32  host order; ICMP echo: the identifier on both sides */
	__u16 port_b;        /* 34  */
	__u32 endpoint_id;   /* 36  */
	__u8 family;         /* 40  */
	__u8 protocol;       /* 41  */
	__u8 pad[2];         /* 42  zero */
};                           /* 44 bytes */

#define CT_INITIATOR_B (1u << 0) /* side b sent the first packet (else side a did) */
#define CT_SEEN_REPLY (1u << 1)  /* a packet travelled from the responder to the initiator */
#define CT_CLOSING (1u << 2)     /* TCP FIN or RST seen: short lifetime, a new SYN starts over */

struct ct_value {
	__u64 created_ns;    /* 0   CLOCK_MONOTONIC */
	__u64 last_seen_ns;  /* 8   CLOCK_MONOTONIC, refreshed at most once a second */
	__u64 expires_ns;    /* 16  CLOCK_MONOTONIC; an expired entry is a miss */
	__u32 flags;         /* 24  CT_* */
	__u8 direction;      /* 28  which policy admitted it: DIR_INGRESS / DIR_EGRESS of the endpoint */
	__u8 pad[3];         /* 29  */
};                           /* 32 bytes */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct ct_key);
	__type(value, struct ct_value);
} conntrack SEC(".maps");

/*
 * fragments: IPv4/IPv6 datagrams whose first fragment was admitted at an endpoint. Later fragments
 * carry no ports; they pass only if their datagram is listed here.
 */
struct fragment_key {
	__u8 saddr[16];      /* 0   */
	__u8 daddr[16];      /* 16  */
	__u32 id;            /* 32  IPv4: 16-bit identification; IPv6: 32-bit fragment id */
	__u32 endpoint_id;   /* 36  */
	__u8 family;         /* 40  */
	__u8 protocol;       /* 41  */
	__u8 pad[2];         /* 42  */
};                           /* 44 bytes */

struct fragment_value {
	__u64 expires_ns;    /* 0   */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct fragment_key);
	__type(value, struct fragment_value);
} fragments SEC(".maps");

/* drops: per-CPU packet and byte counters per (endpoint, direction, reason). */
struct drop_key {
	__u32 endpoint_id;   /* 0   DROP_UNKNOWN_ENDPOINT: the interface index instead */
	__u8 reason;         /* 4   DROP_* */
	__u8 direction;      /* 5   */
	__u8 pad[2];         /* 6   */
};                           /* 8 bytes */

struct drop_value {
	__u64 packets;       /* 0   */
	__u64 bytes;         /* 8   */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct drop_key);
	__type(value, struct drop_value);
} drops SEC(".maps");

#endif
