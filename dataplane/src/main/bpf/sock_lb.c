/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Socket-level load balancing for host-network processes (cgroup v2 sock_addr hooks): the node's
 * own sockets reach ClusterIPs without passing any tc program of Jute, so the translation happens
 * where the socket names its peer, once per connect (TCP, connected UDP) or per datagram
 * (unconnected UDP), instead of per packet:
 *
 *  connect4/6   a frontend of internal scope becomes a backend chosen by the tc path's rules
 *               (lb_choose_backend: ClientIP affinity, internalTrafficPolicy Local); the socket
 *               then talks to the backend directly, no NAT on any packet.
 *  sendmsg4/6   the same for each datagram of an unconnected UDP socket.
 *  recvmsg4/6   a datagram from a backend this socket was sent to appears to come from the frontend.
 *  getpeername4/6  a connected socket reports the frontend as its peer.
 *  sock_release a closing connected socket forgets its translation (unconnected UDP sockets leave
 *               theirs to the LRU: they may have sent to many frontends).
 *
 * Only sockets of the node's network namespace are translated (sock_lb_config.netns_cookie):
 * pods' sockets keep the tc path, where their NetworkPolicy and conntrack are.
 *
 * A frontend without an eligible backend fails the connect / sendmsg at once, as the tc path
 * answers such a frontend's packets (lb_forward):
 *  - with SERVICE_REJECT_WITHOUT_BACKENDS: ECONNREFUSED (bpf_set_retval, Linux 5.18+), as
 *    kube-proxy's REJECT rule does (the tc path sends a RST / port unreachable);
 *  - without it (e.g. internalTrafficPolicy Local with only remote endpoints, where kube-proxy
 *    drops): EPERM, all a sock_addr hook can do short of a refusal (its verdict 0 without a
 *    retval). A socket cannot wait for a timeout the way a dropped SYN does, and connecting it to
 *    the frontend untranslated would only reach whatever answers the VIP, if anything; EPERM
 *    says "not allowed" without claiming a peer refused.
 *
 * Not covered here:
 *  - SCTP sockets are translated like TCP ones, but never terminated when their backend retires:
 *    sock_term.c walks TCP and UDP sockets only (the kernel has no SCTP iterator, and
 *    bpf_sock_destroy aborts TCP and UDP sockets only).
 *  - Frontends of external scope (NodePort, LoadBalancer, external IPs): a host process reaching
 *    one of them on its own node is not translated (internal scope only). Serving them here
 *    would have to decide what externalTrafficPolicy Local means for the node's own traffic
 *    (kube-proxy sends it to any endpoint, lb_choose_backend's external scope to local ones only)
 *    and how a NodePort on every node address is matched; left for a change of its own.
 */
#include "lib/lb.h"
#include "lib/socket_peer.h"

#define SYSCALL_PASS 1
#define SYSCALL_REJECT 0

#ifndef ECONNREFUSED
#define ECONNREFUSED 111
#endif

/* The socket belongs to the node's own network namespace, and the agent configured it. */
JUTE_INLINE int node_socket(void *ctx)
{
	__u32 zero = 0;
	struct sock_lb_config *config = bpf_map_lookup_elem(&sock_lb_config, &zero);
	return config && config->netns_cookie != 0 && bpf_get_netns_cookie(ctx) == config->netns_cookie;
}

/* A peer address as the hooks see it, in the maps' format (16-byte field, IPv4 in the first 4). */
struct peer {
	__u8 addr[16];
	__u16 port;  /* host order */
	__u8 family; /* FAMILY_* of the address itself (an IPv4-mapped IPv6 peer is IPv4) */
};

JUTE_INLINE void peer_from_ip4(struct bpf_sock_addr *ctx, struct peer *peer)
{
	__builtin_memset(peer, 0, sizeof(*peer));
	__u32 ip4 = ctx->user_ip4;
	__builtin_memcpy(peer->addr, &ip4, 4);
	peer->port = bpf_ntohs((__u16)ctx->user_port);
	peer->family = FAMILY_IPV4;
}

JUTE_INLINE void peer_from_ip6(struct bpf_sock_addr *ctx, struct peer *peer)
{
	__builtin_memset(peer, 0, sizeof(*peer));
	peer->port = bpf_ntohs((__u16)ctx->user_port);
	peer->family = ipv6_socket_peer(ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3], peer->addr);
}

JUTE_INLINE void peer_to_ip4(struct bpf_sock_addr *ctx, const __u8 *addr, __u16 port)
{
	__u32 ip4;
	__builtin_memcpy(&ip4, addr, 4);
	ctx->user_ip4 = ip4;
	ctx->user_port = bpf_htons(port);
}

JUTE_INLINE void peer_to_ip6(struct bpf_sock_addr *ctx, const __u8 *addr, __u8 family, __u16 port)
{
	__u32 w[4];
	if (family == FAMILY_IPV4) {
		w[0] = 0;
		w[1] = 0;
		w[2] = bpf_htonl(0x0000ffff);
		__builtin_memcpy(&w[3], addr, 4);
	} else {
		__builtin_memcpy(w, addr, 16);
	}
	ctx->user_ip6[0] = w[0];
	ctx->user_ip6[1] = w[1];
	ctx->user_ip6[2] = w[2];
	ctx->user_ip6[3] = w[3];
	ctx->user_port = bpf_htons(port);
}

/*
 * The client address ClientIP affinity is keyed by: the node's own address (lb_config), which is
 * what a backend sees as the source of the node's connections; all-zero when the agent has not
 * written it yet (then the node still has one affinity entry per service).
 */
JUTE_INLINE void node_client_address(__u8 family, __u8 *out)
{
	__u32 zero = 0;
	struct lb_config *config = bpf_map_lookup_elem(&lb_config, &zero);
	__builtin_memset(out, 0, 16);
	if (!config)
		return;
	if (family == FAMILY_IPV4)
		__builtin_memcpy(out, config->node_ipv4, 4);
	else
		__builtin_memcpy(out, config->node_ipv6, 16);
}

#define XLATE_NONE 0        /* not a frontend: leave the socket alone */
#define XLATE_DONE 1        /* *peer now holds the backend */
#define XLATE_REFUSED 2     /* a frontend without an eligible backend, which asks to reject */
#define XLATE_NO_BACKEND 3  /* a frontend without an eligible backend (the tc path drops) */

JUTE_INLINE int sock_revnat_value_equal(const struct sock_revnat_value *a, const struct sock_revnat_value *b)
{
	__u32 x[6], y[6];
	__builtin_memcpy(x, a, sizeof(x));
	__builtin_memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]) | (x[5] ^ y[5])) == 0;
}

/*
 * Finds the frontend *peer names and replaces *peer by a backend, recording the translation for
 * the reverse hooks. The 5-tuple hash of the tc path needs a source port the socket does not have
 * yet; the socket cookie stands in for it, so one UDP socket keeps its backend for every datagram
 * (like a conntrack flow) while each new TCP socket is balanced afresh.
 */
JUTE_INLINE int translate(struct bpf_sock_addr *ctx, struct peer *peer)
{
	__u8 protocol = (__u8)ctx->protocol;
	if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP && protocol != IPPROTO_SCTP_)
		return XLATE_NONE;
	struct service_key service_key = {};
	__builtin_memcpy(service_key.addr, peer->addr, 16);
	service_key.port = peer->port;
	service_key.protocol = protocol;
	service_key.family = peer->family;
	service_key.scope = SCOPE_INTERNAL;
	struct service_value *service = bpf_map_lookup_elem(&services, &service_key);
	if (!service)
		return XLATE_NONE;

	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct tuple client = {};
	node_client_address(peer->family, client.saddr);
	__builtin_memcpy(client.daddr, peer->addr, 16);
	client.sport = (__u16)(cookie ^ (cookie >> 16) ^ (cookie >> 32) ^ (cookie >> 48));
	client.dport = peer->port;
	client.family = peer->family;
	client.protocol = protocol;
	struct backend_value backend;
	if (lb_choose_backend(service, SCOPE_INTERNAL, &client, bpf_ktime_get_ns(), &backend) < 0)
		return (service->flags & SERVICE_REJECT_WITHOUT_BACKENDS) ? XLATE_REFUSED : XLATE_NO_BACKEND;

	struct sock_revnat_key key = { .cookie = cookie, .port = backend.port, .family = peer->family };
	__builtin_memcpy(key.addr, backend.addr, 16);
	struct sock_revnat_value frontend = { .port = peer->port, .family = peer->family,
					      .service_id = service->service_id };
	__builtin_memcpy(frontend.addr, peer->addr, 16);
	/*
	 * An unconnected UDP socket comes here for every datagram, mostly with the translation it
	 * already has (the cookie keeps its backend): writing only what is missing or changed keeps
	 * a DNS-heavy node from replacing an LRU element per datagram.
	 */
	struct sock_revnat_value *recorded = bpf_map_lookup_elem(&sock_revnat, &key);
	if (!recorded || !sock_revnat_value_equal(recorded, &frontend))
		bpf_map_update_elem(&sock_revnat, &key, &frontend, BPF_ANY);

	__builtin_memcpy(peer->addr, backend.addr, 16);
	peer->port = backend.port;
	return XLATE_DONE;
}

/* The frontend a peer of this socket was translated from, if it was. */
JUTE_INLINE struct sock_revnat_value *translated_from(struct bpf_sock_addr *ctx, const struct peer *peer)
{
	struct sock_revnat_key key = { .cookie = bpf_get_socket_cookie(ctx), .port = peer->port, .family = peer->family };
	__builtin_memcpy(key.addr, peer->addr, 16);
	return bpf_map_lookup_elem(&sock_revnat, &key);
}

JUTE_INLINE int refuse(void)
{
	bpf_set_retval(-ECONNREFUSED);
	return SYSCALL_REJECT;
}

/* The syscall fails with the hook's default EPERM: no refusal, as the tc path drops (see the header). */
JUTE_INLINE int fail_without_refusal(void)
{
	return SYSCALL_REJECT;
}

JUTE_INLINE int forward4(struct bpf_sock_addr *ctx)
{
	if (!node_socket(ctx))
		return SYSCALL_PASS;
	struct peer peer;
	peer_from_ip4(ctx, &peer);
	switch (translate(ctx, &peer)) {
	case XLATE_DONE:
		peer_to_ip4(ctx, peer.addr, peer.port);
		return SYSCALL_PASS;
	case XLATE_REFUSED:
		return refuse();
	case XLATE_NO_BACKEND:
		return fail_without_refusal();
	default:
		return SYSCALL_PASS;
	}
}

JUTE_INLINE int forward6(struct bpf_sock_addr *ctx)
{
	if (!node_socket(ctx))
		return SYSCALL_PASS;
	struct peer peer;
	peer_from_ip6(ctx, &peer);
	switch (translate(ctx, &peer)) {
	case XLATE_DONE:
		peer_to_ip6(ctx, peer.addr, peer.family, peer.port);
		return SYSCALL_PASS;
	case XLATE_REFUSED:
		return refuse();
	case XLATE_NO_BACKEND:
		return fail_without_refusal();
	default:
		return SYSCALL_PASS;
	}
}

JUTE_INLINE int reverse4(struct bpf_sock_addr *ctx)
{
	if (!node_socket(ctx))
		return SYSCALL_PASS;
	struct peer peer;
	peer_from_ip4(ctx, &peer);
	struct sock_revnat_value *frontend = translated_from(ctx, &peer);
	if (frontend && frontend->family == FAMILY_IPV4)
		peer_to_ip4(ctx, frontend->addr, frontend->port);
	return SYSCALL_PASS;
}

JUTE_INLINE int reverse6(struct bpf_sock_addr *ctx)
{
	if (!node_socket(ctx))
		return SYSCALL_PASS;
	struct peer peer;
	peer_from_ip6(ctx, &peer);
	struct sock_revnat_value *frontend = translated_from(ctx, &peer);
	if (frontend && frontend->family == peer.family)
		peer_to_ip6(ctx, frontend->addr, frontend->family, frontend->port);
	return SYSCALL_PASS;
}

SEC("cgroup/connect4")
int sock_connect4(struct bpf_sock_addr *ctx)
{
	return forward4(ctx);
}

SEC("cgroup/connect6")
int sock_connect6(struct bpf_sock_addr *ctx)
{
	return forward6(ctx);
}

SEC("cgroup/sendmsg4")
int sock_sendmsg4(struct bpf_sock_addr *ctx)
{
	return forward4(ctx);
}

SEC("cgroup/sendmsg6")
int sock_sendmsg6(struct bpf_sock_addr *ctx)
{
	return forward6(ctx);
}

SEC("cgroup/recvmsg4")
int sock_recvmsg4(struct bpf_sock_addr *ctx)
{
	return reverse4(ctx);
}

SEC("cgroup/recvmsg6")
int sock_recvmsg6(struct bpf_sock_addr *ctx)
{
	return reverse6(ctx);
}

SEC("cgroup/getpeername4")
int sock_getpeername4(struct bpf_sock_addr *ctx)
{
	return reverse4(ctx);
}

SEC("cgroup/getpeername6")
int sock_getpeername6(struct bpf_sock_addr *ctx)
{
	return reverse6(ctx);
}

/*
 * A connected socket's peer is the backend its connect was translated to: that entry can go now, so
 * the LRU holds live sockets (and unconnected UDP ones) instead of evicting them for closed ones.
 */
SEC("cgroup/sock_release")
int sock_release(struct bpf_sock *sk)
{
	if (!node_socket(sk))
		return SYSCALL_PASS;
	struct sock_revnat_key key = { .cookie = bpf_get_socket_cookie(sk), .port = bpf_ntohs((__u16)sk->dst_port) };
	if (key.port == 0)
		return SYSCALL_PASS; /* never connected */
	if (sk->family == AF_INET_) {
		__u32 ip4 = sk->dst_ip4;
		__builtin_memcpy(key.addr, &ip4, 4);
		key.family = FAMILY_IPV4;
	} else if (sk->family == AF_INET6_) {
		key.family = ipv6_socket_peer(sk->dst_ip6[0], sk->dst_ip6[1], sk->dst_ip6[2], sk->dst_ip6[3], key.addr);
	} else {
		return SYSCALL_PASS;
	}
	bpf_map_delete_elem(&sock_revnat, &key);
	return SYSCALL_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
