// SPDX-License-Identifier: GPL-2.0
/*
 * UTS namespaces: the host name and the domain name, in uts-ID.img. The
 * owner sets them right after clone3(CLONE_NEWUTS) made its namespace.
 */
#include "ns.h"

#include "fault.h"
#include "imgdir.h"
#include "restore.h"
#include "util.h"

#include <sched.h>
#include <string.h>
#include <sys/utsname.h>

#define UTS_LEN 64 /* __NEW_UTS_LEN */

static int read_names(void *arg)
{
	return uname(arg) < 0 ? -errno : 0;
}

static int uts_dump(const struct ns_dump *d)
{
	UtsNsEntry e = UTS_NS_ENTRY__INIT;
	struct utsname u;
	int r;

	r = ns_run_in(d->nsfd, NS_UTS, read_names, &u);
	if (r < 0)
		return pr_errno(r,
				"cannot dump: cannot read the host name of the uts namespace of %d",
				d->pid);
	e.hostname = u.nodename;
	e.domainname = u.domainname;
	r = FAULT_OR(dump_write_ns, -ENOSPC,
		     img_write_msg(d->dir->dirfd, IMG_NS_UTS, (int)d->id, &e.base));
	return r < 0 ? pr_errno(r, "cannot write images in '%s'", d->dir->tmp) : 0;
}

static int uts_prepare(struct restore *rs, struct ns_restore *n)
{
	UtsNsEntry *e = NULL;
	int r = img_read_msg(rs->dirfd, IMG_NS_UTS, (int)n->id, &uts_ns_entry__descriptor,
			     (ProtobufCMessage **)&e);

	if (r < 0) {
		_cleanup_free_ char *name = img_name(IMG_NS_UTS, (int)n->id);

		return pr_fail(r, "cannot restore: cannot read image '%s': %s", name,
			       img_strerror(r));
	}
	if (!str_fits(e->hostname, UTS_LEN) || !str_fits(e->domainname, UTS_LEN)) {
		protobuf_c_message_free_unpacked(&e->base, NULL);
		return img_inconsistent(IMG_NS_UTS, (int)n->id, "names longer than %d bytes",
					UTS_LEN);
	}
	n->state = e;
	return 0;
}

static int uts_restore(struct restore *rs, struct ns_restore *n)
{
	const UtsNsEntry *e = n->state;

	if (FAULT_OR(restore_ns_uts, (errno = EPERM, -1),
		     sethostname(e->hostname, strlen(e->hostname))) < 0 ||
	    setdomainname(e->domainname, strlen(e->domainname)) < 0)
		return pr_errno(-errno,
				"cannot restore: cannot set the host name of uts namespace %u",
				n->id);
	return 0;
}

static void uts_release(struct ns_restore *n)
{
	if (n->state)
		protobuf_c_message_free_unpacked(n->state, NULL);
	n->state = NULL;
}

static void uts_show(int dirfd, uint32_t id)
{
	UtsNsEntry *e = NULL;

	if (img_read_msg(dirfd, IMG_NS_UTS, (int)id, &uts_ns_entry__descriptor,
			 (ProtobufCMessage **)&e) < 0) {
		printf("  (uts-%u.img unreadable)\n", id);
		return;
	}
	_cleanup_free_ char *h = str_escape(e->hostname), *dn = str_escape(e->domainname);
	printf("  hostname '%s', domainname '%s'\n", h, dn);
	protobuf_c_message_free_unpacked(&e->base, NULL);
}

const struct ns_ops ns_uts_ops = {
	.name = "uts",
	.clone_flag = CLONE_NEWUTS,
	.dump = uts_dump,
	.prepare = uts_prepare,
	.restore = uts_restore,
	.release = uts_release,
	.show = uts_show,
};
