/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Service load balancing: frontend lookup, backend choice (session affinity, then a hash of the
 * 5-tuple), and the NAT connection entries. Every step is a constant number of hash lookups,
 * however many services and backends exist.
 *
 * The decision (lb_forward) is separate from its effects (lb_commit, then the rewrite): the
 * program first asks policy about the translated packet, and only an admitted connection leaves
 * entries behind.
 */
#ifndef JUTE_LB_H
#define JUTE_LB_H

#include "maps.h"
#include "packet.h"
#include "conntrack.h"
#include "nat.h"

#define LB_NONE 0    /* not service traffic */
#define LB_DNAT 1    /* to a frontend: translate to lb.backend */
#define LB_REJECT 2  /* to a frontend without an eligible backend, which asks to reject */
#define LB_DROP 3    /* to a frontend without an eligible backend */
#define LB_RETIRED 4 /* a non-opening TCP segment of a connection whose backend left the service: entries forgotten, answer with a RST */

/* SNAT source ports: above the node's default ephemeral range (32768-60999), so sockets of the node never clash. */
#define SNAT_PORT_FIRST 61000
#define SNAT_PORT_COUNT 4536
#define SNAT_PORT_ATTEMPTS 8

/*
 * Hairpin: a pod that reaches a Service and is given itself as the backend. Unchanged, the
 * translated packet would reach the pod with its own address as the source, which its kernel
 * drops as a martian, and the reply would never leave the pod. So, as production CNIs do, the
 * source is replaced by a fixed "service loopback" address that no node or pod owns (Cilium uses
 * 169.254.42.1 as well; for IPv6 an address of Jute's own ULA prefix): the pod answers it through
 * its default gateway, i.e. back to from_pod, which turns the reply around. Both directions go
 * straight back into the pod (bpf_redirect_peer): the packets never leave the pod's own link.
 */
static const __u8 SERVICE_LOOPBACK_IPV4[16] = { 169, 254, 42, 1 };
static const __u8 SERVICE_LOOPBACK_IPV6[16] = { 0xfd, 0x6a, 0x75, 0x74, 0x65, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 };

/*
 * Whether a packet claims the service loopback address as its source. The hairpin packets the
 * programs make never pass to_pod or from_netdev: bpf_redirect_peer hands them to the pod's end of
 * the veth directly (the host end's egress, where to_pod runs, is skipped), and they never leave
 * the node. So such a packet there was made by someone else, and could join a pod's hairpin
 * connection (the pod's socket knows that address as its peer): those hooks drop it.
 */
JUTE_INLINE int from_service_loopback(const struct tuple *t)
{
	return address_equal(t->family, t->saddr, t->family == FAMILY_IPV4 ? SERVICE_LOOPBACK_IPV4 : SERVICE_LOOPBACK_IPV6);
}

struct lb_decision {
	struct nat_key forward_key;
	struct nat_value forward;  /* the forward entry, existing or to be created */
	struct tuple translated;   /* the packet as it will leave: what policy judges */
	__u8 is_new;               /* forward must be created (lb_commit) */
	/* Work area for the matching reverse entry. */
	struct nat_key reverse_key;
	struct nat_value reverse;
};

JUTE_INLINE __u32 mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* A hash of the 5-tuple: the same connection always hashes the same, so it keeps its backend even if its entry is lost. */
JUTE_INLINE __u32 tuple_hash(const struct tuple *t)
{
	__u32 words[8];
	__builtin_memcpy(words, t->saddr, 16);
	__builtin_memcpy(&words[4], t->daddr, 16);
	__u32 h = 0x9e3779b9u ^ t->protocol;
#pragma unroll
	for (int i = 0; i < 8; i++)
		h = mix32(h ^ words[i]);
	return mix32(h ^ (((__u32)t->sport << 16) | t->dport));
}

JUTE_INLINE void nat_build_key(const struct tuple *t, __u8 kind, struct nat_key *key)
{
	__builtin_memset(key, 0, sizeof(*key));
	__builtin_memcpy(key->saddr, t->saddr, 16);
	__builtin_memcpy(key->daddr, t->daddr, 16);
	key->sport = t->sport;
	key->dport = t->dport;
	key->family = t->family;
	key->protocol = t->protocol;
	key->kind = kind;
}

JUTE_INLINE __u64 nat_lifetime(const struct flow *flow, __u32 flags)
{
	if (flow->tuple.protocol != IPPROTO_TCP)
		return CT_LIFETIME_OTHER;
	if (flags & NAT_CLOSING)
		return CT_LIFETIME_TCP_CLOSING;
	/* A bare SYN may never be answered; the client's first ACK extends the entry. */
	if ((flow->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN)
		return CT_LIFETIME_TCP_OPENING;
	return CT_LIFETIME_TCP_ESTABLISHED;
}

JUTE_INLINE __u32 nat_flags_after(const struct flow *flow, __u32 flags)
{
	if (flow->tuple.protocol == IPPROTO_TCP && (flow->tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
		flags |= NAT_CLOSING;
	return flags;
}

/* Extends a live entry's lifetime (at most once a second) and records FIN/RST; whether it was written. */
JUTE_INLINE int nat_refresh(struct nat_value *entry, const struct flow *flow, __u64 now)
{
	__u32 flags = nat_flags_after(flow, entry->flags);
	__u64 expires = now + nat_lifetime(flow, flags);
	if (flags == entry->flags && expires <= entry->expires_ns + CT_REFRESH_INTERVAL && expires >= entry->expires_ns)
		return 0;
	entry->flags = flags;
	entry->expires_ns = expires;
	return 1;
}

/* The reverse entry of a forward one: keyed by the reply the backend sends. */
JUTE_INLINE void nat_reverse_of(const struct nat_key *forward_key, const struct nat_value *forward,
				struct nat_key *reverse_key, struct nat_value *reverse)
{
	__builtin_memset(reverse_key, 0, sizeof(*reverse_key));
	__builtin_memcpy(reverse_key->saddr, forward->addr, 16);
	reverse_key->sport = forward->port;
	if (forward->flags & NAT_SNAT) {
		__builtin_memcpy(reverse_key->daddr, forward->snat_addr, 16);
		reverse_key->dport = forward->snat_port;
	} else {
		__builtin_memcpy(reverse_key->daddr, forward_key->saddr, 16);
		reverse_key->dport = forward_key->sport;
	}
	reverse_key->family = forward_key->family;
	reverse_key->protocol = forward_key->protocol;
	reverse_key->kind = NAT_REVERSE;

	__builtin_memset(reverse, 0, sizeof(*reverse));
	__builtin_memcpy(reverse->addr, forward_key->saddr, 16);
	reverse->port = forward_key->sport;
	__builtin_memcpy(reverse->snat_addr, forward->snat_addr, 16);
	reverse->snat_port = forward->snat_port;
	reverse->service_id = forward->service_id;
	reverse->flags = forward->flags;
	reverse->created_ns = forward->created_ns;
	reverse->expires_ns = forward->expires_ns;
}

JUTE_INLINE int local_only(const struct service_value *service, __u8 scope)
{
	if (scope == SCOPE_EXTERNAL)
		return (service->flags & SERVICE_EXTERNAL_LOCAL) != 0;
	return (service->flags & SERVICE_INTERNAL_LOCAL) != 0;
}

/*
 * Chooses the backend of a new connection into `out`: the client's affinity entry while it is
 * fresh and its slot still holds that backend, else slot 1 + hash % eligible. -1 when no backend
 * is eligible.
 */
JUTE_INLINE int lb_choose_backend(const struct service_value *service, __u8 scope, const struct tuple *t, __u64 now,
				  struct backend_value *out)
{
	__u32 eligible = local_only(service, scope) ? service->local_backend_count : service->backend_count;
	if (eligible == 0)
		return -1;
	struct backend_key slot_key = { .service_id = service->service_id };
	struct affinity_key affinity_key = {};
	int sticky = (service->flags & SERVICE_AFFINITY) != 0;
	if (sticky) {
		__builtin_memcpy(affinity_key.client, t->saddr, 16);
		affinity_key.service_id = service->service_id;
		affinity_key.family = t->family;
		struct affinity_value *previous = bpf_map_lookup_elem(&affinity, &affinity_key);
		if (previous && now - previous->last_used_ns < (__u64)service->affinity_timeout_s * NSEC_PER_SEC &&
		    previous->slot >= 1 && previous->slot <= eligible) {
			slot_key.slot = previous->slot;
			struct backend_value *backend = bpf_map_lookup_elem(&backends, &slot_key);
			if (backend && backend->port == previous->backend_port &&
			    address_equal(t->family, backend->addr, previous->backend_addr)) {
				previous->last_used_ns = now;
				*out = *backend;
				return 0;
			}
		}
	}
	slot_key.slot = 1 + tuple_hash(t) % eligible;
	struct backend_value *backend = bpf_map_lookup_elem(&backends, &slot_key);
	if (!backend)
		return -1;
	*out = *backend;
	if (sticky) {
		struct affinity_value chosen = { .last_used_ns = now, .backend_port = backend->port, .slot = slot_key.slot };
		__builtin_memcpy(chosen.backend_addr, backend->addr, 16);
		bpf_map_update_elem(&affinity, &affinity_key, &chosen, BPF_ANY);
	}
	return 0;
}

JUTE_INLINE void lb_translate(struct lb_decision *lb, const struct flow *flow)
{
	lb->translated = flow->tuple;
	__builtin_memcpy(lb->translated.daddr, lb->forward.addr, 16);
	lb->translated.dport = lb->forward.port;
	if (lb->forward.flags & NAT_SNAT) {
		__builtin_memcpy(lb->translated.saddr, lb->forward.snat_addr, 16);
		lb->translated.sport = lb->forward.snat_port;
	}
}

/* Whether the service still balances to the connection's backend (live_backends, see maps.h). */
JUTE_INLINE int lb_backend_live(const struct nat_key *forward_key, const struct nat_value *forward)
{
	struct live_backend_key key;
	__builtin_memset(&key, 0, sizeof(key));
	key.service_id = forward->service_id;
	__builtin_memcpy(key.addr, forward->addr, 16);
	key.port = forward->port;
	key.family = forward_key->family;
	return bpf_map_lookup_elem(&live_backends, &key) != 0;
}

/* Forgets a connection whose backend retired: its reverse entry (and with it a claimed SNAT port), then its forward entry. */
JUTE_INLINE void lb_forget(struct lb_decision *lb, const struct nat_value *forward)
{
	nat_reverse_of(&lb->forward_key, forward, &lb->reverse_key, &lb->reverse);
	bpf_map_delete_elem(&nat_ct, &lb->reverse_key);
	bpf_map_delete_elem(&nat_ct, &lb->forward_key);
}

/*
 * Whether the packet belongs to a service connection, and where it goes. Only packets with ports
 * (TCP, UDP, SCTP) are balanced; a later fragment has none and passes untranslated (see
 * DESIGN.md: fragmented datagrams to a service are not supported).
 */
JUTE_INLINE int lb_forward(const struct flow *flow, __u8 scope, __u64 now, struct lb_decision *lb)
{
	__u8 protocol = flow->tuple.protocol;
	if (flow->l4_kind != L4_PORTS ||
	    (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP && protocol != IPPROTO_SCTP_))
		return LB_NONE;

	nat_build_key(&flow->tuple, NAT_FORWARD, &lb->forward_key);
	struct nat_value *existing = bpf_map_lookup_elem(&nat_ct, &lb->forward_key);
	if (existing && existing->expires_ns > now &&
	    !(flow_opens_connection(flow) && (existing->flags & NAT_CLOSING))) {
		if (lb_backend_live(&lb->forward_key, existing)) {
			if (nat_refresh(existing, flow, now)) {
				/* Keep the reverse entry alive with it: one-way streams never touch it otherwise. */
				nat_reverse_of(&lb->forward_key, existing, &lb->reverse_key, &lb->reverse);
				bpf_map_update_elem(&nat_ct, &lb->reverse_key, &lb->reverse, BPF_ANY);
			}
			lb->forward = *existing;
			lb->is_new = 0;
			lb_translate(lb, flow);
			return LB_DNAT;
		}
		/*
		 * The backend left the service. A TCP client learns it at once from a RST (its socket
		 * state cannot move to another backend). UDP is balanced anew, as kube-proxy does by
		 * flushing the conntrack entries of a removed UDP endpoint: a datagram flow has no
		 * server state to lose and would otherwise vanish into a backend that no longer serves.
		 * SCTP too: the new backend answers the unknown association with an ABORT (RFC 9260
		 * section 8.4), the client's equivalent of the RST.
		 * A TCP segment that opens a connection (SYN without ACK: a retransmitted SYN, or a
		 * client reusing the 5-tuple) has no state to lose either: it is balanced anew like a
		 * datagram, as Cilium does, instead of being refused although live backends exist.
		 */
		lb_forget(lb, existing);
		if (protocol == IPPROTO_TCP && !flow_opens_connection(flow))
			return LB_RETIRED;
	}

	struct service_key service_key = {};
	__builtin_memcpy(service_key.addr, flow->tuple.daddr, 16);
	service_key.port = flow->tuple.dport;
	service_key.protocol = protocol;
	service_key.family = flow->tuple.family;
	service_key.scope = scope;
	struct service_value *service = bpf_map_lookup_elem(&services, &service_key);
	if (!service)
		return LB_NONE;

	struct backend_value backend;
	if (lb_choose_backend(service, scope, &flow->tuple, now, &backend) < 0)
		return (service->flags & SERVICE_REJECT_WITHOUT_BACKENDS) ? LB_REJECT : LB_DROP;

	__builtin_memset(&lb->forward, 0, sizeof(lb->forward));
	__builtin_memcpy(lb->forward.addr, backend.addr, 16);
	lb->forward.port = backend.port;
	lb->forward.service_id = service->service_id;
	lb->forward.flags = nat_flags_after(flow, scope == SCOPE_EXTERNAL ? NAT_EXTERNAL : 0);
	if (scope == SCOPE_EXTERNAL && !(service->flags & SERVICE_EXTERNAL_LOCAL))
		lb->forward.flags |= NAT_SNAT;
	else if (scope == SCOPE_INTERNAL && address_equal(flow->tuple.family, backend.addr, flow->tuple.saddr))
		lb->forward.flags |= NAT_SNAT | NAT_HAIRPIN;
	lb->forward.created_ns = now;
	lb->forward.expires_ns = now + nat_lifetime(flow, lb->forward.flags);
	lb->is_new = 1;
	/* (A masqueraded or hairpin connection is translated again once lb_allocate_snat chose its source.) */
	lb_translate(lb, flow);
	return LB_DNAT;
}

/*
 * The address a new masqueraded connection's client is hidden behind: the service loopback
 * address for a hairpin one; else the node address (lb_config), else the frontend address.
 */
JUTE_INLINE void lb_snat_address(const struct flow *flow, __u32 nat_flags, __u8 *out)
{
	if (nat_flags & NAT_HAIRPIN) {
		if (flow->tuple.family == FAMILY_IPV4)
			__builtin_memcpy(out, SERVICE_LOOPBACK_IPV4, 16);
		else
			__builtin_memcpy(out, SERVICE_LOOPBACK_IPV6, 16);
		return;
	}
	__u32 zero = 0;
	struct lb_config *config = bpf_map_lookup_elem(&lb_config, &zero);
	__builtin_memcpy(out, flow->tuple.daddr, 16);
	if (!config)
		return;
	__u8 candidate[16] = {};
	if (flow->tuple.family == FAMILY_IPV4)
		__builtin_memcpy(candidate, config->node_ipv4, 4);
	else
		__builtin_memcpy(candidate, config->node_ipv6, 16);
	__u64 words[2];
	__builtin_memcpy(words, candidate, 16);
	if (words[0] | words[1])
		__builtin_memcpy(out, candidate, 16);
}

/*
 * Picks the SNAT address and a free source port for a new masqueraded connection, claiming the
 * port by creating its reverse entry (BPF_NOEXIST: two connections can never share one). 0 on
 * success; the forward entry is written by lb_commit.
 */
JUTE_INLINE int lb_allocate_snat(const struct flow *flow, struct lb_decision *lb)
{
	lb_snat_address(flow, lb->forward.flags, lb->forward.snat_addr);
	__u32 hash = tuple_hash(&flow->tuple);
	for (int attempt = 0; attempt < SNAT_PORT_ATTEMPTS; attempt++) {
		lb->forward.snat_port = SNAT_PORT_FIRST + (attempt == 0 ? hash : bpf_get_prandom_u32()) % SNAT_PORT_COUNT;
		nat_reverse_of(&lb->forward_key, &lb->forward, &lb->reverse_key, &lb->reverse);
		if (bpf_map_update_elem(&nat_ct, &lb->reverse_key, &lb->reverse, BPF_NOEXIST) == 0) {
			lb_translate(lb, flow);
			return 0;
		}
		/* Taken; an expired holder may be replaced. */
		struct nat_value *holder = bpf_map_lookup_elem(&nat_ct, &lb->reverse_key);
		if (holder && holder->expires_ns <= lb->forward.created_ns) {
			bpf_map_update_elem(&nat_ct, &lb->reverse_key, &lb->reverse, BPF_ANY);
			lb_translate(lb, flow);
			return 0;
		}
	}
	return -1;
}

/* Records a new connection the hooks admitted: forward and reverse entries. */
JUTE_INLINE void lb_commit(struct lb_decision *lb)
{
	if (!lb->is_new)
		return;
	bpf_map_update_elem(&nat_ct, &lb->forward_key, &lb->forward, BPF_ANY);
	if (!(lb->forward.flags & NAT_SNAT)) {
		/* (SNAT connections created theirs when they claimed the port.) */
		nat_reverse_of(&lb->forward_key, &lb->forward, &lb->reverse_key, &lb->reverse);
		bpf_map_update_elem(&nat_ct, &lb->reverse_key, &lb->reverse, BPF_ANY);
	}
}

/* Rewrites a forward packet: destination to the backend, and the source when masqueraded. */
JUTE_INLINE int lb_rewrite_forward(struct __sk_buff *skb, const struct flow *flow, const struct lb_decision *lb)
{
	__u32 ports_before = nat_ports_before(skb, flow);
	if (rewrite_endpoint(skb, flow, NAT_DESTINATION, lb->forward.addr, lb->forward.port) < 0)
		return -1;
	if ((lb->forward.flags & NAT_SNAT) &&
	    rewrite_endpoint(skb, flow, NAT_SOURCE, lb->forward.snat_addr, lb->forward.snat_port) < 0)
		return -1;
	return nat_finish(skb, flow, ports_before);
}

/* ---- the reply direction ---- */

#define REVERSE_NONE 0
#define REVERSE_PACKET 1 /* a reply of a service connection */
#define REVERSE_ICMP 2   /* an ICMP error about a forward packet of a service connection */

struct lb_reverse {
	struct nat_value entry;
	struct revnat_value frontend;
	__u8 kind;
};

/*
 * Per-CPU scratch space for the large structures of one packet: the BPF stack (512 bytes) is
 * too small for them next to the parsed flow and the policy keys. A tc program runs to
 * completion on its CPU without preemption by another tc program, so one slot per CPU suffices.
 */
struct lb_scratch {
	struct lb_decision decision;
	struct lb_reverse reverse;
	struct tuple original;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_scratch);
} lb_scratch SEC(".maps");

JUTE_INLINE struct lb_scratch *lb_scratch_space(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&lb_scratch, &zero);
}

/* Where a connection's replies are translated back (the `hook` of lb_reverse_lookup). */
#define REVERSE_AT_TO_POD 0                          /* internal connections: at the client's to_pod */
#define REVERSE_AT_FROM_POD (NAT_EXTERNAL | NAT_HAIRPIN) /* external ones leaving a local backend; hairpin ones */
#define REVERSE_AT_UPLINK NAT_EXTERNAL               /* external ones from a remote backend */

/*
 * Finds the service connection a packet replies to (or an ICMP error is about), among those
 * whose replies are translated at `hook` (REVERSE_AT_*).
 */
JUTE_INLINE int lb_reverse_lookup(const struct flow *flow, __u32 hook, __u64 now, struct lb_reverse *out)
{
	struct nat_key key;
	__u8 kind;
	if (flow->l4_kind == L4_PORTS) {
		nat_build_key(&flow->tuple, NAT_REVERSE, &key);
		kind = REVERSE_PACKET;
	} else if (flow->l4_kind == L4_ICMP_ERROR && (flow->inner.protocol == IPPROTO_TCP ||
						       flow->inner.protocol == IPPROTO_UDP ||
						       flow->inner.protocol == IPPROTO_SCTP_)) {
		/* The quote is a forward packet after translation; its reply tuple is the reverse key. */
		struct tuple reply = {};
		__builtin_memcpy(reply.saddr, flow->inner.daddr, 16);
		__builtin_memcpy(reply.daddr, flow->inner.saddr, 16);
		reply.sport = flow->inner.dport;
		reply.dport = flow->inner.sport;
		reply.family = flow->inner.family;
		reply.protocol = flow->inner.protocol;
		nat_build_key(&reply, NAT_REVERSE, &key);
		kind = REVERSE_ICMP;
	} else {
		return 0;
	}
	struct nat_value *entry = bpf_map_lookup_elem(&nat_ct, &key);
	if (!entry || entry->expires_ns <= now)
		return 0;
	__u32 where = entry->flags & (NAT_EXTERNAL | NAT_HAIRPIN);
	if (where ? !(where & hook) : hook != REVERSE_AT_TO_POD)
		return 0;
	__u32 service_id = entry->service_id;
	struct revnat_value *frontend = bpf_map_lookup_elem(&revnat, &service_id);
	if (!frontend)
		return 0; /* the service is gone: nothing to translate back to */
	if (kind == REVERSE_PACKET)
		nat_refresh(entry, flow, now);
	out->entry = *entry;
	out->frontend = *frontend;
	out->kind = kind;
	return 1;
}

/*
 * Translates a reply back: the source becomes the frontend, and for a masqueraded connection
 * the destination becomes the client again. For an ICMP error, the quoted forward packet gets
 * its original destination (and source), and the error's outer addresses follow where they
 * were the backend / the SNAT address.
 */
JUTE_INLINE int lb_rewrite_reverse(struct __sk_buff *skb, const struct flow *flow, const struct lb_reverse *r)
{
	int snat = (r->entry.flags & NAT_SNAT) != 0;
	if (r->kind == REVERSE_PACKET) {
		__u32 ports_before = nat_ports_before(skb, flow);
		if (rewrite_endpoint(skb, flow, NAT_SOURCE, r->frontend.addr, r->frontend.port) < 0)
			return -1;
		if (snat && rewrite_endpoint(skb, flow, NAT_DESTINATION, r->entry.addr, r->entry.port) < 0)
			return -1;
		return nat_finish(skb, flow, ports_before);
	}
	if (rewrite_inner_endpoint(skb, flow, NAT_DESTINATION, r->frontend.addr, r->frontend.port) < 0)
		return -1;
	if (snat && rewrite_inner_endpoint(skb, flow, NAT_SOURCE, r->entry.addr, r->entry.port) < 0)
		return -1;
	/* The error came from the backend itself (port unreachable): it must appear to come from the frontend. */
	if (address_equal(flow->tuple.family, flow->tuple.saddr, flow->inner.daddr) &&
	    rewrite_icmp_outer_address(skb, flow, NAT_SOURCE, r->frontend.addr) < 0)
		return -1;
	if (snat && rewrite_icmp_outer_address(skb, flow, NAT_DESTINATION, r->entry.addr) < 0)
		return -1;
	return 0;
}

/*
 * Sends a hairpin packet back into the pod it came from: the Ethernet addresses swap (the pod's
 * frame went to its gateway, the host end; it now comes from there), then the peer of this veth
 * receives it. Returns the verdict.
 */
JUTE_INLINE int lb_turn_around(struct __sk_buff *skb)
{
	__u8 macs[12], swapped[12];
	if (bpf_skb_load_bytes(skb, 0, macs, sizeof(macs)) < 0)
		return TC_ACT_SHOT;
	__builtin_memcpy(swapped, &macs[6], 6);
	__builtin_memcpy(&swapped[6], macs, 6);
	if (bpf_skb_store_bytes(skb, 0, swapped, sizeof(swapped), 0) < 0)
		return TC_ACT_SHOT;
	return bpf_redirect_peer(skb->ifindex, 0);
}

#endif
