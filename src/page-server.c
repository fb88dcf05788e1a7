// SPDX-License-Identifier: GPL-2.0
/*
 * Pages from elsewhere: `ckpt serve-pages --images DIR` answers page
 * requests on its stdin/stdout from the image set DIR (and the chain it
 * builds on); `restore --lazy --page-server CMD` runs CMD (typically
 * `ssh SRC ckpt serve-pages --images DIR`) for the pages whose page image
 * is not in the local image set (post-copy migration: the source keeps
 * them). Both sides of one protocol, in order, one request at a time:
 *
 *	request   u32 magic "CKPQ", i32 pid, u64 address, u32 pages, u32 0
 *	response  u32 magic "CKPA", i32 status (0 or -errno), u64 address,
 *	          u32 pages, u32 CRC32C of the pages; then, with status 0,
 *	          the pages
 *
 * The server answers only with pages the image set stores (a request for
 * any other address is -ENOENT), at most PS_MAX_PAGES a request; the
 * client checks every field of the answer and the checksum.
 */
#include "commands.h"
#include "image.h"
#include "imgdir.h"
#include "incremental.h"
#include "lazy.h"
#include "mm.h"
#include "util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PS_REQ_MAGIC 0x51504b43u /* "CKPQ" */
#define PS_ANS_MAGIC 0x41504b43u /* "CKPA" */

struct ps_req {
	uint32_t magic;
	int32_t pid;
	uint64_t addr;
	uint32_t pages, zero;
};

struct ps_ans {
	uint32_t magic;
	int32_t status;
	uint64_t addr;
	uint32_t pages, crc;
};

/* ---- client ---- */

int page_client_start(struct page_client *pc, const char *cmd)
{
	int to[2], from[2];
	pid_t pid;

	if (pipe2(to, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(from, O_CLOEXEC) < 0) {
		int r = -errno;

		close(to[0]);
		close(to[1]);
		return r;
	}
	pid = fork();
	if (pid == 0) {
		if (dup2(to[0], 0) < 0 || dup2(from[1], 1) < 0)
			_exit(127);
		/* Nothing of ours (the tree's files) in the command. */
		(void)syscall(SYS_close_range, 3, ~0U, 0);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	if (pid < 0) {
		int r = -errno;

		close(to[1]);
		close(from[0]);
		return r;
	}
	pc->pid = pid;
	pc->out = to[1];
	pc->in = from[0];
	return 0;
}

void page_client_stop(struct page_client *pc)
{
	if (!pc->pid)
		return;
	close(pc->out);
	close(pc->in);
	/* EOF ends the server; a command that does not end is not waited for. */
	(void)kill(pc->pid, SIGTERM);
	while (waitpid(pc->pid, NULL, 0) < 0 && errno == EINTR)
		;
	pc->pid = 0;
}

int page_client_read(struct page_client *pc, int pid, uint64_t addr, uint32_t pages, void *buf)
{
	struct ps_req q = { PS_REQ_MAGIC, pid, addr, pages, 0 };
	struct ps_ans a;
	int r;

	if (!pages || pages > PS_MAX_PAGES)
		return -EINVAL;
	r = write_full(pc->out, &q, sizeof(q));
	if (r >= 0)
		r = read_full(pc->in, &a, sizeof(a));
	if (r < 0)
		return r == -EIO ? -EPIPE : r;
	if (a.magic != PS_ANS_MAGIC || a.addr != addr || a.pages != pages || a.status > 0 ||
	    a.status < -4095)
		return -EPROTO;
	if (a.status < 0)
		return a.status;
	r = read_full(pc->in, buf, (size_t)pages * PAGE_SIZE);
	if (r < 0)
		return r == -EIO ? -EPIPE : r;
	return crc32c(0, buf, (size_t)pages * PAGE_SIZE) == a.crc ? 0 : -EBADMSG;
}

/* ---- server ---- */

struct served {
	int pid;
	PagemapEntry **pm; /* per level, NULL where the process has none */
	uint64_t **first; /* per level, per run: its first page in the image */
	int *fd; /* per level: the page image, -1 if none */
};

struct server {
	int *chain;
	size_t nr_chain;
	struct served *s;
	size_t n;
};

#define SERVE_MAX_PROCS 4096

static struct served *served_of(struct server *sv, int pid)
{
	struct served *p;

	for (size_t i = 0; i < sv->n; i++)
		if (sv->s[i].pid == pid)
			return &sv->s[i];
	if (pid <= 0 || sv->n == SERVE_MAX_PROCS)
		return NULL;
	sv->s = xrealloc(sv->s, (sv->n + 1) * sizeof(*sv->s));
	p = &sv->s[sv->n++];
	p->pid = pid;
	p->pm = xzalloc(sv->nr_chain * sizeof(*p->pm));
	p->first = xzalloc(sv->nr_chain * sizeof(*p->first));
	p->fd = xmalloc(sv->nr_chain * sizeof(*p->fd));
	for (size_t k = 0; k < sv->nr_chain; k++) {
		_cleanup_free_ char *name = img_name(IMG_PAGES, pid);
		struct img img;
		uint64_t idx = 0;

		p->fd[k] = -1;
		if (img_read_msg(sv->chain[k], IMG_PAGEMAP, pid, &pagemap_entry__descriptor,
				 (ProtobufCMessage **)&p->pm[k]) < 0)
			continue;
		/* Sane runs, or none served from this level. */
		if (pagemap_check(p->pm[k], NULL, pid, k) < 0 ||
		    img_open_file(&img, sv->chain[k], name, IMG_PAGES) < 0) {
			protobuf_c_message_free_unpacked(&p->pm[k]->base, NULL);
			p->pm[k] = NULL;
			continue;
		}
		if (img.codec || img.payload_len != p->pm[k]->nr_pages * PAGE_SIZE) {
			img_close(&img);
			protobuf_c_message_free_unpacked(&p->pm[k]->base, NULL);
			p->pm[k] = NULL;
			continue;
		}
		p->fd[k] = img.fd;
		p->first[k] = xmalloc((p->pm[k]->n_runs + 1) * sizeof(uint64_t));
		for (size_t i = 0; i < p->pm[k]->n_runs; i++) {
			p->first[k][i] = idx;
			if (p->pm[k]->runs[i]->where == PAGE_WHERE__PAGES_HERE)
				idx += p->pm[k]->runs[i]->nr_pages;
		}
	}
	return p;
}

/* The run of @pm holding @addr (runs sorted, checked), or -1. */
static ssize_t run_at(const PagemapEntry *pm, uint64_t addr)
{
	size_t lo = 0, hi = pm->n_runs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const PageRunEntry *e = pm->runs[mid];

		if (e->vaddr + (uint64_t)e->nr_pages * PAGE_SIZE <= addr)
			lo = mid + 1;
		else if (e->vaddr > addr)
			hi = mid;
		else
			return (ssize_t)mid;
	}
	return -1;
}

/* The page at @addr, through the chain, into @buf. */
static int serve_page(struct served *p, size_t nr_chain, uint64_t addr, void *buf)
{
	for (size_t k = 0; k < nr_chain; k++) {
		const PagemapEntry *pm = p->pm[k];
		ssize_t i = pm ? run_at(pm, addr) : -1;
		uint64_t idx;

		if (i < 0)
			return -ENOENT;
		if (pm->runs[i]->where == PAGE_WHERE__PAGES_IN_PARENT)
			continue;
		if (pm->runs[i]->where != PAGE_WHERE__PAGES_HERE)
			return -ENOENT;
		idx = p->first[k][i] + (addr - pm->runs[i]->vaddr) / PAGE_SIZE;
		return pread_full(p->fd[k], buf, PAGE_SIZE,
				  (off_t)(IMG_HEADER_SIZE + idx * PAGE_SIZE));
	}
	return -ENOENT;
}

static int serve_one(struct server *sv, const struct ps_req *q, char *buf)
{
	struct served *p;
	uint64_t end;

	if (q->magic != PS_REQ_MAGIC || q->zero || !q->pages || q->pages > PS_MAX_PAGES ||
	    q->addr % PAGE_SIZE || !pages_end_ok(q->addr, q->pages, &end))
		return -EINVAL;
	p = served_of(sv, q->pid);
	if (!p)
		return -ENOENT;
	for (uint32_t i = 0; i < q->pages; i++) {
		int r = serve_page(p, sv->nr_chain, q->addr + (uint64_t)i * PAGE_SIZE,
				   buf + (size_t)i * PAGE_SIZE);

		if (r < 0)
			return r;
	}
	return 0;
}

int cmd_serve_pages(const struct options *o)
{
	struct server sv = { 0 };
	InventoryEntry *inv;
	_cleanup_free_ char *buf = xmalloc(PS_MAX_PAGES * PAGE_SIZE);
	int dirfd, r;

	if (isatty(1))
		return pr_fail(-ENOTTY, "cannot serve pages: stdout is a terminal");
	r = imgdir_open(o->images, &dirfd, &inv);
	if (r < 0)
		return r;
	r = chain_open(o->images, dirfd, inv, false, &sv.chain, &sv.nr_chain);
	protobuf_c_message_free_unpacked(&inv->base, NULL);
	if (r < 0)
		return r;
	for (;;) {
		struct ps_req q;
		struct ps_ans a = { PS_ANS_MAGIC, 0, 0, 0, 0 };

		r = read_full(0, &q, sizeof(q));
		if (r == -EIO)
			return 0; /* EOF between requests: done */
		if (r < 0)
			return pr_errno(r, "cannot serve pages: cannot read a request");
		a.addr = q.addr;
		a.pages = q.pages;
		a.status = serve_one(&sv, &q, buf);
		if (!a.status)
			a.crc = crc32c(0, buf, (size_t)q.pages * PAGE_SIZE);
		r = write_full(1, &a, sizeof(a));
		if (r >= 0 && !a.status)
			r = write_full(1, buf, (size_t)q.pages * PAGE_SIZE);
		if (r < 0)
			return pr_errno(r, "cannot serve pages: cannot answer");
	}
}
