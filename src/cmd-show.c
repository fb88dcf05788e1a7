// SPDX-License-Identifier: GPL-2.0
/* ckpt show: what an image set holds, as text or JSON. */
#include "commands.h"
#include "imgdir.h"
#include "image.h"
#include "kinds.h"
#include "mm.h"
#include "util.h"

#include <string.h>
#include <sys/mman.h>

struct show {
	InventoryEntry *inv;
	TaskCoreEntry *core;
	MmEntry *mm;
	FdinfoEntry *fdinfo;
	PagemapEntry *pagemap;
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
	};

	return kind < ARRAY_SIZE(names) && names[kind] ? names[kind] : "?";
}

static const char *fd_kind_name(uint32_t kind)
{
	static const char *names[] = {
		[FD_KIND__FD_REG] = "file",
		[FD_KIND__FD_DIR] = "directory",
		[FD_KIND__FD_CHR] = "chardev",
		[FD_KIND__FD_TTY] = "tty",
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

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static uint64_t vma_pages(const PagemapEntry *pm, const VmaEntry *v)
{
	uint64_t n = 0;

	for (size_t i = 0; i < pm->n_runs; i++)
		if (pm->runs[i]->vaddr >= v->start && pm->runs[i]->vaddr < v->end)
			n += pm->runs[i]->nr_pages;
	return n;
}

static void show_text(const struct show *s)
{
	const TaskCoreEntry *c = s->core;

	printf("ckpt images: format %u, ckpt %s, kernel %s\n", s->inv->format_version,
	       s->inv->ckpt_version, s->inv->kernel);
	printf("process %u '%s': ppid %u pgid %u sid %u uid %u cwd '%s'\n", c->pid, c->comm,
	       c->ppid, c->pgid, c->sid, c->creds ? c->creds->uid : 0, c->cwd);
	printf("  exe '%s'\n", s->mm->exe_path);
	for (size_t i = 0; i < c->n_threads; i++)
		printf("  thread %u: rip %#llx rsp %#llx blocked %#llx\n", c->threads[i]->tid,
		       (unsigned long long)c->threads[i]->regs->rip,
		       (unsigned long long)c->threads[i]->regs->rsp,
		       (unsigned long long)c->threads[i]->blocked);
	printf("memory: %zu VMAs, %llu pages stored (%.1f MiB)\n", s->mm->n_vmas,
	       (unsigned long long)s->pagemap->nr_pages, s->pagemap->nr_pages * 4096.0 / (1 << 20));
	for (size_t i = 0; i < s->mm->n_vmas; i++) {
		const VmaEntry *v = s->mm->vmas[i];
		char prot[4];

		prot_str(v->prot, prot);
		printf("  %012llx-%012llx %s %-12s %8llu pages stored %s\n",
		       (unsigned long long)v->start, (unsigned long long)v->end, prot,
		       vma_kind_name(v->kind), (unsigned long long)vma_pages(s->pagemap, v),
		       v->path ? v->path : "");
	}
	printf("files: %zu fds\n", s->fdinfo->n_fds);
	for (size_t i = 0; i < s->fdinfo->n_fds; i++) {
		const FdEntry *f = s->fdinfo->fds[i];

		printf("  %3u %-9s flags %#o offset %llu%s '%s'\n", f->fd, fd_kind_name(f->kind),
		       f->flags, (unsigned long long)f->offset, f->cloexec ? " cloexec" : "",
		       f->path);
	}
	printf("image files:\n");
	for (size_t i = 0; i < s->inv->n_files; i++)
		printf("  %-20s %llu bytes\n", s->inv->files[i]->name,
		       (unsigned long long)s->inv->files[i]->size);
}

static void show_json(const struct show *s)
{
	const TaskCoreEntry *c = s->core;

	printf("{\"format\":%u,\"ckpt_version\":", s->inv->format_version);
	json_str(s->inv->ckpt_version);
	printf(",\"kernel\":");
	json_str(s->inv->kernel);
	printf(",\"process\":{\"pid\":%u,\"ppid\":%u,\"pgid\":%u,\"sid\":%u,\"comm\":", c->pid,
	       c->ppid, c->pgid, c->sid);
	json_str(c->comm);
	printf(",\"cwd\":");
	json_str(c->cwd);
	printf(",\"exe\":");
	json_str(s->mm->exe_path);
	printf(",\"threads\":[");
	for (size_t i = 0; i < c->n_threads; i++)
		printf("%s{\"tid\":%u,\"rip\":%llu}", i ? "," : "", c->threads[i]->tid,
		       (unsigned long long)c->threads[i]->regs->rip);
	printf("]},\"pages_stored\":%llu,\"vmas\":[", (unsigned long long)s->pagemap->nr_pages);
	for (size_t i = 0; i < s->mm->n_vmas; i++) {
		const VmaEntry *v = s->mm->vmas[i];
		char prot[4];

		prot_str(v->prot, prot);
		printf("%s{\"start\":%llu,\"end\":%llu,\"prot\":\"%s\",\"kind\":\"%s\",\"pages_stored\":%llu,\"path\":",
		       i ? "," : "", (unsigned long long)v->start, (unsigned long long)v->end, prot,
		       vma_kind_name(v->kind), (unsigned long long)vma_pages(s->pagemap, v));
		json_str(v->path);
		putchar('}');
	}
	printf("],\"fds\":[");
	for (size_t i = 0; i < s->fdinfo->n_fds; i++) {
		const FdEntry *f = s->fdinfo->fds[i];

		printf("%s{\"fd\":%u,\"kind\":\"%s\",\"flags\":%u,\"offset\":%llu,\"cloexec\":%s,\"path\":",
		       i ? "," : "", f->fd, fd_kind_name(f->kind), f->flags,
		       (unsigned long long)f->offset, f->cloexec ? "true" : "false");
		json_str(f->path);
		putchar('}');
	}
	printf("],\"files\":[");
	for (size_t i = 0; i < s->inv->n_files; i++) {
		printf("%s{\"name\":", i ? "," : "");
		json_str(s->inv->files[i]->name);
		printf(",\"size\":%llu}", (unsigned long long)s->inv->files[i]->size);
	}
	printf("]}\n");
}

static int load(int dirfd, const char *dir, enum img_kind kind, int pid,
		const ProtobufCMessageDescriptor *desc, ProtobufCMessage **ret)
{
	int r = img_read_msg(dirfd, kind, pid, desc, ret);

	if (r < 0) {
		_cleanup_free_ char *name = img_name(kind, pid);

		pr_err("cannot read '%s/%s': %s", dir, name, img_strerror(r));
	}
	return r;
}

int cmd_show(const struct options *o)
{
	struct show s = { 0 };
	int dirfd, pid, r;

	r = imgdir_open(o->images, &dirfd, &s.inv);
	if (r < 0)
		return r;
	pid = (int)s.inv->root_pid;
	r = load(dirfd, o->images, IMG_CORE, pid, &task_core_entry__descriptor,
		 (ProtobufCMessage **)&s.core);
	if (r >= 0)
		r = load(dirfd, o->images, IMG_MM, pid, &mm_entry__descriptor,
			 (ProtobufCMessage **)&s.mm);
	if (r >= 0)
		r = load(dirfd, o->images, IMG_FDINFO, pid, &fdinfo_entry__descriptor,
			 (ProtobufCMessage **)&s.fdinfo);
	if (r >= 0)
		r = load(dirfd, o->images, IMG_PAGEMAP, pid, &pagemap_entry__descriptor,
			 (ProtobufCMessage **)&s.pagemap);
	if (r >= 0 && s.core->n_threads < 1)
		r = pr_fail(-EBADMSG, "cannot show '%s': the core image has no thread", o->images);
	if (r >= 0)
		o->json ? show_json(&s) : show_text(&s);
	close(dirfd);
	if (s.core)
		protobuf_c_message_free_unpacked(&s.core->base, NULL);
	if (s.mm)
		protobuf_c_message_free_unpacked(&s.mm->base, NULL);
	if (s.fdinfo)
		protobuf_c_message_free_unpacked(&s.fdinfo->base, NULL);
	if (s.pagemap)
		protobuf_c_message_free_unpacked(&s.pagemap->base, NULL);
	protobuf_c_message_free_unpacked(&s.inv->base, NULL);
	return r;
}
