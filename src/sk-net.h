/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_SK_NET_H
#define CKPT_SK_NET_H
/*
 * ICMP, raw IP, packet and netlink sockets: what sk-net.c (the kind) and
 * sk-net-opts.c (their options) share.
 */
#include "files.h"

#include <stdbool.h>

/* The options of the table @sk has otherwise than @fresh (a new socket
 * like it; -1 when none could be made: then every one it has), into @s. */
void net_opts_dump(int sk, int fresh, NetSkEntry *s);
/* -EBADMSG unless every option of @s, from an image, is one of the table
 * for its family, of a size the table allows. */
int net_opts_check(const NetSkEntry *s);
/* Every option of socket @e on @sk (logged); buffer sizes forced if
 * @trusted. */
int net_opts_restore(int sk, const FileEntry *e, bool trusted);

#endif
