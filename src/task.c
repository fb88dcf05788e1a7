// SPDX-License-Identifier: GPL-2.0
/*
 * Process-level odds and ends: ids, comm, personality, umask, cwd, root,
 * rlimits, timer slack, dumpable, subreaper (credentials: creds.c).
 */
#include "kinds.h"
#include "proc.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static int read_link(int pid, const char *what, char **ret)
{
	char path[64], buf[PATH_MAX_LEN];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	*ret = xstrdup(buf);
	return 0;
}

/* Device and inode of /proc/PID/WHAT (cwd, root). */
static int dir_id(int pid, const char *what, uint64_t *ret_dev, uint64_t *ret_ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	if (stat(path, &st) < 0)
		return -errno;
	*ret_dev = st.st_dev;
	*ret_ino = st.st_ino;
	return 0;
}

static int read_number(int pid, const char *what, int base, uint64_t *ret)
{
	char path[64];
	_cleanup_free_ char *text = NULL;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	r = read_file(path, &text, NULL);
	if (r < 0)
		return r;
	*ret = strtoull(text, NULL, base);
	return 0;
}

/* The creds are creds.c's (per thread); the umask is the process's. */
static int umask_dump(int pid, TaskCoreEntry *core)
{
	struct proc_status st;
	int r;

	r = proc_read_status(pid, &st);
	if (r < 0)
		return pr_errno(r, "cannot read /proc/%d/status", pid);
	free(st.groups);
	core->umask = st.umask;
	return 0;
}

/* The task tells its own limits: prlimit(2) on another uid's process
 * needs CAP_SYS_RESOURCE, which root may lack (see DESIGN). */
static int rlimits_dump(struct infect *inf, TaskCoreEntry *core)
{
	core->rlimits = xmalloc(RLIM_NLIMITS * sizeof(*core->rlimits));
	for (int res = 0; res < RLIM_NLIMITS; res++) {
		struct rlimit rl;
		RlimitEntry *e;
		long ret;
		int r;

		r = infect_syscall6(inf, SYS_prlimit64, &ret, 0, res, 0, inf->scratch, 0, 0);
		if (r == 0 && ret == 0)
			r = remote_read(inf->pid, inf->scratch, &rl, sizeof(rl));
		if (r < 0 || ret < 0)
			return pr_errno(r < 0 ? r : (int)ret, "cannot read rlimit %d of %d", res,
					inf->pid);
		e = xmalloc(sizeof(*e));
		rlimit_entry__init(e);
		e->resource = res;
		e->cur = rl.rlim_cur;
		e->max = rl.rlim_max;
		core->rlimits[core->n_rlimits++] = e;
	}
	return 0;
}

static int prctl_dump(struct infect *inf, TaskCoreEntry *core)
{
	long ret;
	int sig = 0, r;

	r = infect_syscall6(inf, SYS_prctl, &ret, PR_GET_PDEATHSIG, inf->scratch, 0, 0, 0, 0);
	if (r == 0 && ret == 0)
		r = remote_read(inf->pid, inf->scratch, &sig, sizeof(sig));
	if (r < 0)
		return pr_errno(r, "cannot read the parent-death signal of %d", inf->pid);
	core->has_pdeath_sig = true;
	core->pdeath_sig = sig;
	r = infect_syscall6(inf, SYS_prctl, &ret, PR_GET_DUMPABLE, 0, 0, 0, 0, 0);
	if (r < 0)
		return pr_errno(r, "cannot read the dumpable flag of %d", inf->pid);
	core->has_dumpable = true;
	core->dumpable = ret == 1;
	r = infect_syscall6(inf, SYS_prctl, &ret, PR_GET_CHILD_SUBREAPER, inf->scratch, 0, 0, 0, 0);
	if (r == 0 && ret == 0)
		r = remote_read(inf->pid, inf->scratch, &sig, sizeof(sig));
	if (r < 0)
		return pr_errno(r, "cannot read the subreaper flag of %d", inf->pid);
	core->has_child_subreaper = true;
	core->child_subreaper = sig != 0;
	return 0;
}

int task_dump(struct seized_task *t, struct infect *inf, TaskCoreEntry *core)
{
	struct proc_stat st;
	uint64_t v;
	char path[64];
	_cleanup_free_ char *comm = NULL;
	int r;

	r = proc_read_stat(t->pid, &st);
	if (r < 0)
		return pr_errno(r, "cannot read /proc/%d/stat", t->pid);
	core->pid = t->pid;
	core->ppid = st.ppid;
	core->pgid = st.pgid;
	core->sid = st.sid;
	snprintf(path, sizeof(path), "/proc/%d/comm", t->pid);
	r = read_file(path, &comm, NULL);
	if (r < 0)
		return pr_errno(r, "cannot read '%s'", path);
	comm[strcspn(comm, "\n")] = 0;
	core->comm = xstrdup(comm);
	r = read_number(t->pid, "personality", 16, &v);
	if (r < 0)
		return pr_errno(r, "cannot read the personality of %d", t->pid);
	core->personality = (uint32_t)v;
	r = read_number(t->pid, "timerslack_ns", 10, &v);
	if (r < 0)
		return pr_errno(r, "cannot read the timer slack of %d", t->pid);
	core->timerslack_ns = v;
	r = read_link(t->pid, "cwd", &core->cwd);
	if (r >= 0)
		r = dir_id(t->pid, "cwd", &core->cwd_dev, &core->cwd_ino);
	if (r < 0)
		return pr_errno(r, "cannot read the cwd of %d", t->pid);
	core->has_cwd_dev = core->has_cwd_ino = true;
	r = read_link(t->pid, "root", &core->root);
	if (r >= 0)
		r = dir_id(t->pid, "root", &core->root_dev, &core->root_ino);
	if (r < 0)
		return pr_errno(r, "cannot read the root of %d", t->pid);
	core->has_root_dev = core->has_root_ino = true;
	r = umask_dump(t->pid, core);
	if (r < 0)
		return r;
	r = rlimits_dump(inf, core);
	if (r < 0)
		return r;
	return prctl_dump(inf, core);
}

/*
 * Hard limits cannot be raised here (no CAP_SYS_RESOURCE): set what the
 * kernel allows, never more than the dumped values. A set not trusted
 * raises no hard limit above ckpt's own either: with CAP_SYS_RESOURCE the
 * kernel would let its owner have any (RLIMIT_RTPRIO, RLIMIT_MEMLOCK...).
 */
int rlimits_restore_early(const TaskCoreEntry *core, const struct trust *t)
{
	for (size_t i = 0; i < core->n_rlimits; i++) {
		const RlimitEntry *e = core->rlimits[i];
		struct rlimit want = { e->cur, e->max }, now;

		if (getrlimit(e->resource, &now) < 0)
			return pr_errno(-errno, "cannot read rlimit %u", e->resource);
		if (!t->trusted && want.rlim_max > now.rlim_max) {
			want.rlim_max = now.rlim_max;
			want.rlim_cur = MIN(want.rlim_cur, want.rlim_max);
		}
		if (prlimit(0, e->resource, &want, NULL) == 0)
			continue;
		want.rlim_max = MIN(e->max, now.rlim_max);
		want.rlim_cur = MIN(e->cur, want.rlim_max);
		if (prlimit(0, e->resource, &want, NULL) < 0)
			return pr_errno(-errno, "cannot set rlimit %u", e->resource);
		pr_debug("rlimit %u: hard limit %llu cannot be raised here, kept %llu", e->resource,
			 (unsigned long long)e->max, (unsigned long long)want.rlim_max);
	}
	return 0;
}

/* Into directory @path (from an image): never through a symlink, and
 * with the owner's access for a set that is not trusted; then make it
 * the root too if @root. */
static int enter_dir(const struct trust *t, const TaskCoreEntry *core, bool root)
{
	const char *path = root ? core->root : core->cwd;
	struct trust_file tf = {
		.path = path,
		.what = root ? "root directory" : "working directory",
		.mode = S_IFDIR,
		.has_ino = root ? core->has_root_dev && core->has_root_ino
				: core->has_cwd_dev && core->has_cwd_ino,
		.dev = root ? core->root_dev : core->cwd_dev,
		.ino = root ? core->root_ino : core->cwd_ino,
	};
	_cleanup_close_ int fd = trust_open_verify(t, &tf, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	struct trust_saved saved;
	int r;

	if (fd < 0)
		return fd;
	/* fchdir() and chroot() check search access with the fsuid. */
	r = trust_enter(t, &saved);
	if (r >= 0 && (fchdir(fd) < 0 || (root && chroot(".") < 0)))
		r = -errno;
	trust_leave(&saved);
	if (r < 0)
		return pr_errno(r, "cannot change %s to '%s'", root ? "root" : "directory", path);
	return 0;
}

/* Sessions and groups are the tree's business (restore-tree.c). The
 * working directory is seen from the root: it goes second. */
int task_restore_early(const TaskCoreEntry *core, const struct trust *t)
{
	int r = 0;

	if (strcmp(core->root, "/"))
		r = enter_dir(t, core, true);
	if (r >= 0)
		r = enter_dir(t, core, false);
	if (r < 0)
		return r;
	umask(core->umask);
	if (personality(core->personality) < 0)
		return pr_errno(-errno, "cannot set personality %#x", core->personality);
	if (prctl(PR_SET_NAME, core->comm, 0, 0, 0) < 0)
		return pr_errno(-errno, "cannot set comm '%s'", core->comm);
	if (core->timerslack_ns && prctl(PR_SET_TIMERSLACK, core->timerslack_ns, 0, 0, 0) < 0)
		return pr_errno(-errno, "cannot set timer slack");
	return loginuid_restore_early(core);
}

int task_restore_late(struct infect *inf, const TaskCoreEntry *core)
{
	long ret;
	int r;

	/* A uid change resets it, and the process must not be dumpable while
	 * a thread still holds borrowed capabilities: after creds_restore_last
	 * (creds.c sets the parent-death signal of each thread). */
	if (core->has_dumpable) {
		r = infect_syscall3(inf, SYS_prctl, &ret, PR_SET_DUMPABLE, core->dumpable, 0);
		if (r < 0 || ret < 0)
			return pr_errno(r < 0 ? r : (int)ret, "cannot set the dumpable flag");
	}
	if (core->child_subreaper) {
		r = infect_syscall3(inf, SYS_prctl, &ret, PR_SET_CHILD_SUBREAPER, 1, 0);
		if (r < 0 || ret < 0)
			return pr_errno(r < 0 ? r : (int)ret, "cannot make %d a child subreaper",
					inf->pid);
	}
	return 0;
}

int thread_comm_restore_late(struct infect *inf, const ThreadCoreEntry *th)
{
	size_t len;
	long ret;
	int r;

	if (!th->comm)
		return 0;
	len = strlen(th->comm) + 1;
	r = remote_write(inf->pid, inf->scratch, th->comm, MIN(len, 16));
	if (r == 0)
		r = infect_syscall3(inf, SYS_prctl, &ret, PR_SET_NAME, inf->scratch, 0);
	if (r < 0 || ret < 0)
		return pr_errno(r < 0 ? r : (int)ret, "cannot set the name of thread %d", inf->pid);
	return 0;
}
