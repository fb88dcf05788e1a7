/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_NS_NET_H
#define CKPT_NS_NET_H
/*
 * Network namespaces of the tree, between the files of ns-net*.c:
 * ns-net.c (the namespace kind: images, order of the steps),
 * ns-net-nl.c (rtnetlink requests), ns-net-link.c (links),
 * ns-net-route.c (addresses, routes, rules, neighbours),
 * ns-net-conf.c (sysctls, nftables).
 *
 * Dump functions read the namespace through an rtnetlink socket made
 * inside it and refuse (one line, pr_fail) what they cannot restore.
 * Check functions validate an entry read from an image (hostile): every
 * field, before anything is created; they log through img_inconsistent.
 * Restore functions run in the new namespace (its owner process) and log
 * their one line.
 */
#include "netns.pb-c.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct external;
struct options;

#define NETNS_LINK_LOOPBACK 1
#define NETNS_LINK_VETH 2

/* ---- rtnetlink (ns-net-nl.c); no logging ---- */

struct nl_sock {
	int fd;
	uint32_t seq;
};

/* A NETLINK_ROUTE (or @proto) socket in the network namespace @nsfd
 * (-1: ours), made there by entering it and coming back. */
int nl_open(struct nl_sock *s, int proto, int nsfd);
void nl_close(struct nl_sock *s);

/* A message being built: header, family header, attributes. */
struct nl_msg {
	unsigned char buf[8192];
	size_t len;
	size_t nest[4];
	int depth;
	bool overflow;
};

void nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags, const void *hdr, size_t hdr_len);
void nl_put(struct nl_msg *m, uint16_t type, const void *data, size_t len);
/* Raw bytes (a family header inside a nest, as VETH_INFO_PEER has). */
void nl_append(struct nl_msg *m, const void *data, size_t len);
void nl_put_u32(struct nl_msg *m, uint16_t type, uint32_t v);
void nl_put_str(struct nl_msg *m, uint16_t type, const char *s);
/* Nested attributes (at most 4 deep); nl_nest_end closes the last. */
void nl_nest_begin(struct nl_msg *m, uint16_t type);
void nl_nest_end(struct nl_msg *m);
/* The family header of a message being built, to fill after init. */
void *nl_msg_hdr(struct nl_msg *m);

typedef int (*nl_fn)(const struct nlmsghdr *h, void *arg);
/* Send @m; a dump (NLM_F_DUMP) calls @fn on every answer until DONE; a
 * request with NLM_F_ACK waits for its ack. The kernel's error as it is. */
int nl_talk(struct nl_sock *s, struct nl_msg *m, nl_fn fn, void *arg);

/* The attributes after @hdr_len bytes of @h's payload: @tb[type] the
 * last of each type below @nr. -EBADMSG if one runs past the end. */
int nl_attrs(const struct nlmsghdr *h, size_t hdr_len, const struct rtattr **tb, size_t nr);
/* The same over a nested attribute's payload. */
int nl_attrs_nested(const struct rtattr *a, const struct rtattr **tb, size_t nr);
/* The u32 that attribute @a holds, or @dflt if there is none (@a NULL or
 * too short). */
uint32_t nl_attr_u32(const struct rtattr *a, uint32_t dflt);

/* ---- links (ns-net-link.c) ---- */

struct netns_dump_ctx {
	int nsfd; /* the namespace */
	const struct options *opts; /* --external veth[...] */
	uint32_t id;
	NetnsEntry *e;
};

int netns_links_dump(struct nl_sock *s, struct netns_dump_ctx *c);
/* The id ckpt's network namespace has in the one of @s (-1: none yet). */
int netns_our_nsid(struct nl_sock *s, int32_t *ret);
int netns_links_check(const NetnsEntry *e);
const NetnsLink *netns_link_find(const NetnsEntry *e, uint32_t ifindex);
/* The outer end of veth @l at restore: --external veth[NAME]:OUTER[@BRIDGE]
 * of @o if given, else the names of the dump when @trusted; -EPERM (with
 * its line) if neither. @ret_name, @ret_master point into @o or @l. */
int netns_link_outer(const NetnsLink *l, const struct options *o, bool trusted,
		     const char **ret_name, const char **ret_master);
/* Create the links (down, with their MTU, MAC and index); veth outer ends
 * go to the namespace @hostns_fd under their outer name, down. */
int netns_links_create(struct nl_sock *s, const NetnsEntry *e, const struct options *o,
		       bool trusted, int hostns_fd);
/* (ns-net-lock.c) The dump done, the tree about to die: the host ends of the namespace
 * @nsfd's veths taken down, so that nothing from outside reaches its
 * stack (which would answer a TCP segment with a reset once the tree's
 * sockets are closed) until the namespace and its links are gone.
 * Best effort, no logging but -v. */
void netns_outer_down(int nsfd);
/* Set the saved flags (IFF_UP...) of every link. */
int netns_links_up(struct nl_sock *s, const NetnsEntry *e);
/* In the host: the outer ends into their bridge, and up as they were. */
int netns_links_outer_up(struct nl_sock *host, const NetnsEntry *e, const struct options *o,
			 bool trusted);
void netns_entry_free_links(NetnsEntry *e);

/* Refuse qdiscs added to the links (ns-net-tc.c). */
int netns_tc_check(struct nl_sock *s, struct netns_dump_ctx *c);

/* ---- addresses, routes, rules, neighbours (ns-net-route.c) ---- */

int netns_addrs_dump(struct nl_sock *s, struct netns_dump_ctx *c);
int netns_routes_dump(struct nl_sock *s, struct netns_dump_ctx *c);
int netns_rules_dump(struct nl_sock *s, struct netns_dump_ctx *c);
int netns_neighs_dump(struct nl_sock *s, struct netns_dump_ctx *c);
int netns_addrs_check(const NetnsEntry *e);
int netns_routes_check(const NetnsEntry *e);
int netns_rules_check(const NetnsEntry *e);
int netns_neighs_check(const NetnsEntry *e);
int netns_addrs_restore(struct nl_sock *s, const NetnsEntry *e);
int netns_routes_restore(struct nl_sock *s, const NetnsEntry *e);
int netns_rules_restore(struct nl_sock *s, const NetnsEntry *e);
int netns_neighs_restore(struct nl_sock *s, const NetnsEntry *e);

/* ---- sysctls and nftables (ns-net-conf.c) ---- */

/* Read the sysctls of the list; call inside the namespace. */
int netns_sysctls_dump(struct netns_dump_ctx *c);
int netns_sysctls_check(const NetnsEntry *e);
/* Write them; call inside the namespace, links made. */
int netns_sysctls_restore(const NetnsEntry *e);
/* The ruleset, by `nft -j list ruleset` in the namespace, if it has any
 * table; refused when it does and nft is missing. */
int netns_nft_dump(struct netns_dump_ctx *c);
/* Refuse legacy ip(6)tables/arptables tables; call inside the namespace. */
int netns_legacy_check(struct netns_dump_ctx *c);
int netns_nft_check(const NetnsEntry *e);
/* `nft -j -f -` in the namespace @nsfd with the saved ruleset. */
int netns_nft_restore(const NetnsEntry *e, int nsfd);

/* ---- the whole namespace (ns-net.c) ---- */

/* Read the namespace @nsfd into @ret (free with netns_entry__free_unpacked
 * semantics: netns_entry_free). Logs its one line. */
int netns_collect(int nsfd, uint32_t id, const struct options *o, NetnsEntry **ret);
void netns_entry_free(NetnsEntry *e);
/* Every field of @e (from an image). */
int netns_entry_check(const NetnsEntry *e);
/* Build @e in the namespace we are in; veth outer ends into @hostns_fd.
 * The outer ends stay down (netns_entry_finish brings them up). */
int netns_build(const NetnsEntry *e, const struct options *o, bool trusted, int hostns_fd);
/* Every --external veth[KEY] of @o names a veth of @e (@cmd: "dump" or
 * "restore", for the message). */
int netns_externals_known(const NetnsEntry *e, const struct options *o, const char *cmd);
/* The outer end of every veth has a name no link of ckpt's namespace has
 * yet, and its bridge is there. */
int netns_outer_free(const NetnsEntry *e, const struct options *o, bool trusted);
/* Refuse a namespace owned by another user namespace than ckpt's. */
int netns_owner_check(int nsfd, uint32_t id);
/* At restore: the fd of the network namespace made for the one process
 * @i (an index in rs->procs) lives in, -1 for ckpt's. */
struct restore;
int netns_restore_fd(const struct restore *rs, size_t i);
/* `ckpt show`: what netns-ID.img holds. */
void netns_show(int dirfd, uint32_t id);

#endif
