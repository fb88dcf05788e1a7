// SPDX-License-Identifier: GPL-2.0
/*
 * The socket options of TCP and UDP sockets (see sk-inet.c): those of the
 * one table (sk-common.h) that the kind saves, its SKO_INET rows in their
 * order. At dump, every option whose value differs from a new socket's;
 * at restore, the check of each against the table, and against what the
 * owner of a set root does not trust could have set; then setting them.
 */
#include "files.h"
#include "sk-common.h"
#include "sk-inet.h"

#include "trust.h"
#include "util.h"

#include <netinet/tcp.h>
#include <string.h>

struct opt_val {
	uint8_t buf[SKO_VALUE_MAX];
	socklen_t len;
};

static bool opt_applies(const struct sk_opt *o, const InetSkEntry *s)
{
	if (!(o->flags & SKO_INET))
		return false;
	if ((o->flags & SKO_V6) && s->family != AF_INET6)
		return false;
	if ((o->flags & SKO_TCP) && !is_tcp(s))
		return false;
	if ((o->flags & SKO_UDP) && is_tcp(s))
		return false;
	/* A connection that ended (shut down both ways) had one too. */
	return !(o->flags & SKO_UNCONNECTED) ||
	       !(has_peer(s) || (is_tcp(s) && s->state == TCP_CLOSE && s->shutdown == 3));
}

static bool opt_read(int sk, const struct sk_opt *o, struct opt_val *v)
{
	return sk_opt_get(sk, o, v->buf, &v->len);
}

static void opt_add(InetSkEntry *s, const struct sk_opt *o, const struct opt_val *v)
{
	InetSkOpt *opt = xmalloc(sizeof(*opt));

	inet_sk_opt__init(opt);
	opt->level = (uint32_t)o->level;
	opt->name = (uint32_t)o->name;
	opt->value.len = v->len;
	opt->value.data = xmalloc(v->len + 1);
	memcpy(opt->value.data, v->buf, v->len);
	s->opts = xrealloc(s->opts, (s->n_opts + 1) * sizeof(*s->opts));
	s->opts[s->n_opts++] = opt;
}

/* Every option of @sk that a new socket of its kind, @fresh, has otherwise. */
void inet_opts_dump(int sk, int fresh, InetSkEntry *s)
{
	for (size_t i = 0; i < nr_sk_opts; i++) {
		const struct sk_opt *o = &sk_opts[i];
		struct opt_val v, def;

		if (!opt_applies(o, s) || !opt_read(sk, o, &v))
			continue;
		if (opt_read(fresh, o, &def) && def.len == v.len && !memcmp(def.buf, v.buf, v.len))
			continue;
		opt_add(s, o, &v);
	}
}

int inet_opts_check(const InetSkEntry *s)
{
	for (size_t i = 0; i < s->n_opts; i++) {
		const InetSkOpt *opt = s->opts[i];
		const struct sk_opt *o = sk_opt_find(opt->level, opt->name);

		if (!o || !opt_applies(o, s) ||
		    !sk_opt_value_ok(o, opt->value.data, opt->value.len))
			return -EBADMSG;
	}
	return 0;
}

int inet_opt_set(int sk, const InetSkOpt *opt)
{
	const struct sk_opt *o = sk_opt_find(opt->level, opt->name);

	if (!o)
		return -EINVAL; /* inet_check refused it already */
	return sk_opt_set(sk, o, opt->value.data, (socklen_t)opt->value.len);
}

bool inet_opt_is_reuseaddr(const InetSkOpt *opt)
{
	return opt->level == SOL_SOCKET && opt->name == SO_REUSEADDR;
}

/* Every saved option; SO_REUSEADDR too unless @skip_reuse (repair mode
 * decides how a socket binds until it ends: see restore_last). */
int inet_opts_restore(int sk, const InetSkEntry *s, bool skip_reuse)
{
	for (size_t i = 0; i < s->n_opts; i++) {
		char name[200];
		int r;

		if (skip_reuse && inet_opt_is_reuseaddr(s->opts[i]))
			continue;
		r = inet_opt_set(sk, s->opts[i]);
		if (r < 0) {
			inet_sk_fmt(s, name, sizeof(name));
			return pr_errno(r, "cannot restore: cannot set option %u of level %u of %s",
					s->opts[i]->name, s->opts[i]->level, name);
		}
	}
	return 0;
}

/* An integer from /proc/sys, or @dflt. */
static long sysctl_long(const char *path, long dflt)
{
	_cleanup_free_ char *text = NULL;

	return read_file(path, &text, NULL) < 0 ? dflt : strtol(text, NULL, 10);
}

/* Is congestion control @name one an unprivileged process may choose? */
static bool cong_allowed(const ProtobufCBinaryData *v)
{
	_cleanup_free_ char *text = NULL, *name = strndup((const char *)v->data, v->len);

	if (!name ||
	    read_file("/proc/sys/net/ipv4/tcp_allowed_congestion_control", &text, NULL) < 0)
		return false;
	for (char *save = NULL, *w = strtok_r(text, " \n", &save); w;
	     w = strtok_r(NULL, " \n", &save))
		if (!strcmp(w, name))
			return true;
	return false;
}

/*
 * What no process without CAP_NET_ADMIN (or CAP_NET_RAW) could have set,
 * and ckpt, root, would set for it: a set root does not trust may not ask
 * for it. Buffers are set forced (SO_SNDBUFFORCE) to fit the queues; an
 * unprivileged process never had more than the maximum.
 */
static const char *opt_privileged(const InetSkOpt *opt)
{
	int v = 0;

	if (opt->value.len >= sizeof(v))
		memcpy(&v, opt->value.data, sizeof(v));
	if (opt->level == SOL_SOCKET) {
		switch (opt->name) {
		case SO_MARK:
			return v ? "SO_MARK" : NULL;
		case SO_PRIORITY:
			return v < 0 || v > 6 ? "SO_PRIORITY above 6" : NULL;
		case SO_BUSY_POLL:
			return v > sysctl_long("/proc/sys/net/core/busy_read", 0) ? "SO_BUSY_POLL"
										  : NULL;
		case SO_SNDBUF:
			return v / 2 > sysctl_long("/proc/sys/net/core/wmem_max", 0)
				       ? "SO_SNDBUF above wmem_max"
				       : NULL;
		case SO_RCVBUF:
			return v / 2 > sysctl_long("/proc/sys/net/core/rmem_max", 0)
				       ? "SO_RCVBUF above rmem_max"
				       : NULL;
		}
	}
	if (opt->level == SOL_IP && opt->name == IP_TRANSPARENT && v)
		return "IP_TRANSPARENT";
	if (opt->level == SOL_TCP && opt->name == TCP_CONGESTION && !cong_allowed(&opt->value))
		return "a congestion control not allowed to all";
	return NULL;
}

/* Only options of the table, that apply to @s, of a size getsockopt gives;
 * none that takes a privilege the set's owner may lack. */
int inet_opts_check_trust(const FileEntry *e, const InetSkEntry *s, const struct trust *t)
{
	for (size_t i = 0; i < s->n_opts; i++) {
		const InetSkOpt *opt = s->opts[i];
		const struct sk_opt *o = sk_opt_find(opt->level, opt->name);
		const char *priv;

		if (!o || !opt_applies(o, s) || !opt->value.data ||
		    opt->value.len > sizeof(((struct opt_val *)NULL)->buf))
			return pr_fail(
				-EBADMSG,
				"cannot restore: images are inconsistent (option %u of level %u of socket '%s')",
				opt->name, opt->level, e->path);
		priv = t && !t->trusted ? opt_privileged(opt) : NULL;
		if (priv)
			return pr_fail(
				-EPERM,
				"cannot restore: socket '%s' has %s, which this image set (not root's) may not ask for",
				e->path, priv);
	}
	return 0;
}
