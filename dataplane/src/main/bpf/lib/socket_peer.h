/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A socket's peer address in the Service maps' format (16-byte field, IPv4 in the first 4 bytes, a
 * FAMILY_* beside it), for the socket-LB hooks (sock_lb.c) and the socket terminator (sock_term.c),
 * which must agree on it: sock_revnat is written by one and read by the other.
 */
#ifndef JUTE_SOCKET_PEER_H
#define JUTE_SOCKET_PEER_H

#include "common.h"

/* Socket address families (bpf_sock.family, sock_common.skc_family), from linux/socket.h, which BPF programs cannot include. */
#define AF_INET_ 2
#define AF_INET6_ 10

/*
 * The peer of an IPv6 socket, given as its four network-order words, into `out`; returns its
 * FAMILY_*. ::ffff:a.b.c.d is the IPv4 peer a.b.c.d of a dual-stack socket (Java and others open
 * those): it is stored as IPv4, as an IPv4 socket's peer a.b.c.d is, so both find the same entries.
 * (The words are values: the hooks' context fields must be read one by one.)
 */
JUTE_INLINE __u8 ipv6_socket_peer(__u32 w0, __u32 w1, __u32 w2, __u32 w3, __u8 *out)
{
	__builtin_memset(out, 0, 16);
	if (w0 == 0 && w1 == 0 && w2 == bpf_htonl(0x0000ffff)) {
		__builtin_memcpy(out, &w3, 4);
		return FAMILY_IPV4;
	}
	__builtin_memcpy(out, &w0, 4);
	__builtin_memcpy(&out[4], &w1, 4);
	__builtin_memcpy(&out[8], &w2, 4);
	__builtin_memcpy(&out[12], &w3, 4);
	return FAMILY_IPV6;
}

#endif
