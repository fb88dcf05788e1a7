// SPDX-License-Identifier: GPL-2.0
/*
 * Seccomp, dump and restore (see seccomp.h).
 *
 * Dump: PTRACE_SECCOMP_GET_FILTER gives a stopped thread's filters one at
 * a time as the classic BPF they were loaded from. Index 0 is the OLDEST
 * filter (ptrace(2) says the newest; the kernel counts back from the end
 * of the chain: measured on 6.18); PTRACE_SECCOMP_GET_METADATA tells the one flag the kernel keeps
 * (SECCOMP_FILTER_FLAG_LOG). The kernel shares filter objects between the
 * threads that inherited or were synced to them, and shows no identity:
 * identical filters (same code, same flags) are stored once.
 *
 * Restore: the filters that begin every thread's chain are installed once
 * by the main thread with SECCOMP_FILTER_FLAG_TSYNC, so they are shared
 * again; each thread installs the rest of its own chain itself; threads in
 * strict mode enter it last.
 */
#include "seccomp.h"

#include "util.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

int seccomp_suspend(int tid, long options)
{
	options |= PTRACE_O_SUSPEND_SECCOMP;
	return ptrace(PTRACE_SETOPTIONS, tid, NULL, (void *)options) < 0 ? -errno : 0;
}

/* Filter @idx (0 the oldest) of stopped thread @tid. */
static int read_filter(int tid, unsigned long idx, ProtobufCBinaryData *ret, uint32_t *ret_flags)
{
	struct __ptrace_seccomp_metadata md = { .filter_off = idx };
	long n, m;
	void *buf;

	n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)idx, NULL);
	if (n < 0)
		return -errno;
	if (n == 0 || n > SECCOMP_MAX_INSNS)
		return -EIO;
	buf = xmalloc((size_t)n * sizeof(struct sock_filter));
	m = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)idx, buf);
	if (m != n) {
		free(buf);
		return m < 0 ? -errno : -EIO;
	}
	if (ptrace(PTRACE_SECCOMP_GET_METADATA, tid, (void *)sizeof(md), &md) < 0) {
		free(buf);
		return -errno;
	}
	ret->data = buf;
	ret->len = (size_t)n * sizeof(struct sock_filter);
	*ret_flags = (uint32_t)md.flags;
	return 0;
}

static bool same_filter(const SeccompFilterEntry *f, const ProtobufCBinaryData *insns,
			uint32_t flags)
{
	return f->insns.len == insns->len && !memcmp(f->insns.data, insns->data, insns->len) &&
	       f->flags == flags;
}

/* The index of the filter in the table, added if new (@insns is taken). */
static uint32_t filter_index(TaskCoreEntry *core, ProtobufCBinaryData insns, uint32_t flags)
{
	SeccompFilterEntry *f;

	for (size_t i = 0; i < core->n_seccomp_filters; i++)
		if (same_filter(core->seccomp_filters[i], &insns, flags)) {
			free(insns.data);
			return (uint32_t)i;
		}
	f = xmalloc(sizeof(*f));
	seccomp_filter_entry__init(f);
	f->insns = insns;
	f->has_flags = true;
	f->flags = flags;
	core->seccomp_filters =
		xrealloc(core->seccomp_filters,
			 (core->n_seccomp_filters + 1) * sizeof(*core->seccomp_filters));
	core->seccomp_filters[core->n_seccomp_filters] = f;
	return (uint32_t)core->n_seccomp_filters++;
}

/* The chain of @tid, oldest first, as filters (not yet in a table). */
static int read_chain(int tid, ProtobufCBinaryData **ret, uint32_t **ret_flags, size_t *ret_nr)
{
	ProtobufCBinaryData *insns = NULL;
	uint32_t *flags = NULL;
	size_t nr = 0;
	int r = 0;

	for (;;) {
		ProtobufCBinaryData b = { 0, NULL };
		uint32_t fl = 0;

		r = read_filter(tid, nr, &b, &fl);
		if (r == -ENOENT) {
			r = 0;
			break;
		}
		if (r == 0 && nr == SECCOMP_MAX_CHAIN) {
			free(b.data);
			r = -E2BIG;
		}
		if (r < 0)
			break;
		insns = xrealloc(insns, (nr + 1) * sizeof(*insns));
		flags = xrealloc(flags, (nr + 1) * sizeof(*flags));
		insns[nr] = b;
		flags[nr++] = fl;
	}
	if (r < 0) {
		for (size_t i = 0; i < nr; i++)
			free(insns[i].data);
		free(insns);
		free(flags);
		return r;
	}
	*ret = insns;
	*ret_flags = flags;
	*ret_nr = nr;
	return 0;
}

int seccomp_dump_thread(int tid, int expect, TaskCoreEntry *core, CredsEntry *c)
{
	ProtobufCBinaryData *insns;
	uint32_t *flags;
	size_t nr;
	int r;

	r = read_chain(tid, &insns, &flags, &nr);
	if (r < 0)
		return r;
	if (expect >= 0 && nr != (size_t)expect) {
		for (size_t i = 0; i < nr; i++)
			free(insns[i].data);
		r = -EIO;
	} else {
		c->seccomp_chain = xmalloc(nr * sizeof(*c->seccomp_chain));
		for (size_t i = 0; i < nr; i++)
			c->seccomp_chain[i] = filter_index(core, insns[i], flags[i]);
		c->n_seccomp_chain = nr;
	}
	free(insns);
	free(flags);
	return r;
}

int seccomp_check(const TaskCoreEntry *core, const CredsEntry *c)
{
	for (size_t i = 0; i < core->n_seccomp_filters; i++) {
		const SeccompFilterEntry *f = core->seccomp_filters[i];
		size_t n = f->insns.len / sizeof(struct sock_filter);

		if (f->insns.len % sizeof(struct sock_filter) || n < 1 || n > SECCOMP_MAX_INSNS ||
		    (f->flags & ~SECCOMP_FILTER_FLAG_LOG))
			return -EBADMSG;
	}
	if (c->seccomp_mode > SECCOMP_MODE_FILTER)
		return -EBADMSG;
	if ((c->seccomp_mode == SECCOMP_MODE_FILTER) != (c->n_seccomp_chain > 0) ||
	    c->n_seccomp_chain > SECCOMP_MAX_CHAIN)
		return -EBADMSG;
	for (size_t i = 0; i < c->n_seccomp_chain; i++)
		if (c->seccomp_chain[i] >= core->n_seccomp_filters)
			return -EBADMSG;
	return 0;
}

/* ---- restore ---- */

/* One seccomp(SECCOMP_SET_MODE_FILTER) in the thread of @inf; *ret is the
 * kernel's answer (with TSYNC, a positive tid that could not follow). */
static int install(struct infect *inf, const SeccompFilterEntry *f, unsigned long flags, long *ret)
{
	struct {
		uint16_t len;
		uint16_t pad[3];
		uint64_t filter;
	} prog = { (uint16_t)(f->insns.len / sizeof(struct sock_filter)),
		   { 0 },
		   inf->scratch + sizeof(prog) };
	int r;

	if (sizeof(prog) + f->insns.len > inf->scratch_len)
		return -E2BIG;
	r = remote_write(inf->pid, inf->scratch, &prog, sizeof(prog));
	if (r == 0)
		r = remote_write(inf->pid, prog.filter, f->insns.data, f->insns.len);
	if (r == 0)
		r = infect_syscall3(inf, SYS_seccomp, ret, SECCOMP_SET_MODE_FILTER,
				    flags | (f->has_flags ? f->flags : 0), inf->scratch);
	return r;
}

/* How many filters begin the chain of every thread alike. */
static size_t shared_prefix(const CredsEntry *const *creds, size_t nr)
{
	size_t n = creds[0]->n_seccomp_chain;

	for (size_t i = 1; i < nr; i++) {
		size_t k = 0;

		while (k < n && k < creds[i]->n_seccomp_chain &&
		       creds[i]->seccomp_chain[k] == creds[0]->seccomp_chain[k])
			k++;
		n = k;
	}
	return n;
}

static int install_fail(int r, long ret, int tid, size_t k, size_t n)
{
	if (r < 0 || ret < 0)
		return pr_errno(
			r < 0 ? r : (int)ret,
			"cannot restore thread %d: cannot install seccomp filter %zu of %zu", tid,
			k + 1, n);
	return pr_fail(
		-EPERM,
		"cannot restore thread %d: seccomp filter %zu of %zu: thread %ld cannot share it",
		tid, k + 1, n, ret);
}

int seccomp_restore(struct infect *infs, const CredsEntry *const *creds, size_t nr,
		    const TaskCoreEntry *core)
{
	size_t prefix = nr > 1 ? shared_prefix(creds, nr) : 0;
	long ret = 0;
	int r;

	/* TSYNC gives every thread the caller's no_new_privs as well. */
	for (size_t i = 0; i < nr && prefix; i++)
		if (creds[0]->no_new_privs && !creds[i]->no_new_privs)
			prefix = 0;
	for (size_t k = 0; k < prefix; k++) {
		const CredsEntry *c = creds[0];

		r = install(&infs[0], core->seccomp_filters[c->seccomp_chain[k]],
			    SECCOMP_FILTER_FLAG_TSYNC, &ret);
		if (r < 0 || ret != 0)
			return install_fail(r, ret, infs[0].pid, k, c->n_seccomp_chain);
	}
	for (size_t i = 0; i < nr; i++) {
		const CredsEntry *c = creds[i];

		for (size_t k = prefix; k < c->n_seccomp_chain; k++) {
			r = install(&infs[i], core->seccomp_filters[c->seccomp_chain[k]], 0, &ret);
			if (r < 0 || ret != 0)
				return install_fail(r, ret, infs[i].pid, k, c->n_seccomp_chain);
		}
		if (c->seccomp_mode != SECCOMP_MODE_STRICT)
			continue;
		r = infect_syscall3(&infs[i], SYS_seccomp, &ret, SECCOMP_SET_MODE_STRICT, 0, 0);
		if (r < 0 || ret < 0)
			return pr_errno(
				r < 0 ? r : (int)ret,
				"cannot restore thread %d: cannot enter seccomp strict mode",
				infs[i].pid);
	}
	return 0;
}

int seccomp_verify_thread(int pid, int tid, const TaskCoreEntry *core, const CredsEntry *c)
{
	ProtobufCBinaryData *insns;
	uint32_t *flags;
	size_t nr;
	int r;

	if (c->seccomp_mode != SECCOMP_MODE_FILTER)
		return 0;
	r = read_chain(tid, &insns, &flags, &nr);
	if (r < 0)
		return pr_errno(r, "cannot restore %d: cannot read back the seccomp filters of %d",
				pid, tid);
	for (size_t i = 0; i < nr; i++) {
		if (r == 0 &&
		    (i >= c->n_seccomp_chain ||
		     !same_filter(core->seccomp_filters[c->seccomp_chain[i]], &insns[i], flags[i])))
			r = -EIO;
		free(insns[i].data);
	}
	free(insns);
	free(flags);
	if (r == 0 && nr != c->n_seccomp_chain)
		r = -EIO;
	if (r < 0)
		return pr_fail(
			r, "cannot restore %d: thread %d: seccomp filters differ from the image",
			pid, tid);
	return 0;
}
