/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The policy verdict for one direction of one endpoint, exactly as DesiredStateLookup (policy
 * module) spells it out:
 *   not isolated                                   -> allow
 *   remote identity := ipcache[remote] or WORLD
 *   ingress from the node itself (IDENTITY_HOST)   -> allow (Kubernetes: the node always reaches its pods)
 *   an entry for any peer matches protocol+port    -> allow
 *   an entry for the remote identity matches       -> allow
 *   C := the longest CIDR peer of this endpoint and direction containing remote;
 *        an entry for C matches                    -> allow
 *   otherwise                                      -> deny
 * At most 1 ipcache + 1 policy_cidrs + 6 policy lookups, however many policies exist. "Matches"
 * is one LPM lookup per (peer, protocol): the port is the last, prefix-matched key field, and
 * protocol 0 ("every protocol") is a second lookup whose prefix ends before the port.
 */
#ifndef JUTE_POLICY_H
#define JUTE_POLICY_H

#include "maps.h"
#include "packet.h"

JUTE_INLINE __u32 ipcache_identity(__u8 family, const __u8 *addr)
{
	struct ipcache_key key = {};
	key.prefixlen = 32 + (family == FAMILY_IPV4 ? 32 : 128);
	key.family = family;
	__builtin_memcpy(key.addr, addr, 16);
	struct ipcache_value *value = bpf_map_lookup_elem(&ipcache, &key);
	return value ? value->identity : IDENTITY_WORLD;
}

/* One LPM lookup: is there an entry for this key's peer and protocol covering key->port? */
JUTE_INLINE int policy_entry_matches(struct policy_key *key, __u8 protocol)
{
	key->protocol = protocol;
	struct policy_value *value = bpf_map_lookup_elem(&policy, key);
	if (!value)
		return 0;
	__sync_fetch_and_add(&value->admitted, 1);
	return 1;
}

/* Entries for the peer already in key: its protocol (if it has ports), then every protocol. */
JUTE_INLINE int policy_peer_allows(struct policy_key *key, __u8 protocol, int has_ports)
{
	if (has_ports && policy_entry_matches(key, protocol))
		return 1;
	return policy_entry_matches(key, 0);
}

JUTE_INLINE void mask_address(__u8 *addr, __u32 prefix_length)
{
#pragma unroll
	for (int i = 0; i < 16; i++) {
		__u32 bit = i * 8;
		if (prefix_length <= bit)
			addr[i] = 0;
		else if (prefix_length < bit + 8)
			addr[i] &= (__u8)(0xff << (bit + 8 - prefix_length));
	}
}

/*
 * Whether the policy of `endpoint` in `direction` allows traffic with the remote address `remote`,
 * `protocol` and destination `port` (ignored when has_ports is 0).
 */
JUTE_INLINE int policy_allows(const struct endpoint_info *endpoint, __u8 direction, __u8 family,
			      const __u8 *remote, __u8 protocol, __u16 port, int has_ports)
{
	__u32 isolated = direction == DIR_INGRESS ? ENDPOINT_INGRESS_ISOLATED : ENDPOINT_EGRESS_ISOLATED;
	if (!(endpoint->flags & isolated))
		return 1;

	__u32 identity = ipcache_identity(family, remote);
	if (direction == DIR_INGRESS && identity == IDENTITY_HOST)
		return 1;

	struct policy_key key = {};
	key.prefixlen = POLICY_FIXED_BITS + 16;
	key.endpoint_id = endpoint->endpoint_id;
	key.direction = direction;
	key.port = bpf_htons(has_ports ? port : 0);

	key.peer_kind = PEER_ANY;
	if (policy_peer_allows(&key, protocol, has_ports))
		return 1;

	key.peer_kind = PEER_IDENTITY;
	key.identity = identity;
	if (policy_peer_allows(&key, protocol, has_ports))
		return 1;

	struct policy_cidr_key cidr_key = {};
	cidr_key.prefixlen = 64 + (family == FAMILY_IPV4 ? 32 : 128);
	cidr_key.endpoint_id = endpoint->endpoint_id;
	cidr_key.direction = direction;
	cidr_key.family = family;
	__builtin_memcpy(cidr_key.addr, remote, 16);
	struct policy_cidr_value *cidr = bpf_map_lookup_elem(&policy_cidrs, &cidr_key);
	if (!cidr)
		return 0;

	__u32 cidr_length = cidr->prefix_length;
	if (cidr_length > 128)
		return 0;
	key.peer_kind = PEER_CIDR;
	key.identity = 0;
	key.cidr_length = cidr_length;
	key.cidr_family = family;
	__builtin_memcpy(key.cidr_addr, remote, 16);
	mask_address(key.cidr_addr, cidr_length);
	return policy_peer_allows(&key, protocol, has_ports);
}

#endif
