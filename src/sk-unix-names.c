// SPDX-License-Identifier: GPL-2.0
/*
 * Unix socket names (sk-unix.c): a path, relative to a directory or not,
 * or an abstract name; the socket file of a path, its mode and owner, at
 * dump and at restore, and what is in the way of binding it again.
 */
#include "sk-unix.h"

#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

/* A socket name for messages: "path", "@abstract" (0 bytes shown as @). */
const char *name_str(const void *name, size_t len, char *buf)
{
	const unsigned char *p = name;
	size_t o = 0;

	if (len && p[0]) /* a path, with its trailing 0 */
		len = strnlen(name, len);
	for (size_t i = 0; i < len && o < NAME_STR_LEN - 5; i++) {
		if (!p[i])
			buf[o++] = '@';
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", p[i]);
		else
			buf[o++] = (char)p[i];
	}
	buf[o] = 0;
	return buf;
}

bool same_name(const void *a, size_t alen, const void *b, size_t blen)
{
	return alen && alen == blen && !memcmp(a, b, alen);
}

bool names_equal(const UnixSkEntry *a, const UnixSkEntry *b)
{
	return named(a) && named(b) &&
	       same_name(a->name.data, a->name.len, b->name.data, b->name.len);
}

/* For messages: "unix socket 'name'" or "unnamed unix socket (inode N)". */
const char *usk_str(const UnixSkEntry *u, char *buf, size_t size)
{
	char shown[NAME_STR_LEN];

	if (named(u))
		snprintf(buf, size, "unix socket '%s'", name_str(u->name.data, u->name.len, shown));
	else
		snprintf(buf, size, "unnamed unix socket (inode %u)", u->ino);
	return buf;
}

socklen_t sun_of(const ProtobufCBinaryData *name, struct sockaddr_un *sa)
{
	size_t len = MIN(name->len, sizeof(sa->sun_path));

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name->data, len);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

/* A relative name is bound and reached from its directory: go there for
 * a moment (ckpt is one thread while it restores). */
int dir_enter(const char *dir, int *ret_here)
{
	*ret_here = -1;
	if (!dir)
		return 0;
	*ret_here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*ret_here < 0)
		return -errno;
	if (chdir(dir) < 0) {
		int r = -errno;

		close(*ret_here);
		*ret_here = -1;
		return r;
	}
	return 0;
}

int dir_leave(int here, int r)
{
	if (here < 0)
		return r;
	if (fchdir(here) < 0 && r >= 0)
		r = -errno;
	close(here);
	return r;
}

/* connect() or sendto() (one whole packet) @fd to @name, from @dir. */
int sun_do(enum sun_op op, int fd, const ProtobufCBinaryData *name, const char *dir,
	   const ProtobufCBinaryData *data)
{
	struct sockaddr_un sa;
	socklen_t len = sun_of(name, &sa);
	int here, r = dir_enter(dir, &here);
	ssize_t n;

	if (r < 0)
		return r;
	if (op == SUN_CONNECT) {
		r = connect(fd, (struct sockaddr *)&sa, len) < 0 ? -errno : 0;
	} else {
		n = sendto(fd, data->data, data->len, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (struct sockaddr *)&sa, len);
		r = n < 0 ? -errno : n == (ssize_t)data->len ? 0 : -EMSGSIZE;
	}
	return dir_leave(here, r);
}

/* Is a socket bound to the socket file @path? A datagram connect() tells,
 * without making a connection to a stream listener (EPROTOTYPE). */
static bool path_live(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return true;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	err = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
	close(fd);
	return err != ECONNREFUSED;
}

/* Can a socket be bound at @path (from the cwd)? A socket file nobody is
 * bound to (the dumped socket's, left when it was killed) is in the way
 * only until it is removed: -EAGAIN. */
int path_state(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	return path_live(path) ? -EADDRINUSE : -EAGAIN;
}

void path_of(const UnixSkEntry *u, char *buf)
{
	memcpy(buf, u->name.data, u->name.len);
	buf[u->name.len] = 0;
}

int path_error(int r, const UnixSkEntry *u)
{
	char path[UNIX_NAME_MAX + 1];

	path_of(u, path);
	if (r == -EEXIST)
		return pr_fail(r, "cannot restore: '%s' exists and is not a socket", path);
	if (r == -EADDRINUSE)
		return pr_fail(r, "cannot restore: '%s' is in use by a socket outside the tree",
			       path);
	return pr_errno(r, "cannot restore: cannot bind a unix socket to '%s'", path);
}

/*
 * The mode and owner of the socket file just bound at @path (from the
 * cwd). By an fd of the file itself, never by its name again: someone who
 * can write in its directory could have put a symlink there since the
 * bind, and chmod() would follow it.
 */
static int sock_file_set(const char *path, const UnixSkFile *f)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	char at[64];
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	snprintf(at, sizeof(at), "/proc/self/fd/%d", fd);
	if (chmod(at, f->mode & 07777) < 0 || fchownat(fd, "", f->uid, f->gid, AT_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/* Bind @fd to the name of @u; its socket file gets the mode and owner it had. */
int usk_bind(int fd, const UnixSkEntry *u)
{
	char path[UNIX_NAME_MAX + 1], buf[NAME_STR_LEN + 32];
	const UnixSkFile *f = u->file;
	struct sockaddr_un sa;
	socklen_t len = sun_of(&u->name, &sa);
	int here, r = dir_enter(dir_of(u), &here);

	path_of(u, path);
	if (r >= 0 && is_path(u)) {
		r = path_state(path);
		if (r == -EAGAIN)
			r = unlink(path) < 0 ? -errno : 0;
	}
	if (r >= 0 && bind(fd, (struct sockaddr *)&sa, len) < 0)
		r = -errno;
	if (r >= 0 && is_path(u) && f && f->present && f->has_mode)
		r = sock_file_set(path, f);
	r = dir_leave(here, r);
	if (r < 0 && is_path(u))
		return path_error(r, u);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot bind %s", usk_str(u, buf, sizeof(buf)));
	return 0;
}

/* Remove the socket file ckpt made for a name whose file had been removed. */
void usk_unbind(const UnixSkEntry *u)
{
	char path[UNIX_NAME_MAX + 1];
	int here;

	if (!is_path(u) || !u->file || u->file->present || dir_enter(dir_of(u), &here) < 0)
		return;
	path_of(u, path);
	(void)unlink(path);
	(void)dir_leave(here, 0);
}

/* Same inode as unix_diag showed (its dev in the kernel's encoding)? */
bool same_file(const struct stat *st, uint32_t ino, uint32_t dev)
{
	return st->st_ino == ino && major(st->st_dev) == dev >> 20 &&
	       minor(st->st_dev) == (dev & 0xfffff);
}

/* The socket file of a path name: still there, its mode and owner. */
int file_dump(const struct fd_dump *d, const struct unix_diag_sk *ds, UnixSkEntry *u)
{
	UnixSkFile *f = xmalloc(sizeof(*f));
	char path[PATH_MAX_LEN + UNIX_NAME_MAX + 2], name[UNIX_NAME_MAX + 1], shown[NAME_STR_LEN];
	struct stat st;

	unix_sk_file__init(f);
	u->file = f;
	memcpy(name, ds->name, ds->name_len);
	name[ds->name_len] = 0;
	snprintf(path, sizeof(path), "%s", name);
	if (name_is_relative(ds->name, ds->name_len)) {
		char cwd[PATH_MAX_LEN], link[64];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/%d/cwd", d->pid);
		n = readlink(link, cwd, sizeof(cwd) - 1);
		if (n < 0)
			return pr_errno(-errno, "cannot dump %d: cannot read its cwd", d->pid);
		cwd[n] = 0;
		f->dir = xstrdup(cwd);
		snprintf(path, sizeof(path), "%s/%s", cwd, name);
	}
	f->present = ds->has_vfs && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		     same_file(&st, ds->vfs_ino, ds->vfs_dev);
	if (f->dir && !f->present)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump %d: fd %d is a unix socket bound to the relative path '%s', not found from its cwd",
			d->pid, d->fd, name_str(ds->name, ds->name_len, shown));
	f->has_ino = f->has_dev = ds->has_vfs;
	f->ino = ds->vfs_ino;
	f->dev = ds->vfs_dev;
	if (f->present) {
		f->has_mode = f->has_uid = f->has_gid = true;
		f->mode = st.st_mode & 07777;
		f->uid = st.st_uid;
		f->gid = st.st_gid;
	}
	return 0;
}
