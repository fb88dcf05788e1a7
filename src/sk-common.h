/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_SK_COMMON_H
#define CKPT_SK_COMMON_H
/*
 * The one table of socket options (sk-common.c): every option ckpt saves
 * for any family, which kind saves it where, what its value looks like,
 * and how it is set again. sk-inet-opts.c keeps its rows in its own entry
 * (the order of the table is the order they are set back), sk-unix.c in
 * fields of its own, sk-common.c the rest in the socket's sock entry.
 */
#include "fdinfo.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
/* Restore, in ckpt: the classic filter of @e on @fd, locked if it was
 * (sk_common_restore does it, but for a unix socket whose queue waits:
 * sk-unix-refill.c, once it is refilled). Logs. */
int sk_common_restore_filter(const FileEntry *e, int fd);

#endif

/* Who saves it. */
#define SKO_INET 0x001 /* sk-inet-opts.c, for IP sockets */
#define SKO_UNIX 0x002 /* sk-unix.c, in its own fields */
#define SKO_C_INET 0x004 /* sk-common.c, for IP sockets */
#define SKO_C_UNIX 0x008 /* sk-common.c, for unix sockets */
#define SKO_COMMON (SKO_C_INET | SKO_C_UNIX)
/* For which IP sockets (SKO_INET). */
#define SKO_V6 0x010 /* AF_INET6 only */
#define SKO_TCP 0x020 /* TCP only */
#define SKO_UDP 0x040 /* UDP only */
/* Not on an established connection: there it reads what the kernel
 * worked out, not what was asked (TCP_MAXSEG). */
#define SKO_UNCONNECTED 0x080
/* What its value is: an int by default. */
#define SKO_BOOL 0x100 /* 0 or 1 */
#define SKO_HALF 0x200 /* a buffer size: reads back twice what was set */
#define SKO_TIMEVAL 0x400 /* struct timeval */
#define SKO_SPECIAL 0x800 /* a size and range of its own (sk_opt_value_ok) */
/* A value other than the default takes CAP_NET_ADMIN (sk-common.c's). */
#define SKO_PRIV 0x1000

#define SKO_VALUE_MAX 64 /* the largest value of the table (an interface name: 16) */

struct sk_opt {
	int level, name;
	int set_name; /* set with this name instead (0: the same): SO_SNDBUFFORCE */
	const char *what; /* for messages */
	unsigned int flags;
};

/* The table, in the order its options are set back. */
extern const struct sk_opt sk_opts[];
extern const size_t nr_sk_opts;

const struct sk_opt *sk_opt_find(uint32_t level, uint32_t name);
/* A value of @o as getsockopt gives it: its size and range. */
bool sk_opt_value_ok(const struct sk_opt *o, const void *v, size_t len);
/* getsockopt of @o into @buf (SKO_VALUE_MAX bytes); false if this kernel
 * or this socket does not have it. */
bool sk_opt_get(int sk, const struct sk_opt *o, void *buf, socklen_t *len);
/* setsockopt of @o to a value getsockopt gave (a buffer size halved,
 * forced past the system's maxima if ckpt may, else within them). */
int sk_opt_set(int sk, const struct sk_opt *o, const void *v, socklen_t len);

/* Restore, in ckpt: the classic filter of @e on @fd, locked if it was
 * (sk_common_restore does it, but for a unix socket whose queue waits:
 * sk-unix-refill.c, once it is refilled). Logs. */
int sk_common_restore_filter(const FileEntry *e, int fd);

#endif
