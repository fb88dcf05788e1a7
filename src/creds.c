// SPDX-License-Identifier: GPL-2.0
/*
 * Credentials and security state, per thread as the kernel keeps them:
 * uids and gids (all four), supplementary groups, the five capability
 * sets, securebits, no_new_privs, seccomp (seccomp.c), the parent-death
 * signal; and the process's loginuid.
 *
 * A restore gives each thread exactly what it had, or fails: it never
 * leaves a process with more. Each new process starts as a copy of ckpt,
 * with all of ckpt's privilege, which the restore needs until the end
 * (memory, files, loginuid). So the creds come last, in each thread by
 * remote calls in this order:
 *
 *   keep capabilities across the uid change (PR_SET_KEEPCAPS)
 *   groups (an empty list too), gids, uids
 *   capabilities: the thread's own sets, plus CAP_SETPCAP (for the bounding
 *   set and the securebits) and CAP_SYS_ADMIN (to install seccomp filters)
 *   ambient set, bounding set, securebits, no_new_privs, parent-death
 *   signal (a uid change resets it)
 *
 * then, once every thread is there (creds_restore_last): seccomp, the
 * exact capability sets (dropping what was only borrowed), and a check of
 * every thread's /proc status against the image.
 *
 * Threads share their memory but not their creds. Once the first thread
 * has the user's uids and no capability, the kernel lets that user open
 * /proc/PID/mem of the process for writing if it is dumpable, while the
 * other threads still hold what was borrowed (CAP_SETPCAP, CAP_SYS_ADMIN)
 * and are yet to run the restorer's code, which that fd can rewrite. So
 * each thread makes the process not dumpable right after its uid change
 * (which resets the flag to fs.suid_dumpable, possibly 1), and the dumped
 * flag is set only after creds_restore_last.
 */
#include "kinds.h"
#include "ns-user.h"
#include "proc.h"
#include "seccomp.h"
#include "seize.h"
#include "ns.h"
#include "util.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

/* The most groups a restore sets: they go through the restorer's scratch
 * memory (the kernel allows NGROUPS_MAX, 65536). */
#define CREDS_MAX_GROUPS 8192
#define SECBITS_ALL 0xfffU /* every securebit and lock the kernel knows of */

static int read_proc_uint(const char *path, unsigned int *ret)
{
	_cleanup_free_ char *text = NULL;
	char *end;
	unsigned long v;
	int r = read_file(path, &text, NULL);

	if (r < 0)
		return r;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || v > UINT32_MAX)
		return -EINVAL;
	*ret = (unsigned int)v;
	return 0;
}

/* Every capability this kernel knows of. */
static uint64_t caps_all(void)
{
	static unsigned int last;

	if (!last && (read_proc_uint("/proc/sys/kernel/cap_last_cap", &last) < 0 || last > 63))
		last = CAP_LAST_CAP;
	return last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
}

/* ---- dump ---- */

static CredsEntry *creds_from_status(const struct proc_status *st)
{
	CredsEntry *c = xmalloc(sizeof(*c));

	creds_entry__init(c);
	c->uid = st->uid[0];
	c->euid = st->uid[1];
	c->suid = st->uid[2];
	c->fsuid = st->uid[3];
	c->gid = st->gid[0];
	c->egid = st->gid[1];
	c->sgid = st->gid[2];
	c->fsgid = st->gid[3];
	c->n_groups = st->nr_groups;
	c->groups = st->groups;
	c->has_cap_inh = c->has_cap_prm = c->has_cap_eff = c->has_cap_bnd = c->has_cap_amb = true;
	c->cap_inh = st->cap_inh;
	c->cap_prm = st->cap_prm;
	c->cap_eff = st->cap_eff;
	c->cap_bnd = st->cap_bnd;
	c->cap_amb = st->cap_amb;
	c->has_no_new_privs = true;
	c->no_new_privs = st->no_new_privs == 1;
	c->has_seccomp_mode = true;
	c->seccomp_mode = (uint32_t)st->seccomp;
	return c;
}

static int dump_thread_creds(int pid, int tid, TaskCoreEntry *core, CredsEntry **ret)
{
	struct proc_status st;
	CredsEntry *c;
	int r;

	r = proc_read_thread_status(pid, tid, &st);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read the status of thread %d", pid, tid);
	if (!st.has_caps || st.no_new_privs < 0 || st.seccomp < 0 || st.seccomp_filters < 0) {
		free(st.groups);
		return pr_fail(
			-ENOTSUP,
			"cannot dump %d: /proc does not show the capabilities, no_new_privs and seccomp state of thread %d",
			pid, tid);
	}
	*ret = c = creds_from_status(&st);
	/* Set again from inside its user namespace: only mapped ids can be. */
	r = userns_check_creds_dump(tid, c);
	if (r < 0)
		return r;
	if (st.seccomp == SECCOMP_MODE_DISABLED)
		return 0;
	r = seize_set_options(tid, PTRACE_O_SUSPEND_SECCOMP);
	if (r < 0)
		return pr_errno(
			r,
			"cannot dump %d: thread %d is under seccomp and ckpt cannot keep the filter off its own calls (it needs CAP_SYS_ADMIN and no seccomp of its own)",
			pid, tid);
	if (st.seccomp != SECCOMP_MODE_FILTER)
		return 0;
	r = seccomp_dump_thread(tid, st.seccomp_filters, core, c);
	if (r == -EIO)
		return pr_fail(r,
			       "cannot dump %d: the seccomp filters of thread %d changed under us",
			       pid, tid);
	if (r < 0)
		return pr_errno(
			r,
			"cannot dump %d: cannot read the seccomp filters of thread %d (PTRACE_SECCOMP_GET_FILTER needs CAP_SYS_ADMIN and no seccomp in ckpt)",
			pid, tid);
	return 0;
}

static int loginuid_dump(int pid, TaskCoreEntry *core)
{
	char path[64];
	unsigned int v;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/loginuid", pid);
	r = read_proc_uint(path, &v);
	if (r == -ENOENT)
		return 0; /* no audit in this kernel */
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read its loginuid", pid);
	core->has_loginuid = true;
	core->loginuid = v;
	return 0;
}

int creds_dump_frozen(int pid, const struct seized_task *threads, size_t nr, TaskCoreEntry *core,
		      CredsEntry ***ret)
{
	CredsEntry **creds = xzalloc(nr * sizeof(*creds));
	int r = loginuid_dump(pid, core);

	*ret = creds;
	for (size_t i = 0; i < nr && r >= 0; i++)
		r = dump_thread_creds(pid, threads[i].pid, core, &creds[i]);
	return r;
}

int creds_dump_thread(struct infect *inf, CredsEntry *c, ThreadCoreEntry *th)
{
	long ret;
	int sig = 0, r;

	r = infect_syscall3(inf, SYS_prctl, &ret, PR_GET_SECUREBITS, 0, 0);
	if (r < 0 || ret < 0)
		return pr_errno(r < 0 ? r : (int)ret, "cannot read the securebits of thread %d",
				inf->pid);
	c->has_secbits = true;
	c->secbits = (uint32_t)ret;
	r = infect_syscall3(inf, SYS_prctl, &ret, PR_GET_PDEATHSIG, inf->scratch, 0);
	if (r == 0 && ret == 0)
		r = remote_read(inf->pid, inf->scratch, &sig, sizeof(sig));
	if (r < 0 || ret < 0)
		return pr_errno(r < 0 ? r : (int)ret,
				"cannot read the parent-death signal of thread %d", inf->pid);
	th->has_pdeath_sig = true;
	th->pdeath_sig = (uint32_t)sig;
	return 0;
}

static bool creds_equal(const CredsEntry *a, const CredsEntry *b)
{
	size_t la = creds_entry__get_packed_size(a), lb = creds_entry__get_packed_size(b);
	_cleanup_free_ uint8_t *pa = NULL, *pb = NULL;

	if (la != lb)
		return false;
	pa = xmalloc(la + 1);
	pb = xmalloc(lb + 1);
	creds_entry__pack(a, pa);
	creds_entry__pack(b, pb);
	return !memcmp(pa, pb, la);
}

void creds_dump_attach(TaskCoreEntry *core, ThreadCoreEntry **threads, CredsEntry **creds,
		       size_t nr)
{
	core->creds = creds[0];
	for (size_t i = 1; i < nr; i++)
		if (!creds_equal(creds[i], creds[0]))
			threads[i]->creds = creds[i];
}

/* ---- images ---- */

const CredsEntry *creds_of_thread(const TaskCoreEntry *core, size_t i)
{
	return i && core->threads[i]->creds ? core->threads[i]->creds : core->creds;
}

static const char *creds_insane(const TaskCoreEntry *core, const CredsEntry *c)
{
	static unsigned int ngroups_max;
	uint64_t all = caps_all();

	if (!ngroups_max && read_proc_uint("/proc/sys/kernel/ngroups_max", &ngroups_max) < 0)
		ngroups_max = 65536;
	if (!c->has_cap_inh || !c->has_cap_prm || !c->has_cap_eff || !c->has_cap_bnd ||
	    !c->has_cap_amb || !c->has_secbits || !c->has_no_new_privs || !c->has_seccomp_mode)
		return "no capability sets or security state (images of an older ckpt)";
	if ((c->cap_inh | c->cap_prm | c->cap_eff | c->cap_bnd | c->cap_amb) & ~all)
		return "capabilities this kernel does not have";
	if (c->cap_eff & ~c->cap_prm)
		return "effective capabilities not in the permitted set";
	if (c->cap_amb & ~(c->cap_prm & c->cap_inh))
		return "ambient capabilities not permitted and inheritable";
	if (c->n_groups > ngroups_max)
		return "more supplementary groups than NGROUPS_MAX";
	if (c->secbits & ~SECBITS_ALL)
		return "unknown securebits";
	if (seccomp_check(core, c) < 0)
		return "a bad seccomp state";
	return NULL;
}

/* What ckpt cannot give, a restore cannot give back: said before anything
 * is created (the rest, no_new_privs or seccomp that ckpt has itself and
 * would pass on, the check after the restore finds). */
static const char *beyond_restorer(const CredsEntry *c, uint64_t *ret_missing)
{
	static struct proc_status own;
	static int have;

	if (!have) {
		have = proc_read_status(getpid(), &own) == 0 && own.has_caps ? 1 : -1;
		free(own.groups);
		own.groups = NULL;
	}
	if (have < 0)
		return NULL;
	*ret_missing = c->cap_prm & ~own.cap_prm;
	if (*ret_missing)
		return "permitted";
	*ret_missing = c->cap_bnd & ~own.cap_bnd;
	return *ret_missing ? "bounding" : NULL;
}

int creds_check(const TaskCoreEntry *core)
{
	if (core->has_pdeath_sig && core->pdeath_sig > 64)
		return pr_fail(
			-EBADMSG,
			"cannot restore: images are inconsistent (parent-death signal of %u)",
			core->pid);
	for (size_t i = 0; i < core->n_threads; i++) {
		const ThreadCoreEntry *th = core->threads[i];
		const char *why = creds_insane(core, creds_of_thread(core, i));

		if (!why && th->has_pdeath_sig && th->pdeath_sig > 64)
			why = "a bad parent-death signal";

		if (why)
			return pr_fail(-EBADMSG, "cannot restore %u: thread %u has %s", core->pid,
				       th->tid, why);
	}
	return 0;
}

int creds_check_restorer(const TaskCoreEntry *core)
{
	/* Capabilities inside a user namespace the restore makes are given
	 * by the kernel there, whatever ckpt has. */
	if (userns_restored_of((int)core->pid))
		return 0;
	for (size_t i = 0; i < core->n_threads; i++) {
		uint64_t missing;
		const char *why = beyond_restorer(creds_of_thread(core, i), &missing);

		if (why)
			return pr_fail(
				-EPERM,
				"cannot restore %u: thread %u had %s capabilities %#llx that ckpt itself lacks",
				core->pid, core->threads[i]->tid, why, (unsigned long long)missing);
	}
	return 0;
}

/* ---- restore ---- */

/*
 * @path of a proc of our own pid namespace, mounted detached for this one
 * open: a process in a mount namespace of the tree may have no /proc (or
 * another pid namespace's) when its creds are set.
 */
static int own_proc_open(const char *path, int flags)
{
	_cleanup_close_ int fs = fsopen("proc", FSOPEN_CLOEXEC), mnt = -1;
	int fd;

	if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -1;
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0)
		return -1;
	fd = openat(mnt, path, flags);
	return fd;
}

/* /proc/self/loginuid, through a proc of our own if the root has none. */
static int loginuid_open(int flags)
{
	int fd = open("/proc/self/loginuid", flags | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		fd = own_proc_open("self/loginuid", flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * Run from the new process itself, while it still has ckpt's privilege:
 * a loginuid that is set can only be changed with CAP_AUDIT_CONTROL, and
 * only by the task itself. Threads created later inherit it. It is read
 * first and left alone when it is already the dumped one: in a user
 * namespace the kernel refuses even to open the file for writing
 * (CAP_AUDIT_CONTROL in the initial user namespace), whatever is written.
 */
/* What the new process had, read before its namespaces: a process in a
 * user namespace of the tree whose mount namespace has another pid
 * namespace's /proc sees no /proc/self, and may mount no proc of its own. */
static char own_loginuid[16];

void loginuid_remember_own(void)
{
	_cleanup_close_ int fd = open("/proc/self/loginuid", O_RDONLY | O_CLOEXEC);

	memset(own_loginuid, 0, sizeof(own_loginuid));
	if (fd < 0 || pread(fd, own_loginuid, sizeof(own_loginuid) - 1, 0) <= 0)
		own_loginuid[0] = 0;
}

int loginuid_restore_early(const TaskCoreEntry *core)
{
	char text[16], now_text[16] = "";
	_cleanup_close_ int rfd = -1, wfd = -1;
	int r;

	if (!core->has_loginuid)
		return 0;
	rfd = loginuid_open(O_RDONLY);
	if (rfd < 0 && own_loginuid[0])
		memcpy(now_text, own_loginuid, sizeof(now_text));
	if (now_text[0] && strtoul(now_text, NULL, 10) == core->loginuid)
		return 0;
	if (rfd >= 0 && pread(rfd, now_text, sizeof(now_text) - 1, 0) > 0 &&
	    strtoul(now_text, NULL, 10) == core->loginuid)
		return 0;
	snprintf(text, sizeof(text), "%u", core->loginuid);
	r = wfd = loginuid_open(O_WRONLY);
	if (r >= 0)
		r = write_full(wfd, text, strlen(text));
	if (r < 0)
		return pr_errno(r, "cannot restore %u: cannot set its loginuid to %u", core->pid,
				core->loginuid);
	return 0;
}

struct cap_data {
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct d[2];
};

static void cap_data_fill(struct cap_data *cd, uint64_t prm, uint64_t eff, uint64_t inh)
{
	memset(cd, 0, sizeof(*cd));
	cd->hdr.version = _LINUX_CAPABILITY_VERSION_3;
	cd->hdr.pid = 0; /* the calling thread */
	cd->d[0].permitted = (uint32_t)prm;
	cd->d[1].permitted = (uint32_t)(prm >> 32);
	cd->d[0].effective = (uint32_t)eff;
	cd->d[1].effective = (uint32_t)(eff >> 32);
	cd->d[0].inheritable = (uint32_t)inh;
	cd->d[1].inheritable = (uint32_t)(inh >> 32);
}

static bool core_has_seccomp(const TaskCoreEntry *core)
{
	for (size_t i = 0; i < core->n_threads; i++)
		if (creds_of_thread(core, i)->seccomp_mode != SECCOMP_MODE_DISABLED)
			return true;
	return false;
}

struct call_list {
	struct remote_call c[160];
	const char *what[160];
	size_t n;
};

static void add_call(struct call_list *l, const char *what, long nr, long a1, long a2, long a3)
{
	l->c[l->n] = (struct remote_call){ .nr = nr, .a = { a1, a2, a3 } };
	l->what[l->n++] = what;
}

int creds_restore_thread(struct infect *inf, const TaskCoreEntry *core, size_t i)
{
	const ThreadCoreEntry *th = core->threads[i];
	const CredsEntry *c = creds_of_thread(core, i);
	/* In a user namespace the ids are set as the process sees them. */
	const UsernsEntry *u = userns_restored_of((int)core->pid);
	CredsEntry inside;
	uint64_t borrowed = 1ULL << CAP_SETPCAP, all = caps_all();
	uint32_t pdeath = th->has_pdeath_sig	       ? th->pdeath_sig
			  : !i && core->has_pdeath_sig ? core->pdeath_sig
						       : 0;
	size_t data_len = sizeof(struct cap_data) + c->n_groups * sizeof(uint32_t), failed;
	uint64_t cap_at = inf->scratch, groups_at = inf->scratch + sizeof(struct cap_data);
	_cleanup_free_ struct call_list *l = xzalloc(sizeof(*l));
	struct cap_data cd;
	struct infect batch = *inf;
	int r;

	if (c->n_groups > CREDS_MAX_GROUPS)
		return pr_fail(-E2BIG,
			       "cannot restore thread %u: %zu supplementary groups (at most %d)",
			       th->tid, c->n_groups, CREDS_MAX_GROUPS);
	if (u) {
		if (userns_creds_inside(u, c, &inside) < 0)
			return pr_fail(
				-ERANGE,
				"cannot restore thread %u: an id not mapped in its user namespace",
				th->tid);
		c = &inside;
	}
	if (core_has_seccomp(core))
		borrowed |= 1ULL << CAP_SYS_ADMIN;
	/* The batch table goes after the data, in the same scratch memory. */
	data_len = (data_len + 63) & ~(size_t)63;
	batch.scratch += data_len;
	batch.scratch_len -= data_len;
	cap_data_fill(&cd, c->cap_prm | borrowed, c->cap_prm | borrowed, c->cap_inh);
	r = remote_write(inf->pid, cap_at, &cd, sizeof(cd));
	if (r == 0 && c->n_groups)
		r = remote_write(inf->pid, groups_at, c->groups, c->n_groups * sizeof(uint32_t));
	if (r < 0)
		return pr_errno(r, "cannot restore the credentials of thread %u", th->tid);

	add_call(l, "keep capabilities", SYS_prctl, PR_SET_KEEPCAPS, 1, 0);
	/* In a user namespace it has them from its creator, host ids that
	 * need no mapping (ns-user-ops.c), and could not set them once
	 * setgroups is denied: creds_restore_last checks them. */
	if (!u)
		add_call(l, "set the supplementary groups", SYS_setgroups, (long)c->n_groups,
			 (long)groups_at, 0);
	add_call(l, "set the gids", SYS_setresgid, c->gid, c->egid, c->sgid);
	add_call(l, "set the fsgid", SYS_setfsgid, c->fsgid, 0, 0);
	add_call(l, "set the uids", SYS_setresuid, c->uid, c->euid, c->suid);
	add_call(l, "set the fsuid", SYS_setfsuid, c->fsuid, 0, 0);
	/* Out of the user's reach until every thread is done (see above). */
	add_call(l, "make the process not dumpable", SYS_prctl, PR_SET_DUMPABLE, 0, 0);
	add_call(l, "set the capabilities", SYS_capset, (long)cap_at,
		 (long)(cap_at + sizeof(cd.hdr)), 0);
	add_call(l, "clear the ambient capabilities", SYS_prctl, PR_CAP_AMBIENT,
		 PR_CAP_AMBIENT_CLEAR_ALL, 0);
	for (int cap = 0; cap < 64; cap++)
		if (c->cap_amb & (1ULL << cap))
			add_call(l, "raise an ambient capability", SYS_prctl, PR_CAP_AMBIENT,
				 PR_CAP_AMBIENT_RAISE, cap);
	for (int cap = 0; cap < 64; cap++)
		if ((all & (1ULL << cap)) && !(c->cap_bnd & (1ULL << cap)))
			add_call(l, "drop from the bounding set", SYS_prctl, PR_CAPBSET_DROP, cap,
				 0);
	add_call(l, "set the securebits", SYS_prctl, PR_SET_SECUREBITS, c->secbits, 0);
	if (c->no_new_privs)
		add_call(l, "set no_new_privs", SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0);
	/* A uid change clears it: after. */
	if (pdeath)
		add_call(l, "set the parent-death signal", SYS_prctl, PR_SET_PDEATHSIG, pdeath, 0);
	/* setfsuid/setfsgid answer the old id, never an error: the check in
	 * creds_restore_last sees whether they took. */
	r = infect_calls(&batch, l->c, l->n, &failed);
	if (r < 0)
		return pr_errno(r, "cannot restore the credentials of thread %u", th->tid);
	if (failed < l->n)
		return pr_errno((int)l->c[failed].ret, "cannot restore thread %u: cannot %s",
				th->tid, l->what[failed]);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* One line naming the thread and the first field that differs. */
static int verify_status(int pid, int tid, const CredsEntry *c)
{
	const uint32_t ids[8] = { c->uid, c->euid, c->suid, c->fsuid,
				  c->gid, c->egid, c->sgid, c->fsgid };
	static const char *const id_names[8] = { "uid", "euid", "suid", "fsuid",
						 "gid", "egid", "sgid", "fsgid" };
	struct proc_status st;
	struct {
		const char *name;
		uint64_t have, want;
	} f[] = {
		{ "CapInh", 0, c->cap_inh },	   { "CapPrm", 0, c->cap_prm },
		{ "CapEff", 0, c->cap_eff },	   { "CapBnd", 0, c->cap_bnd },
		{ "CapAmb", 0, c->cap_amb },	   { "NoNewPrivs", 0, c->no_new_privs },
		{ "Seccomp", 0, c->seccomp_mode }, { "Seccomp_filters", 0, c->n_seccomp_chain },
	};
	_cleanup_free_ uint32_t *want_groups = NULL;
	int r;

	r = proc_read_thread_status(pid, tid, &st);
	if (r < 0)
		return pr_errno(r, "cannot restore %d: cannot read the status of thread %d", pid,
				tid);
	f[0].have = st.cap_inh;
	f[1].have = st.cap_prm;
	f[2].have = st.cap_eff;
	f[3].have = st.cap_bnd;
	f[4].have = st.cap_amb;
	f[5].have = (uint64_t)st.no_new_privs;
	f[6].have = (uint64_t)st.seccomp;
	f[7].have = (uint64_t)st.seccomp_filters;
	for (int k = 0; k < 8; k++) {
		uint32_t have = k < 4 ? st.uid[k] : st.gid[k - 4];

		if (have != ids[k]) {
			free(st.groups);
			return pr_fail(-EPERM,
				       "cannot restore %d: thread %d has %s %u, the image says %u",
				       pid, tid, id_names[k], have, ids[k]);
		}
	}
	/* The kernel keeps (and shows) groups sorted. */
	want_groups = xmalloc((c->n_groups + 1) * sizeof(uint32_t));
	if (c->n_groups) {
		memcpy(want_groups, c->groups, c->n_groups * sizeof(uint32_t));
		qsort(want_groups, c->n_groups, sizeof(uint32_t), cmp_u32);
	}
	if (st.nr_groups)
		qsort(st.groups, st.nr_groups, sizeof(uint32_t), cmp_u32);
	r = st.nr_groups != c->n_groups ||
	    (st.nr_groups && memcmp(st.groups, want_groups, st.nr_groups * sizeof(uint32_t)));
	free(st.groups);
	if (r)
		return pr_fail(
			-EPERM,
			"cannot restore %d: thread %d has %zu supplementary groups, not the %zu of the image",
			pid, tid, st.nr_groups, c->n_groups);
	if (!st.has_caps || st.no_new_privs < 0 || st.seccomp < 0 || st.seccomp_filters < 0)
		return pr_fail(-ENOTSUP,
			       "cannot restore %d: /proc does not show the state of thread %d", pid,
			       tid);
	for (size_t k = 0; k < ARRAY_SIZE(f); k++)
		if (f[k].have != f[k].want)
			return pr_fail(
				-EPERM,
				k < 5 ? "cannot restore %d: thread %d has %s %#llx, the image says %#llx"
				      : "cannot restore %d: thread %d has %s %llu, the image says %llu",
				pid, tid, f[k].name, (unsigned long long)f[k].have,
				(unsigned long long)f[k].want);
	return 0;
}

static int cap_set_exact(struct infect *inf, const CredsEntry *c)
{
	struct cap_data cd;
	long ret = 0;
	int r;

	cap_data_fill(&cd, c->cap_prm, c->cap_eff, c->cap_inh);
	r = remote_write(inf->pid, inf->scratch, &cd, sizeof(cd));
	if (r == 0)
		r = infect_syscall3(inf, SYS_capset, &ret, inf->scratch,
				    inf->scratch + sizeof(cd.hdr), 0);
	if (r == 0 && ret == 0)
		r = infect_syscall3(inf, SYS_prctl, &ret, PR_GET_SECUREBITS, 0, 0);
	if (r < 0 || ret < 0)
		return pr_errno(r < 0 ? r : (int)ret,
				"cannot restore thread %d: cannot set its capabilities", inf->pid);
	if ((uint32_t)ret != c->secbits)
		return pr_fail(
			-EPERM,
			"cannot restore thread %d: it has securebits %#lx, the image says %#x",
			inf->pid, ret, c->secbits);
	return 0;
}

int creds_restore_last(struct infect *main_inf, const TaskCoreEntry *core)
{
	size_t nr = core->n_threads;
	_cleanup_free_ struct infect *infs = xmalloc(nr * sizeof(*infs));
	_cleanup_free_ const CredsEntry **creds = xmalloc(nr * sizeof(*creds));
	bool seccomp = core_has_seccomp(core);
	int pid = main_inf->pid, r;

	for (size_t i = 0; i < nr; i++) {
		/* As ckpt sees it (the host's, ns_host_pid). */
		int tid = i ? ns_host_pid((int)core->threads[i]->tid) : pid;

		creds[i] = creds_of_thread(core, i);
		if (i == 0) {
			infs[0] = *main_inf;
		} else {
			struct user_regs_struct base;

			if (ptrace(PTRACE_GETREGS, tid, NULL, &base) < 0)
				return pr_errno(-errno, "cannot restore thread %d", tid);
			infect_for_thread(&infs[i], main_inf, tid, &base);
		}
		r = seccomp ? seccomp_suspend(tid, PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE) : 0;
		if (r < 0)
			return pr_errno(
				r,
				"cannot restore %d: cannot keep seccomp off the restorer's calls",
				pid);
	}
	if (seccomp) {
		r = seccomp_restore(infs, creds, nr, core);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < nr; i++) {
		r = cap_set_exact(&infs[i], creds[i]);
		if (r >= 0)
			r = verify_status(pid, infs[i].pid, creds[i]);
		if (r >= 0)
			r = seccomp_verify_thread(pid, infs[i].pid, core, creds[i]);
		if (r < 0)
			return r;
	}
	return 0;
}
