// SPDX-License-Identifier: GPL-2.0
/*
 * mnt-ID.img read back: every field checked before anything is mounted
 * (the image is hostile), --external mnt[KEY]:HOSTPATH resolved.
 */
#include "image.h"
#include "imgdir.h"
#include "ns-mnt.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define KNOWN_FLAGS                                                                     \
	(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | \
	 MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW)

/* @what, with @arg (a path from the image, shown escaped) after it. */
static int bad(uint32_t id, const char *what, const char *arg)
{
	_cleanup_free_ char *shown = str_escape(arg ? arg : "");

	return img_inconsistent(IMG_MNT, (int)id, "%s%s%s%s", what, *shown ? " '" : "", shown,
				*shown ? "'" : "");
}

/* Printable text of at most @max bytes. */
static bool text_ok(const char *s, size_t max)
{
	if (!s || !str_fits(s, max))
		return false;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

static int sb_check(uint32_t id, const MntSbEntry *sb, size_t index)
{
	bool tmpfs = sb->fstype && !strcmp(sb->fstype, "tmpfs");
	bool devpts = sb->fstype && !strcmp(sb->fstype, "devpts");
	bool proc = sb->fstype && !strcmp(sb->fstype, "proc");

	if (sb->index != index)
		return bad(id, "superblocks out of order", NULL);
	if (!sb->fstype || !mnt_fs_known(sb->fstype))
		return bad(id, "a superblock of unknown type", sb->fstype);
	if ((sb->has_size || sb->has_nr_inodes || sb->has_uid || sb->has_inode64 || sb->has_huge) &&
	    !tmpfs)
		return bad(id, "tmpfs options on a", sb->fstype);
	if ((sb->has_mode && !tmpfs && !devpts) || (sb->has_ptmxmode && !devpts) ||
	    (sb->has_gid && !tmpfs && !devpts && !proc))
		return bad(id, "mode or gid options on a", sb->fstype);
	if ((sb->hidepid || sb->has_subset_pid || sb->has_proc_pid) && !proc)
		return bad(id, "proc options on a", sb->fstype);
	if ((sb->has_nsdelegate || sb->has_memory_recursiveprot) && strcmp(sb->fstype, "cgroup2"))
		return bad(id, "cgroup2 options on a", sb->fstype);
	if (!!sb->controllers != !strcmp(sb->fstype, "cgroup"))
		return bad(id, "cgroup controllers on a", sb->fstype);
	if (sb->has_size && sb->size > MNT_MAX_TMPFS_SIZE)
		return bad(id, "a tmpfs larger than 64 GiB", "");
	if (sb->has_nr_inodes && sb->nr_inodes > UINT32_MAX)
		return bad(id, "a tmpfs with too many inodes", "");
	if ((sb->has_mode && sb->mode > 07777) || (sb->has_ptmxmode && sb->ptmxmode > 07777))
		return bad(id, "a mode beyond 07777", "");
	if (sb->has_huge && sb->huge > 3)
		return bad(id, "an unknown huge= value", "");
	if (sb->hidepid && strcmp(sb->hidepid, "invisible") && strcmp(sb->hidepid, "noaccess") &&
	    strcmp(sb->hidepid, "ptraceable"))
		return bad(id, "an unknown hidepid", sb->hidepid);
	if (sb->controllers) {
		if (!str_fits(sb->controllers, 255))
			return bad(id, "cgroup controllers too long", "");
		for (const char *c = sb->controllers; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_,=.-", *c))
				return bad(id, "cgroup controllers with odd characters:",
					   sb->controllers);
	}
	return 0;
}

static long index_of(const MntNsEntry *ns, size_t before, uint32_t id)
{
	for (size_t i = 0; i < before; i++)
		if (ns->mounts[i]->id == id)
			return (long)i;
	return -1;
}

/* Are the files of removed root @i saved with an earlier mount of it? */
static bool removed_saved(const MntNsEntry *ns, size_t i)
{
	const MntEntry *m = ns->mounts[i];

	for (size_t k = 0; k < i; k++) {
		const MntEntry *o = ns->mounts[k];

		if (o->kind == MNT_SOURCE_KIND__MNT_SRC_FS && o->deleted && o->has_files &&
		    o->sb == m->sb && !strcmp(o->root, m->root))
			return true;
	}
	return false;
}

static int mount_check(uint32_t id, const MntNsEntry *ns, size_t i)
{
	const MntEntry *m = ns->mounts[i];
	const char *rest;
	long parent;

	/* The root is what is bound of a new filesystem; of another one it
	 * is only shown ("net:[4026532177]" for a namespace file). */
	if (trust_check_path("mount point", m->mountpoint) < 0 ||
	    (m->kind == MNT_SOURCE_KIND__MNT_SRC_FS && trust_check_path("mount root", m->root) < 0))
		return -EBADMSG;
	if (!text_ok(m->root, 4095))
		return bad(id, "a mount root that is not text at", m->mountpoint);
	if (index_of(ns, i, m->id) >= 0)
		return bad(id, "two mounts with one id at", m->mountpoint);
	if (i == 0) {
		if (m->parent_id != m->id || strcmp(m->mountpoint, "/"))
			return bad(id, "the first mount is not the root, it is at", m->mountpoint);
	} else {
		parent = index_of(ns, i, m->parent_id);
		if (parent < 0)
			return bad(id, "a mount comes before its parent, at", m->mountpoint);
		if (!mnt_path_under(m->mountpoint, ns->mounts[parent]->mountpoint, &rest))
			return bad(id, "a mount is not under its parent, at", m->mountpoint);
	}
	if (!text_ok(m->fstype, 63) || !text_ok(m->source, 4095))
		return bad(id, "a type or source that is not text at", m->mountpoint);
	if (m->flags & ~(uint32_t)KNOWN_FLAGS ||
	    (m->flags & MOUNT_ATTR__ATIME) > MOUNT_ATTR_STRICTATIME)
		return bad(id, "unknown mount flags at", m->mountpoint);
	switch (m->kind) {
	case MNT_SOURCE_KIND__MNT_SRC_FS:
		if (!m->has_sb || m->sb >= ns->n_sbs || strcmp(ns->sbs[m->sb]->fstype, m->fstype))
			return bad(id, "a mount names a wrong superblock, at", m->mountpoint);
		if (m->has_files && strcmp(m->fstype, "tmpfs"))
			return bad(id, "files for a mount not a tmpfs at", m->mountpoint);
		if (m->deleted &&
		    (!strcmp(m->root, "/") || (!m->has_files && !removed_saved(ns, i))))
			return bad(id, "a removed root without its files at", m->mountpoint);
		break;
	case MNT_SOURCE_KIND__MNT_SRC_EXTERNAL:
		if (!text_ok(m->ext_key, 255) || !*m->ext_key)
			return bad(id, "an external mount without a key at", m->mountpoint);
		break;
	case MNT_SOURCE_KIND__MNT_SRC_HOST:
		if (!m->host_path || trust_check_path("host path", m->host_path) < 0)
			return -EBADMSG;
		if (!m->has_host_dev || !m->has_host_ino || !m->has_host_mode ||
		    (m->host_mode != S_IFDIR && m->host_mode != S_IFREG))
			return bad(id, "a host mount without what it was at", m->mountpoint);
		break;
	default:
		return bad(id, "a mount of unknown kind at", m->mountpoint);
	}
	if (m->kind != MNT_SOURCE_KIND__MNT_SRC_FS && (m->has_sb || m->has_files || m->deleted))
		return bad(id, "a superblock for a bound mount at", m->mountpoint);
	if (m->unbindable && (m->shared || m->master))
		return bad(id, "an unbindable mount with peers at", m->mountpoint);
	if (m->master_host && m->kind == MNT_SOURCE_KIND__MNT_SRC_FS)
		return bad(id, "a new filesystem slave of the host at", m->mountpoint);
	if (m->master && m->master_host)
		return bad(id, "two masters at", m->mountpoint);
	return 0;
}

static const char *external_value(const struct options *o, const char *key)
{
	for (int i = 0; i < o->nr_external; i++)
		if (!strcmp(o->external[i].kind, "mnt") && !strcmp(o->external[i].key, key))
			return o->external[i].value;
	return NULL;
}

static int resolve_externals(const MntNsEntry *ns, const struct options *o, struct mnt_ns_state *st)
{
	st->ext_paths = xzalloc(ns->n_mounts * sizeof(*st->ext_paths));
	if (!o) /* a dump reading its images back: given at restore */
		return 0;
	for (size_t i = 0; i < ns->n_mounts; i++) {
		const MntEntry *m = ns->mounts[i];
		const char *v;

		if (m->kind != MNT_SOURCE_KIND__MNT_SRC_EXTERNAL)
			continue;
		v = external_value(o, m->ext_key);
		if (!v || !*v) {
			_cleanup_free_ char *key = str_escape(m->ext_key);
			_cleanup_free_ char *mp = str_escape(m->mountpoint);

			return pr_fail(
				-ENOENT,
				"cannot restore: the mount at '%s' is external: give --external mnt[%s]:HOSTPATH",
				mp, key);
		}
		if (v[0] != '/' || strlen(v) > TRUST_PATH_MAX) {
			_cleanup_free_ char *shown = str_escape(v);

			return pr_fail(
				-EINVAL,
				"cannot restore: --external mnt[...]:'%s' is not an absolute path",
				shown);
		}
		st->ext_paths[i] = v;
	}
	for (int k = 0; k < o->nr_external; k++) {
		bool used = false;

		if (strcmp(o->external[k].kind, "mnt"))
			continue;
		for (size_t i = 0; i < ns->n_mounts; i++)
			used |= ns->mounts[i]->kind == MNT_SOURCE_KIND__MNT_SRC_EXTERNAL &&
				!strcmp(ns->mounts[i]->ext_key, o->external[k].key);
		if (!used) {
			_cleanup_free_ char *key = str_escape(o->external[k].key);

			return pr_fail(
				-ENOENT,
				"cannot restore: --external mnt[%s]: no such external mount in the images",
				key);
		}
	}
	return 0;
}

int mnt_ns_load(int dirfd, uint32_t id, const struct options *o, const struct trust *t,
		struct mnt_ns_state *st)
{
	MntNsEntry *ns = NULL;
	int r;

	struct stat dst;

	memset(st, 0, sizeof(*st));
	st->dirfd = st->nsfd = st->rootfd = st->tree_dirfd = st->tree_nsfd = -1;
	st->ckpt_pid = getpid();
	st->ckpt_dirfd = dirfd;
	if (fstat(dirfd, &dst) < 0)
		return pr_errno(-errno, "cannot restore: cannot look at the image directory");
	st->dir_dev = dst.st_dev;
	st->dir_ino = dst.st_ino;
	st->trust = t;
	r = img_read_msg(dirfd, IMG_MNT, (int)id, &mnt_ns_entry__descriptor,
			 (ProtobufCMessage **)&ns);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot read the mount namespace image");
	st->ns = ns;
	if (ns->id != id)
		return bad(id, "the namespace id does not match", "");
	if (ns->n_mounts == 0 || ns->n_mounts > MNT_MAX_MOUNTS || ns->n_sbs > ns->n_mounts)
		return bad(id, "no mounts or too many", "");
	for (size_t i = 0; i < ns->n_sbs; i++) {
		r = sb_check(id, ns->sbs[i], i);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ns->n_mounts; i++) {
		r = mount_check(id, ns, i);
		if (r < 0)
			return r;
	}
	if (ns->n_inner > 65536)
		return bad(id, "too many files of the namespace", NULL);
	for (size_t i = 0; i < ns->n_inner; i++)
		if (trust_check_path("file of a mount namespace", ns->inner[i]->path) < 0)
			return -EBADMSG;
	/* A host mount comes from a namespace whose root is the host's. */
	for (size_t i = 0; i < ns->n_mounts; i++)
		if (ns->mounts[i]->kind == MNT_SOURCE_KIND__MNT_SRC_HOST && !ns->host_root)
			return bad(id, "a host mount in a container of its own root, at",
				   ns->mounts[i]->mountpoint);
	if (!t->trusted)
		return pr_fail(
			-EPERM,
			"cannot restore: a mount namespace is made again only from root's image set");
	return resolve_externals(ns, o, st);
}

void mnt_ns_state_release(struct mnt_ns_state *st)
{
	mnt_userns_release(st);
	if (st->dirfd >= 0)
		close(st->dirfd);
	if (st->nsfd >= 0)
		close(st->nsfd);
	if (st->rootfd >= 0)
		close(st->rootfd);
	for (size_t i = 0; st->pre_fd && st->ns && i < st->ns->n_mounts; i++)
		for (int k = 0; k < 2; k++)
			if ((k ? st->pre_dir : st->pre_fd)[i] >= 0)
				close((k ? st->pre_dir : st->pre_fd)[i]);
	free(st->pre_fd);
	free(st->pre_dir);
	free(st->premade);
	free(st->ext_paths);
	free(st->defer_pid);
	free(st->new_id);
	if (st->ns)
		mnt_ns_entry__free_unpacked(st->ns, NULL);
	memset(st, 0, sizeof(*st));
}
