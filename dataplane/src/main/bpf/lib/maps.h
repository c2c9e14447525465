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

/* ============================== Service NAT (kube-proxy replacement) ============================== */

/*
 * services: a frontend (address, port, protocol, scope) -> its service entry. One entry per
 * Kubernetes (Service, port, frontend address): the ClusterIP, each node address for a NodePort,
 * each LoadBalancer / external IP. The scope says who looks it up: SCOPE_INTERNAL by traffic
 * from pods (from_pod) and host sockets (sock_lb), SCOPE_EXTERNAL by traffic arriving on the
 * node's uplink (from_netdev). The same address and port may exist in both scopes with
 * different traffic policies.
 */
#define SCOPE_INTERNAL 0
#define SCOPE_EXTERNAL 1

struct service_key {
	__u8 addr[16];       /* 0   network-order frontend address */
	__u16 port;          /* 16  host order */
	__u8 protocol;       /* 18  IPPROTO_TCP / UDP / SCTP */
	__u8 family;         /* 19  FAMILY_IPV4 / FAMILY_IPV6 */
	__u8 scope;          /* 20  SCOPE_* */
	__u8 pad[3];         /* 21  zero */
};                           /* 24 bytes */

#define SERVICE_AFFINITY (1u << 0)                /* sessionAffinity: ClientIP */
#define SERVICE_EXTERNAL_LOCAL (1u << 1)          /* externalTrafficPolicy: Local (SCOPE_EXTERNAL: local backends, client IP kept) */
#define SERVICE_INTERNAL_LOCAL (1u << 2)          /* internalTrafficPolicy: Local (SCOPE_INTERNAL: local backends) */
#define SERVICE_REJECT_WITHOUT_BACKENDS (1u << 3) /* no eligible backend: TCP RST / ICMP unreachable (else drop) */

struct service_value {
	__u32 service_id;        /* 0   non-zero; keys backends, affinity, revnat (the reverse-NAT index) */
	__u16 backend_count;     /* 4   backends occupy slots 1..backend_count */
	__u16 local_backend_count; /* 6 slots 1..local_backend_count are the node-local ones (written first) */
	__u32 flags;             /* 8   SERVICE_* */
	__u32 affinity_timeout_s; /* 12 SERVICE_AFFINITY: seconds an idle client keeps its backend */
};                               /* 16 bytes */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct service_key);
	__type(value, struct service_value);
} services SEC(".maps");

/*
 * backends: (service id, slot) -> backend. Slots are dense from 1; node-local backends first, so
 * "local only" is the prefix 1..local_backend_count. The writer fills slots before it raises the
 * count in the services entry and removes surplus slots after lowering it: a packet never reads
 * an empty slot.
 */
struct backend_key {
	__u32 service_id;    /* 0   */
	__u32 slot;          /* 4   1-based */
};                           /* 8 bytes */

#define BACKEND_LOCAL (1u << 0) /* the backend pod runs on this node */

struct backend_value {
	__u8 addr[16];       /* 0   network-order backend (pod) address */
	__u16 port;          /* 16  host order: the target port */
	__u8 family;         /* 18  */
	__u8 flags;          /* 19  BACKEND_* */
};                           /* 20 bytes */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 524288);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct backend_key);
	__type(value, struct backend_value);
} backends SEC(".maps");

/*
 * live_backends: the (service id, backend) pairs a frontend balances to right now, the set view of
 * its slots. A connection's NAT entry names its backend by address and port, and slots shift when
 * a backend leaves (they stay dense), so only this set can tell whether the backend is still in
 * the service. The writer adds a pair before any slot holds it and deletes it once no slot does;
 * an established connection whose pair is gone is retired on its next packet (lb_forward): TCP is
 * answered with a RST, UDP and SCTP are balanced anew. No walk of nat_ct is ever needed.
 */
struct live_backend_key {
	__u32 service_id;    /* 0   */
	__u8 addr[16];       /* 4   network-order backend address */
	__u16 port;          /* 20  host order: the target port */
	__u8 family;         /* 22  */
	__u8 pad;            /* 23  zero */
};                           /* 24 bytes */

#define LIVE_BACKEND 1 /* the only value: the key's presence is the answer */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 524288);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct live_backend_key);
	__type(value, __u8);
} live_backends SEC(".maps");

/* revnat: reverse-NAT index (the service id) -> the frontend a reply must appear to come from. */
struct revnat_value {
	__u8 addr[16];       /* 0   frontend address */
	__u16 port;          /* 16  host order: frontend port */
	__u8 family;         /* 18  */
	__u8 pad;            /* 19  */
};                           /* 20 bytes; key: __u32 service id */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct revnat_value);
} revnat SEC(".maps");

/*
 * affinity: sessionAffinity ClientIP. (service, client address) -> the backend its last new
 * connection got. Reused while younger than the service's timeout and while the slot still holds
 * that very backend (a removed backend is never chosen again through affinity).
 */
struct affinity_key {
	__u8 client[16];     /* 0   */
	__u32 service_id;    /* 16  */
	__u8 family;         /* 20  */
	__u8 pad[3];         /* 21  */
};                           /* 24 bytes */

struct affinity_value {
	__u64 last_used_ns;  /* 0   CLOCK_MONOTONIC of the client's last new connection */
	__u8 backend_addr[16]; /* 8 */
	__u16 backend_port;  /* 24  host order */
	__u16 pad;           /* 26  */
	__u32 slot;          /* 28  */
};                           /* 32 bytes */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct affinity_key);
	__type(value, struct affinity_value);
} affinity SEC(".maps");

/*
 * nat_ct: the service connections, two entries each.
 *  NAT_FORWARD, keyed by the client's packet as it left the client (client -> frontend): the
 *    backend it was given (and, for SNAT, the node address and port the client is hidden behind).
 *    Every later packet of the connection takes the same backend, as long as live_backends still
 *    lists it for the service.
 *  NAT_REVERSE, keyed by the backend's reply as the backend sends it (backend -> client, or
 *    backend -> SNAT address): the reverse-NAT index and the client's own address and port.
 * Internal connections are reverse-translated at the client's to_pod (its node holds the entry,
 * wherever the backend runs); external ones where the reply leaves a local backend (from_pod) or
 * arrives from a remote one (from_netdev), so NAT_EXTERNAL tells the hooks apart; hairpin ones
 * (NAT_HAIRPIN) where the pod sends its own reply (from_pod).
 */
#define NAT_FORWARD 1
#define NAT_REVERSE 2

struct nat_key {
	__u8 saddr[16];      /* 0   */
	__u8 daddr[16];      /* 16  */
	__u16 sport;         /* 32  host order */
	__u16 dport;         /* 34  */
	__u8 family;         /* 36  */
	__u8 protocol;       /* 37  */
	__u8 kind;           /* 38  NAT_FORWARD / NAT_REVERSE */
	__u8 pad;            /* 39  zero */
};                           /* 40 bytes */

#define NAT_EXTERNAL (1u << 0) /* SCOPE_EXTERNAL frontend (NodePort, LoadBalancer) */
#define NAT_SNAT (1u << 1)     /* the client's source was replaced by a node address */
#define NAT_CLOSING (1u << 2)  /* TCP FIN or RST seen: short lifetime, a new SYN picks a backend again */
#define NAT_HAIRPIN (1u << 3)  /* the client is its own backend: NAT_SNAT to the service loopback address (lb.h); translated both ways at the pod's from_pod */

struct nat_value {
	__u8 addr[16];       /* 0   FORWARD: backend address; REVERSE: the client's own address */
	__u8 snat_addr[16];  /* 16  NAT_SNAT: the node address the client is hidden behind; else zero */
	__u16 port;          /* 32  FORWARD: backend port; REVERSE: the client's own port (host order) */
	__u16 snat_port;     /* 34  NAT_SNAT: the source port the client is given */
	__u32 service_id;    /* 36  the reverse-NAT index */
	__u32 flags;         /* 40  NAT_* */
	__u32 pad;           /* 44  */
	__u64 created_ns;    /* 48  CLOCK_MONOTONIC */
	__u64 expires_ns;    /* 56  CLOCK_MONOTONIC; an expired entry is a miss */
};                           /* 64 bytes */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct nat_key);
	__type(value, struct nat_value);
} nat_ct SEC(".maps");

/*
 * lb_config: the node's own addresses (one entry, index 0), the source an externalTrafficPolicy
 * Cluster connection is masqueraded to. Zero: use the frontend address (right for NodePorts on a
 * node address).
 */
struct lb_config {
	__u8 node_ipv4[4];   /* 0   */
	__u8 node_ipv6[16];  /* 4   */
};                           /* 20 bytes */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_config);
} lb_config SEC(".maps");

/* ============================== Socket-level load balancing (sock_lb) ============================== */

/*
 * sock_revnat: what the cgroup socket hooks translated, per socket. connect / sendmsg replaced a
 * frontend (VIP, port) by a backend; recvmsg and getpeername must show the frontend again, so the
 * key is what the socket now sees as its peer: (socket cookie, backend address, backend port).
 * A connected socket's entry is deleted when it closes (sock_release); an unconnected UDP socket's
 * stay until the LRU evicts them (a cookie is never reused, so a stale entry is never wrong).
 * The value's service id is load-bearing: the socket terminator (sock_term.c) looks up
 * (service id, backend) in live_backends to decide whether the socket's backend has retired, so
 * a wrong id would abort sockets of live backends or keep those of retired ones.
 */
struct sock_revnat_key {
	__u64 cookie;        /* 0   bpf_get_socket_cookie of the translated socket */
	__u8 addr[16];       /* 8   network-order backend address */
	__u16 port;          /* 24  host order: backend port */
	__u8 family;         /* 26  FAMILY_IPV4 / FAMILY_IPV6 (IPv4-mapped IPv6 peers are stored as IPv4) */
	__u8 pad[5];         /* 27  zero */
};                           /* 32 bytes */

struct sock_revnat_value {
	__u8 addr[16];       /* 0   network-order frontend address */
	__u16 port;          /* 16  host order: frontend port */
	__u8 family;         /* 18  */
	__u8 pad;            /* 19  */
	__u32 service_id;    /* 20  the frontend's service id: sock_term.c's live_backends key (see above) */
};                           /* 24 bytes */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sock_revnat_key);
	__type(value, struct sock_revnat_value);
} sock_revnat SEC(".maps");

/*
 * sock_lb_config (one entry, index 0): the network namespace whose sockets are translated, as
 * bpf_get_netns_cookie names it: the node's own. Sockets of pods (other namespaces) keep the tc
 * path, where their policy and conntrack are. Zero: translate nothing.
 */
struct sock_lb_config {
	__u64 netns_cookie;  /* 0   */
};                           /* 8 bytes */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sock_lb_config);
} sock_lb_config SEC(".maps");

#endif
