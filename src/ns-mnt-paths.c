// SPDX-License-Identifier: GPL-2.0
/*
 * Paths of the files a process of the namespace holds (its fds, mapped
 * files, cwd, root, executable), as the dump writes them down, are those
 * /proc shows ckpt: from ckpt's root when it reaches the file, else from
 * the root of the namespace. On a mount the restore binds from the same
 * host path (what unshare copied of the host) they name the same file on
 * the host. On any other (a tmpfs of the container, an external mount,
 * the container's own root after pivot_root) the file is listed in the
 * image (path, device, inode), and the restore opens it from the root of
 * the namespace it made (trust->inner_open).
 */
#include "ns-mnt.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct paths {
	int procfd;
	int pid;
	MntEntry **mounts;
	size_t nr;
	MntInnerFile ***inner;
	size_t *nr_inner;
	bool host_root; /* the namespace's root is the host's own */
};

static const MntEntry *mount_of(const struct paths *p, uint64_t id)
{
	for (size_t i = 0; i < p->nr; i++)
		if (p->mounts[i]->id == id)
			return p->mounts[i];
	return NULL;
}

/* Does the path /proc shows for a file of @m name the same file on the
 * host? */
static bool same_on_host(const MntEntry *m)
{
	return m->kind == MNT_SOURCE_KIND__MNT_SRC_HOST && !strcmp(m->host_path, m->mountpoint);
}

static int record(struct paths *p, const char *link)
{
	char path[PATH_MAX_LEN];
	ssize_t n = readlinkat(p->procfd, link, path, sizeof(path) - 1);
	MntInnerFile *f;
	struct stat st;

	if (n <= 0 || fstatat(p->procfd, link, &st, 0) < 0)
		return 0; /* gone: the kinds say */
	path[n] = '\0';
	if (str_ends(path, " (deleted)")) {
		_cleanup_free_ char *shown = str_escape(path);

		/* A removed file is made again where it was, from ckpt. */
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump: process %d holds the removed file '%s' of its mount namespace (not supported)",
			p->pid, shown);
	}
	if (path[0] != '/')
		return 0; /* not a path: the kinds deal with it */
	for (size_t i = 0; i < *p->nr_inner; i++)
		if ((*p->inner)[i]->ino == st.st_ino && (*p->inner)[i]->dev == st.st_dev &&
		    !strcmp((*p->inner)[i]->path, path))
			return 0;
	if (*p->nr_inner == 65536)
		return pr_fail(
			-E2BIG,
			"cannot dump: the processes of the mount namespace hold more than 65536 files of its own");
	f = xmalloc(sizeof(*f));
	mnt_inner_file__init(f);
	f->path = xstrdup(path);
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	*p->inner = xrealloc(*p->inner, (*p->nr_inner + 1) * sizeof(**p->inner));
	(*p->inner)[(*p->nr_inner)++] = f;
	return 0;
}

/* @link ("PID/cwd", "PID/map_files/A-B"): the file it names. */
static int check_link(struct paths *p, const char *link)
{
	struct statx stx;
	const MntEntry *m;

	if (statx(p->procfd, link, 0, STATX_MNT_ID, &stx) < 0)
		return 0; /* gone, or not a file: the kinds say */
	m = mount_of(p, stx.stx_mnt_id);
	if (m && m->kind == MNT_SOURCE_KIND__MNT_SRC_FS && !strcmp(m->fstype, "devpts")) {
		_cleanup_free_ char *mp = str_escape(m->mountpoint);

		/* A new devpts has none of its ptys: tty.c makes the pairs
		 * from the host's /dev/ptmx. */
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump: process %d holds a terminal of the devpts at '%s' of its mount namespace (not supported)",
			p->pid, mp);
	}
	return m && !same_on_host(m) ? record(p, link) : 0;
}

/* The path a unix socket of inode @ino is bound to, from the process's
 * /proc/PID/net/unix, into @path ("" for none or an abstract name). */
static void unix_name(const struct paths *p, unsigned long ino, char *path, size_t len)
{
	char file[64], line[PATH_MAX_LEN + 128];
	int fd;
	FILE *f;

	path[0] = '\0';
	snprintf(file, sizeof(file), "%d/net/unix", p->pid);
	fd = openat(p->procfd, file, O_RDONLY | O_CLOEXEC);
	f = fd >= 0 ? fdopen(fd, "re") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long i;
		char name[PATH_MAX_LEN] = "";

		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %4095s", &i, name) >= 1 && i == ino &&
		    name[0] == '/') {
			snprintf(path, len, "%s", name);
			break;
		}
	}
	fclose(f);
}

/*
 * A unix socket bound to a path: the restore binds it again from ckpt, by
 * that path on the host. On a mount of the namespace's own that is
 * another place: refused.
 */
static int check_socket(struct paths *p, const char *link)
{
	char target[64], name[PATH_MAX_LEN], at[PATH_MAX_LEN + 32];
	ssize_t n = readlinkat(p->procfd, link, target, sizeof(target) - 1);
	unsigned long ino;
	struct statx stx;
	const MntEntry *m;

	if (n <= 0)
		return 0;
	target[n] = '\0';
	if (sscanf(target, "socket:[%lu]", &ino) != 1)
		return 0;
	unix_name(p, ino, name, sizeof(name));
	if (!name[0])
		return 0;
	snprintf(at, sizeof(at), "%d/root%s", p->pid, name);
	if (statx(p->procfd, at, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
		return 0; /* removed: the socket's kind says */
	m = mount_of(p, stx.stx_mnt_id);
	if (m && !same_on_host(m)) {
		_cleanup_free_ char *shown = str_escape(name), *mp = str_escape(m->mountpoint);

		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump: process %d has a unix socket bound to '%s' on the mount at '%s' of its mount namespace (not supported)",
			p->pid, shown, mp);
	}
	return 0;
}

/* Inotify watches are set again from ckpt by the paths of the host: in a
 * namespace with mounts of its own, they could name other files. */
static int check_inotify(struct paths *p, const char *link)
{
	char target[64];
	ssize_t n = readlinkat(p->procfd, link, target, sizeof(target) - 1);
	bool own = false;

	if (n <= 0)
		return 0;
	target[n] = '\0';
	if (strcmp(target, "anon_inode:inotify"))
		return 0;
	for (size_t i = 0; i < p->nr; i++)
		own |= !same_on_host(p->mounts[i]);
	return own ? pr_fail(-EOPNOTSUPP,
			     "cannot dump: process %d has an inotify instance in a mount namespace with mounts of its own (not supported)",
			     p->pid)
		   : 0;
}

static void comm_of(const struct paths *p, char *comm, size_t len)
{
	char at[64];
	ssize_t n = 0;
	int fd;

	snprintf(at, sizeof(at), "%d/comm", p->pid);
	fd = openat(p->procfd, at, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, comm, len - 1);
		close(fd);
	}
	if (n > 0 && comm[n - 1] == '\n')
		n--;
	comm[n > 0 ? n : 0] = '\0';
}

/*
 * A process of a namespace whose root is not the host's (a pivot_root) is
 * put at that root at restore, and opens its executable, its mapped files,
 * its cwd and root from there, by the paths /proc shows ckpt. One whose
 * file (@link: "PID/exe", "PID/map_files/A-B") is on a mount outside the
 * namespace's tree (the host's, left behind by the pivot_root another
 * process made: unshare's own program when its child pivots) would look
 * for it under the new root: refused.
 */
static int check_outside(struct paths *p, const char *link, const char *what)
{
	char path[PATH_MAX_LEN], comm[64];
	ssize_t n;
	struct statx stx;

	if (p->host_root || statx(p->procfd, link, 0, STATX_MNT_ID, &stx) < 0 ||
	    mount_of(p, stx.stx_mnt_id))
		return 0;
	n = readlinkat(p->procfd, link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	/* Not a path (memfd, SysV shm, shared anonymous): the kinds say. */
	if (path[0] != '/' || str_ends(path, " (deleted)"))
		return 0;
	comm_of(p, comm, sizeof(comm));
	_cleanup_free_ char *shown = str_escape(path), *name = str_escape(comm);

	return pr_fail(
		-EOPNOTSUPP,
		"cannot dump: process %d ('%s') holds %s '%s' on a mount outside the root of its mount namespace, which a pivot_root changed: the restore would look for it under the new root (not supported)",
		p->pid, name, what, shown);
}

static int check_dir(struct paths *p, const char *sub)
{
	char dir[64];
	_cleanup_close_ int fd = -1;
	DIR *d;
	struct dirent *de;
	int r = 0;

	snprintf(dir, sizeof(dir), "%d/%s", p->pid, sub);
	fd = openat(p->procfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1;
	while (r >= 0 && (de = readdir(d))) {
		char link[320];

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		r = check_link(p, link);
		if (r >= 0 && !strcmp(sub, "map_files"))
			r = check_outside(p, link, "the mapped file");
		if (r >= 0 && !strcmp(sub, "fd"))
			r = check_socket(p, link);
		if (r >= 0 && !strcmp(sub, "fd"))
			r = check_inotify(p, link);
	}
	closedir(d);
	return r;
}

int mnt_paths_check(int procfd, uint32_t nsid, const struct mnt_pidns *procs, size_t nr_procs,
		    MntEntry **mounts, size_t nr_mounts, bool host_root, MntInnerFile ***inner,
		    size_t *nr_inner)
{
	struct paths p = { .procfd = procfd,
			   .host_root = host_root,
			   .mounts = mounts,
			   .nr = nr_mounts,
			   .inner = inner,
			   .nr_inner = nr_inner };
	static const char *const links[] = { "cwd", "root", "exe" };
	static const char *const whats[] = { "its working directory", "its root",
					     "its executable" };
	int r = 0;

	for (size_t i = 0; i < nr_procs && r >= 0; i++) {
		char link[64];
		struct stat st;

		snprintf(link, sizeof(link), "%d/ns/mnt", procs[i].pid);
		if (fstatat(procfd, link, &st, 0) < 0 || st.st_ino != nsid)
			continue; /* gone, or in another namespace */
		p.pid = procs[i].pid;
		for (size_t k = 0; k < ARRAY_SIZE(links) && r >= 0; k++) {
			snprintf(link, sizeof(link), "%d/%s", p.pid, links[k]);
			r = check_link(&p, link);
			if (r >= 0)
				r = check_outside(&p, link, whats[k]);
		}
		if (r >= 0)
			r = check_dir(&p, "fd");
		if (r >= 0)
			r = check_dir(&p, "map_files");
	}
	return r;
}
