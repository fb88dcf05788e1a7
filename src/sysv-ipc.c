// SPDX-License-Identifier: GPL-2.0
/*
 * System V IPC objects of the tree, in the IPC namespace it shares with the
 * host (tree.c refuses any other). Shared memory segments are saved and
 * restored; semaphore sets and message queues the tree uses are refused.
 *
 * Which segments are the tree's: every segment a process of the tree has
 * attached (a VMA of /proc/PID/maps shown as "/SYSVkkkkkkkk (deleted)",
 * whose inode column is the shmid), and every segment nobody has attached
 * that a process of the tree created (shm_cpid). A segment attached also
 * by a process outside the tree (shm_nattch above the tree's VMAs on it:
 * the kernel counts an attach per VMA) is refused: its contents would
 * change under it.
 *
 * Dump: ckpt attaches each segment read-only and saves the pages present
 * (mincore on its attach: exact while nothing of the namespace is in swap,
 * else every page), with its key, mode, owner and creator. A VMA must be a
 * whole attach (an attach split by mprotect or partly unmapped is refused).
 *
 * Restore: a segment whose id still holds the same key, size and creator,
 * on the boot of the dump, is the same one: it is reused and its saved
 * contents put back. A segment that is gone is made again with its id
 * (kernel.shm_next_id, under an flock of that file, and the id checked),
 * key, creator (ckpt creates it with the creator's effective ids), owner,
 * mode and contents. Each process then attaches it where it was, by a
 * remote shmat (mm-restore.c). A segment removed while attached (SHM_DEST) is
 * removed again once every process has attached it.
 */
#include "sysv-ipc.h"

#include "filedata.h"
#include "fault.h"
#include "imgdir.h"
#include "mm.h"
#include "trust.h"
#include "util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SHM_MODE_KNOWN (0777u | SHM_DEST | SHM_LOCKED)
#define SHM_SIZE_MAX (1ULL << 46)
#define SYSV_CREATE_TRIES 8

void ipc_table_init(struct ipc_table *it)
{
	memset(it, 0, sizeof(*it));
	ipc_entry__init(&it->img);
}

void ipc_table_release(struct ipc_table *it)
{
	for (size_t i = 0; i < it->img.n_shm; i++) {
		SysvShmEntry *s = it->img.shm[i];

		for (size_t k = 0; k < s->data->n_runs; k++)
			free(s->data->runs[k]);
		free(s->data->runs);
		free(s->data);
		free(s);
	}
	free(it->img.shm);
	sem_release(&it->img);
	msq_release(&it->img);
	free(it->attaches);
	ipc_table_init(it);
}

static size_t shm_find(const IpcEntry *ie, uint32_t shmid)
{
	for (size_t i = 0; i < ie->n_shm; i++)
		if (ie->shm[i]->shmid == shmid)
			return i;
	return SIZE_MAX;
}

static uint64_t shm_mapped_len(uint64_t size)
{
	return (size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
}

/* Segment @shmid, as the kernel has it now, into the table. */
static int shm_add(struct ipc_table *it, int shmid, const struct shmid_ds *ds, size_t *ret)
{
	SysvShmEntry *s = xmalloc(sizeof(*s));
	size_t n = it->img.n_shm;

	sysv_shm_entry__init(s);
	s->shmid = (uint32_t)shmid;
	s->key = ds->shm_perm.__key;
	s->mode = ds->shm_perm.mode & SHM_MODE_KNOWN;
	s->uid = ds->shm_perm.uid;
	s->gid = ds->shm_perm.gid;
	s->cuid = ds->shm_perm.cuid;
	s->cgid = ds->shm_perm.cgid;
	s->data = xmalloc(sizeof(*s->data));
	file_data_entry__init(s->data);
	s->data->size = ds->shm_segsz;
	it->img.shm = xrealloc(it->img.shm, (n + 1) * sizeof(*it->img.shm));
	it->img.shm[n] = s;
	it->attaches = xrealloc(it->attaches, (n + 1) * sizeof(*it->attaches));
	it->attaches[n] = 0;
	it->img.n_shm = n + 1;
	*ret = n;
	return 0;
}

int ipc_dump_vmas(struct ipc_table *it, int pid, const MmEntry *mm)
{
	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *v = mm->vmas[i];
		struct shmid_ds ds;
		size_t k;

		if (v->kind != VMA_KIND__VMA_SYSV_SHM)
			continue;
		k = shm_find(&it->img, v->sysv_shmid);
		if (shmctl((int)v->sysv_shmid, IPC_STAT, &ds) < 0)
			return pr_errno(-errno, "cannot dump %d: cannot read System V shm %u", pid,
					v->sysv_shmid);
		if (v->pgoff || v->end - v->start != shm_mapped_len(ds.shm_segsz))
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: mapping %" PRIx64 "-%" PRIx64
				" is part of an attach of System V shm %u (split or partly unmapped: not supported)",
				pid, v->start, v->end, v->sysv_shmid);
		if (k == SIZE_MAX)
			(void)shm_add(it, (int)v->sysv_shmid, &ds, &k);
		it->attaches[k]++;
	}
	return 0;
}

bool sysv_in_tree(const int *pids, size_t nr, int pid)
{
	if (!nr)
		return true; /* a namespace of the tree's: all of it */
	for (size_t i = 0; i < nr; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

int ipc_dump_finish(struct ipc_table *it, const int *pids, size_t nr)
{
	struct shm_info info;
	int r;
	int max = shmctl(0, SHM_INFO, (struct shmid_ds *)&info);

	for (int idx = 0; idx <= max; idx++) {
		struct shmid_ds ds;
		int id = shmctl(idx, SHM_STAT_ANY, &ds);
		size_t k;

		if (id < 0)
			continue;
		k = shm_find(&it->img, (uint32_t)id);
		if (k == SIZE_MAX && (!ds.shm_nattch || !nr) && sysv_in_tree(pids, nr, ds.shm_cpid))
			(void)shm_add(it, id, &ds, &k);
		if (k == SIZE_MAX || !nr)
			continue;
		if (ds.shm_nattch > it->attaches[k])
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: System V shm %d is attached also by a process outside the tree",
				pids[0], id);
	}
	/* Pages in swap are not seen by mincore(): then every page is read. */
	it->swapped = max >= 0 && info.shm_swp > 0;
	r = sem_dump(&it->img, pids, nr);
	return r < 0 ? r : msq_dump(&it->img, pids, nr);
}

/* The pages of segment @s, attached at @mem, to save. */
static int shm_runs(SysvShmEntry *s, const char *mem, bool all)
{
	uint64_t len = shm_mapped_len(s->data->size), pages = len / PAGE_SIZE, start = 0;
	_cleanup_free_ unsigned char *vec = xmalloc(pages ? pages : 1);

	if (all)
		memset(vec, 1, pages);
	else if (mincore((void *)mem, len, vec) < 0)
		return -errno;
	for (uint64_t p = 0; p <= pages; p++) {
		bool in = p < pages && (vec[p] & 1);

		if (in && (p == 0 || !(vec[p - 1] & 1)))
			start = p;
		if (!in && p > 0 && (vec[p - 1] & 1))
			filedata_add_run(s->data, start * PAGE_SIZE, p - start);
	}
	return 0;
}

int ipc_dump_write(struct ipc_table *it, int dirfd)
{
	return ipc_dump_write_as(it, dirfd, IMG_IPC, IMG_SYSV_SHM_PAGES, 0);
}

int ipc_dump_write_as(struct ipc_table *it, int dirfd, enum img_kind kind, enum img_kind pages_kind,
		      uint32_t id)
{
	char boot[BOOT_ID_LEN + 1];
	int r = 0;

	for (size_t i = 0; i < it->img.n_shm && r >= 0; i++) {
		SysvShmEntry *s = it->img.shm[i];
		void *mem = shmat((int)s->shmid, NULL, SHM_RDONLY);

		if (mem == (void *)-1)
			return pr_errno(-errno, "cannot attach System V shm %u", s->shmid);
		r = shm_runs(s, mem, it->swapped);
		if (r >= 0)
			r = filedata_dump_mem(mem, s->data, dirfd, pages_kind, (int)s->shmid);
		(void)shmdt(mem);
		if (r < 0)
			return pr_errno(r, "cannot save System V shm %u", s->shmid);
	}
	boot_id_read(boot);
	it->img.boot_id = boot[0] ? boot : NULL;
	r = img_write_msg(dirfd, kind, (int)id, &it->img.base);
	it->img.boot_id = NULL;
	return r < 0 ? pr_errno(r, "cannot write the System V IPC image") : 0;
}

/* ---- restore ---- */

bool sysv_trust_has_gid(const struct trust *t, uint32_t gid)
{
	for (size_t i = 0; i < t->nr_groups; i++)
		if (t->groups[i] == gid)
			return true;
	return gid == t->gid;
}

int ipc_check(const IpcEntry *ie, const MmEntry *const *mms, size_t nr_mms, const struct trust *t)
{
	int r;

	if (ie->n_shm > (1u << 20))
		return img_inconsistent(IMG_IPC, 0, "%zu segments", ie->n_shm);
	if (ie->boot_id && !str_fits(ie->boot_id, BOOT_ID_LEN))
		return img_inconsistent(IMG_IPC, 0, "boot_id");
	for (size_t i = 0; i < ie->n_shm; i++) {
		const SysvShmEntry *s = ie->shm[i];

		if (s->shmid > INT32_MAX || shm_find(ie, s->shmid) != i)
			return img_inconsistent(IMG_IPC, 0, "segment %zu: id %u", i, s->shmid);
		if (s->mode & ~SHM_MODE_KNOWN)
			return img_inconsistent(IMG_IPC, 0, "segment %u: mode %#o", s->shmid,
						s->mode);
		if (!s->data->size || s->data->size > SHM_SIZE_MAX || filedata_check(s->data) < 0)
			return img_inconsistent(IMG_IPC, 0, "segment %u: size or pages", s->shmid);
		if ((s->mode & SHM_DEST) && s->key != IPC_PRIVATE)
			return img_inconsistent(IMG_IPC, 0, "segment %u: removed with a key",
						s->shmid);
		if (!t->trusted &&
		    (s->uid != t->owner || s->cuid != t->owner || !sysv_trust_has_gid(t, s->gid) ||
		     !sysv_trust_has_gid(t, s->cgid) || (s->mode & SHM_LOCKED)))
			return pr_fail(
				-EPERM,
				"cannot restore: System V shm %u is not the image owner's (uid %u, creator %u) or is locked",
				s->shmid, s->uid, s->cuid);
	}
	if (ie->n_sem > (1u << 20))
		return img_inconsistent(IMG_IPC, 0, "%zu semaphore sets", ie->n_sem);
	r = sem_check(ie, t);
	if (r >= 0)
		r = msq_check(ie, t);
	if (r < 0)
		return r;
	for (size_t m = 0; m < nr_mms; m++)
		for (size_t i = 0; i < mms[m]->n_vmas; i++) {
			const VmaEntry *v = mms[m]->vmas[i];
			size_t k;

			if (v->kind != VMA_KIND__VMA_SYSV_SHM)
				continue;
			k = v->has_sysv_shmid ? shm_find(ie, v->sysv_shmid) : SIZE_MAX;
			if (k == SIZE_MAX || v->pgoff ||
			    v->end - v->start != shm_mapped_len(ie->shm[k]->data->size))
				return img_inconsistent(IMG_IPC, 0,
							"attach at %#llx of a segment not saved",
							(unsigned long long)v->start);
		}
	return 0;
}

/* Is the segment now at @s's id the one dumped? */
static bool shm_same(const SysvShmEntry *s, const struct shmid_ds *ds, bool same_boot)
{
	return same_boot && s->key != IPC_PRIVATE && ds->shm_perm.__key == s->key &&
	       !(ds->shm_perm.mode & SHM_DEST) && ds->shm_segsz == s->data->size &&
	       ds->shm_perm.cuid == s->cuid && ds->shm_perm.cgid == s->cgid;
}

static int write_next_id(int fd, int id)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", id);

	return pwrite(fd, buf, (size_t)n, 0) == n ? 0 : -errno;
}

/* ops->get as the creator (its effective ids: they become cuid and cgid);
 * only this thread changes ids (raw system calls). */
static int get_as(const struct sysv_ops *ops, const void *obj, uint32_t cuid, uint32_t cgid)
{
	uid_t euid = geteuid();
	gid_t egid = getegid();
	int id, err;

	if (cgid != egid && syscall(SYS_setresgid, -1, cgid, -1) < 0)
		return -errno;
	if (cuid != euid && syscall(SYS_setresuid, -1, cuid, -1) < 0) {
		err = -errno;
		(void)syscall(SYS_setresgid, -1, egid, -1);
		return err;
	}
	id = ops->get(obj);
	if (cuid != euid && syscall(SYS_setresuid, -1, euid, -1) < 0)
		abort(); /* cannot happen: the saved uid is ours */
	if (cgid != egid && syscall(SYS_setresgid, -1, egid, -1) < 0)
		abort();
	return id;
}

/*
 * The kernel takes *_next_id back to -1 only when an object is made with
 * it: writing -1 is refused (EINVAL, 6.18). A failed get leaves it set,
 * and the next object anyone makes would get our id: an object is made
 * and removed at once to use it up.
 */
int sysv_create_with_id(const struct sysv_ops *ops, const void *obj, uint32_t want, int32_t key,
			uint32_t cuid, uint32_t cgid)
{
	_cleanup_close_ int fd = open(ops->next_id, O_RDWR | O_CLOEXEC);
	int r = -EAGAIN;

	if (fd < 0)
		return pr_errno(-errno, "cannot restore System V %s %u: cannot open '%s'",
				ops->what, want, ops->next_id);
	if (key != IPC_PRIVATE && ops->by_key(key) >= 0)
		return pr_fail(-EEXIST,
			       "cannot restore: System V %s key %#x is taken by another one",
			       ops->what, (unsigned int)key);
	/* Another ckpt restoring at the same time waits; anything else
	 * creating an object meanwhile takes our id: we try again. */
	if (flock(fd, LOCK_EX) < 0)
		return pr_errno(-errno, "cannot lock '%s'", ops->next_id);
	for (int tries = 0; tries < SYSV_CREATE_TRIES && r == -EAGAIN; tries++) {
		int id;

		r = FAULT_OR(restore_sysv_create, -EACCES, write_next_id(fd, (int)want));
		if (r < 0) {
			r = pr_errno(r, "cannot restore System V %s %u: cannot write '%s'",
				     ops->what, want, ops->next_id);
			break;
		}
		id = get_as(ops, obj, cuid, cgid);
		if (id < 0) {
			int spare = ops->get(NULL);

			if (spare >= 0)
				ops->rm(spare);
		}
		if (id == -EEXIST && key != IPC_PRIVATE) {
			r = pr_fail(-EEXIST,
				    "cannot restore: System V %s key %#x is taken by another one",
				    ops->what, (unsigned int)key);
		} else if (id < 0) {
			r = pr_errno(id, "cannot restore System V %s %u", ops->what, want);
		} else if ((uint32_t)id != want) {
			ops->rm(id);
			/* Taken meanwhile: say so; else someone raced us. */
			if (ops->exists((int)want))
				r = pr_fail(
					-EEXIST,
					"cannot restore: System V %s id %u is taken by another one",
					ops->what, want);
			else
				r = -EAGAIN;
		} else {
			r = 0;
		}
	}
	(void)flock(fd, LOCK_UN);
	if (r == -EAGAIN)
		return pr_fail(-EAGAIN, "cannot restore System V %s %u: its id kept being taken",
			       ops->what, want);
	return r;
}

/* NULL: a spare private segment, to use up shm_next_id. */
static int shm_get(const void *obj)
{
	const SysvShmEntry *s = obj;
	int id = s ? shmget(s->key, s->data->size, IPC_CREAT | IPC_EXCL | (int)(s->mode & 0777))
		   : shmget(IPC_PRIVATE, PAGE_SIZE, IPC_CREAT | 0600);

	return id < 0 ? -errno : id;
}

static void shm_rm(int id)
{
	(void)shmctl(id, IPC_RMID, NULL);
}

static bool shm_exists(int id)
{
	struct shmid_ds ds;

	return shmctl(id, IPC_STAT, &ds) >= 0;
}

static int shm_by_key(int32_t key)
{
	return shmget(key, 0, 0);
}

static const struct sysv_ops shm_ops = {
	.what = "shm",
	.next_id = "/proc/sys/kernel/shm_next_id",
	.get = shm_get,
	.rm = shm_rm,
	.exists = shm_exists,
	.by_key = shm_by_key,
};

/* Owner, mode, lock and contents of segment @s (created or reused). */
static int shm_fill(const SysvShmEntry *s, int dirfd, enum img_kind pages_kind)
{
	struct shmid_ds ds;
	void *mem;
	int r;

	if (shmctl((int)s->shmid, IPC_STAT, &ds) < 0)
		return pr_errno(-errno, "cannot restore System V shm %u", s->shmid);
	ds.shm_perm.uid = s->uid;
	ds.shm_perm.gid = s->gid;
	ds.shm_perm.mode = s->mode & 0777;
	if (shmctl((int)s->shmid, IPC_SET, &ds) < 0)
		return pr_errno(-errno, "cannot set the owner of System V shm %u", s->shmid);
	if ((s->mode & SHM_LOCKED) && shmctl((int)s->shmid, SHM_LOCK, NULL) < 0)
		return pr_errno(-errno, "cannot lock System V shm %u", s->shmid);
	mem = shmat((int)s->shmid, NULL, 0);
	if (mem == (void *)-1)
		return pr_errno(-errno, "cannot attach System V shm %u", s->shmid);
	/* A reused segment: what was not saved was not there. */
	r = madvise(mem, shm_mapped_len(s->data->size), MADV_REMOVE) < 0 ? -errno : 0;
	if (r >= 0)
		r = FAULT_OR(restore_sysv_shm_pages, -EBADMSG,
			     filedata_restore_mem(mem, s->data, dirfd, pages_kind, (int)s->shmid));
	(void)shmdt(mem);
	if (r < 0)
		return pr_errno(r, "cannot restore the contents of System V shm %u", s->shmid);
	return 0;
}

int ipc_restore(const IpcEntry *ie, int dirfd, const struct trust *t, struct ipc_restored *st)
{
	return ipc_restore_as(ie, dirfd, t, st, IMG_SYSV_SHM_PAGES);
}

int ipc_restore_as(const IpcEntry *ie, int dirfd, const struct trust *t, struct ipc_restored *st,
		   enum img_kind pages_kind)
{
	char boot[BOOT_ID_LEN + 1];
	bool same_boot;
	int r;

	boot_id_read(boot);
	same_boot = boot[0] && ie->boot_id && !strcmp(boot, ie->boot_id);
	memset(st, 0, sizeof(*st));
	st->created = xzalloc((ie->n_shm + ie->n_sem + ie->n_msq + 1) * sizeof(*st->created));
	for (size_t i = 0; i < ie->n_shm; i++) {
		const SysvShmEntry *s = ie->shm[i];
		struct shmid_ds ds;

		if (shmctl((int)s->shmid, IPC_STAT, &ds) >= 0) {
			if (!shm_same(s, &ds, same_boot))
				return pr_fail(
					-EEXIST,
					"cannot restore: System V shm id %u is taken by another segment",
					s->shmid);
			/* A user's set reuses only what its owner could use. */
			if (!t->trusted &&
			    (ds.shm_perm.uid != t->owner || ds.shm_perm.cuid != t->owner))
				return pr_fail(
					-EPERM,
					"cannot restore: System V shm %u is not the image owner's",
					s->shmid);
		} else {
			r = sysv_create_with_id(&shm_ops, s, s->shmid, s->key, s->cuid, s->cgid);
			if (r < 0)
				return r;
			st->created[i] = true;
		}
		r = shm_fill(s, dirfd, pages_kind);
		if (r < 0)
			return r;
	}
	r = sem_restore(ie, t, same_boot, st->created + ie->n_shm);
	if (r < 0)
		return r;
	return msq_restore(ie, t, same_boot, TRAMP_LEN - TRAMP_SCRATCH_OFF,
			   st->created + ie->n_shm + ie->n_sem);
}

int ipc_restore_late(struct infect *inf, const IpcEntry *ie)
{
	int r = sem_restore_late(inf, ie);

	return r < 0 ? r : msq_restore_late(inf, ie);
}

void ipc_restore_undo(const IpcEntry *ie, struct ipc_restored *st)
{
	for (size_t i = 0; ie && st->created && i < ie->n_shm; i++)
		if (st->created[i])
			(void)shmctl((int)ie->shm[i]->shmid, IPC_RMID, NULL);
	if (ie && st->created) {
		sem_restore_undo(ie, st->created + ie->n_shm);
		msq_restore_undo(ie, st->created + ie->n_shm + ie->n_sem);
	}
	free(st->created);
	st->created = NULL;
}

int ipc_restore_finish(const IpcEntry *ie, struct ipc_restored *st)
{
	for (size_t i = 0; i < ie->n_shm; i++) {
		const SysvShmEntry *s = ie->shm[i];

		int r;

		if (!(s->mode & SHM_DEST))
			continue;
		r = FAULT_OR(restore_sysv_shm_rmid, -EIDRM,
			     shmctl((int)s->shmid, IPC_RMID, NULL) < 0 ? -errno : 0);
		if (r < 0)
			return pr_errno(r, "cannot remove System V shm %u again", s->shmid);
	}
	(void)st;
	return 0;
}

void ipc_show(const IpcEntry *ie)
{
	for (size_t i = 0; i < ie->n_shm; i++) {
		const SysvShmEntry *s = ie->shm[i];

		printf("  sysv shm %u: key %#x mode %#o owner %u:%u creator %u:%u size %llu, %llu pages saved%s\n",
		       s->shmid, (unsigned int)s->key, s->mode & 0777, s->uid, s->gid, s->cuid,
		       s->cgid, (unsigned long long)s->data->size,
		       (unsigned long long)s->data->nr_pages,
		       (s->mode & SHM_DEST) ? ", removed" : "");
	}
	sem_show(ie);
	msq_show(ie);
}
