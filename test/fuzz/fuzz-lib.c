// SPDX-License-Identifier: GPL-2.0
/* What the fuzzers share (see fuzz.h). */
#include "fuzz.h"

#include "cgroup.h"
#include "files.h"
#include "imgdir.h"
#include "kinds.h"
#include "mm.h"
#include "ns-user.h"
#include "tree.h"
#include "trust.h"
#include "util.h"

#include "cgroup.pb-c.h"
#include "core.pb-c.h"
#include "fdinfo.pb-c.h"
#include "inventory.pb-c.h"
#include "ipc.pb-c.h"
#include "mm.pb-c.h"
#include "mnt.pb-c.h"
#include "netns.pb-c.h"
#include "ns.pb-c.h"
#include "pagemap.pb-c.h"
#include "pstree.pb-c.h"
#include "shmem.pb-c.h"
#include "userns.pb-c.h"

#include <fcntl.h>
#include <string.h>

static const ProtobufCMessageDescriptor *descs[IMG_NR_KINDS] = {
	[IMG_INVENTORY] = &inventory_entry__descriptor,
	[IMG_CORE] = &task_core_entry__descriptor,
	[IMG_MM] = &mm_entry__descriptor,
	[IMG_PAGEMAP] = &pagemap_entry__descriptor,
	[IMG_FDINFO] = &fdinfo_entry__descriptor,
	[IMG_PSTREE] = &pstree_entry__descriptor,
	[IMG_FILES] = &files_entry__descriptor,
	[IMG_SHMEM] = &shmem_entry__descriptor,
	[IMG_IPC] = &ipc_entry__descriptor,
	[IMG_NS] = &ns_tree_entry__descriptor,
	[IMG_NS_UTS] = &uts_ns_entry__descriptor,
	[IMG_NS_IPC] = &ipc_entry__descriptor,
	[IMG_NS_IPC_SYSCTL] = &ipc_ns_sysctls_entry__descriptor,
	[IMG_NS_TIME] = &time_ns_entry__descriptor,
	[IMG_NS_CGROUP] = &cgroup_ns_entry__descriptor,
	[IMG_MNT] = &mnt_ns_entry__descriptor,
	[IMG_NETNS] = &netns_entry__descriptor,
	[IMG_CGROUP] = &cgroup_entry__descriptor,
	[IMG_USERNS] = &userns_entry__descriptor,
};

size_t fuzz_field_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	default:
		return 4;
	}
}

const ProtobufCMessageDescriptor *fuzz_desc(enum img_kind kind)
{
	return kind < IMG_NR_KINDS ? descs[kind] : NULL;
}

/* A pid for the messages: what the validators put in their lines. */
#define FUZZ_PID 1

int fuzz_check(enum img_kind kind, const ProtobufCMessage *msg)
{
	switch (kind) {
	case IMG_CORE: {
		const TaskCoreEntry *core = (const TaskCoreEntry *)msg;

		return core_check(core, (int)core->pid) ?: creds_check(core);
	}
	case IMG_MM:
		return mm_check((const MmEntry *)msg, FUZZ_PID);
	case IMG_PAGEMAP:
		return pagemap_check((const PagemapEntry *)msg, NULL, FUZZ_PID, 1);
	case IMG_FDINFO:
		return fdinfo_check((const FdinfoEntry *)msg, 64, FUZZ_PID);
	case IMG_PSTREE: {
		const PstreeEntry *pe = (const PstreeEntry *)msg;

		return pstree_check(pe, pe->n_procs ? pe->procs[0]->pid : 0, (uint32_t)pe->n_procs);
	}
	case IMG_FILES: {
		/* Checked as root's own set, where the most is believed. */
		static struct trust root_set = { .decided = true, .trusted = true };
		const FilesEntry *fe = (const FilesEntry *)msg;

		return files_check(
			&(struct files_open){ .fe = fe, .tty_fd = -1, .trust = &root_set }, NULL,
			0);
	}
	case IMG_SHMEM:
		return shmem_check((const ShmemEntry *)msg, NULL, 0) < 0 ? -EBADMSG : 0;
	case IMG_IPC: {
		static struct trust root_set = { .decided = true, .trusted = true };

		return ipc_check((const IpcEntry *)msg, NULL, 0, &root_set);
	}
	case IMG_CGROUP:
		return cgroup_check((const CgroupEntry *)msg, NULL);
	case IMG_USERNS:
		return userns_check((const UsernsEntry *)msg);
	default:
		return 0;
	}
}

int fuzz_kind_of(int dirfd, const char *name)
{
	unsigned char h[8];
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 || read_full(fd, h, sizeof(h)) < 0)
		return -1;
	return img_kind_by_magic(h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24);
}

static int write_image(int dirfd, const char *name, enum img_kind kind, const void *payload,
		       size_t len, uint64_t *ret_size)
{
	struct img img;
	_cleanup_close_ int fd = -1;
	int r;

	img_create_mem(&img, kind);
	r = img_write(&img, payload, len);
	if (r >= 0)
		r = img_finish(&img);
	if (r >= 0) {
		/* Replaced, not written through: the old file may be a link. */
		(void)unlinkat(dirfd, name, 0);
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		r = fd < 0 ? -errno : write_full(fd, img.mem, img.mem_len);
		*ret_size = img.mem_len;
	}
	img_close(&img);
	return r;
}

static int inventory_set_size(int dirfd, const char *name, uint64_t size)
{
	InventoryEntry *inv;
	int r = img_read_msg(dirfd, IMG_INVENTORY, 0, &inventory_entry__descriptor,
			     (ProtobufCMessage **)&inv);
	size_t len;
	uint64_t ignored;

	if (r < 0)
		return r;
	for (size_t i = 0; i < inv->n_files; i++)
		if (!strcmp(inv->files[i]->name, name))
			inv->files[i]->size = size;
	len = protobuf_c_message_get_packed_size(&inv->base);
	{
		_cleanup_free_ uint8_t *buf = xmalloc(len);

		protobuf_c_message_pack(&inv->base, buf);
		r = write_image(dirfd, "inventory.img", IMG_INVENTORY, buf, len, &ignored);
	}
	protobuf_c_message_free_unpacked(&inv->base, NULL);
	return r;
}

int fuzz_rewrite(int dirfd, const char *name, enum img_kind kind, const void *payload, size_t len)
{
	uint64_t size;
	int r = write_image(dirfd, name, kind, payload, len, &size);

	if (r >= 0 && kind != IMG_INVENTORY)
		r = inventory_set_size(dirfd, name, size);
	return r;
}
