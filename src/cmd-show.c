// SPDX-License-Identifier: GPL-2.0
/* ckpt show: what an image set holds, as text or JSON. */
#include "cgroup.h"
#include "commands.h"
#include "files.h"
#include "image.h"
#include "imgdir.h"
#include "kinds.h"
#include "machine.h"
#include "ns.h"
#include "mm.h"
#include "pstree.pb-c.h"
#include "util.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

struct show_proc {
	const ProcessEntry *pe;
	TaskCoreEntry *core; /* NULL for a zombie */
	MmEntry *mm;
	FdinfoEntry *fdinfo; /* NULL in a pre-dump, as core */
	PagemapEntry *pagemap;
	uint64_t parent_pages; /* pages left in the parent image set */
	uint64_t parent_proc_pages; /* pages from the parent process (pages-cow.c) */
	enum img_codec codec; /* of pages-PID.img */
	uint64_t pages_bytes; /* its size as stored */
};

struct show {
	int dirfd;
	const char *dir;
	InventoryEntry *inv;
	PstreeEntry *pstree;
	FilesEntry *files;
	ShmemEntry *shmem;
	IpcEntry *ipc; /* NULL in a pre-dump */
	CgroupEntry *cg; /* NULL in a pre-dump, or a set made before cgroups */
	struct show_proc *procs;
	size_t nr;
};

static const char *vma_kind_name(uint32_t kind)
{
	static const char *names[] = {
		[VMA_KIND__VMA_ANON_PRIVATE] = "anon-private",
		[VMA_KIND__VMA_ANON_SHARED] = "anon-shared",
		[VMA_KIND__VMA_FILE_PRIVATE] = "file-private",
		[VMA_KIND__VMA_FILE_SHARED] = "file-shared",
		[VMA_KIND__VMA_VDSO] = "vdso",
		[VMA_KIND__VMA_VVAR] = "vvar",
		[VMA_KIND__VMA_VVAR_VCLOCK] = "vvar-vclock",
		[VMA_KIND__VMA_VSYSCALL] = "vsyscall",
		[VMA_KIND__VMA_AIO] = "aio-ring",
		[VMA_KIND__VMA_SYSV_SHM] = "sysv-shm",
		[VMA_KIND__VMA_IO_URING] = "io_uring",
	};

	return kind < ARRAY_SIZE(names) && names[kind] ? names[kind] : "?";
}

static void prot_str(uint32_t prot, char out[4])
{
	out[0] = prot & PROT_READ ? 'r' : '-';
	out[1] = prot & PROT_WRITE ? 'w' : '-';
	out[2] = prot & PROT_EXEC ? 'x' : '-';
	out[3] = 0;
}

/* A JSON string: quotes, backslashes and control characters (DEL too)
 * escaped. */
static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* The start of the JSON object of System V object @i of a list: its id
 * (named @idname), key, mode and owners, the fields all three kinds have. */
static void json_ipc_head(size_t i, const char *idname, uint32_t id, int32_t key, uint32_t mode,
			  uint32_t uid, uint32_t gid, uint32_t cuid, uint32_t cgid)
{
	printf("%s{\"%s\":%u,\"key\":%d,\"mode\":%u,\"uid\":%u,\"gid\":%u,\"cuid\":%u,"
	       "\"cgid\":%u",
	       i ? "," : "", idname, id, key, mode, uid, gid, cuid, cgid);
}
#define JSON_IPC_HEAD(i, idname, id, e) \
	json_ipc_head(i, idname, id, (e)->key, (e)->mode, (e)->uid, (e)->gid, (e)->cuid, (e)->cgid)

static uint64_t vma_pages(const PagemapEntry *pm, const VmaEntry *v)
{
	uint64_t n = 0;

	for (size_t i = 0; i < pm->n_runs; i++)
		if (pm->runs[i]->vaddr >= v->start && pm->runs[i]->vaddr < v->end &&
		    pm->runs[i]->where == PAGE_WHERE__PAGES_HERE)
			n += pm->runs[i]->nr_pages;
	return n;
}

static const FileEntry *fd_file(const struct show *s, const FdEntry *f)
{
	return f->file_id < s->files->n_files ? s->files->files[f->file_id] : NULL;
}

/* ---- text ---- */

/*
 * A string from the images, for the text output: process names, paths and
 * versions are the dumped processes' (or the image writer's) to choose, and
 * reach the terminal of whoever runs show with control characters and
 * non-ASCII bytes as \xNN. A few strings per line are alive at once.
 */
static const char *txt(const char *s)
{
	static char *ring[8];
	static size_t next;
	char **slot = &ring[next++ % ARRAY_SIZE(ring)];

	free(*slot);
	*slot = str_escape(s ? s : "");
	return *slot;
}

static void show_creds_text(const char *who, const CredsEntry *c)
{
	static const char *const modes[] = { "none", "strict", "filter" };

	printf("  %screds: uid %u/%u/%u/%u gid %u/%u/%u/%u groups [", who, c->uid, c->euid, c->suid,
	       c->fsuid, c->gid, c->egid, c->sgid, c->fsgid);
	for (size_t i = 0; i < c->n_groups; i++)
		printf("%s%u", i ? " " : "", c->groups[i]);
	printf("]\n    caps inh %#llx prm %#llx eff %#llx bnd %#llx amb %#llx secbits %#x nnp %s seccomp %s",
	       (unsigned long long)c->cap_inh, (unsigned long long)c->cap_prm,
	       (unsigned long long)c->cap_eff, (unsigned long long)c->cap_bnd,
	       (unsigned long long)c->cap_amb, c->secbits, c->no_new_privs ? "yes" : "no",
	       c->seccomp_mode < ARRAY_SIZE(modes) ? modes[c->seccomp_mode] : "?");
	if (c->n_seccomp_chain)
		printf(" (%zu filters)", c->n_seccomp_chain);
	printf("\n");
}

static void show_task_creds_text(const TaskCoreEntry *c)
{
	show_creds_text("", c->creds);
	if (c->has_loginuid)
		printf("  loginuid %u\n", c->loginuid);
	for (size_t i = 1; i < c->n_threads; i++)
		if (c->threads[i]->creds) {
			char who[32];

			snprintf(who, sizeof(who), "thread %u ", c->threads[i]->tid);
			show_creds_text(who, c->threads[i]->creds);
		}
}

/* A unix socket's queue: how many messages, and those that carry
 * descriptors (the files they are) or their sender's credentials. */
static void show_unix_queue(const UnixSkEntry *u)
{
	printf(" queue of %zu messages", u->n_queue);
	for (size_t k = 0; k < u->n_queue; k++) {
		const UnixSkPacket *q = u->queue[k];

		if (!q->n_fds && !q->has_uid)
			continue;
		printf(" [%zu:", k);
		for (size_t j = 0; j < q->n_fds; j++)
			printf("%s%u", j ? "," : " files ", q->fds[j]);
		if (q->has_pid)
			printf(" from pid %u", q->pid);
		if (q->has_uid)
			printf(" uid %u gid %u", q->uid, q->gid);
		putchar(']');
	}
}

static void show_proc_text(const struct show *s, const struct show_proc *p)
{
	const ProcessEntry *pe = p->pe;
	const TaskCoreEntry *c = p->core;

	if (pe->zombie) {
		printf("process %u (zombie, wait status %#x): ppid %u pgid %u sid %u\n", pe->pid,
		       pe->exit_status, pe->ppid, pe->pgid, pe->sid);
		return;
	}
	if (c)
		printf("process %u '%s': ppid %u pgid %u sid %u uid %u cwd '%s'%s\n", pe->pid,
		       txt(c->comm), pe->ppid, pe->pgid, pe->sid, c->creds ? c->creds->uid : 0,
		       txt(c->cwd), pe->stop_signal ? " (stopped)" : "");
	else
		printf("process %u: ppid %u pgid %u sid %u (memory only)\n", pe->pid, pe->ppid,
		       pe->pgid, pe->sid);
	printf("  exe '%s'\n", txt(p->mm->exe_path));
	if (c)
		show_task_creds_text(c);
	for (size_t i = 0; c && i < c->n_threads; i++)
		printf("  thread %u: rip %#llx rsp %#llx blocked %#llx policy %#x nice %d\n",
		       c->threads[i]->tid, (unsigned long long)c->threads[i]->regs->rip,
		       (unsigned long long)c->threads[i]->regs->rsp,
		       (unsigned long long)c->threads[i]->blocked, c->threads[i]->sched_policy,
		       c->threads[i]->nice);
	for (size_t i = 0; c && i < c->n_posix_timers; i++) {
		const PosixTimerEntry *t = c->posix_timers[i];

		printf("  POSIX timer %u: clock %d notify %#x signal %u, %llu ns left, every %llu ns\n",
		       t->id, t->clock, t->notify, t->signo, (unsigned long long)t->value_ns,
		       (unsigned long long)t->interval_ns);
	}
	for (size_t i = 0; c && i < c->n_mq_notify; i++) {
		const MqNotifyEntry *n = c->mq_notify[i];

		if (n->notify == SIGEV_NONE)
			printf("  message queue notification on fd %u: none\n", n->fd);
		else
			printf("  message queue notification on fd %u: signal %u value %#llx\n",
			       n->fd, n->signo, (unsigned long long)n->sigval);
	}
	for (size_t i = 0; c && i < c->n_sem_undo; i++)
		printf("  SEM_UNDO adjustment %d on semaphore %u of System V set %u\n",
		       c->sem_undo[i]->adj, c->sem_undo[i]->num, c->sem_undo[i]->semid);
	printf("  memory: %zu VMAs, %llu pages stored (%.1f MiB", p->mm->n_vmas,
	       (unsigned long long)p->pagemap->nr_pages, p->pagemap->nr_pages * 4096.0 / (1 << 20));
	if (p->codec)
		printf(", %s to %.1f MiB", img_codec_name(p->codec), p->pages_bytes / 1048576.0);
	printf("), %llu pages in the parent", (unsigned long long)p->parent_pages);
	if (p->parent_proc_pages)
		printf(", %llu pages from the parent process",
		       (unsigned long long)p->parent_proc_pages);
	putchar('\n');
	for (size_t i = 0; i < p->mm->n_vmas; i++) {
		const VmaEntry *v = p->mm->vmas[i];
		uint64_t guards = 0;
		char prot[4];

		for (size_t k = 0; k + 1 < v->n_guards; k += 2)
			guards += (v->guards[k + 1] - v->guards[k]) / 4096;
		prot_str(v->prot, prot);
		printf("    %012llx-%012llx %s %-12s %8llu pages stored %s",
		       (unsigned long long)v->start, (unsigned long long)v->end, prot,
		       vma_kind_name(v->kind), (unsigned long long)vma_pages(p->pagemap, v),
		       txt(v->path));
		if (guards)
			printf(" (%llu guard pages)", (unsigned long long)guards);
		putchar('\n');
	}
	if (!p->fdinfo)
		return;
	printf("  files: %zu fds\n", p->fdinfo->n_fds);
	for (size_t i = 0; i < p->fdinfo->n_fds; i++) {
		const FdEntry *f = p->fdinfo->fds[i];
		const FileEntry *e = fd_file(s, f);

		printf("    %3u %-9s flags %#o offset %llu%s '%s' (file %u)", f->fd,
		       fd_kind_name(e->kind), e->flags, (unsigned long long)e->offset,
		       f->cloexec ? " cloexec" : "", txt(e->path), f->file_id);
		if (e->fown)
			printf(" sigio owner %u (type %u) signal %u", e->fown->pid, e->fown->type,
			       e->fown->signum);
		if (e->has_pidfd_pid)
			printf(" of %s %u", e->flags & O_EXCL ? "thread" : "process", e->pidfd_pid);
		if (e->io_uring)
			printf(" ring %u/%u sq %u-%u cq %u-%u, %zu files, %zu buffers, %zu mappings",
			       e->io_uring->sq_entries, e->io_uring->cq_entries,
			       e->io_uring->sq_head, e->io_uring->sq_tail, e->io_uring->cq_head,
			       e->io_uring->cq_tail, e->io_uring->n_files, e->io_uring->n_bufs,
			       e->io_uring->n_maps);
		if (e->kind == FD_KIND__FD_OUTSIDE)
			printf(" to the outside");
		if (e->proc && !e->proc->in_tree)
			printf(" of process %u outside the tree", e->proc->pid);
		if (e->attrs)
			printf(" inode flags %#x, %zu attributes", e->attrs->iflags,
			       e->attrs->n_xattrs);
		if (e->mqueue && e->mqueue->has_msgs)
			printf(" queue of %llu x %llu bytes, %zu messages",
			       (unsigned long long)e->mqueue->maxmsg,
			       (unsigned long long)e->mqueue->msgsize, e->mqueue->n_msgs);
		if (e->net_sk) {
			char what[200];

			net_sk_describe(e->net_sk, what, sizeof(what));
			printf(" %s", what);
		}
		if (e->unix_sk && e->unix_sk->n_queue)
			show_unix_queue(e->unix_sk);
		putchar('\n');
	}
}

static void show_tables_text(const struct show *s)
{
	printf("open files: %zu, pipes: %zu, shared memory objects: %zu\n", s->files->n_files,
	       s->files->n_pipes, s->shmem->n_objects);
	for (size_t i = 0; i < s->files->n_pipes; i++)
		printf("  pipe:[%llu] size %u, %zu bytes in it\n",
		       (unsigned long long)s->files->pipes[i]->ino, s->files->pipes[i]->size,
		       s->files->pipes[i]->data.len);
	for (size_t i = 0; i < s->files->n_files; i++) {
		const FileEntry *e = s->files->files[i];
		char id[64];

		if (e->kind != FD_KIND__FD_OUTSIDE)
			continue;
		outside_id(e, id, sizeof(id));
		printf("  outside end %s: %s end of process %u's fd %u (restore: %s)\n", id,
		       S_ISSOCK(e->mode)		    ? "socket"
		       : (e->flags & O_ACCMODE) == O_WRONLY ? "write"
							    : "read",
		       e->outside_pid, e->outside_fd,
		       e->outside_fd <= 2 ? "the restoring command's own fd, or --inherit-fd"
					  : "needs --inherit-fd fd[N]:ID");
	}
	for (size_t i = 0; i < s->shmem->n_objects; i++) {
		const ShmemObjectEntry *o = s->shmem->objects[i];
		_cleanup_free_ char *path = o->deleted_path ? str_escape(o->deleted_path) : NULL;

		printf("  shared memory %u: %llu bytes, %llu pages stored", o->id,
		       (unsigned long long)o->data->size, (unsigned long long)o->data->nr_pages);
		if (path)
			printf(", deleted file '%s' mode %o uid %u gid %u", path, o->mode, o->uid,
			       o->gid);
		printf("\n");
	}
	if (s->ipc)
		ipc_show(s->ipc);
	ns_show(s->dirfd);
	if (s->cg)
		cgroup_show(s->cg);
}

static void show_text(const struct show *s)
{
	printf("ckpt images: format %u, ckpt %s, kernel %s\n", s->inv->format_version,
	       txt(s->inv->ckpt_version), txt(s->inv->kernel));
	machine_show(s->inv);
	if (s->inv->predump)
		printf("pre-dump: memory only, for a dump --parent on it to restore from\n");
	if (s->inv->parent_path)
		printf("incremental: the pages not stored here are in '%s'\n",
		       txt(s->inv->parent_path));
	printf("tree of %zu processes, root %u\n", s->nr, s->inv->root_pid);
	for (size_t i = 0; i < s->nr; i++)
		show_proc_text(s, &s->procs[i]);
	if (s->files)
		show_tables_text(s);
	printf("image files:\n");
	for (size_t i = 0; i < s->inv->n_files; i++)
		printf("  %-24s %llu bytes\n", txt(s->inv->files[i]->name),
		       (unsigned long long)s->inv->files[i]->size);
}

/* ---- JSON ---- */

static void show_creds_json(const CredsEntry *c)
{
	printf("{\"uid\":[%u,%u,%u,%u],\"gid\":[%u,%u,%u,%u],\"groups\":[", c->uid, c->euid,
	       c->suid, c->fsuid, c->gid, c->egid, c->sgid, c->fsgid);
	for (size_t i = 0; i < c->n_groups; i++)
		printf("%s%u", i ? "," : "", c->groups[i]);
	printf("],\"cap_inh\":%llu,\"cap_prm\":%llu,\"cap_eff\":%llu,\"cap_bnd\":%llu,"
	       "\"cap_amb\":%llu,\"secbits\":%u,\"no_new_privs\":%s,\"seccomp_mode\":%u,"
	       "\"seccomp_filters\":%zu}",
	       (unsigned long long)c->cap_inh, (unsigned long long)c->cap_prm,
	       (unsigned long long)c->cap_eff, (unsigned long long)c->cap_bnd,
	       (unsigned long long)c->cap_amb, c->secbits, c->no_new_privs ? "true" : "false",
	       c->seccomp_mode, c->n_seccomp_chain);
}

static void show_proc_json(const struct show *s, const struct show_proc *p)
{
	const ProcessEntry *pe = p->pe;
	const TaskCoreEntry *c = p->core;

	printf("{\"pid\":%u,\"ppid\":%u,\"pgid\":%u,\"sid\":%u,\"zombie\":%s", pe->pid, pe->ppid,
	       pe->pgid, pe->sid, pe->zombie ? "true" : "false");
	if (pe->zombie) {
		printf(",\"exit_status\":%u}", pe->exit_status);
		return;
	}
	printf(",\"stopped\":%s", pe->stop_signal ? "true" : "false");
	if (c) {
		printf(",\"comm\":");
		json_str(c->comm);
		printf(",\"cwd\":");
		json_str(c->cwd);
		printf(",\"creds\":");
		show_creds_json(c->creds);
		if (c->has_loginuid)
			printf(",\"loginuid\":%u", c->loginuid);
	}
	printf(",\"exe\":");
	json_str(p->mm->exe_path);
	printf(",\"threads\":[");
	for (size_t i = 0; c && i < c->n_threads; i++) {
		printf("%s{\"tid\":%u,\"rip\":%llu", i ? "," : "", c->threads[i]->tid,
		       (unsigned long long)c->threads[i]->regs->rip);
		if (c->threads[i]->creds) {
			printf(",\"creds\":");
			show_creds_json(c->threads[i]->creds);
		}
		putchar('}');
	}
	printf("],\"pages_stored\":%llu,\"pages_in_parent\":%llu,\"compression\":\"%s\","
	       "\"pages_image_bytes\":%llu,\"vmas\":[",
	       (unsigned long long)p->pagemap->nr_pages, (unsigned long long)p->parent_pages,
	       img_codec_name(p->codec), (unsigned long long)p->pages_bytes);
	for (size_t i = 0; i < p->mm->n_vmas; i++) {
		const VmaEntry *v = p->mm->vmas[i];
		char prot[4];

		prot_str(v->prot, prot);
		printf("%s{\"start\":%llu,\"end\":%llu,\"prot\":\"%s\",\"kind\":\"%s\",\"pages_stored\":%llu,\"path\":",
		       i ? "," : "", (unsigned long long)v->start, (unsigned long long)v->end, prot,
		       vma_kind_name(v->kind), (unsigned long long)vma_pages(p->pagemap, v));
		json_str(v->path);
		putchar('}');
	}
	printf("],\"fds\":[");
	for (size_t i = 0; p->fdinfo && i < p->fdinfo->n_fds; i++) {
		const FdEntry *f = p->fdinfo->fds[i];

		printf("%s{\"fd\":%u,\"file\":%u,\"cloexec\":%s}", i ? "," : "", f->fd, f->file_id,
		       f->cloexec ? "true" : "false");
	}
	printf("]}");
}

/* The tables of a full dump: open files, pipes, shared memory. */
static void show_tables_json(const struct show *s)
{
	printf(",\"open_files\":[");
	for (size_t i = 0; i < s->files->n_files; i++) {
		const FileEntry *e = s->files->files[i];

		printf("%s{\"id\":%u,\"kind\":\"%s\",\"flags\":%u,\"offset\":%llu,\"path\":",
		       i ? "," : "", e->id, fd_kind_name(e->kind), e->flags,
		       (unsigned long long)e->offset);
		json_str(e->path);
		if (e->fown)
			printf(",\"sigio\":{\"type\":%u,\"owner\":%u,\"signal\":%u}", e->fown->type,
			       e->fown->pid, e->fown->signum);
		if (e->has_pidfd_pid)
			printf(",\"pidfd_pid\":%u", e->pidfd_pid);
		if (e->proc)
			printf(",\"proc\":{\"pid\":%u,\"in_tree\":%s}", e->proc->pid,
			       e->proc->in_tree ? "true" : "false");
		if (e->attrs) {
			printf(",\"attrs\":{\"iflags\":%u,\"xattrs\":[", e->attrs->iflags);
			for (size_t k = 0; k < e->attrs->n_xattrs; k++) {
				printf("%s", k ? "," : "");
				json_str(e->attrs->xattrs[k]->name);
			}
			printf("]}");
		}
		if (e->kind == FD_KIND__FD_OUTSIDE) {
			char id[64];

			outside_id(e, id, sizeof(id));
			printf(",\"outside\":{\"id\":\"%s\",\"pid\":%u,\"fd\":%u}", id,
			       e->outside_pid, e->outside_fd);
		}
		putchar('}');
	}
	printf("],\"pipes\":[");
	for (size_t i = 0; i < s->files->n_pipes; i++)
		printf("%s{\"ino\":%llu,\"size\":%u,\"bytes\":%zu}", i ? "," : "",
		       (unsigned long long)s->files->pipes[i]->ino, s->files->pipes[i]->size,
		       s->files->pipes[i]->data.len);
	printf("],\"shared_memory\":[");
	for (size_t i = 0; i < s->shmem->n_objects; i++) {
		const ShmemObjectEntry *o = s->shmem->objects[i];

		printf("%s{\"id\":%u,\"size\":%llu,\"pages_stored\":%llu", i ? "," : "", o->id,
		       (unsigned long long)o->data->size, (unsigned long long)o->data->nr_pages);
		if (o->deleted_path) {
			printf(",\"deleted_path\":");
			json_str(o->deleted_path);
			printf(",\"mode\":%u,\"uid\":%u,\"gid\":%u", o->mode, o->uid, o->gid);
		}
		printf("}");
	}
	printf("],\"sysv_shm\":[");
	for (size_t i = 0; s->ipc && i < s->ipc->n_shm; i++) {
		const SysvShmEntry *e = s->ipc->shm[i];

		JSON_IPC_HEAD(i, "shmid", e->shmid, e);
		printf(",\"size\":%llu,\"pages_stored\":%llu}", (unsigned long long)e->data->size,
		       (unsigned long long)e->data->nr_pages);
	}
	printf("],\"sysv_sem\":[");
	for (size_t i = 0; s->ipc && i < s->ipc->n_sem; i++) {
		const SysvSemEntry *e = s->ipc->sem[i];

		JSON_IPC_HEAD(i, "semid", e->semid, e);
		printf(",\"values\":[");
		for (size_t k = 0; k < e->n_values; k++)
			printf("%s%u", k ? "," : "", e->values[k]);
		printf("]}");
	}
	printf("],\"sysv_msq\":[");
	for (size_t i = 0; s->ipc && i < s->ipc->n_msq; i++) {
		const SysvMsqEntry *e = s->ipc->msq[i];

		JSON_IPC_HEAD(i, "msqid", e->msqid, e);
		printf(",\"qbytes\":%llu,\"messages\":%zu}", (unsigned long long)e->qbytes,
		       e->n_msgs);
	}
	printf("]");
}

/* The image as it is: an index out of range is shown as null. */
static void show_cgroups_json(const CgroupEntry *e)
{
	printf(",\"cgroups\":{\"hierarchies\":[");
	for (size_t h = 0; h < e->n_hiers; h++) {
		printf("%s", h ? "," : "");
		json_str(e->hiers[h]->v2 ? "cgroup2" : e->hiers[h]->controllers);
	}
	printf("],\"tasks\":[");
	for (size_t i = 0; i < e->n_members; i++) {
		const CgroupMemberEntry *me = e->members[i];

		printf("%s{\"tid\":%d,\"pid\":%d,\"cgroups\":[", i ? "," : "", me->tid, me->pid);
		for (size_t h = 0; h < me->n_dirs; h++) {
			printf("%s", h ? "," : "");
			if (me->dirs[h] < e->n_dirs)
				json_str(e->dirs[me->dirs[h]]->path);
			else
				printf("null");
		}
		printf("]}");
	}
	printf("],\"owned\":[");
	for (size_t i = 0, n = 0; i < e->n_dirs; i++) {
		const CgroupDirEntry *d = e->dirs[i];

		if (!d->owned)
			continue;
		printf("%s{\"hierarchy\":", n++ ? "," : "");
		if (d->hier < e->n_hiers)
			json_str(e->hiers[d->hier]->v2 ? "cgroup2"
						       : e->hiers[d->hier]->controllers);
		else
			printf("null");
		printf(",\"path\":");
		json_str(d->path);
		printf(",\"settings\":{");
		for (size_t k = 0; k < d->n_settings; k++) {
			printf("%s", k ? "," : "");
			json_str(d->settings[k]->name);
			putchar(':');
			json_str(d->settings[k]->value);
		}
		printf("}}");
	}
	printf("]}");
}

static void show_json(const struct show *s)
{
	printf("{\"format\":%u,\"ckpt_version\":", s->inv->format_version);
	json_str(s->inv->ckpt_version);
	printf(",\"kernel\":");
	json_str(s->inv->kernel);
	machine_show_json(s->inv, json_str);
	printf(",\"predump\":%s,\"parent\":", s->inv->predump ? "true" : "false");
	if (s->inv->parent_path)
		json_str(s->inv->parent_path);
	else
		printf("null");
	printf(",\"root\":%u,\"processes\":[", s->inv->root_pid);
	for (size_t i = 0; i < s->nr; i++) {
		printf("%s", i ? "," : "");
		show_proc_json(s, &s->procs[i]);
	}
	printf("]");
	if (s->files)
		show_tables_json(s);
	ns_show_json(s->dirfd);
	if (s->cg)
		show_cgroups_json(s->cg);
	printf(",\"image_files\":[");
	for (size_t i = 0; i < s->inv->n_files; i++) {
		printf("%s{\"name\":", i ? "," : "");
		json_str(s->inv->files[i]->name);
		printf(",\"size\":%llu}", (unsigned long long)s->inv->files[i]->size);
	}
	printf("]}\n");
}

/* ---- loading ---- */

static int load(struct show *s, enum img_kind kind, int pid, const ProtobufCMessageDescriptor *desc,
		ProtobufCMessage **ret)
{
	int r = img_read_msg(s->dirfd, kind, pid, desc, ret);

	if (r < 0) {
		_cleanup_free_ char *name = img_name(kind, pid);

		pr_err("cannot read '%s/%s': %s", s->dir, name, img_strerror(r));
	}
	return r;
}

/* How pages-PID.img is stored, from its header; the pages in the parent,
 * from the page map. */
static int load_pages_header(struct show *s, struct show_proc *p)
{
	_cleanup_free_ char *name = img_name(IMG_PAGES, (int)p->pe->pid);
	struct img img;
	int r = img_open_file(&img, s->dirfd, name, IMG_PAGES);

	if (r < 0)
		pr_err("cannot read '%s/%s': %s", s->dir, name, img_strerror(r));
	p->codec = img.codec;
	p->pages_bytes = img.payload_len;
	img_close(&img);
	for (size_t i = 0; i < p->pagemap->n_runs; i++)
		if (p->pagemap->runs[i]->where == PAGE_WHERE__PAGES_IN_PARENT)
			p->parent_pages += p->pagemap->runs[i]->nr_pages;
		else if (p->pagemap->runs[i]->where == PAGE_WHERE__PAGES_FROM_PARENT_PROC)
			p->parent_proc_pages += p->pagemap->runs[i]->nr_pages;
	return r;
}

static int load_proc(struct show *s, struct show_proc *p)
{
	int pid = (int)p->pe->pid, r;

	if (p->pe->zombie)
		return 0;
	r = load(s, IMG_MM, pid, &mm_entry__descriptor, (ProtobufCMessage **)&p->mm);
	if (r >= 0)
		r = load(s, IMG_PAGEMAP, pid, &pagemap_entry__descriptor,
			 (ProtobufCMessage **)&p->pagemap);
	if (r >= 0)
		r = load_pages_header(s, p);
	if (r < 0 || s->inv->predump)
		return r; /* a pre-dump holds memory only */
	r = load(s, IMG_CORE, pid, &task_core_entry__descriptor, (ProtobufCMessage **)&p->core);
	if (r >= 0)
		r = load(s, IMG_FDINFO, pid, &fdinfo_entry__descriptor,
			 (ProtobufCMessage **)&p->fdinfo);
	if (r >= 0 && p->core->n_threads < 1)
		r = pr_fail(-EBADMSG, "cannot show '%s': the core image of %d has no thread",
			    s->dir, pid);
	for (size_t i = 0; r >= 0 && i < p->fdinfo->n_fds; i++)
		if (!fd_file(s, p->fdinfo->fds[i]))
			r = pr_fail(-EBADMSG, "cannot show '%s': fd %u of %d has no file", s->dir,
				    p->fdinfo->fds[i]->fd, pid);
	return r;
}

static int load_all(struct show *s)
{
	int r;

	r = load(s, IMG_PSTREE, 0, &pstree_entry__descriptor, (ProtobufCMessage **)&s->pstree);
	if (r >= 0 && !s->inv->predump)
		r = load(s, IMG_FILES, 0, &files_entry__descriptor, (ProtobufCMessage **)&s->files);
	if (r >= 0 && !s->inv->predump)
		r = load(s, IMG_SHMEM, 0, &shmem_entry__descriptor, (ProtobufCMessage **)&s->shmem);
	if (r >= 0 && !s->inv->predump &&
	    faccessat(s->dirfd, img_kinds[IMG_IPC].name_fmt, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		r = load(s, IMG_IPC, 0, &ipc_entry__descriptor, (ProtobufCMessage **)&s->ipc);
	if (r >= 0 && !s->inv->predump &&
	    faccessat(s->dirfd, img_kinds[IMG_CGROUP].name_fmt, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		r = load(s, IMG_CGROUP, 0, &cgroup_entry__descriptor, (ProtobufCMessage **)&s->cg);
	if (r < 0)
		return r;
	s->nr = s->pstree->n_procs;
	s->procs = xzalloc((s->nr + 1) * sizeof(*s->procs));
	for (size_t i = 0; i < s->nr && r >= 0; i++) {
		s->procs[i].pe = s->pstree->procs[i];
		r = load_proc(s, &s->procs[i]);
	}
	return r;
}

static void free_msg(void *msg)
{
	if (msg)
		protobuf_c_message_free_unpacked(msg, NULL);
}

static void show_release(struct show *s)
{
	for (size_t i = 0; i < s->nr; i++) {
		free_msg(s->procs[i].core);
		free_msg(s->procs[i].mm);
		free_msg(s->procs[i].fdinfo);
		free_msg(s->procs[i].pagemap);
	}
	free(s->procs);
	free_msg(s->pstree);
	free_msg(s->files);
	free_msg(s->shmem);
	free_msg(s->ipc);
	free_msg(s->cg);
	free_msg(s->inv);
	if (s->dirfd >= 0)
		close(s->dirfd);
}

int cmd_show(const struct options *o)
{
	struct show s = { .dirfd = -1, .dir = o->images };
	int r;

	r = imgdir_open(o->images, &s.dirfd, &s.inv);
	if (r < 0)
		return r;
	r = load_all(&s);
	if (r >= 0)
		o->json ? show_json(&s) : show_text(&s);
	show_release(&s);
	return r;
}
