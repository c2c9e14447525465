/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connection tracking: remembers, per endpoint, the connections its policy admitted, so that
 * replies pass without a policy lookup and established flows cost one hash lookup.
 *
 * A packet "opens" a connection when it is a TCP SYN without ACK or an ICMP echo request, or when
 * nothing is tracked for it. An opening packet in the reply direction of a tracked connection
 * (the responder trying to start its own connection on the same ports), or a SYN on a closing
 * TCP connection, is judged by policy again: being a reply is no licence to open.
 */
#ifndef JUTE_CONNTRACK_H
#define JUTE_CONNTRACK_H

#include "maps.h"
#include "packet.h"

#define NSEC_PER_SEC 1000000000ULL
#define CT_LIFETIME_TCP_OPENING (60 * NSEC_PER_SEC)
#define CT_LIFETIME_TCP_ESTABLISHED (6 * 3600 * NSEC_PER_SEC)
#define CT_LIFETIME_TCP_CLOSING (10 * NSEC_PER_SEC)
#define CT_LIFETIME_OTHER (60 * NSEC_PER_SEC)
/* Writing the shared entry on every packet would bounce its cache line between CPUs. */
#define CT_REFRESH_INTERVAL NSEC_PER_SEC

#define CT_MISS 0        /* nothing tracked: judge by policy */
#define CT_ESTABLISHED 1 /* part of an admitted connection: pass */
#define CT_REOPEN 2      /* tracked, but this packet opens a connection anew: judge by policy */

JUTE_INLINE int address_compare(const __u8 *a, const __u8 *b)
{
#pragma unroll
	for (int i = 0; i < 16; i++) {
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	}
	return 0;
}

/* Builds the normalised key; returns 1 when the tuple's source is side b. */
JUTE_INLINE int ct_build_key(const struct tuple *t, __u32 endpoint_id, struct ct_key *key)
{
	__builtin_memset(key, 0, sizeof(*key));
	int order = address_compare(t->saddr, t->daddr);
	int source_is_b = order > 0 || (order == 0 && t->sport > t->dport);
	if (source_is_b) {
		__builtin_memcpy(key->addr_a, t->daddr, 16);
		__builtin_memcpy(key->addr_b, t->saddr, 16);
		key->port_a = t->dport;
		key->port_b = t->sport;
	} else {
		__builtin_memcpy(key->addr_a, t->saddr, 16);
		__builtin_memcpy(key->addr_b, t->daddr, 16);
		key->port_a = t->sport;
		key->port_b = t->dport;
	}
	key->endpoint_id = endpoint_id;
	key->family = t->family;
	key->protocol = t->protocol;
	return source_is_b;
}

JUTE_INLINE int flow_opens_connection(const struct flow *flow)
{
	if (flow->tuple.protocol == IPPROTO_TCP)
		return (flow->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
	return flow->l4_kind == L4_ICMP_ECHO_REQUEST;
}

JUTE_INLINE __u64 ct_lifetime(const struct flow *flow, __u32 flags)
{
	if (flow->tuple.protocol != IPPROTO_TCP)
		return CT_LIFETIME_OTHER;
	if (flags & CT_CLOSING)
		return CT_LIFETIME_TCP_CLOSING;
	if (flags & CT_SEEN_REPLY)
		return CT_LIFETIME_TCP_ESTABLISHED;
	return CT_LIFETIME_TCP_OPENING;
}

/*
 * Looks the packet's connection up at this endpoint and, when it is part of one, refreshes the
 * entry (lifetime, reply seen, FIN/RST).
 */
JUTE_INLINE int ct_lookup(const struct flow *flow, __u32 endpoint_id, __u64 now)
{
	struct ct_key key;
	int source_is_b = ct_build_key(&flow->tuple, endpoint_id, &key);
	struct ct_value *entry = bpf_map_lookup_elem(&conntrack, &key);
	if (!entry || entry->expires_ns <= now)
		return CT_MISS;

	int initiator_is_b = (entry->flags & CT_INITIATOR_B) != 0;
	int is_reply = source_is_b != initiator_is_b;
	if (flow_opens_connection(flow) && (is_reply || (entry->flags & CT_CLOSING)))
		return CT_REOPEN;

	__u32 flags = entry->flags;
	if (is_reply)
		flags |= CT_SEEN_REPLY;
	if (flow->tuple.protocol == IPPROTO_TCP && (flow->tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
		flags |= CT_CLOSING;
	__u64 expires = now + ct_lifetime(flow, flags);
	if (flags != entry->flags || expires > entry->expires_ns + CT_REFRESH_INTERVAL ||
	    expires < entry->expires_ns) {
		entry->flags = flags;
		entry->last_seen_ns = now;
		entry->expires_ns = expires;
	}
	return CT_ESTABLISHED;
}

/* Whether an ICMP error is about a connection this endpoint admitted. */
JUTE_INLINE int ct_related(const struct flow *flow, __u32 endpoint_id, __u64 now)
{
	struct ct_key key;
	ct_build_key(&flow->inner, endpoint_id, &key);
	struct ct_value *entry = bpf_map_lookup_elem(&conntrack, &key);
	return entry && entry->expires_ns > now;
}

/* Records a connection the endpoint's policy just admitted; the packet's source opened it. */
JUTE_INLINE void ct_create(const struct flow *flow, __u32 endpoint_id, __u8 direction, __u64 now)
{
	struct ct_key key;
	int source_is_b = ct_build_key(&flow->tuple, endpoint_id, &key);
	struct ct_value entry = {
		.created_ns = now,
		.last_seen_ns = now,
		.flags = source_is_b ? CT_INITIATOR_B : 0,
		.direction = direction,
	};
	if (flow->tuple.protocol == IPPROTO_TCP && (flow->tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
		entry.flags |= CT_CLOSING;
	entry.expires_ns = now + ct_lifetime(flow, entry.flags);
	/* A full LRU map evicts the oldest entry; failure leaves the flow to be judged per packet. */
	bpf_map_update_elem(&conntrack, &key, &entry, BPF_ANY);
}

JUTE_INLINE void fragment_build_key(const struct flow *flow, __u32 endpoint_id, struct fragment_key *key)
{
	__builtin_memset(key, 0, sizeof(*key));
	__builtin_memcpy(key->saddr, flow->tuple.saddr, 16);
	__builtin_memcpy(key->daddr, flow->tuple.daddr, 16);
	key->id = flow->fragment_id;
	key->endpoint_id = endpoint_id;
	key->family = flow->tuple.family;
	key->protocol = flow->tuple.protocol;
}

/* The reassembly timeout of Linux (net.ipv4.ipfrag_time); a datagram older than that is gone anyway. */
#define FRAGMENT_LIFETIME (30 * NSEC_PER_SEC)

JUTE_INLINE void fragment_admit(const struct flow *flow, __u32 endpoint_id, __u64 now)
{
	struct fragment_key key;
	fragment_build_key(flow, endpoint_id, &key);
	struct fragment_value value = { .expires_ns = now + FRAGMENT_LIFETIME };
	bpf_map_update_elem(&fragments, &key, &value, BPF_ANY);
}

JUTE_INLINE int fragment_admitted(const struct flow *flow, __u32 endpoint_id, __u64 now)
{
	struct fragment_key key;
	fragment_build_key(flow, endpoint_id, &key);
	struct fragment_value *value = bpf_map_lookup_elem(&fragments, &key);
	return value && value->expires_ns > now;
}

#endif
