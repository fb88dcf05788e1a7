// SPDX-License-Identifier: GPL-2.0
/* Chains of image sets for incremental dumps (see incremental.h). */
#include "incremental.h"

#include "image.h"
#include "inventory.pb-c.h"
#include "imgdir.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* Siblings looked at for a parent moved elsewhere, at most. */
#define SIBLINGS_MAX 4096

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

/* Is @path (quietly) an image set with id @id that holds its pages? A
 * --meta set has the id of the set streamed from it but no pages. */
static bool is_set(const char *path, const char *id, bool meta_ok)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	InventoryEntry *inv = NULL;
	bool ok;

	if (fd < 0 || img_read_msg(fd, IMG_INVENTORY, 0, &inventory_entry__descriptor,
				   (ProtobufCMessage **)&inv) < 0)
		return false;
	ok = inv->id && !strcmp(inv->id, id) && (meta_ok || !inv->pages_elsewhere);
	protobuf_c_message_free_unpacked(&inv->base, NULL);
	return ok;
}

/* A sibling of @dir (in @parent) that is the image set @id, or NULL. */
static char *sibling_with_id(const char *parent, const char *id, bool meta_ok)
{
	DIR *d = opendir(parent);
	struct dirent *de;
	char *found = NULL;
	int n = 0;

	if (!d)
		return NULL;
	while (!found && (de = readdir(d)) && n++ < SIBLINGS_MAX) {
		_cleanup_free_ char *path = NULL;

		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		path = xasprintf("%s/%s", parent, de->d_name);
		if (is_set(path, id, meta_ok))
			found = xstrdup(path);
	}
	closedir(d);
	return found;
}

/*
 * The parent of the image set in @dir: at its recorded path, or, when the
 * chain was moved, copied or received elsewhere (ckpt receive), a sibling
 * of @dir with the same name, or any sibling with the parent's id.
 */
static int open_parent_of(const char *dir, const InventoryEntry *inv, bool meta_ok, char **ret_path,
			  int *ret_dirfd, InventoryEntry **ret_inv)
{
	_cleanup_free_ char *copy = xstrdup(dir), *name = xstrdup(inv->parent_path);
	const char *parent = dirname(copy);
	_cleanup_free_ char *sibling = xasprintf("%s/%s", parent, basename(name));
	_cleanup_free_ char *by_id = NULL;
	const char *path = inv->parent_path;
	int r;

	if (inv->parent_id && !is_set(path, inv->parent_id, meta_ok)) {
		path = sibling;
		if (!is_set(path, inv->parent_id, meta_ok)) {
			by_id = sibling_with_id(parent, inv->parent_id, meta_ok);
			path = by_id				     ? by_id
			       : access(inv->parent_path, F_OK) == 0 ? inv->parent_path
								     : sibling;
		}
	}
	r = imgdir_open(path, ret_dirfd, ret_inv);
	if (r < 0)
		return r;
	if (!(*ret_inv)->id || !inv->parent_id || strcmp((*ret_inv)->id, inv->parent_id) ||
	    ((*ret_inv)->pages_elsewhere && !meta_ok)) {
		bool meta = (*ret_inv)->pages_elsewhere;

		protobuf_c_message_free_unpacked(&(*ret_inv)->base, NULL);
		close(*ret_dirfd);
		return pr_fail(
			-ESTALE,
			"cannot restore: '%s' is not the parent image set '%s' was dumped on%s",
			path, dir, meta ? " (it is a --meta set, without pages)" : "");
	}
	*ret_path = xstrdup(path);
	return 0;
}

int chain_open(const char *dir, int dirfd, const InventoryEntry *inv, bool meta_ok,
	       int **ret_dirfds, size_t *ret_n)
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
		r = open_parent_of(path, child, meta_ok, &next_path, &next_fd, &next);
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
