/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_SOCK_DIAG_H
#define CKPT_SOCK_DIAG_H
/*
 * NETLINK_SOCK_DIAG: what the kernel tells about sockets that their
 * owners' fds do not (peers, names, queues, pending connections), for any
 * family. A query is one request; every answer message goes to a callback,
 * until the kernel says done.
 *
 * The answers are read in the network namespace of the process named by
 * sock_diag_use_netns_of() (ckpt's until then): sockets of another one
 * are not found (-ENOENT).
 *
 * Like proc.c, this layer does not log: it returns 0 or -errno, and
 * -EBADMSG for answers it cannot parse. The parsers (sock_diag_attrs,
 * unix_diag_parse) only read the message they are given, for unit tests.
 */
#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rtattr;

struct sock_diag {
	int fd;
	uint32_t seq;
};

/* Queries from now on go to the network namespace of @pid (0: ckpt's):
 * the dump names the process whose fds it is looking at. */
void sock_diag_use_netns_of(int pid);
/* The inode of the namespace queries go to now. */
int sock_diag_netns(uint64_t *ret);
int sock_diag_open(struct sock_diag *sd);
/* socket(2) in that namespace (a socket to compare with one of the
 * process's: same namespace, same defaults); -1 and errno on failure. */
int sock_diag_socket(int domain, int type, int protocol);
void sock_diag_close(struct sock_diag *sd);

/* Called with each answer to a query; a negative return ends the query
 * with that error. */
typedef int (*sock_diag_fn)(const struct nlmsghdr *h, void *arg);

/*
 * Send @req (@len bytes: a family's request, e.g. struct unix_diag_req or
 * struct inet_diag_req_v2) as SOCK_DIAG_BY_FAMILY, with NLM_F_DUMP when
 * @dump, and call @fn on every answer. An error from the kernel is
 * returned as it is (-ENOENT: no such socket).
 */
int sock_diag_query(struct sock_diag *sd, const void *req, size_t len, bool dump, sock_diag_fn fn,
		    void *arg);

/*
 * The attributes after the first @hdr_len bytes of the payload of @h
 * (struct unix_diag_msg, struct inet_diag_msg...): @tb[type] points to
 * the last attribute of each type below @nr, or is NULL. -EBADMSG if the
 * message is shorter than its header or an attribute runs past its end.
 */
int sock_diag_attrs(const struct nlmsghdr *h, size_t hdr_len, const struct rtattr **tb, size_t nr);

/*
 * Whether @h, a message read from any netlink socket in answer to a
 * request, ends that answer: 1 for NLMSG_DONE or the kernel's ack, the
 * error the DONE or NLMSG_ERROR gives (-EBADMSG if it is too short to
 * give one), 0 for any other message (an answer to pass on).
 */
int netlink_answer_end(const struct nlmsghdr *h);

/* ---- AF_UNIX (unix_diag) ---- */

#define UNIX_NAME_MAX 108 /* sizeof(sun_path) */

/* One unix socket as unix_diag shows it. */
struct unix_diag_sk {
	uint32_t ino;
	uint8_t type; /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	uint8_t state; /* TCP_ESTABLISHED, TCP_CLOSE, TCP_LISTEN */
	uint8_t shutdown; /* RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2 */
	/* sun_path as bound, not NUL-terminated; an abstract name starts
	 * with a 0 byte. name_len 0: no name. */
	char name[UNIX_NAME_MAX];
	size_t name_len;
	bool has_vfs; /* bound to a path: the inode it made */
	uint32_t vfs_ino, vfs_dev; /* kernel encoding of dev: major << 20 | minor */
	bool has_peer; /* connected: the peer's inode, 0 if it has no file
			* (closed, or a connection not yet accepted) */
	uint32_t peer;
	bool has_rqlen;
	/* Listening: connections waiting / backlog. Else bytes to read
	 * (dgram: of the first datagram only) / bytes sent not yet read. */
	uint32_t rqueue, wqueue;
	uint32_t *icons; /* listening: the clients of pending connections
			  * (0 for one whose client has closed), oldest first */
	size_t nr_icons;
};

void unix_diag_sk_release(struct unix_diag_sk *u);
/* An answer to a unix_diag query into @ret (release it after). */
int unix_diag_parse(const struct nlmsghdr *h, struct unix_diag_sk *ret);
/* The unix socket with inode @ino, with everything the kernel shows. */
int unix_diag_get(struct sock_diag *sd, uint32_t ino, struct unix_diag_sk *ret);
/* Every unix socket of the namespace into @ret (an array of @ret_nr). */
int unix_diag_dump(struct sock_diag *sd, struct unix_diag_sk **ret, size_t *ret_nr);
void unix_diag_sks_free(struct unix_diag_sk *sks, size_t nr);

#endif
