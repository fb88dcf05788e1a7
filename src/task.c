// SPDX-License-Identifier: GPL-2.0
/*
 * Process-level odds and ends: ids, comm, personality, umask, cwd, root,
 * rlimits, timer slack, dumpable, subreaper (credentials: creds.c).
 */
#include "kinds.h"
#include "gone.h"
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

/* Device and inode of /proc/PID/WHAT (cwd, root); -ENOENT if that
 * directory was removed. */
static int dir_id(int pid, const char *what, uint64_t *ret_dev, uint64_t *ret_ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	if (stat(path, &st) < 0)
		return -errno;
	if (st.st_nlink == 0)
		return -ENOENT;
	*ret_dev = st.st_dev;
	*ret_ino = st.st_ino;
	return 0;
}

/* /proc/PID/WHAT with its device and inode: the restore reopens it by
 * this path, so one removed since (nothing can reach it by a path any
 * more) is refused, unless @ret_mode is given (the cwd): then its path
 * and mode are saved, *@ret_mode is set and *@ret_deleted true, and the
 * restore makes an empty directory there again (gone.c). */
static int dir_dump(int pid, const char *what, const char *name, char **ret_path, uint64_t *ret_dev,
		    uint64_t *ret_ino, protobuf_c_boolean *ret_deleted, uint32_t *ret_mode)
{
	static const char deleted[] = " (deleted)";
	_cleanup_free_ char *shown = NULL;
	int r = read_link(pid, what, ret_path);
	size_t len;

	if (r >= 0)
		r = dir_id(pid, what, ret_dev, ret_ino);
	if (r == -ENOENT && *ret_path && ret_mode) {
		_cleanup_free_ char *path = gone_path(*ret_path);
		char at[64];
		struct stat st;

		snprintf(at, sizeof(at), "/proc/%d/%s", pid, what);
		if (path && stat(at, &st) == 0 && S_ISDIR(st.st_mode)) {
			free(*ret_path);
			*ret_path = path;
			path = NULL;
			*ret_dev = st.st_dev;
			*ret_ino = st.st_ino;
			*ret_deleted = true;
			*ret_mode = st.st_mode & 07777;
			return 0;
		}
	}
	if (r == -ENOENT && *ret_path) {
		len = strlen(*ret_path);
		if (len >= sizeof(deleted) - 1 &&
		    !strcmp(*ret_path + len - (sizeof(deleted) - 1), deleted))
			(*ret_path)[len - (sizeof(deleted) - 1)] = 0;
		shown = str_escape(*ret_path);
		return pr_fail(
			r, "cannot dump %d: its %s '%s' was removed (a restore cannot enter it)",
			pid, name, shown);
	}
	if (r < 0)
		return pr_errno(r, "cannot read the %s of %d", name, pid);
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
 * needs CAP_SYS_RESOURCE, which root may lack (see DESIGN). Several
 * processes at once: their calls overlap (infect_syscall_each). */
int rlimits_dump_each(struct infect **infs, TaskCoreEntry **cores, size_t n)
{
	_cleanup_free_ struct remote_call *calls = xmalloc(n * sizeof(*calls));

	for (size_t i = 0; i < n; i++) {
		cores[i]->rlimits = xmalloc(RLIM_NLIMITS * sizeof(*cores[i]->rlimits));
		cores[i]->n_rlimits = 0;
	}
	for (int res = 0; res < RLIM_NLIMITS; res++) {
		int r;

		for (size_t i = 0; i < n; i++)
			calls[i] = (struct remote_call){ SYS_prlimit64,
							 { 0, res, 0, (long)infs[i]->scratch } };
		r = infect_syscall_each(infs, calls, n);
		if (r < 0 && n == 1)
			return pr_errno(r, "cannot read rlimit %d of %d", res, infs[0]->pid);
		if (r < 0)
			return pr_errno(r, "cannot read rlimit %d of the tree's processes", res);
		for (size_t i = 0; i < n; i++) {
			struct rlimit rl;
			RlimitEntry *e;

			r = calls[i].ret < 0 ? (int)calls[i].ret : 0;
			if (r == 0)
				r = remote_read(infs[i]->pid, infs[i]->scratch, &rl, sizeof(rl));
			if (r < 0)
				return pr_errno(r, "cannot read rlimit %d of %d", res,
						infs[i]->pid);
			e = xmalloc(sizeof(*e));
			rlimit_entry__init(e);
			e->resource = res;
			e->cur = rl.rlim_cur;
			e->max = rl.rlim_max;
			cores[i]->rlimits[cores[i]->n_rlimits++] = e;
		}
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
	r = infect_syscall6(inf, SYS_prctl, &ret, PR_GET_THP_DISABLE, 0, 0, 0, 0, 0);
	if (r == 0 && ret < 0)
		r = (int)ret;
	if (r < 0)
		return pr_errno(r, "cannot read the THP-disable flag of %d", inf->pid);
	core->has_thp_disable = true;
	core->thp_disable = (uint32_t)ret;
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
	r = dir_dump(t->pid, "cwd", "working directory", &core->cwd, &core->cwd_dev, &core->cwd_ino,
		     &core->cwd_deleted, &core->cwd_mode);
	if (r < 0)
		return r;
	core->has_cwd_dev = core->has_cwd_ino = true;
	core->has_cwd_deleted = core->has_cwd_mode = core->cwd_deleted;
	r = dir_dump(t->pid, "root", "root directory", &core->root, &core->root_dev,
		     &core->root_ino, NULL, NULL);
	if (r < 0)
		return r;
	core->has_root_dev = core->has_root_ino = true;
	r = umask_dump(t->pid, core);
	if (r < 0)
		return r;
	/* Read already with the other processes' (dump-collect.c)? */
	r = core->rlimits ? 0 : rlimits_dump_each(&inf, &core, 1);
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

/* Directory @root or cwd of @core (a path from an image, seen from the
 * host's root): never through a symlink, with the owner's access for a
 * set that is not trusted, and the very directory the dump saw. */
static int open_dir(const struct trust *t, const TaskCoreEntry *core, bool root)
{
	struct trust_file tf = {
		.path = root ? core->root : core->cwd,
		.what = root ? "root directory" : "working directory",
		.mode = S_IFDIR,
		.has_ino = root ? core->has_root_dev && core->has_root_ino
				: core->has_cwd_dev && core->has_cwd_ino,
		.dev = root ? core->root_dev : core->cwd_dev,
		.ino = root ? core->root_ino : core->cwd_ino,
	};

	return trust_open_verify(t, &tf, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
}

/*
 * Root and cwd through fds, both opened from the host's view before the
 * root changes: after a chroot the dumped cwd path (the host's) means
 * nothing, and a cwd outside the root has no path inside it at all.
 */
static int enter_dirs(const struct trust *t, const TaskCoreEntry *core)
{
	bool chrooted = strcmp(core->root, "/") != 0;
	_cleanup_close_ int root = chrooted ? open_dir(t, core, true) : -1;
	_cleanup_close_ int cwd = -1;
	struct trust_saved saved;
	int r;

	if (chrooted && root < 0)
		return root;
	if (core->cwd_deleted) {
		cwd = gone_make(t, core->cwd, S_IFDIR | core->cwd_mode, 0, O_RDONLY | O_DIRECTORY);
		if (cwd < 0)
			return pr_errno(cwd, "cannot make again the removed working directory '%s'",
					core->cwd);
	} else {
		cwd = open_dir(t, core, false);
	}
	if (cwd < 0)
		return cwd;
	/* fchdir() and chroot() check search access with the fsuid. */
	r = trust_enter(t, &saved);
	if (r >= 0 && chrooted && (fchdir(root) < 0 || chroot(".") < 0)) {
		r = pr_errno(-errno, "cannot change root to '%s'", core->root);
		trust_leave(&saved);
		return r;
	}
	if (r >= 0 && fchdir(cwd) < 0)
		r = -errno;
	trust_leave(&saved);
	if (r < 0)
		return pr_errno(r, "cannot change directory to '%s'", core->cwd);
	return 0;
}

int task_check(const TaskCoreEntry *core)
{
	_cleanup_free_ char *shown = NULL;

	/* A removed cwd: a path with a name, plain permission bits. */
	if (core->cwd_deleted && (!core->has_cwd_mode || (core->cwd_mode & ~07777u) ||
				  !strchr(core->cwd, '/') || !strrchr(core->cwd, '/')[1]))
		return pr_fail(-EBADMSG, "cannot restore %u: removed cwd '%s' in the image",
			       core->pid, (shown = str_escape(core->cwd)));
	/* PR_GET_THP_DISABLE: 1 | flags << 1, the one flag being
	 * PR_THP_DISABLE_EXCEPT_ADVISED. */
	if (core->has_thp_disable && core->thp_disable != 0 && core->thp_disable != 1 &&
	    core->thp_disable != 3)
		return pr_fail(-EBADMSG, "cannot restore %u: THP-disable value %#x in the image",
			       core->pid, core->thp_disable);
	return 0;
}

/*
 * A user's set (not @trusted) may not claim a root directory: chroot needs
 * CAP_SYS_CHROOT, and a process of the user's chrooted into a directory
 * the user fills could run a set-user-ID program against files of the
 * user's choosing.
 */
int task_check_trust(const TaskCoreEntry *core, bool trusted)
{
	if (trusted || !strcmp(core->root, "/"))
		return 0;
	return pr_fail(
		-EPERM,
		"cannot restore %u: a root directory other than '/' (chroot needs CAP_SYS_CHROOT) only root's image set may restore",
		core->pid);
}

/* Sessions and groups are the tree's business (restore-tree.c). Root and
 * cwd go last: /proc (the loginuid) is out of reach in a chroot. */
int task_restore_early(const TaskCoreEntry *core, const struct trust *t)
{
	int r;

	umask(core->umask);
	if (personality(core->personality) < 0)
		return pr_errno(-errno, "cannot set personality %#x", core->personality);
	if (prctl(PR_SET_NAME, core->comm, 0, 0, 0) < 0)
		return pr_errno(-errno, "cannot set comm '%s'", core->comm);
	if (core->timerslack_ns && prctl(PR_SET_TIMERSLACK, core->timerslack_ns, 0, 0, 0) < 0)
		return pr_errno(-errno, "cannot set timer slack");
	r = loginuid_restore_early(core);
	return r < 0 ? r : enter_dirs(t, core);
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
	/* Bit 0: disabled; the bits above are PR_SET_THP_DISABLE's flags. */
	if (core->has_thp_disable && core->thp_disable) {
		r = infect_syscall3(inf, SYS_prctl, &ret, PR_SET_THP_DISABLE, 1,
				    core->thp_disable & ~1U);
		if (r < 0 || ret < 0)
			return pr_errno(r < 0 ? r : (int)ret,
					"cannot restore the THP-disable flag %#x of %d",
					core->thp_disable, inf->pid);
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
