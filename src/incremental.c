// SPDX-License-Identifier: GPL-2.0
/* Chains of image sets for incremental dumps (see incremental.h). */
#include "incremental.h"

#include "image.h"
#include "imgdir.h"
#include "util.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

void image_id_new(char id[IMAGE_ID_LEN + 1])
{
	unsigned char raw[IMAGE_ID_LEN / 2];

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw)) {
		/* No entropy: time and pid still tell image sets apart. */
		uint64_t t = now_ns(CLOCK_REALTIME) ^ ((uint64_t)getpid() << 40);

		memset(raw, 0, sizeof(raw));
		memcpy(raw, &t, sizeof(t));
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
}

static int load_msg(int dirfd, const char *dir, enum img_kind kind, int pid,
		    const ProtobufCMessageDescriptor *desc, ProtobufCMessage **ret)
{
	int r = img_read_msg(dirfd, kind, pid, desc, ret);

	if (r < 0) {
		_cleanup_free_ char *name = img_name(kind, pid);

		pr_err("cannot use parent images '%s': '%s': %s", dir, name, img_strerror(r));
	}
	return r;
}

int parent_open(const char *path, int root, struct parent_images *p)
{
	char real[PATH_MAX];
	int r;

	memset(p, 0, sizeof(*p));
	p->dirfd = -1;
	if (!realpath(path, real))
		return pr_errno(-errno, "cannot use parent images '%s'", path);
	p->path = xstrdup(real);
	r = imgdir_open(path, &p->dirfd, &p->inv);
	if (r < 0)
		return r;
	if (!p->inv->id || p->inv->root_pid != (uint32_t)root)
		return pr_fail(-EINVAL, "cannot use parent images '%s': they are not of process %d",
			       path, root);
	r = load_msg(p->dirfd, path, IMG_PSTREE, 0, &pstree_entry__descriptor,
		     (ProtobufCMessage **)&p->pstree);
	if (r < 0)
		return r;
	p->mms = xzalloc((p->pstree->n_procs + 1) * sizeof(*p->mms));
	for (size_t i = 0; i < p->pstree->n_procs && r >= 0; i++)
		if (!p->pstree->procs[i]->zombie)
			r = load_msg(p->dirfd, path, IMG_MM, (int)p->pstree->procs[i]->pid,
				     &mm_entry__descriptor, (ProtobufCMessage **)&p->mms[i]);
	return r;
}

const MmEntry *parent_mm(const struct parent_images *p, int pid)
{
	for (size_t i = 0; p->pstree && i < p->pstree->n_procs; i++)
		if (p->pstree->procs[i]->pid == (uint32_t)pid)
			return p->mms[i];
	return NULL;
}

void parent_close(struct parent_images *p)
{
	for (size_t i = 0; p->pstree && i < p->pstree->n_procs; i++)
		if (p->mms[i])
			protobuf_c_message_free_unpacked(&p->mms[i]->base, NULL);
	free(p->mms);
	if (p->pstree)
		protobuf_c_message_free_unpacked(&p->pstree->base, NULL);
	if (p->inv)
		protobuf_c_message_free_unpacked(&p->inv->base, NULL);
	if (p->dirfd >= 0)
		close(p->dirfd);
	free(p->path);
	memset(p, 0, sizeof(*p));
	p->dirfd = -1;
}

/*
 * The parent of the image set in @dir: at its recorded path, or, when the
 * chain was moved or copied elsewhere, a sibling of @dir with the same name.
 */
static int open_parent_of(const char *dir, const InventoryEntry *inv, char **ret_path,
			  int *ret_dirfd, InventoryEntry **ret_inv)
{
	_cleanup_free_ char *copy = xstrdup(dir), *name = xstrdup(inv->parent_path);
	_cleanup_free_ char *sibling = xasprintf("%s/%s", dirname(copy), basename(name));
	const char *path = access(inv->parent_path, F_OK) == 0 ? inv->parent_path : sibling;
	int r;

	r = imgdir_open(path, ret_dirfd, ret_inv);
	if (r < 0)
		return r;
	if (!(*ret_inv)->id || !inv->parent_id || strcmp((*ret_inv)->id, inv->parent_id)) {
		protobuf_c_message_free_unpacked(&(*ret_inv)->base, NULL);
		close(*ret_dirfd);
		return pr_fail(
			-ESTALE,
			"cannot restore: '%s' is not the parent image set '%s' was dumped on", path,
			dir);
	}
	*ret_path = xstrdup(path);
	return 0;
}

int chain_open(const char *dir, int dirfd, const InventoryEntry *inv, int **ret_dirfds,
	       size_t *ret_n)
{
	int *fds = xmalloc(CHAIN_MAX * sizeof(int));
	char *path = xstrdup(dir);
	InventoryEntry *cur = NULL;
	size_t n = 1;
	int r = 0;

	fds[0] = dirfd;
	while ((cur ? cur : inv)->parent_path && r >= 0) {
		const InventoryEntry *child = cur ? cur : inv;
		InventoryEntry *next = NULL;
		char *next_path = NULL;
		int next_fd = -1;

		if (n == CHAIN_MAX) {
			r = pr_fail(-ELOOP,
				    "cannot restore: the chain of parents of '%s' is too long",
				    dir);
			break;
		}
		r = open_parent_of(path, child, &next_path, &next_fd, &next);
		if (r < 0)
			break;
		if (cur)
			protobuf_c_message_free_unpacked(&cur->base, NULL);
		free(path);
		cur = next;
		path = next_path;
		fds[n++] = next_fd;
	}
	if (cur)
		protobuf_c_message_free_unpacked(&cur->base, NULL);
	free(path);
	if (r < 0) {
		for (size_t i = 1; i < n; i++)
			close(fds[i]);
		free(fds);
		return r;
	}
	*ret_dirfds = fds;
	*ret_n = n;
	return 0;
}
