/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_NS_MNT_H
#define CKPT_NS_MNT_H
/*
 * The mount namespace of a tree: its mounts, as /proc/self/mountinfo shows
 * them from the namespace's own root, saved in mnt-ID.img; the files of its
 * tmpfs mounts in mnt-tmpfs-MOUNTID.img. Split by concern:
 *
 *	ns-mnt-info.c     mountinfo parsing, mount flags and options
 *	ns-mnt-dump.c     what each mount is (made anew, the host's, external),
 *	                  refusals, the image
 *	ns-mnt-hidden.c   which tmpfs mounts the files are read from, each
 *	                  reached (also under other mounts) at dump
 *	ns-mnt-files.c    the files of a tmpfs: read at dump, made at restore
 *	ns-mnt-paths.c    the files the processes hold: on mounts found again
 *	ns-mnt-check.c    the image read back and checked, --external resolved
 *	ns-mnt-build.c    the mount tree made again in a new namespace
 *	ns-mnt-prebuild.c the child of ckpt that makes it beforehand, hands it over
 *	ns-mnt.c          struct ns_ops and ckpt show
 *
 * A mount is one of three (enum mnt_source_kind): a filesystem made anew
 * (tmpfs with its files, proc, sysfs, mqueue, devpts, cgroup, cgroup2), an
 * external one (--external mnt[MOUNTPOINT]:KEY at dump, mnt[KEY]:HOSTPATH
 * at restore: bound from HOSTPATH) or, when the namespace's root is the
 * host's own /, a bind of the host's path it shows (what unshare --mount
 * left of the host's mounts).
 */
#include "mnt.pb-c.h"
#include "options.h"
#include "trust.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

/* One line of /proc/PID/mountinfo, unescaped. */
struct mnt_info {
	uint32_t id, parent;
	unsigned int major, minor;
	char *root, *mountpoint, *fstype, *source;
	char *mnt_opts; /* per-mount: "rw,nosuid,relatime" */
	char *super_opts; /* the superblock's: "rw,size=1024k,mode=755" */
	uint32_t shared, master, propagate_from; /* 0: none */
	bool unbindable;
};

/* Parse mountinfo text; the lines in the order given. -EINVAL for a line
 * that does not parse. */
int mnt_info_parse(FILE *f, struct mnt_info **ret, size_t *ret_nr);
void mnt_info_free(struct mnt_info *m, size_t nr);
/* The strings of one (not @m itself). */
void mnt_info_free_one(struct mnt_info *m);
/* Read and parse @path at @dirfd; -errno. */
int mnt_info_read_at(int dirfd, const char *path, struct mnt_info **ret, size_t *nr);
/* The index of mount @id in @v, -1 if not there. */
long mnt_info_find(const struct mnt_info *v, size_t nr, uint32_t id);
/* Of the same filesystem (device)? */
bool mnt_info_same_dev(const struct mnt_info *a, const struct mnt_info *b);
/* @path opened O_PATH, no symlinks followed, with its mount id in
 * @stx->stx_mnt_id: the fd, or -errno. */
int mnt_open_path(const char *path, struct statx *stx);
/* The per-mount options as MOUNT_ATTR_* flags; -EINVAL (and the option in
 * @bad) for one not known. */
int mnt_flags_parse(const char *opts, uint32_t *ret, char *bad, size_t bad_len);
/* The same flags as mountinfo shows them, for ckpt show: "ro,nosuid". */
void mnt_flags_show(uint32_t flags, char *buf, size_t len);
/* The superblock options of @fstype into @sb (fstype set already);
 * -EINVAL and the option in @bad for one that would not come back. */
int mnt_sb_opts_parse(const char *fstype, const char *opts, MntSbEntry *sb, char *bad,
		      size_t bad_len);
/* Is @type a filesystem ckpt makes anew? */
bool mnt_fs_known(const char *type);
/* @path is @dir or below it: its remainder ("" or "/a/b") in *ret_rest. */
bool mnt_path_under(const char *path, const char *dir, const char **ret_rest);

/* Limits on what an image may hold (and a dump save). */
#define MNT_MAX_MOUNTS 4096
#define MNT_MAX_FILES 100000
#define MNT_MAX_BYTES (512ULL << 20) /* of tmpfs contents per namespace */
#define MNT_MAX_TMPFS_SIZE (64ULL << 30) /* size= */

/*
 * Dump: the namespace @nsfd (a frozen process's /proc/PID/ns/mnt), id @id,
 * into mnt-ID.img and its tmpfs files, in @dirfd. External mounts are
 * named by @o->external[] (kind "mnt", KEY the mount point, VALUE the
 * key). Logs one line on failure.
 */
struct mnt_pidns {
	int pid; /* a process of the tree, as ckpt sees it */
	uint32_t pidns; /* the inode of its pid namespace */
};
int mnt_ns_dump(int nsfd, uint32_t id, int dirfd, const struct options *o,
		const struct mnt_pidns *procs, size_t nr_procs);

/* The files the processes of namespace @nsid among @procs hold (fds,
 * mappings, cwd, root, exe) on mounts whose path on the host is not their
 * own, into *@inner (ns-mnt-paths.c); @procfd is ckpt's /proc. When the
 * namespace's root is not the host's (@host_root false), an executable,
 * mapped file, cwd or root on a mount outside its tree is refused. Logs. */
int mnt_paths_check(int procfd, uint32_t nsid, const struct mnt_pidns *procs, size_t nr_procs,
		    MntEntry **mounts, size_t nr_mounts, bool host_root, MntInnerFile ***inner,
		    size_t *nr_inner);

/* Restore side: what prepare keeps from prepare to release. */
struct mnt_ns_state {
	MntNsEntry *ns;
	/* The image set: ckpt's fd (pid, fd number, what it is) in prepare;
	 * a process of the tree that makes mounts has its fds closed, and
	 * was handed down a copy of it at tree_dirfd (and of nsfd at
	 * tree_nsfd: it is inside the container's namespaces by then, where
	 * ckpt's /proc is not); a dup of either while it builds (dirfd,
	 * else -1). */
	int dirfd, ckpt_pid, ckpt_dirfd, tree_dirfd, tree_nsfd;
	bool passed; /* handed down: in the slots pass_dir and pass_ns */
	size_t pass_dir, pass_ns;
	dev_t dir_dev;
	ino_t dir_ino;
	const struct trust *trust;
	const char **ext_paths; /* per mount: the host path of an external one */
	/* Per mount: 0 when the namespace's owner makes it, else the pid of
	 * the process that does (a proc of another pid namespace, what is
	 * on it or of its superblock). */
	int *defer_pid;
	uint64_t *new_id; /* per mount: its id once made */
	/* Per mount left to a process of the tree whose source ckpt's child
	 * makes (a bind of a tmpfs or devpts it made, of a host or external
	 * path: nspawn's binds of a removed file over /proc/kmsg, podman's
	 * /dev/null over /proc/keys): that child makes it detached, with its
	 * flags and propagation, and hands it over; the process only puts it
	 * on its mount point. The fd in ckpt (-1: none), then in that
	 * process. */
	bool *premade;
	int *pre_fd;
	/* Of a premade bind of a removed file: its filesystem's root, where
	 * that process removes it once bound (a mount whose root is removed
	 * cannot be moved). */
	int *pre_dir;
	/* In ckpt: the namespace made beforehand (mnt_ns_prebuild) and its
	 * root, where files of the namespace are opened (the root of the
	 * live tree's process when a dump reads its images back); -1 none. */
	int nsfd, rootfd;
	struct mnt_ns_state *next; /* trust->inner: every namespace's */
	/* One that belongs to a user namespace of the tree (ns-mnt-userns.c):
	 * the helper that made it (its pid in memory shared with the owner),
	 * ckpt's end of the pipe that keeps it, its pid for ckpt. */
	int *userns_helper;
	int userns_stop, userns_pid;
	int userns_owner; /* the owner's pid in the images */
};
/* Read and check mnt-ID.img (every field), resolve --external from @o.
 * Logs. */
int mnt_ns_load(int dirfd, uint32_t id, const struct options *o, const struct trust *t,
		struct mnt_ns_state *st);
void mnt_ns_state_release(struct mnt_ns_state *st);
/* @pid 0: in a process just put in a new mount namespace (a copy of
 * ckpt's), make the dumped tree and make it the namespace's root; else,
 * in process @pid of the tree, the mounts left to it. Logs. */
int mnt_ns_build(struct mnt_ns_state *st, int pid);
/* Who makes each mount: with @owner_pid -1, the process that builds the
 * tree; else the mounts of a filesystem that shows the namespaces of who
 * mounts it (proc: the process of the tree in its pid namespace; sysfs,
 * mqueue, cgroup, cgroup2: @owner_pid), and what lies on them, are left
 * to those processes (st->defer_pid). */
void mnt_ns_plan(struct mnt_ns_state *st, int owner_pid);
/* In ckpt: the tree made in a new mount namespace by a child, which hands
 * back the namespace (st->nsfd) and its root (st->rootfd). Logs. */
int mnt_ns_prebuild(struct mnt_ns_state *st);
/* The image directory opened again through ckpt's fd (st->dirfd). Logs. */
int mnt_ns_open_images(struct mnt_ns_state *st);

/* ns-mnt-userns.c: a mount namespace of a user namespace of the tree. */
struct restore;
struct ns_restore;
/* Its owner lives in a user namespace of the tree. */
bool mnt_userns_wanted(const struct restore *rs, const struct ns_restore *n);
/* At prepare, instead of mnt_ns_prebuild. Logs. */
int mnt_userns_prepare(const struct restore *rs, struct ns_restore *n, struct mnt_ns_state *st);
/* In the owner's creator, the owner (@owner, its pid there) made with its
 * maps: a helper builds the namespace inside its user namespace. Logs. */
int mnt_userns_creator(struct mnt_ns_state *st, int owner);
/* In the owner: into that namespace. Logs. */
int mnt_userns_enter(const struct mnt_ns_state *st, int owner_pid);
/* In the helper, the namespace a copy of the host's: which mounts of the
 * image are the host's ones it inherited (the root, and binds of a host
 * path at that same path on them), their ids in st->new_id. Logs. */
int mnt_userns_kept(struct mnt_ns_state *st, int rootfd, bool **ret);
/* The id a file or filesystem saved with host id @host gets where it is
 * made: @host itself, or in the helper the id inside its user namespace
 * (-1, left as made, when the maps do not map it). */
/* In the helper: the files image of mount @mnt_id, opened before it left
 * ckpt's privilege (once); -ENOENT elsewhere. */
int mnt_userns_image(uint32_t mnt_id);
uid_t mnt_uid_in(uid_t host);
gid_t mnt_gid_in(gid_t host);
/* In ckpt: the helper let go and reaped (every process made, or failed). */
void mnt_userns_end(struct mnt_ns_state *st);
void mnt_userns_release(struct mnt_ns_state *st);

/* trust->inner_open: @f one of the files the namespaces' processes held
 * (mnt_inner_file), opened from the namespace's root; -ESRCH if not. */
int mnt_inner_open(const struct trust *t, const struct trust_file *f, int flags, mode_t mode);

/* Dump, in the dump's child inside the namespace: the files of the tmpfs
 * mounts among @mounts (in the order made; @ns the namespace's
 * mountinfo): of each filesystem, one mount for each root not under
 * another's (has_files set), reached in a private copy of the namespace
 * when other mounts hide it (ns-mnt-hidden.c); @procfd is ckpt's /proc.
 * Logs. */
int mnt_tmpfs_dump(int procfd, int dirfd, const struct mnt_info *ns, size_t nr_ns,
		   MntEntry **mounts, size_t nr_mounts);

/* Files of a tmpfs: written from @rootfd (a detached clone of the mount,
 * a directory or a file) into a new image mnt-tmpfs-@mnt_id.img in
 * @dirfd; *@bytes and *@files count what the dump has saved so far
 * (limits). Made again from that image: the root is @parentfd itself
 * (@name NULL, a directory) or @name made in @parentfd. Log. */
int mnt_files_dump(int rootfd, int procfd, int dirfd, uint32_t mnt_id, const char *mountpoint,
		   uint64_t *bytes, size_t *files);
int mnt_files_restore(int parentfd, const char *name, int dirfd, uint32_t mnt_id,
		      const char *mountpoint, const struct trust *t);

#endif
