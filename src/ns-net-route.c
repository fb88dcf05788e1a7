// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses, routes, policy rules and static neighbours of a network
 * namespace. Each is kept as its netlink header fields and the
 * attributes of a table below (type and how long its value is); an
 * attribute not in the table is refused at dump, naming it, and at
 * restore every one is checked against the table again. What the kernel
 * makes by itself is not saved: routes of protocol "kernel" (those of
 * the addresses), cached ones, routes and addresses learned from router
 * advertisements.
 */
#include "ns-net.h"

#include "image.h"
#include "imgdir.h"
#include "util.h"

#include <net/if.h> /* before the linux headers */

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>

#define BAD(...) img_inconsistent(IMG_NETNS, (int)e->id, __VA_ARGS__)

enum attr_kind {
	A_SKIP, /* the kernel's own (times, counters): not saved */
	A_ADDR, /* 4 or 16 bytes, by family */
	A_U32,
	A_U8,
	A_IFINDEX, /* u32, a link of the image */
	A_NAME, /* a link name, NUL-terminated */
	A_FIXED, /* exactly len bytes */
	A_LLADDR, /* 1 to 32 bytes */
	A_METRICS, /* nested u32 RTAX_* (RTAX_CC_ALGO a string) */
};

struct attr_spec {
	uint16_t type;
	uint8_t kind;
	uint8_t len;
};

static const struct attr_spec addr_attrs[] = {
	{ IFA_ADDRESS, A_ADDR, 0 }, { IFA_LOCAL, A_ADDR, 0 },	   { IFA_BROADCAST, A_ADDR, 0 },
	{ IFA_LABEL, A_NAME, 0 },   { IFA_FLAGS, A_U32, 0 },	   { IFA_CACHEINFO, A_FIXED, 16 },
	{ IFA_PROTO, A_U8, 0 },	    { IFA_RT_PRIORITY, A_U32, 0 }, { IFA_ANYCAST, A_ADDR, 0 },
};

static const struct attr_spec route_attrs[] = {
	{ RTA_TABLE, A_U32, 0 },    { RTA_DST, A_ADDR, 0 },	   { RTA_SRC, A_ADDR, 0 },
	{ RTA_OIF, A_IFINDEX, 0 },  { RTA_GATEWAY, A_ADDR, 0 },	   { RTA_PRIORITY, A_U32, 0 },
	{ RTA_PREFSRC, A_ADDR, 0 }, { RTA_METRICS, A_METRICS, 0 }, { RTA_FLOW, A_U32, 0 },
	{ RTA_PREF, A_U8, 0 },	    { RTA_CACHEINFO, A_SKIP, 0 },  { RTA_EXPIRES, A_SKIP, 0 },
};

static const struct attr_spec rule_attrs[] = {
	{ FRA_TABLE, A_U32, 0 },
	{ FRA_PRIORITY, A_U32, 0 },
	{ FRA_SRC, A_ADDR, 0 },
	{ FRA_DST, A_ADDR, 0 },
	{ FRA_IIFNAME, A_NAME, 0 },
	{ FRA_OIFNAME, A_NAME, 0 },
	{ FRA_FWMARK, A_U32, 0 },
	{ FRA_FWMASK, A_U32, 0 },
	{ FRA_FLOW, A_U32, 0 },
	{ FRA_SUPPRESS_PREFIXLEN, A_U32, 0 },
	{ FRA_SUPPRESS_IFGROUP, A_U32, 0 },
	{ FRA_GOTO, A_U32, 0 },
	{ FRA_PROTOCOL, A_U8, 0 },
	{ FRA_L3MDEV, A_U8, 0 },
	{ FRA_UID_RANGE, A_FIXED, 8 },
	{ FRA_IP_PROTO, A_U8, 0 },
	{ FRA_SPORT_RANGE, A_FIXED, 4 },
	{ FRA_DPORT_RANGE, A_FIXED, 4 },
	{ FRA_TUN_ID, A_FIXED, 8 },
};

static const struct attr_spec neigh_attrs[] = {
	{ NDA_DST, A_ADDR, 0 },	   { NDA_LLADDR, A_LLADDR, 0 }, { NDA_CACHEINFO, A_SKIP, 0 },
	{ NDA_PROBES, A_SKIP, 0 }, { NDA_PROTOCOL, A_U8, 0 },	{ NDA_FLAGS_EXT, A_U32, 0 },
};

#define SPECS(a) a, ARRAY_SIZE(a)

static const struct attr_spec *spec_find(const struct attr_spec *t, size_t n, unsigned int type)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

static size_t addr_len(uint32_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* ---- dump ---- */

struct walk {
	struct netns_dump_ctx *c;
	const char *what;
	int r;
};

/* Keep the attributes after @hdr_len of @h in @ret; refuse one not in @t. */
static int attrs_save(struct walk *w, const struct nlmsghdr *h, size_t hdr_len,
		      const struct attr_spec *t, size_t nt, NetnsAttr ***ret, size_t *ret_n)
{
	const struct rtattr *a =
		(const struct rtattr *)((const char *)NLMSG_DATA(h) + NLMSG_ALIGN(hdr_len));
	int len = (int)(h->nlmsg_len - NLMSG_SPACE(hdr_len));

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		unsigned int type = a->rta_type & NLA_TYPE_MASK;
		const struct attr_spec *s = spec_find(t, nt, type);
		NetnsAttr *x;

		if (type == 0)
			continue; /* FRA_UNSPEC, padding */
		if (!s) {
			w->r = pr_fail(
				-EOPNOTSUPP,
				"cannot dump: net namespace %u: a %s has attribute %u (not supported)",
				w->c->id, w->what, type);
			return w->r;
		}
		if (s->kind == A_SKIP)
			continue;
		x = xmalloc(sizeof(*x));
		netns_attr__init(x);
		x->type = type;
		x->value.len = RTA_PAYLOAD(a);
		x->value.data = xmalloc(x->value.len ? x->value.len : 1);
		memcpy(x->value.data, RTA_DATA(a), x->value.len);
		*ret = xrealloc(*ret, (*ret_n + 1) * sizeof(**ret));
		(*ret)[(*ret_n)++] = x;
	}
	return 0;
}

#define APPEND(arr, n, v)                                            \
	do {                                                         \
		(arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))); \
		(arr)[(n)++] = (v);                                  \
	} while (0)

static int addr_one(const struct nlmsghdr *h, void *arg)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct walk *w = arg;
	NetnsEntry *e = w->c->e;
	const struct rtattr *tb[IFA_MAX + 1];
	uint32_t flags;
	NetnsAddr *a;

	if (h->nlmsg_type != RTM_NEWADDR || nl_attrs(h, sizeof(*ifa), tb, ARRAY_SIZE(tb)) < 0)
		return 0;
	flags = ifa->ifa_flags;
	if (tb[IFA_FLAGS] && RTA_PAYLOAD(tb[IFA_FLAGS]) == 4)
		memcpy(&flags, RTA_DATA(tb[IFA_FLAGS]), 4);
	/* addresses from router advertisements and privacy ones come back
	 * with the next advertisement */
	if (ifa->ifa_family == AF_INET6 && !(flags & IFA_F_PERMANENT))
		return 0;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return 0;
	a = xmalloc(sizeof(*a));
	netns_addr__init(a);
	a->family = ifa->ifa_family;
	a->prefixlen = ifa->ifa_prefixlen;
	a->flags = flags;
	a->scope = ifa->ifa_scope;
	a->ifindex = ifa->ifa_index;
	APPEND(e->addrs, e->n_addrs, a);
	return attrs_save(w, h, sizeof(*ifa), SPECS(addr_attrs), &a->attrs, &a->n_attrs);
}

static int route_one(const struct nlmsghdr *h, void *arg)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	const struct rtattr *tb[RTA_MAX + 1];
	struct walk *w = arg;
	NetnsEntry *e = w->c->e;
	NetnsRoute *x;
	uint32_t table;

	if (h->nlmsg_type != RTM_NEWROUTE || nl_attrs(h, sizeof(*rt), tb, ARRAY_SIZE(tb)) < 0)
		return 0;
	if (rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6)
		return 0;
	/* made by the kernel with an address, learned, or cached */
	if (rt->rtm_protocol == RTPROT_KERNEL || rt->rtm_protocol == RTPROT_RA ||
	    (rt->rtm_flags & RTM_F_CLONED))
		return 0;
	table = rt->rtm_table;
	if (tb[RTA_TABLE] && RTA_PAYLOAD(tb[RTA_TABLE]) == 4)
		memcpy(&table, RTA_DATA(tb[RTA_TABLE]), 4);
	if (tb[RTA_MULTIPATH] || tb[RTA_ENCAP] || tb[RTA_VIA] || tb[RTA_NH_ID]) {
		w->r = pr_fail(
			-EOPNOTSUPP,
			"cannot dump: net namespace %u: a route of table %u is multipath, encapsulated or uses a nexthop object (not supported)",
			w->c->id, table);
		return w->r;
	}
	x = xmalloc(sizeof(*x));
	netns_route__init(x);
	x->family = rt->rtm_family;
	x->dst_len = rt->rtm_dst_len;
	x->src_len = rt->rtm_src_len;
	x->tos = rt->rtm_tos;
	x->table = table;
	x->protocol = rt->rtm_protocol;
	x->scope = rt->rtm_scope;
	x->type = rt->rtm_type;
	x->flags = rt->rtm_flags & RTNH_F_ONLINK;
	APPEND(e->routes, e->n_routes, x);
	return attrs_save(w, h, sizeof(*rt), SPECS(route_attrs), &x->attrs, &x->n_attrs);
}

static int rule_one(const struct nlmsghdr *h, void *arg)
{
	const struct fib_rule_hdr *f = NLMSG_DATA(h);
	struct walk *w = arg;
	NetnsEntry *e = w->c->e;
	NetnsRule *x;

	if (h->nlmsg_type != RTM_NEWRULE || h->nlmsg_len < NLMSG_LENGTH(sizeof(*f)))
		return 0;
	if (f->family != AF_INET && f->family != AF_INET6)
		return 0;
	x = xmalloc(sizeof(*x));
	netns_rule__init(x);
	x->family = f->family;
	x->dst_len = f->dst_len;
	x->src_len = f->src_len;
	x->tos = f->tos;
	x->table = f->table;
	x->action = f->action;
	x->flags = f->flags & FIB_RULE_INVERT;
	APPEND(e->rules, e->n_rules, x);
	return attrs_save(w, h, sizeof(*f), SPECS(rule_attrs), &x->attrs, &x->n_attrs);
}

static int neigh_one(const struct nlmsghdr *h, void *arg)
{
	const struct ndmsg *nd = NLMSG_DATA(h);
	struct walk *w = arg;
	NetnsEntry *e = w->c->e;
	NetnsNeigh *x;

	if (h->nlmsg_type != RTM_NEWNEIGH || h->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
		return 0;
	/* the rest is a cache the kernel fills again */
	if (!(nd->ndm_state & NUD_PERMANENT) || (nd->ndm_flags & NTF_PROXY) ||
	    (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6))
		return 0;
	x = xmalloc(sizeof(*x));
	netns_neigh__init(x);
	x->family = nd->ndm_family;
	x->ifindex = (uint32_t)nd->ndm_ifindex;
	x->state = NUD_PERMANENT;
	x->flags = nd->ndm_flags & NTF_ROUTER;
	x->type = nd->ndm_type;
	APPEND(e->neighs, e->n_neighs, x);
	return attrs_save(w, h, sizeof(*nd), SPECS(neigh_attrs), &x->attrs, &x->n_attrs);
}

static int walk(struct nl_sock *s, struct netns_dump_ctx *c, uint16_t type, const void *hdr,
		size_t hdr_len, nl_fn fn, const char *what)
{
	struct walk w = { .c = c, .what = what };
	_cleanup_free_ struct nl_msg *m = xmalloc(sizeof(*m));
	int r;

	nl_msg_init(m, type, NLM_F_DUMP, hdr, hdr_len);
	r = nl_talk(s, m, fn, &w);
	if (w.r < 0)
		return w.r;
	if (r < 0)
		return pr_errno(r, "cannot dump: net namespace %u: cannot list its %ss", c->id,
				what);
	return 0;
}

int netns_addrs_dump(struct nl_sock *s, struct netns_dump_ctx *c)
{
	struct ifaddrmsg h = { .ifa_family = AF_UNSPEC };

	return walk(s, c, RTM_GETADDR, &h, sizeof(h), addr_one, "address");
}

int netns_routes_dump(struct nl_sock *s, struct netns_dump_ctx *c)
{
	struct rtmsg h = { .rtm_family = AF_UNSPEC };

	return walk(s, c, RTM_GETROUTE, &h, sizeof(h), route_one, "route");
}

int netns_rules_dump(struct nl_sock *s, struct netns_dump_ctx *c)
{
	struct fib_rule_hdr h = { .family = AF_UNSPEC };

	return walk(s, c, RTM_GETRULE, &h, sizeof(h), rule_one, "rule");
}

int netns_neighs_dump(struct nl_sock *s, struct netns_dump_ctx *c)
{
	struct ndmsg h = { .ndm_family = AF_UNSPEC };

	return walk(s, c, RTM_GETNEIGH, &h, sizeof(h), neigh_one, "neighbour");
}

/* ---- check ---- */

static bool name_ok(const ProtobufCBinaryData *v)
{
	if (!v->len || v->len > IFNAMSIZ || v->data[v->len - 1] != '\0')
		return false;
	for (size_t i = 0; i + 1 < v->len; i++)
		if (v->data[i] < ' ' || v->data[i] >= 0x7f)
			return false;
	return v->len > 1;
}

static bool metrics_ok(const ProtobufCBinaryData *v)
{
	const struct rtattr *a = (const struct rtattr *)v->data;
	int len = (int)v->len;

	if (v->len > 1024)
		return false;
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == 0 || a->rta_type > RTAX_MAX)
			return false;
		if (a->rta_type == RTAX_CC_ALGO) {
			size_t n = RTA_PAYLOAD(a);

			if (!n || n > 16 || ((const char *)RTA_DATA(a))[n - 1])
				return false;
		} else if (RTA_PAYLOAD(a) != 4) {
			return false;
		}
	}
	return len == 0;
}

static int attrs_check(const NetnsEntry *e, const char *what, size_t i, uint32_t family,
		       NetnsAttr *const *v, size_t n, const struct attr_spec *t, size_t nt)
{
	if (n > 64)
		return BAD("%s %zu: %zu attributes", what, i, n);
	for (size_t k = 0; k < n; k++) {
		const struct attr_spec *s = spec_find(t, nt, v[k]->type);
		const ProtobufCBinaryData *b = &v[k]->value;
		uint32_t u;
		bool ok;

		if (!s || s->kind == A_SKIP)
			return BAD("%s %zu: attribute %u", what, i, v[k]->type);
		for (size_t j = 0; j < k; j++)
			if (v[j]->type == v[k]->type)
				return BAD("%s %zu: attribute %u twice", what, i, v[k]->type);
		switch (s->kind) {
		case A_ADDR:
			ok = b->len == addr_len(family);
			break;
		case A_U32:
			ok = b->len == 4;
			break;
		case A_U8:
			ok = b->len == 1;
			break;
		case A_IFINDEX:
			ok = b->len == 4;
			if (ok) {
				memcpy(&u, b->data, 4);
				ok = netns_link_find(e, u) != NULL;
			}
			break;
		case A_NAME:
			ok = name_ok(b);
			break;
		case A_FIXED:
			ok = b->len == s->len;
			break;
		case A_LLADDR:
			ok = b->len >= 1 && b->len <= 32;
			break;
		case A_METRICS:
			ok = metrics_ok(b);
			break;
		default:
			ok = false;
		}
		if (!ok)
			return BAD("%s %zu: attribute %u of %zu bytes", what, i, v[k]->type,
				   b->len);
	}
	return 0;
}

static bool family_ok(uint32_t family, uint32_t len1, uint32_t len2)
{
	size_t bits = addr_len(family) * 8;

	return bits && len1 <= bits && len2 <= bits;
}

int netns_addrs_check(const NetnsEntry *e)
{
	if (e->n_addrs > 4096)
		return BAD("%zu addresses", e->n_addrs);
	for (size_t i = 0; i < e->n_addrs; i++) {
		const NetnsAddr *a = e->addrs[i];
		bool local = false;

		if (!family_ok(a->family, a->prefixlen, 0) || a->scope > 255 ||
		    !netns_link_find(e, a->ifindex))
			return BAD("address %zu: family %u/%u, link %u", i, a->family, a->prefixlen,
				   a->ifindex);
		for (size_t k = 0; k < a->n_attrs; k++)
			local |= a->attrs[k]->type == IFA_LOCAL || a->attrs[k]->type == IFA_ADDRESS;
		if (!local)
			return BAD("address %zu: no address", i);
		if (attrs_check(e, "address", i, a->family, a->attrs, a->n_attrs,
				SPECS(addr_attrs)))
			return -EBADMSG;
	}
	return 0;
}

int netns_routes_check(const NetnsEntry *e)
{
	if (e->n_routes > 65536)
		return BAD("%zu routes", e->n_routes);
	for (size_t i = 0; i < e->n_routes; i++) {
		const NetnsRoute *r = e->routes[i];

		if (!family_ok(r->family, r->dst_len, r->src_len) || r->tos > 255 || !r->table ||
		    r->protocol > 255 || r->protocol == RTPROT_KERNEL || r->scope > 255 ||
		    !r->type || r->type > RTN_MAX || (r->flags & ~(uint32_t)RTNH_F_ONLINK))
			return BAD("route %zu: header", i);
		if (attrs_check(e, "route", i, r->family, r->attrs, r->n_attrs, SPECS(route_attrs)))
			return -EBADMSG;
	}
	return 0;
}

int netns_rules_check(const NetnsEntry *e)
{
	if (e->n_rules > 4096)
		return BAD("%zu rules", e->n_rules);
	for (size_t i = 0; i < e->n_rules; i++) {
		const NetnsRule *r = e->rules[i];

		if (!family_ok(r->family, r->dst_len, r->src_len) || r->tos > 255 ||
		    r->table > 255 || !r->action || r->action > FR_ACT_PROHIBIT ||
		    (r->flags & ~(uint32_t)FIB_RULE_INVERT))
			return BAD("rule %zu: header", i);
		if (attrs_check(e, "rule", i, r->family, r->attrs, r->n_attrs, SPECS(rule_attrs)))
			return -EBADMSG;
	}
	return 0;
}

int netns_neighs_check(const NetnsEntry *e)
{
	if (e->n_neighs > 4096)
		return BAD("%zu neighbours", e->n_neighs);
	for (size_t i = 0; i < e->n_neighs; i++) {
		const NetnsNeigh *n = e->neighs[i];

		if (!addr_len(n->family) || n->state != NUD_PERMANENT ||
		    (n->flags & ~(uint32_t)NTF_ROUTER) || n->type > 255 ||
		    !netns_link_find(e, n->ifindex))
			return BAD("neighbour %zu: header", i);
		if (attrs_check(e, "neighbour", i, n->family, n->attrs, n->n_attrs,
				SPECS(neigh_attrs)))
			return -EBADMSG;
	}
	return 0;
}

/* ---- restore ---- */

static void put_attrs(struct nl_msg *m, NetnsAttr *const *v, size_t n)
{
	for (size_t k = 0; k < n; k++)
		nl_put(m, (uint16_t)v[k]->type, v[k]->value.data, v[k]->value.len);
}

/* An address that answers at once: no duplicate detection (the address
 * was ours before the dump), none of the kernel's state flags. */
#define ADDR_STATE_FLAGS \
	(IFA_F_TENTATIVE | IFA_F_DADFAILED | IFA_F_DEPRECATED | IFA_F_OPTIMISTIC | IFA_F_PERMANENT)

int netns_addrs_restore(struct nl_sock *s, const NetnsEntry *e)
{
	_cleanup_free_ struct nl_msg *m = xmalloc(sizeof(*m));

	for (size_t i = 0; i < e->n_addrs; i++) {
		const NetnsAddr *a = e->addrs[i];
		uint32_t flags = (a->flags & ~(uint32_t)ADDR_STATE_FLAGS) |
				 (a->family == AF_INET6 ? IFA_F_NODAD : 0);
		struct ifaddrmsg h = {
			.ifa_family = (uint8_t)a->family,
			.ifa_prefixlen = (uint8_t)a->prefixlen,
			.ifa_flags = (uint8_t)flags,
			.ifa_scope = (uint8_t)a->scope,
			.ifa_index = a->ifindex,
		};
		int r;

		nl_msg_init(m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &h, sizeof(h));
		for (size_t k = 0; k < a->n_attrs; k++)
			if (a->attrs[k]->type != IFA_FLAGS)
				nl_put(m, (uint16_t)a->attrs[k]->type, a->attrs[k]->value.data,
				       a->attrs[k]->value.len);
		nl_put_u32(m, IFA_FLAGS, flags);
		r = nl_talk(s, m, NULL, NULL);
		if (r < 0)
			return pr_errno(r, "cannot restore: cannot add address %zu (link %u)", i,
					a->ifindex);
	}
	return 0;
}

static int route_add(struct nl_sock *s, struct nl_msg *m, const NetnsRoute *x)
{
	struct rtmsg h = {
		.rtm_family = (uint8_t)x->family,
		.rtm_dst_len = (uint8_t)x->dst_len,
		.rtm_src_len = (uint8_t)x->src_len,
		.rtm_tos = (uint8_t)x->tos,
		.rtm_table = x->table < 256 ? (uint8_t)x->table : RT_TABLE_UNSPEC,
		.rtm_protocol = (uint8_t)x->protocol,
		.rtm_scope = (uint8_t)x->scope,
		.rtm_type = (uint8_t)x->type,
		.rtm_flags = x->flags,
	};

	nl_msg_init(m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &h, sizeof(h));
	put_attrs(m, x->attrs, x->n_attrs);
	return nl_talk(s, m, NULL, NULL);
}

int netns_routes_restore(struct nl_sock *s, const NetnsEntry *e)
{
	_cleanup_free_ struct nl_msg *m = xmalloc(sizeof(*m));
	_cleanup_free_ bool *done = xzalloc(e->n_routes + 1);
	size_t left = e->n_routes;
	int r = 0;

	/* A route through a gateway needs the route to the gateway first:
	 * add what can be, again, until a pass adds nothing. */
	while (left) {
		size_t before = left;
		size_t failed = 0;

		for (size_t i = 0; i < e->n_routes; i++) {
			if (done[i])
				continue;
			r = route_add(s, m, e->routes[i]);
			if (r == 0) {
				done[i] = true;
				left--;
			} else {
				failed = i;
			}
		}
		if (left == before) {
			r = route_add(s, m, e->routes[failed]);
			return pr_errno(r, "cannot restore: cannot add route %zu (table %u)",
					failed, e->routes[failed]->table);
		}
	}
	return 0;
}

/* The rules a new namespace starts with: priority and table. */
static const struct {
	uint8_t family;
	uint32_t prio, table;
} default_rules[] = {
	{ AF_INET, 0, RT_TABLE_LOCAL },	      { AF_INET, 32766, RT_TABLE_MAIN },
	{ AF_INET, 32767, RT_TABLE_DEFAULT }, { AF_INET6, 0, RT_TABLE_LOCAL },
	{ AF_INET6, 32766, RT_TABLE_MAIN },
};

static bool rule_is_default(const NetnsRule *x, size_t d)
{
	uint32_t prio = 0, table = x->table;

	if (x->family != default_rules[d].family || x->action != FR_ACT_TO_TBL || x->flags ||
	    x->dst_len || x->src_len || x->tos)
		return false;
	for (size_t k = 0; k < x->n_attrs; k++) {
		const NetnsAttr *a = x->attrs[k];

		if (a->type == FRA_PRIORITY)
			memcpy(&prio, a->value.data, 4);
		else if (a->type == FRA_TABLE)
			memcpy(&table, a->value.data, 4);
		else if (a->type != FRA_PROTOCOL)
			return false;
	}
	return prio == default_rules[d].prio && table == default_rules[d].table;
}

/* The saved rules are exactly the ones a new namespace has. */
static bool rules_default(const NetnsEntry *e)
{
	if (e->n_rules != ARRAY_SIZE(default_rules))
		return false;
	for (size_t d = 0; d < ARRAY_SIZE(default_rules); d++) {
		bool found = false;

		for (size_t i = 0; i < e->n_rules && !found; i++)
			found = rule_is_default(e->rules[i], d);
		if (!found)
			return false;
	}
	return true;
}

int netns_rules_restore(struct nl_sock *s, const NetnsEntry *e)
{
	_cleanup_free_ struct nl_msg *m = xmalloc(sizeof(*m));
	int r;

	if (rules_default(e))
		return 0;
	for (size_t d = 0; d < ARRAY_SIZE(default_rules); d++) {
		struct fib_rule_hdr h = {
			.family = default_rules[d].family,
			.action = FR_ACT_TO_TBL,
			.table = (uint8_t)default_rules[d].table,
		};

		nl_msg_init(m, RTM_DELRULE, 0, &h, sizeof(h));
		nl_put_u32(m, FRA_PRIORITY, default_rules[d].prio);
		r = nl_talk(s, m, NULL, NULL);
		if (r < 0 && r != -ENOENT)
			return pr_errno(r, "cannot restore: cannot remove the default rules");
	}
	for (size_t i = 0; i < e->n_rules; i++) {
		const NetnsRule *x = e->rules[i];
		struct fib_rule_hdr h = {
			.family = (uint8_t)x->family,
			.dst_len = (uint8_t)x->dst_len,
			.src_len = (uint8_t)x->src_len,
			.tos = (uint8_t)x->tos,
			.table = (uint8_t)x->table,
			.action = (uint8_t)x->action,
			.flags = x->flags,
		};

		nl_msg_init(m, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, &h, sizeof(h));
		put_attrs(m, x->attrs, x->n_attrs);
		r = nl_talk(s, m, NULL, NULL);
		if (r < 0)
			return pr_errno(r, "cannot restore: cannot add rule %zu", i);
	}
	return 0;
}

int netns_neighs_restore(struct nl_sock *s, const NetnsEntry *e)
{
	_cleanup_free_ struct nl_msg *m = xmalloc(sizeof(*m));

	for (size_t i = 0; i < e->n_neighs; i++) {
		const NetnsNeigh *x = e->neighs[i];
		struct ndmsg h = {
			.ndm_family = (uint8_t)x->family,
			.ndm_ifindex = (int)x->ifindex,
			.ndm_state = NUD_PERMANENT,
			.ndm_flags = (uint8_t)x->flags,
			.ndm_type = (uint8_t)x->type,
		};
		int r;

		nl_msg_init(m, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, &h, sizeof(h));
		put_attrs(m, x->attrs, x->n_attrs);
		r = nl_talk(s, m, NULL, NULL);
		if (r < 0)
			return pr_errno(r, "cannot restore: cannot add neighbour %zu (link %u)", i,
					x->ifindex);
	}
	return 0;
}
