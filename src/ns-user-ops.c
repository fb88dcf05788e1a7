// SPDX-License-Identifier: GPL-2.0
/*
 * User namespaces of the tree: the namespace framework's ops (ns.h) and
 * what their special order needs (ns-user.h holds the maps).
 *
 * Dump: the namespace's maps, setgroups and owner, in userns-ID.img.
 * Nested user namespaces are refused. The processes and threads the owner
 * makes are in it too; a process inside has no capability in the host's
 * user namespace, and the kernel wants CAP_CHECKPOINT_RESTORE there to
 * give a new process or thread the pid it had (clone3 set_tid at the
 * host's level): they get their pids back inside only, the host's are its
 * choice (ns-restore.c, ns_host_given).
 *
 * Restore: the owner's creator (ckpt for the root, else a process of the
 * tree outside the namespace, both with ckpt's privilege) takes the
 * owner's euid and supplementary groups in its own thread just for the
 * clone3 that makes the namespace, keeping its capabilities with
 * SECBIT_NO_SETUID_FIXUP: the kernel records that euid as the
 * namespace's owner, checks set_tid against the creator's capabilities,
 * and the new process keeps those groups (it cannot set them from inside
 * once setgroups is denied). The other namespaces of that clone3 are made
 * inside the new one, owned by it. The creator then writes setgroups,
 * gid_map and uid_map, exactly the dumped ones (checked at prepare against
 * what their owner could write), and lets the new process go on. Its
 * credentials, host ids in the images, are set from inside through the
 * maps (creds.c), and checked against the host's view at the end.
 */
#include "ns-user.h"

#include "fault.h"
#include "imgdir.h"
#include "kinds.h"
#include "ns.h"
#include "proc.h"
#include "restore.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/nsfs.h>
#include <linux/securebits.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* ---- dump ---- */

/* Threads and children of @pid: a count, or -errno. */
static int ns_ino_at(const char *path, int *ret_fd, uint64_t *ret_ino)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		int r = -errno;

		if (fd >= 0)
			close(fd);
		return r;
	}
	*ret_ino = st.st_ino;
	if (ret_fd)
		*ret_fd = fd;
	else
		close(fd);
	return 0;
}

/*
 * The restore makes every namespace the owner has of its own (not its
 * parent's) in the clone3 that makes its user namespace: inside it, owned
 * by it. One the process made before its user namespace belongs to the
 * host's and would come back belonging to the container: refused.
 */
static int owned_inside(int pid, int nsfd)
{
	static const char *const kinds[] = { "mnt", "net", "ipc", "uts", "pid", "cgroup", "time" };
	struct proc_stat st;
	uint64_t user_ino, mine, parents;
	struct stat sb;
	int r;

	if (fstat(nsfd, &sb) < 0)
		return pr_errno(-errno, "cannot dump %d: cannot read its user namespace", pid);
	user_ino = sb.st_ino;
	r = proc_read_stat(pid, &st);
	if (r < 0)
		return pr_errno(r, "cannot dump: cannot read /proc/%d/stat", pid);
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		char path[64];
		_cleanup_close_ int fd = -1, owner = -1;

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, kinds[k]);
		if (ns_ino_at(path, &fd, &mine) < 0)
			continue; /* a kind this kernel does not have */
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", st.ppid, kinds[k]);
		if (ns_ino_at(path, NULL, &parents) < 0) {
			snprintf(path, sizeof(path), "/proc/self/ns/%s", kinds[k]);
			if (ns_ino_at(path, NULL, &parents) < 0)
				continue;
		}
		if (mine == parents)
			continue; /* its parent's: inherited, not made */
		owner = ioctl(fd, NS_GET_USERNS);
		if (owner < 0 || fstat(owner, &sb) < 0)
			return pr_errno(
				-errno,
				"cannot dump %d: cannot tell which user namespace owns its %s namespace",
				pid, kinds[k]);
		if ((uint64_t)sb.st_ino != user_ino)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: its %s namespace belongs to another user namespace than its own (made before it): a restore would make it inside (not supported)",
				pid, kinds[k]);
	}
	return 0;
}

static int user_dump(const struct ns_dump *d)
{
	UsernsEntry *u = NULL;
	const char *why = NULL;
	int r;

	/* Its threads and children are in it too: the restore gives them
	 * their pids inside, the host those outside (ns-restore.c). */
	r = owned_inside(d->pid, d->nsfd);
	if (r < 0)
		return r;
	r = FAULT_OR(dump_userns, -EIO, userns_read(d->pid, d->nsfd, d->id, &u));
	if (r == -ENOTSUP)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: its user namespace is nested in another one (not supported)",
			d->pid);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read its user namespace", d->pid);
	why = userns_map_insane(u->uid_map, u->n_uid_map)   ? "uid map"
	      : userns_map_insane(u->gid_map, u->n_gid_map) ? "gid map"
							    : NULL;
	if (why) {
		userns_entry__free_unpacked(u, NULL);
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: its user namespace has no %s (nothing to set its ids from)",
			d->pid, why);
	}
	r = FAULT_OR(dump_write_ns, -ENOSPC,
		     img_write_msg(d->dir->dirfd, IMG_USERNS, (int)d->id, &u->base));
	userns_entry__free_unpacked(u, NULL);
	return r < 0 ? pr_errno(r, "cannot write images in '%s'", d->dir->tmp) : 0;
}

/* ---- restore ---- */

/* The user namespaces being restored, for the processes' creators and for
 * creds.c: filled at prepare, before any process is made, so every copy
 * of ckpt has them. */
struct user_restore {
	UsernsEntry *u;
	int owner_pid; /* as ckpt sees it */
	size_t owner; /* index in rs->procs */
	int go[2]; /* the creator lets the owner go on, maps written */
};

static struct user_restore *restoring[NS_MAX_USER];
static size_t nr_restoring;

const UsernsEntry *userns_restored_of(int pid)
{
	const struct ns_restore *n;

	for (size_t k = 0; k < nr_restoring; k++)
		if (restoring[k]->owner_pid == pid)
			return restoring[k]->u;
	/* Its owner's children and theirs live in it too. */
	n = ns_of_pid(pid, NS_USER);
	for (size_t k = 0; n && k < nr_restoring; k++)
		if (restoring[k] == n->state)
			return restoring[k]->u;
	return NULL;
}

static struct user_restore *restored_by_index(size_t i)
{
	for (size_t k = 0; k < nr_restoring; k++)
		if (restoring[k]->owner == i)
			return restoring[k];
	return NULL;
}

/* Every thread's ids are ones the namespace maps: set from inside. */
static int creds_mapped(const TaskCoreEntry *core, const UsernsEntry *u)
{
	for (size_t t = 0; core && t < core->n_threads; t++) {
		CredsEntry inside;

		if (userns_creds_inside(u, creds_of_thread(core, t), &inside) < 0)
			return pr_fail(
				-EPERM,
				"cannot restore %u: thread %u has ids its user namespace %u does not map (refused)",
				core->pid, core->threads[t]->tid, u->id);
	}
	return 0;
}

static int user_prepare(struct restore *rs, struct ns_restore *n)
{
	struct user_restore *ur;
	struct userns_owner o;
	UsernsEntry *u = NULL;
	const char *why;
	int r;

	if (!rs->trust.trusted)
		return pr_fail(
			-EPERM,
			"cannot restore: image set '%s' is owned by uid %u: a user namespace is restored only from an image set of root's",
			rs->trust.dir, rs->trust.owner);
	r = img_read_msg(rs->dirfd, IMG_USERNS, (int)n->id, &userns_entry__descriptor,
			 (ProtobufCMessage **)&u);
	if (r < 0) {
		_cleanup_free_ char *name = img_name(IMG_USERNS, (int)n->id);

		return pr_fail(r, "cannot restore: cannot read image '%s': %s", name,
			       img_strerror(r));
	}
	r = u->id != n->id ? img_inconsistent(IMG_USERNS, (int)n->id, "the id of another one")
			   : userns_check(u);
	if (r < 0)
		goto out_free;
	if (nr_restoring >= NS_MAX_USER) {
		r = pr_fail(-E2BIG, "cannot restore: more than %d user namespaces", NS_MAX_USER);
		goto out_free;
	}
	/* Exactly the maps its owner could have written, and no more. */
	userns_owner_load(&o, u->owner_uid);
	why = userns_maps_beyond_owner(u, &o);
	userns_owner_release(&o);
	if (why) {
		r = pr_fail(-EPERM,
			    "cannot restore: user namespace %u owned by uid %u has %s (refused)",
			    u->id, u->owner_uid, why);
		goto out_free;
	}
	/* Every process in it, the owner and those it made. */
	for (size_t i = 0; i < rs->nr && r >= 0; i++)
		if (ns_proc_in(rs, i, NS_USER) == n)
			r = creds_mapped(rs->procs[i].core, u);
	if (r < 0)
		goto out_free;
	ur = xzalloc(sizeof(*ur));
	ur->u = u;
	ur->owner = (size_t)n->owner;
	ur->owner_pid = rs->procs[n->owner].pp->pid;
	ur->go[0] = ur->go[1] = -1;
	n->state = ur;
	restoring[nr_restoring++] = ur;
	return 0;
out_free:
	userns_entry__free_unpacked(u, NULL);
	return r;
}

int userns_clone_begin(struct restore *rs, size_t i, struct userns_clone *uc)
{
	struct user_restore *ur = restored_by_index(i);
	const CredsEntry *c = rs->procs[i].core ? rs->procs[i].core->creds : NULL;
	gid_t *groups;
	int r = 0;

	memset(uc, 0, sizeof(*uc));
	if (!ur)
		return 0;
	if (!c)
		return pr_fail(-EINVAL,
			       "cannot restore: %d makes a user namespace and has no creds",
			       ur->owner_pid);
	/* The root is let go by ckpt's sync pipe, after the maps. */
	if (i && pipe2(ur->go, O_CLOEXEC) < 0)
		return pr_errno(-errno, "cannot restore: pipe");
	uc->ur = ur;
	uc->euid = geteuid();
	uc->secbits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	uc->nr_groups = getgroups(0, NULL);
	uc->groups = xmalloc(((size_t)uc->nr_groups + 1) * sizeof(gid_t));
	if (uc->secbits < 0 || uc->nr_groups < 0 ||
	    getgroups(uc->nr_groups, uc->groups) != uc->nr_groups ||
	    getresuid(&uc->ids[0], &uc->ids[1], &uc->ids[2]) < 0 ||
	    getresgid(&uc->gids[0], &uc->gids[1], &uc->gids[2]) < 0)
		r = -errno;
	groups = xmalloc((c->n_groups + 1) * sizeof(gid_t));
	for (size_t k = 0; k < c->n_groups; k++)
		groups[k] = c->groups[k];
	/* Raw calls: this thread only, not the whole of ckpt (glibc would
	 * change every thread's). */
	if (r == 0 && prctl(PR_SET_SECUREBITS, uc->secbits | SECBIT_NO_SETUID_FIXUP, 0, 0, 0) < 0)
		r = -errno;
	if (r == 0)
		uc->changed = true;
	if (r == 0 && syscall(SYS_setgroups, c->n_groups, groups) < 0)
		r = -errno;
	/* Every id the user's, none of ckpt's: the new process and the ones
	 * it makes run ckpt's code until their credentials are set, and some
	 * are dumpable meanwhile (restore-tree.c): the user, owner of their
	 * user namespace, may reach them, and must find nothing of root's
	 * there (a real or saved uid 0 could signal root's processes). Its
	 * egid is one its namespace maps (checked at prepare). */
	if (r == 0 && syscall(SYS_setresgid, c->egid, c->egid, c->egid) < 0)
		r = -errno;
	if (r == 0 &&
	    syscall(SYS_setresuid, ur->u->owner_uid, ur->u->owner_uid, ur->u->owner_uid) < 0)
		r = -errno;
	free(groups);
	if (r < 0) {
		int undone = userns_clone_end(rs, i, uc, -1);

		if (undone < 0)
			return undone;
		return pr_errno(
			r,
			"cannot restore: cannot take the owner's ids to make the user namespace of %d",
			ur->owner_pid);
	}
	return 0;
}

int userns_clone_end(struct restore *rs, size_t i, struct userns_clone *uc, long pid)
{
	struct user_restore *ur = uc->ur;
	int r = 0;

	(void)rs;
	(void)i;
	if (!ur)
		return 0;
	if (uc->changed) {
		/* Back to what it was: each undone even if one fails. */
		if (syscall(SYS_setresuid, uc->ids[0], uc->ids[1], uc->ids[2]) < 0)
			r = -errno;
		if (syscall(SYS_setresgid, uc->gids[0], uc->gids[1], uc->gids[2]) < 0 && !r)
			r = -errno;
		if (syscall(SYS_setgroups, uc->nr_groups, uc->groups) < 0 && !r)
			r = -errno;
		if (prctl(PR_SET_SECUREBITS, uc->secbits, 0, 0, 0) < 0 && !r)
			r = -errno;
		if (r < 0)
			pr_errno(r, "cannot restore: cannot take back ckpt's own ids");
	}
	free(uc->groups);
	uc->groups = NULL;
	if (r == 0 && pid > 0) {
		r = FAULT_OR(restore_userns_maps, -EPERM, userns_write_maps((int)pid, ur->u));
		if (r < 0)
			pr_errno(
				r,
				"cannot restore: cannot write the maps of the user namespace of %d",
				ur->owner_pid);
	}
	if (r == 0 && pid > 0 && ur->go[1] >= 0 && write(ur->go[1], "g", 1) != 1)
		r = pr_errno(-errno, "cannot restore: cannot let %d go on", ur->owner_pid);
	/* A failure: the owner reads no byte and stops. */
	for (int k = 0; k < 2; k++)
		if (ur->go[k] >= 0) {
			close(ur->go[k]);
			ur->go[k] = -1;
		}
	memset(uc, 0, sizeof(*uc));
	return r;
}

/* In the new process: wait until its creator wrote the maps. */
static int user_restore(struct restore *rs, struct ns_restore *n)
{
	struct user_restore *ur = n->state;
	char c;
	ssize_t got;

	(void)rs;
	if (ur->go[0] < 0)
		return 0; /* the root: ckpt wrote them before letting it go */
	close(ur->go[1]);
	ur->go[1] = -1;
	do
		got = read(ur->go[0], &c, 1);
	while (got < 0 && errno == EINTR);
	close(ur->go[0]);
	ur->go[0] = -1;
	/* Its creator said why. */
	return got == 1 ? 0 : -EIO;
}

/* In ckpt, every process made: the namespace is the one of the image. */
static int user_finish(struct restore *rs, struct ns_restore *n)
{
	struct user_restore *ur = n->state;
	_cleanup_close_ int fd = -1;
	char path[64];
	uid_t owner;

	(void)rs;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", ns_host_pid(ur->owner_pid));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, NS_GET_OWNER_UID, &owner) < 0)
		return pr_errno(-errno, "cannot restore %d: cannot read its user namespace",
				ur->owner_pid);
	if (owner != ur->u->owner_uid)
		return pr_fail(-EPERM,
			       "cannot restore %d: its user namespace is owned by uid %u, not %u",
			       ur->owner_pid, owner, ur->u->owner_uid);
	return 0;
}

static void user_release(struct ns_restore *n)
{
	struct user_restore *ur = n->state;

	if (!ur)
		return;
	for (size_t k = 0; k < nr_restoring; k++)
		if (restoring[k] == ur)
			restoring[k] = restoring[--nr_restoring];
	for (int k = 0; k < 2; k++)
		if (ur->go[k] >= 0)
			close(ur->go[k]);
	userns_entry__free_unpacked(ur->u, NULL);
	free(ur);
	n->state = NULL;
}

static void show_map(const char *what, UsernsExtent *const *e, size_t n)
{
	printf("    %s:", what);
	for (size_t i = 0; i < n; i++)
		printf(" %u-%u -> %u", e[i]->first, e[i]->first + e[i]->count - 1,
		       e[i]->lower_first);
	printf("\n");
}

static void user_show(int dirfd, uint32_t id)
{
	UsernsEntry *u = NULL;

	if (img_read_msg(dirfd, IMG_USERNS, (int)id, &userns_entry__descriptor,
			 (ProtobufCMessage **)&u) < 0 ||
	    userns_map_insane(u->uid_map, u->n_uid_map) ||
	    userns_map_insane(u->gid_map, u->n_gid_map)) {
		printf("  (unreadable)\n");
		if (u)
			userns_entry__free_unpacked(u, NULL);
		return;
	}
	printf("  owner uid %u, setgroups %s\n", u->owner_uid,
	       u->setgroups_allow ? "allow" : "deny");
	show_map("uids", u->uid_map, u->n_uid_map);
	show_map("gids", u->gid_map, u->n_gid_map);
	userns_entry__free_unpacked(u, NULL);
}

const struct ns_ops ns_user_ops = {
	.name = "user",
	.clone_flag = CLONE_NEWUSER,
	.dump = user_dump,
	.prepare = user_prepare,
	.restore = user_restore,
	.finish = user_finish,
	.release = user_release,
	.show = user_show,
};
