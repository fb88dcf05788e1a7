/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_SOCK_DIAG_H
#define CKPT_SOCK_DIAG_H
/*
 * Questions to the kernel about sockets over NETLINK_SOCK_DIAG
 * (sock_diag(7)): one request, each answer handed to a callback. It knows
 * no socket family: the caller builds the request (inet_diag_req_v2,
 * unix_diag_req, ...) and reads the answers. No logging: 0 or -errno.
 */
#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>

/* One answer: 0 to go on, > 0 to stop (the query returns 0), < 0 to stop
 * with that error. */
typedef int (*sock_diag_cb)(const struct nlmsghdr *h, void *arg);

/* Send the SOCK_DIAG_BY_FAMILY request @req (@len bytes, without its
 * netlink header), a dump if @dump, and pass every answer to @cb. */
int sock_diag_query(const void *req, size_t len, bool dump, sock_diag_cb cb, void *arg);

/* The payload of attribute @type in answer @h, whose fixed part is @hdr_len
 * bytes long; NULL if it has none. Its length in *@ret_len. */
const void *sock_diag_attr(const struct nlmsghdr *h, size_t hdr_len, unsigned short type,
			   size_t *ret_len);

#endif
