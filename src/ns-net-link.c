// SPDX-License-Identifier: GPL-2.0
/*
 * Links of a network namespace: lo and veth pairs, with their names and
 * indexes as the container saw them, MTU, MAC, queue length and flags.
 * A veth whose other end is in the same namespace is made again as a
 * pair; one whose other end is outside (the host, a bridge) is made with
 * that end in ckpt's namespace, under the name and in the bridge of the
 * dump or of --external veth[NAME]:OUTER[@BRIDGE]. Any other kind of
 * link is refused at dump, naming it.
 */
#include "ns-net.h"

#include "image.h"
#include "imgdir.h"
#include "options.h"
#include "util.h"

#include <net/if.h> /* before the linux headers */

#include <errno.h>
#include <fcntl.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LINK_FLAGS (IFF_UP | IFF_NOARP | IFF_PROMISC | IFF_ALLMULTI | IFF_MULTICAST)
#define MAC_LEN 6

/* Devices that some tunnel modules make in every namespace by
 * themselves: skipped when down, they come back the same way. */
static const struct {
	const char *kind, *name;
} fallbacks[] = {
	{ "ipip", "tunl0" },	 { "sit", "sit0" },
	{ "ip6tnl", "ip6tnl0" }, { "gre", "gre0" },
	{ "gretap", "gretap0" }, { "erspan", "erspan0" },
	{ "ip6gre", "ip6gre0" }, { "vti", "ip_vti0" },
	{ "vti6", "ip6_vti0" },	 { "ip6erspan", "ip6erspan0" },
};

static bool is_fallback(const char *kind, const char *name, unsigned int flags)
{
	if (flags & IFF_UP)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(fallbacks); i++)
		if (!strcmp(kind, fallbacks[i].kind) && !strcmp(name, fallbacks[i].name))
			return true;
	return false;
}

static const char *rta_str(const struct rtattr *a)
{
	size_t n;

	if (!a)
		return NULL;
	n = RTA_PAYLOAD(a);
	if (!n || ((const char *)RTA_DATA(a))[n - 1] != '\0')
		return NULL;
	return RTA_DATA(a);
}

static int split_external(const struct external *x, const char **name, const char **master);

static const struct external *external_find(const struct options *o, const char *name)
{
	for (int i = 0; o && i < o->nr_external; i++)
		if (!strcmp(o->external[i].kind, "veth") && !strcmp(o->external[i].key, name))
			return &o->external[i];
	return NULL;
}

struct nsid_answer {
	int32_t nsid;
};

static int nsid_one(const struct nlmsghdr *h, void *arg)
{
	const struct rtattr *tb[NETNSA_MAX + 1];
	struct nsid_answer *a = arg;

	if (h->nlmsg_type != RTM_NEWNSID ||
	    nl_attrs(h, sizeof(struct rtgenmsg), tb, ARRAY_SIZE(tb)))
		return 0;
	a->nsid = (int32_t)nl_attr_u32(tb[NETNSA_NSID], (uint32_t)-1);
	return 0;
}

int netns_our_nsid(struct nl_sock *s, int32_t *ret)
{
	struct rtgenmsg g = { .rtgen_family = AF_UNSPEC };
	_cleanup_close_ int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct nsid_answer a = { -1 };
	struct nl_msg *m;
	int r;

	if (fd < 0)
		return -errno;
	m = xmalloc(sizeof(*m));
	nl_msg_init(m, RTM_GETNSID, 0, &g, sizeof(g));
	nl_put_u32(m, NETNSA_FD, (uint32_t)fd);
	r = nl_talk(s, m, nsid_one, &a);
	free(m);
	*ret = a.nsid;
	return r;
}

/* The outer end of a veth, read in ckpt's namespace by its index. */
struct outer {
	uint32_t ifindex;
	bool found;
	char name[IFNAMSIZ];
	uint32_t master, mtu;
	bool up;
	unsigned char mac[MAC_LEN];
	bool has_mac;
};

static int outer_one(const struct nlmsghdr *h, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *tb[IFLA_MAX + 1];
	struct outer *o = arg;
	const char *name;

	if (h->nlmsg_type != RTM_NEWLINK || nl_attrs(h, sizeof(*ifi), tb, ARRAY_SIZE(tb)))
		return 0;
	if ((uint32_t)ifi->ifi_index != o->ifindex)
		return 0;
	name = rta_str(tb[IFLA_IFNAME]);
	if (!name || strlen(name) >= IFNAMSIZ)
		return -EBADMSG;
	o->found = true;
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->master = nl_attr_u32(tb[IFLA_MASTER], 0);
	o->mtu = nl_attr_u32(tb[IFLA_MTU], 0);
	o->up = ifi->ifi_flags & IFF_UP;
	if (tb[IFLA_ADDRESS] && RTA_PAYLOAD(tb[IFLA_ADDRESS]) == MAC_LEN) {
		memcpy(o->mac, RTA_DATA(tb[IFLA_ADDRESS]), MAC_LEN);
		o->has_mac = true;
	}
	return 0;
}

static int outer_read(struct outer *o)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)o->ifindex };
	struct nl_sock s;
	struct nl_msg *m;
	int r = nl_open(&s, NETLINK_ROUTE, -1);

	if (r < 0)
		return r;
	m = xmalloc(sizeof(*m));
	nl_msg_init(m, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	r = nl_talk(&s, m, outer_one, o);
	free(m);
	nl_close(&s);
	return r;
}

struct links_walk {
	struct netns_dump_ctx *c;
	int32_t ours; /* ckpt's namespace as the container calls it */
	int r;
};

static int veth_outer(struct links_walk *w, NetnsLink *l, uint32_t peer, int32_t nsid)
{
	const struct external *ext = external_find(w->c->opts, l->name);
	struct outer o = { .ifindex = peer };
	_cleanup_free_ char *esc = str_escape(l->name);
	int r;

	if (nsid == w->ours && w->ours >= 0) {
		r = outer_read(&o);
		if (r < 0)
			return pr_errno(
				r,
				"cannot dump: net namespace %u: cannot read the peer of veth '%s'",
				w->c->id, esc);
		if (!o.found)
			return pr_fail(
				-ENOENT,
				"cannot dump: net namespace %u: the peer of veth '%s' is gone",
				w->c->id, esc);
		l->outer_name = xstrdup(o.name);
		if (o.master) {
			char master[IF_NAMESIZE];

			if (!if_indextoname(o.master, master))
				return pr_errno(
					-errno,
					"cannot dump: net namespace %u: cannot name the bridge of '%s'",
					w->c->id, o.name);
			l->outer_master = xstrdup(master);
		}
		if (o.has_mac) {
			l->has_outer_mac = true;
			l->outer_mac.len = MAC_LEN;
			l->outer_mac.data = xmalloc(MAC_LEN);
			memcpy(l->outer_mac.data, o.mac, MAC_LEN);
		}
		l->has_outer_mtu = o.mtu != 0;
		l->outer_mtu = o.mtu;
		l->has_outer_up = true;
		l->outer_up = o.up;
		l->has_outer_ifindex = true;
		l->outer_ifindex = peer;
	} else if (!ext || !ext->value) {
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump: net namespace %u: the peer of veth '%s' is in a namespace that is not ckpt's (add --external veth[%s]:OUTER[@BRIDGE])",
			w->c->id, esc, esc);
	}
	if (ext && ext->value) {
		/* --external at dump names the outer end instead */
		const char *name, *master;

		if (split_external(ext, &name, &master) < 0)
			return pr_fail(
				-EINVAL,
				"cannot dump: --external veth[%s]: not OUTER[@BRIDGE] with link names",
				esc);
		free(l->outer_name);
		free(l->outer_master);
		l->outer_name = xstrdup(name);
		l->outer_master = master ? xstrdup(master) : NULL;
	}
	return 0;
}

static int link_one(const struct nlmsghdr *h, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	struct links_walk *w = arg;
	NetnsEntry *e = w->c->e;
	const char *name, *kind = NULL;
	_cleanup_free_ char *esc = NULL;
	NetnsLink *l;
	int r;

	if (h->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (nl_attrs(h, sizeof(*ifi), tb, ARRAY_SIZE(tb)) < 0)
		return -EBADMSG;
	name = rta_str(tb[IFLA_IFNAME]);
	if (!name)
		return -EBADMSG;
	if (tb[IFLA_LINKINFO]) {
		if (nl_attrs_nested(tb[IFLA_LINKINFO], info, ARRAY_SIZE(info)) < 0)
			return -EBADMSG;
		kind = rta_str(info[IFLA_INFO_KIND]);
	}
	esc = str_escape(name);
	if (ifi->ifi_type == ARPHRD_LOOPBACK && (ifi->ifi_flags & IFF_LOOPBACK)) {
		kind = NULL;
	} else if (!kind) {
		w->r = pr_fail(
			-EOPNOTSUPP,
			"cannot dump: net namespace %u: link '%s' is of an unknown kind (type %u, not supported)",
			w->c->id, esc, ifi->ifi_type);
		return w->r;
	} else if (is_fallback(kind, name, ifi->ifi_flags)) {
		return 0;
	} else if (strcmp(kind, "veth")) {
		_cleanup_free_ char *k = str_escape(kind);

		w->r = pr_fail(
			-EOPNOTSUPP,
			"cannot dump: net namespace %u: link '%s' is a %s (not supported: only lo and veth)",
			w->c->id, esc, k);
		return w->r;
	}
	l = xmalloc(sizeof(*l));
	netns_link__init(l);
	l->ifindex = (uint32_t)ifi->ifi_index;
	l->name = xstrdup(name);
	l->kind = kind ? NETNS_LINK_VETH : NETNS_LINK_LOOPBACK;
	l->flags = ifi->ifi_flags & LINK_FLAGS;
	l->mtu = nl_attr_u32(tb[IFLA_MTU], 0);
	l->has_txqlen = tb[IFLA_TXQLEN] != NULL;
	l->txqlen = nl_attr_u32(tb[IFLA_TXQLEN], 0);
	if (rta_str(tb[IFLA_IFALIAS]) && *rta_str(tb[IFLA_IFALIAS]))
		l->alias = xstrdup(rta_str(tb[IFLA_IFALIAS]));
	e->links = xrealloc(e->links, (e->n_links + 1) * sizeof(*e->links));
	e->links[e->n_links++] = l;
	if (!kind)
		return 0;
	if (!tb[IFLA_ADDRESS] || RTA_PAYLOAD(tb[IFLA_ADDRESS]) != MAC_LEN) {
		w->r = pr_fail(-EBADMSG,
			       "cannot dump: net namespace %u: veth '%s' has no MAC address",
			       w->c->id, esc);
		return w->r;
	}
	l->has_mac = true;
	l->mac.len = MAC_LEN;
	l->mac.data = xmalloc(MAC_LEN);
	memcpy(l->mac.data, RTA_DATA(tb[IFLA_ADDRESS]), MAC_LEN);
	if (tb[IFLA_LINK_NETNSID]) {
		r = veth_outer(w, l, nl_attr_u32(tb[IFLA_LINK], 0),
			       (int32_t)nl_attr_u32(tb[IFLA_LINK_NETNSID], (uint32_t)-1));
		if (r < 0)
			w->r = r;
		return r;
	}
	l->has_peer_ifindex = true;
	l->peer_ifindex = nl_attr_u32(tb[IFLA_LINK], 0);
	return 0;
}

int netns_links_dump(struct nl_sock *s, struct netns_dump_ctx *c)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct links_walk w = { .c = c };
	struct nl_msg *m;
	int r;

	/* The kernel names a namespace in another (a veth's peer's) the
	 * first time it shows a link to it: list the links once first, so
	 * that ckpt's has its id if a peer is there. */
	m = xmalloc(sizeof(*m));
	nl_msg_init(m, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi));
	r = nl_talk(s, m, NULL, NULL);
	if (r >= 0)
		r = netns_our_nsid(s, &w.ours);
	if (r < 0) {
		free(m);
		return pr_errno(r, "cannot dump: net namespace %u: cannot ask its namespace ids",
				c->id);
	}
	nl_msg_init(m, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi));
	r = nl_talk(s, m, link_one, &w);
	free(m);
	if (w.r < 0)
		return w.r;
	if (r < 0)
		return pr_errno(r, "cannot dump: net namespace %u: cannot list its links", c->id);
	return 0;
}

const NetnsLink *netns_link_find(const NetnsEntry *e, uint32_t ifindex)
{
	for (size_t i = 0; i < e->n_links; i++)
		if (e->links[i]->ifindex == ifindex)
			return e->links[i];
	return NULL;
}

static bool ifname_ok(const char *s)
{
	if (!s || !*s || strlen(s) >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == '/' || *s == ':')
			return false;
	return true;
}

#define BAD(...) img_inconsistent(IMG_NETNS, (int)e->id, __VA_ARGS__)

/* IFALIASZ - 1 printable bytes at most */
static bool alias_ok(const char *s)
{
	if (strlen(s) >= 256)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

int netns_links_check(const NetnsEntry *e)
{
	bool lo = false;

	if (e->n_links > 256)
		return BAD("%zu links", e->n_links);
	for (size_t i = 0; i < e->n_links; i++) {
		const NetnsLink *l = e->links[i];

		if (!ifname_ok(l->name))
			return BAD("link %zu: bad name", i);
		if (!l->ifindex || l->ifindex > INT32_MAX)
			return BAD("link '%s': index %u", l->name, l->ifindex);
		for (size_t j = 0; j < i; j++)
			if (e->links[j]->ifindex == l->ifindex ||
			    !strcmp(e->links[j]->name, l->name))
				return BAD("link '%s': twice", l->name);
		if (l->flags & ~(uint32_t)LINK_FLAGS)
			return BAD("link '%s': flags %#x", l->name, l->flags);
		if (l->mtu < 68 || l->mtu > 65536 || (l->has_txqlen && l->txqlen > 1u << 20))
			return BAD("link '%s': mtu %u", l->name, l->mtu);
		if (l->alias && !alias_ok(l->alias))
			return BAD("link '%s': alias", l->name);
		if (l->kind == NETNS_LINK_LOOPBACK) {
			if (lo || l->ifindex != 1 || strcmp(l->name, "lo") || l->has_mac ||
			    l->has_peer_ifindex || l->outer_name || l->outer_master)
				return BAD("link '%s': not a loopback", l->name);
			lo = true;
			continue;
		}
		if (l->kind != NETNS_LINK_VETH)
			return BAD("link '%s': kind %u", l->name, l->kind);
		if (!l->has_mac || l->mac.len != MAC_LEN || (l->mac.data[0] & 1))
			return BAD("link '%s': MAC address", l->name);
		if (l->has_outer_mac && (l->outer_mac.len != MAC_LEN || (l->outer_mac.data[0] & 1)))
			return BAD("link '%s': outer MAC address", l->name);
		if (l->has_outer_ifindex && (!l->outer_ifindex || l->outer_ifindex > INT32_MAX))
			return BAD("link '%s': outer index %u", l->name, l->outer_ifindex);
		if (l->has_outer_mtu && (l->outer_mtu < 68 || l->outer_mtu > 65536))
			return BAD("link '%s': outer mtu %u", l->name, l->outer_mtu);
		if (l->has_peer_ifindex) {
			const NetnsLink *p = netns_link_find(e, l->peer_ifindex);

			if (l->outer_name || l->outer_master || !p || p == l ||
			    p->kind != NETNS_LINK_VETH || !p->has_peer_ifindex ||
			    p->peer_ifindex != l->ifindex)
				return BAD("link '%s': peer %u", l->name, l->peer_ifindex);
			continue;
		}
		if (!l->outer_name || !ifname_ok(l->outer_name) ||
		    (l->outer_master && !ifname_ok(l->outer_master)))
			return BAD("link '%s': outer end", l->name);
	}
	if (!lo)
		return BAD("no loopback link");
	return 0;
}

/* A veth whose peer is outside the namespace: it has an outer end. */
static bool has_outer(const NetnsLink *l)
{
	return l->kind == NETNS_LINK_VETH && !l->has_peer_ifindex;
}

static int split_external(const struct external *x, const char **name, const char **master)
{
	static char buf[2][IFNAMSIZ];
	const char *at;
	size_t n;

	at = strchr(x->value, '@');
	n = at ? (size_t)(at - x->value) : strlen(x->value);
	if (n >= IFNAMSIZ || (at && strlen(at + 1) >= IFNAMSIZ))
		return -ENAMETOOLONG;
	memcpy(buf[0], x->value, n);
	buf[0][n] = '\0';
	*name = buf[0];
	*master = NULL;
	if (at) {
		snprintf(buf[1], sizeof(buf[1]), "%s", at + 1);
		*master = buf[1];
	}
	return ifname_ok(*name) && (!*master || ifname_ok(*master)) ? 0 : -EINVAL;
}

int netns_link_outer(const NetnsLink *l, const struct options *o, bool trusted,
		     const char **ret_name, const char **ret_master)
{
	const struct external *x = external_find(o, l->name);
	_cleanup_free_ char *esc = str_escape(l->name);

	if (x && x->value) {
		if (split_external(x, ret_name, ret_master) < 0)
			return pr_fail(
				-EINVAL,
				"cannot restore: --external veth[%s]: not OUTER[@BRIDGE] with link names",
				esc);
		return 0;
	}
	if (!trusted)
		return pr_fail(
			-EPERM,
			"cannot restore: veth '%s' has its peer outside: the images are not root's, give --external veth[%s]:OUTER[@BRIDGE]",
			esc, esc);
	*ret_name = l->outer_name;
	*ret_master = l->outer_master;
	return 0;
}

static void put_link_attrs(struct nl_msg *m, const char *name, uint32_t mtu,
			   const ProtobufCBinaryData *mac, bool has_txqlen, uint32_t txqlen)
{
	nl_put_str(m, IFLA_IFNAME, name);
	if (mtu)
		nl_put_u32(m, IFLA_MTU, mtu);
	if (mac)
		nl_put(m, IFLA_ADDRESS, mac->data, mac->len);
	if (has_txqlen)
		nl_put_u32(m, IFLA_TXQLEN, txqlen);
}

static int veth_create(struct nl_sock *s, const NetnsEntry *e, const NetnsLink *l,
		       const struct options *o, bool trusted, int hostns_fd)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)l->ifindex };
	struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC };
	_cleanup_free_ struct nl_msg *m = xmalloc(sizeof(*m));
	_cleanup_free_ char *esc = str_escape(l->name);
	const NetnsLink *p = NULL;
	const char *outer = NULL, *master = NULL;
	int r;

	if (l->has_peer_ifindex) {
		p = netns_link_find(e, l->peer_ifindex);
		if (p->ifindex < l->ifindex)
			return 0; /* made with its peer */
		peer_ifi.ifi_index = (int)p->ifindex;
	} else {
		r = netns_link_outer(l, o, trusted, &outer, &master);
		if (r < 0)
			return r;
		/* the host's index as the container saw it, if still free */
		if (l->has_outer_ifindex && hostns_fd >= 0)
			peer_ifi.ifi_index = (int)l->outer_ifindex;
	}
again:
	nl_msg_init(m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	put_link_attrs(m, l->name, l->mtu, &l->mac, l->has_txqlen, l->txqlen);
	nl_nest_begin(m, IFLA_LINKINFO);
	nl_put_str(m, IFLA_INFO_KIND, "veth");
	nl_nest_begin(m, IFLA_INFO_DATA);
	nl_nest_begin(m, VETH_INFO_PEER);
	nl_append(m, &peer_ifi, sizeof(peer_ifi));
	if (p) {
		put_link_attrs(m, p->name, p->mtu, &p->mac, p->has_txqlen, p->txqlen);
	} else {
		put_link_attrs(m, outer, l->has_outer_mtu ? l->outer_mtu : 0,
			       l->has_outer_mac ? &l->outer_mac : NULL, false, 0);
		nl_put_u32(m, IFLA_NET_NS_FD, (uint32_t)hostns_fd);
	}
	nl_nest_end(m);
	nl_nest_end(m);
	nl_nest_end(m);
	r = nl_talk(s, m, NULL, NULL);
	if (r == -EBUSY && outer && peer_ifi.ifi_index) {
		peer_ifi.ifi_index = 0; /* taken on the host: any */
		goto again;
	}
	if (r == -EEXIST && outer) {
		_cleanup_free_ char *o_esc = str_escape(outer);

		return pr_fail(r,
			       "cannot restore: veth '%s': a link '%s' exists already on the host",
			       esc, o_esc);
	}
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot make veth '%s' (index %u)", esc,
				l->ifindex);
	return 0;
}

static int link_set(struct nl_sock *s, const NetnsLink *l, bool flags)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)l->ifindex };
	_cleanup_free_ struct nl_msg *m = xmalloc(sizeof(*m));

	if (flags) {
		ifi.ifi_flags = l->flags;
		ifi.ifi_change = LINK_FLAGS;
	}
	nl_msg_init(m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	if (!flags) {
		nl_put_u32(m, IFLA_MTU, l->mtu);
		if (l->has_txqlen)
			nl_put_u32(m, IFLA_TXQLEN, l->txqlen);
		if (l->alias)
			nl_put_str(m, IFLA_IFALIAS, l->alias);
	}
	return nl_talk(s, m, NULL, NULL);
}

int netns_links_create(struct nl_sock *s, const NetnsEntry *e, const struct options *o,
		       bool trusted, int hostns_fd)
{
	int r;

	for (size_t i = 0; i < e->n_links; i++) {
		const NetnsLink *l = e->links[i];

		if (l->kind == NETNS_LINK_LOOPBACK) {
			r = link_set(s, l, false);
			if (r < 0)
				return pr_errno(r, "cannot restore: cannot set the mtu of lo");
			continue;
		}
		r = veth_create(s, e, l, o, trusted, hostns_fd);
		if (r < 0)
			return r;
		if (l->alias && (r = link_set(s, l, false)) < 0) {
			_cleanup_free_ char *esc = str_escape(l->name);

			return pr_errno(r, "cannot restore: cannot set the alias of link '%s'",
					esc);
		}
	}
	return 0;
}

int netns_links_up(struct nl_sock *s, const NetnsEntry *e)
{
	for (size_t i = 0; i < e->n_links; i++) {
		int r = link_set(s, e->links[i], true);

		if (r < 0) {
			_cleanup_free_ char *esc = str_escape(e->links[i]->name);

			return pr_errno(r, "cannot restore: cannot set the flags of link '%s'",
					esc);
		}
	}
	return 0;
}

int netns_links_outer_up(struct nl_sock *host, const NetnsEntry *e, const struct options *o,
			 bool trusted)
{
	for (size_t i = 0; i < e->n_links; i++) {
		const NetnsLink *l = e->links[i];
		struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
		_cleanup_free_ struct nl_msg *m = NULL;
		const char *outer, *master;
		_cleanup_free_ char *o_esc = NULL, *m_esc = NULL;
		int r;

		if (!has_outer(l))
			continue;
		r = netns_link_outer(l, o, trusted, &outer, &master);
		if (r < 0)
			return r;
		o_esc = str_escape(outer);
		m_esc = str_escape(master ? master : "");
		ifi.ifi_index = (int)if_nametoindex(outer);
		if (!ifi.ifi_index)
			return pr_errno(-errno,
					"cannot restore: the outer end '%s' of veth is gone",
					o_esc);
		if (!l->has_outer_up || l->outer_up) {
			ifi.ifi_flags = IFF_UP;
			ifi.ifi_change = IFF_UP;
		}
		m = xmalloc(sizeof(*m));
		nl_msg_init(m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
		if (master) {
			unsigned int br = if_nametoindex(master);

			if (!br)
				return pr_errno(-errno,
						"cannot restore: no bridge '%s' for veth '%s'",
						m_esc, o_esc);
			nl_put_u32(m, IFLA_MASTER, br);
		}
		r = nl_talk(host, m, NULL, NULL);
		if (r < 0)
			return pr_errno(r, "cannot restore: cannot bring up '%s'%s%s", o_esc,
					master ? " in bridge " : "", m_esc);
	}
	return 0;
}

int netns_externals_known(const NetnsEntry *e, const struct options *o, const char *cmd)
{
	for (int i = 0; o && i < o->nr_external; i++) {
		const struct external *x = &o->external[i];
		bool found = false;

		if (strcmp(x->kind, "veth"))
			continue;
		for (size_t k = 0; k < e->n_links && !found; k++)
			found = has_outer(e->links[k]) && !strcmp(e->links[k]->name, x->key);
		if (!found)
			return pr_fail(
				-ENOENT,
				"cannot %s: --external veth[%s]: no veth of that name with its peer outside in net namespace %u",
				cmd, x->key, e->id);
		if (!x->value)
			return pr_fail(-EINVAL,
				       "cannot %s: --external veth[%s]: give :OUTER[@BRIDGE]", cmd,
				       x->key);
	}
	return 0;
}

int netns_outer_free(const NetnsEntry *e, const struct options *o, bool trusted)
{
	for (size_t i = 0; i < e->n_links; i++) {
		const NetnsLink *l = e->links[i];
		const char *outer, *master;
		int r;

		if (!has_outer(l))
			continue;
		r = netns_link_outer(l, o, trusted, &outer, &master);
		if (r < 0)
			return r;
		_cleanup_free_ char *esc = str_escape(l->name), *o_esc = str_escape(outer);
		_cleanup_free_ char *m_esc = str_escape(master ? master : "");

		if (if_nametoindex(outer))
			return pr_fail(
				-EEXIST,
				"cannot restore: the outer end of veth '%s' would be '%s', a link of that name exists already",
				esc, o_esc);
		if (master && !if_nametoindex(master))
			return pr_fail(
				-ENOENT,
				"cannot restore: the outer end of veth '%s' goes into bridge '%s', which is not there",
				esc, m_esc);
	}
	return 0;
}
