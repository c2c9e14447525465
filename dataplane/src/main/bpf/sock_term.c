/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Socket termination for the socket-LB (sock_lb.c): a connection the tc path translated is reset on
 * its next packet once its backend leaves the service (lb_forward, live_backends), but a host
 * socket the socket-LB translated talks to the backend directly and never meets nat_ct. So when the
 * agent retires backends it runs these BPF iterators once: they walk the TCP and UDP sockets of the
 * network namespace that creates the iterator (the node's: a tcp/udp iterator shows the sockets of
 * its creator's namespace, as /proc/net/tcp does) and destroy (bpf_sock_destroy, Linux 6.5+) every
 * socket whose peer is a backend the socket-LB chose for it (sock_revnat has (cookie, peer)) and that
 * its service no longer lists (live_backends has no (service id, peer)). The owner of a destroyed TCP
 * socket reads ECONNABORTED and the backend gets a RST; a connected UDP socket reads ECONNABORTED once
 * and is disconnected. A socket that names a backend's address itself has no sock_revnat entry and
 * is never touched.
 *
 * Output (read by dev.jute.dataplane.bpf.RetiredSocketTerminator): one struct terminated_socket per
 * socket of a retired backend, followed by a struct destroy_failure when bpf_sock_destroy refused
 * it (the socket is then not destroyed and its sock_revnat entry kept, so the next pass tries
 * again), then one struct termination_summary when the walk ends.
 */
#include <linux/in6.h>
#include "lib/maps.h"
#include "lib/socket_peer.h"

/* TCP states, from net/tcp_states.h (a kernel-only header). */
#define TCP_TIME_WAIT_ 6
#define TCP_CLOSE_ 7
#define TCP_LISTEN_ 10
#define TCP_NEW_SYN_RECV_ 12

/*
 * The kernel types the iterators pass, reduced to the fields read here. preserve_access_index makes
 * clang record each access as a CO-RE relocation, which libbpf resolves against the running kernel's
 * BTF, so the offsets here are only names (fields inside the kernel's anonymous unions included).
 */
struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
} __attribute__((preserve_access_index));

struct sock_common {
	__be32 skc_daddr;
	__be16 skc_dport;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	struct in6_addr skc_v6_daddr;
} __attribute__((preserve_access_index));

struct udp_sock;

struct bpf_iter__tcp {
	struct bpf_iter_meta *meta;
	struct sock_common *sk_common;
} __attribute__((preserve_access_index));

struct bpf_iter__udp {
	struct bpf_iter_meta *meta;
	struct udp_sock *udp_sk;
} __attribute__((preserve_access_index));

/* Aborts a full TCP or UDP socket with ECONNABORTED (net/core/filter.c); only in iter/tcp and iter/udp. */
extern int bpf_sock_destroy(struct sock_common *sk) __ksym;

#define TERMINATED_RECORD 1
#define SUMMARY_RECORD 2
#define DESTROY_FAILED_RECORD 3

/* One socket of a retired backend, written before it is destroyed. */
struct terminated_socket {
	__u8 record;         /* 0   TERMINATED_RECORD */
	__u8 protocol;       /* 1   IPPROTO_TCP / IPPROTO_UDP */
	__u8 family;         /* 2   FAMILY_* of the backend */
	__u8 pad;            /* 3   */
	__u16 port;          /* 4   host order: backend port */
	__u16 pad2;          /* 6   */
	__u32 service_id;    /* 8   the service the backend left */
	__u32 pad3;          /* 12  */
	__u64 cookie;        /* 16  the socket's cookie */
	__u8 addr[16];       /* 24  network-order backend address */
};                           /* 40 bytes */

/* bpf_sock_destroy refused the socket of the terminated_socket record just before this one. */
struct destroy_failure {
	__u8 record;         /* 0   DESTROY_FAILED_RECORD */
	__u8 protocol;       /* 1   */
	__u8 pad[2];         /* 2   */
	__s32 error;         /* 4   bpf_sock_destroy's result: a negative errno */
	__u64 cookie;        /* 8   the socket's cookie, as in its record */
};                           /* 16 bytes */

/* The end of one iterator's walk. */
struct termination_summary {
	__u8 record;         /* 0   SUMMARY_RECORD */
	__u8 protocol;       /* 1   */
	__u8 pad[6];         /* 2   */
	__u64 walked;        /* 8   sockets of the namespace the iterator showed */
};                           /* 16 bytes */

/*
 * The socket-LB translation behind this socket, if its peer is a backend the socket-LB chose for it
 * and that backend has left the service since: then *out describes the socket.
 */
JUTE_INLINE int retired_translation(struct sock_common *sk, __u8 protocol, struct terminated_socket *out)
{
	__builtin_memset(out, 0, sizeof(*out));
	out->record = TERMINATED_RECORD;
	out->protocol = protocol;
	out->port = bpf_ntohs(sk->skc_dport);
	if (out->port == 0)
		return 0; /* not connected */
	unsigned short family = sk->skc_family;
	if (family == AF_INET_) {
		__u32 ip4 = sk->skc_daddr;
		__builtin_memcpy(out->addr, &ip4, 4);
		out->family = FAMILY_IPV4;
	} else if (family == AF_INET6_) {
		__u32 w[4];
		__builtin_memcpy(w, &sk->skc_v6_daddr, 16);
		out->family = ipv6_socket_peer(w[0], w[1], w[2], w[3], out->addr);
	} else {
		return 0;
	}

	out->cookie = bpf_get_socket_cookie(sk);
	struct sock_revnat_key translation = { .cookie = out->cookie, .port = out->port, .family = out->family };
	__builtin_memcpy(translation.addr, out->addr, 16);
	struct sock_revnat_value *frontend = bpf_map_lookup_elem(&sock_revnat, &translation);
	if (!frontend)
		return 0; /* the socket named this peer itself, or was never translated */

	struct live_backend_key live = { .service_id = frontend->service_id, .port = out->port, .family = out->family };
	__builtin_memcpy(live.addr, out->addr, 16);
	if (bpf_map_lookup_elem(&live_backends, &live))
		return 0; /* still a backend of the service */
	out->service_id = frontend->service_id;
	return 1;
}

/*
 * Destroys the socket after recording it. The record goes first: when the output buffer is full the
 * write fails and nothing is destroyed, and the iterator shows this socket again with an empty buffer.
 * When the destroy fails, a failure record follows; should that write overflow, the iterator drops
 * everything this socket wrote and shows it again, so a reader never sees one without the other.
 */
JUTE_INLINE void terminate(struct bpf_iter_meta *meta, struct sock_common *sk, struct terminated_socket *record)
{
	if (bpf_seq_write(meta->seq, record, sizeof(*record)) < 0)
		return;
	int error = bpf_sock_destroy(sk);
	if (error) {
		/* Still connected to the retired backend: its translation stays, for the next pass to find. */
		struct destroy_failure failure = { .record = DESTROY_FAILED_RECORD, .protocol = record->protocol,
						   .error = error, .cookie = record->cookie };
		bpf_seq_write(meta->seq, &failure, sizeof(failure));
		return;
	}
	/* The translation is over: the socket's release would delete it too, but maybe much later. */
	struct sock_revnat_key translation = { .cookie = record->cookie, .port = record->port, .family = record->family };
	__builtin_memcpy(translation.addr, record->addr, 16);
	bpf_map_delete_elem(&sock_revnat, &translation);
}

/*
 * Sockets shown to the current walk. A walk is one iterator file (session_id); meta->seq_num cannot
 * tell one socket from none at the end. These globals are this loaded object's own (not pinned), and
 * its loader runs one walk at a time.
 */
__u64 walk_session = 0;
__u64 walk_shown = 0;

JUTE_INLINE void count_shown(struct bpf_iter_meta *meta)
{
	__u64 session = meta->session_id;
	if (walk_session != session) {
		walk_session = session;
		walk_shown = 0;
	}
	walk_shown++;
}

JUTE_INLINE int summarize(struct bpf_iter_meta *meta, __u8 protocol)
{
	struct termination_summary summary = { .record = SUMMARY_RECORD, .protocol = protocol };
	summary.walked = walk_session == meta->session_id ? walk_shown : 0;
	bpf_seq_write(meta->seq, &summary, sizeof(summary));
	return 0;
}

SEC("iter/tcp")
int sock_term_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *sk = ctx->sk_common;
	struct bpf_iter_meta *meta = ctx->meta;
	if (!sk)
		return summarize(meta, IPPROTO_TCP); /* the walk is over */
	count_shown(meta);
	/* Listeners have no peer; request and time-wait sockets are not full sockets (nothing to abort). */
	unsigned char state = sk->skc_state;
	if (state == TCP_LISTEN_ || state == TCP_TIME_WAIT_ || state == TCP_NEW_SYN_RECV_ || state == TCP_CLOSE_)
		return 0;
	struct terminated_socket record;
	if (retired_translation(sk, IPPROTO_TCP, &record))
		terminate(meta, sk, &record);
	return 0;
}

SEC("iter/udp")
int sock_term_udp(struct bpf_iter__udp *ctx)
{
	/* A udp_sock begins with its sock_common (udp_sock > inet_sock > sock > sock_common). */
	struct sock_common *sk = (struct sock_common *)ctx->udp_sk;
	struct bpf_iter_meta *meta = ctx->meta;
	if (!sk)
		return summarize(meta, IPPROTO_UDP);
	count_shown(meta);
	struct terminated_socket record;
	if (retired_translation(sk, IPPROTO_UDP, &record))
		terminate(meta, sk, &record);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
