// SPDX-License-Identifier: GPL-2.0
/*
 * System V message queues of the tree (see sysv-ipc.c for the namespace
 * and the ids). A queue is the tree's when its last sender or receiver
 * (msg_lspid, msg_lrpid) is a process of the tree.
 *
 * Dump: key, mode, owner, creator, qbytes, and every message with its type
 * in order, read with msgrcv(MSG_COPY) by index, which leaves them in the
 * queue (it needs CONFIG_CHECKPOINT_RESTORE: without it the queue is
 * refused).
 *
 * Restore: a queue whose id still holds the same key and creator (on the
 * boot of the dump) is reused and emptied, else it is made again with its
 * id (msg_next_id); its owner, mode and qbytes are set and ckpt sends the
 * messages. The last sender and receiver must be the tree's again (a later
 * dump finds the queue by them): when the last receiver was in the tree,
 * ckpt first sends an empty message of a type no saved message has, which
 * that process receives by a remote call; when the last sender was, that
 * process sends the last message itself. (An empty queue whose last sender
 * only was in the tree has ckpt's pid as last sender after: README.)
 */
#include "sysv-ipc.h"

#include "fault.h"
#include "imgdir.h"
#include "trust.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/syscall.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif
#define MSQ_MSGS_MAX (1u << 20)
#define MSG_TEXT_MAX (1u << 24)

struct msgbuf_hdr {
	long mtype;
	char mtext[];
};

static void msq_free(SysvMsqEntry *e)
{
	for (size_t k = 0; k < e->n_msgs; k++) {
		free(e->msgs[k]->text.data);
		free(e->msgs[k]);
	}
	free(e->msgs);
	free(e);
}

void msq_release(IpcEntry *ie)
{
	for (size_t i = 0; i < ie->n_msq; i++)
		msq_free(ie->msq[i]);
	free(ie->msq);
	ie->msq = NULL;
	ie->n_msq = 0;
}

/* The messages of queue @id, left in it. */
static int msq_read(SysvMsqEntry *e, int id, const struct msqid_ds *ds)
{
	size_t cap = ds->__msg_cbytes + 1;
	_cleanup_free_ struct msgbuf_hdr *buf = xmalloc(sizeof(*buf) + cap);

	e->msgs = xzalloc((ds->msg_qnum + 1) * sizeof(*e->msgs));
	for (msgqnum_t i = 0; i < ds->msg_qnum; i++) {
		ssize_t n = msgrcv(id, buf, cap, (long)i, IPC_NOWAIT | MSG_COPY | MSG_NOERROR);
		SysvMsg *m;

		if (n < 0)
			return -errno;
		m = xmalloc(sizeof(*m));
		sysv_msg__init(m);
		m->mtype = buf->mtype;
		m->text.len = (size_t)n;
		m->text.data = xmalloc((size_t)n + 1);
		memcpy(m->text.data, buf->mtext, (size_t)n);
		e->msgs[e->n_msgs++] = m;
	}
	return 0;
}

int msq_dump(IpcEntry *ie, const int *pids, size_t nr)
{
	struct msginfo mi;
	int max = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);

	for (int idx = 0; idx <= max; idx++) {
		struct msqid_ds ds;
		int id = msgctl(idx, MSG_STAT_ANY, &ds), r;
		bool ls, lr;
		SysvMsqEntry *e;

		if (id < 0)
			continue;
		ls = ds.msg_lspid > 0 && sysv_in_tree(pids, nr, ds.msg_lspid);
		lr = ds.msg_lrpid > 0 && sysv_in_tree(pids, nr, ds.msg_lrpid);
		if (!ls && !lr)
			continue;
		e = xmalloc(sizeof(*e));
		sysv_msq_entry__init(e);
		e->msqid = (uint32_t)id;
		e->key = ds.msg_perm.__key;
		e->mode = ds.msg_perm.mode & 0777;
		e->uid = ds.msg_perm.uid;
		e->gid = ds.msg_perm.gid;
		e->cuid = ds.msg_perm.cuid;
		e->cgid = ds.msg_perm.cgid;
		e->qbytes = ds.msg_qbytes;
		e->lspid = ls ? ds.msg_lspid : 0;
		e->lrpid = lr ? ds.msg_lrpid : 0;
		ie->msq = xrealloc(ie->msq, (ie->n_msq + 1) * sizeof(*ie->msq));
		ie->msq[ie->n_msq++] = e;
		r = msq_read(e, id, &ds);
		if (r == -ENOSYS || r == -EINVAL)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump %d: cannot read System V message queue %d without taking its messages (msgrcv MSG_COPY needs CONFIG_CHECKPOINT_RESTORE)",
				pids[0], id);
		if (r < 0)
			return pr_errno(r, "cannot dump %d: cannot read System V message queue %d",
					pids[0], id);
	}
	return 0;
}

static uint64_t msgmnb(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/msgmnb", "re");
	unsigned long long v = 0;

	return f && fscanf(f, "%llu", &v) == 1 ? v : 0;
}

int msq_check(const IpcEntry *ie, const struct trust *t)
{
	if (ie->n_msq > (1u << 20))
		return img_inconsistent(IMG_IPC, 0, "%zu message queues", ie->n_msq);
	for (size_t i = 0; i < ie->n_msq; i++) {
		const SysvMsqEntry *e = ie->msq[i];
		uint64_t bytes = 0;

		if (e->msqid > INT32_MAX)
			return img_inconsistent(IMG_IPC, 0, "message queue %zu: id %u", i,
						e->msqid);
		for (size_t k = 0; k < i; k++)
			if (ie->msq[k]->msqid == e->msqid)
				return img_inconsistent(IMG_IPC, 0, "message queue %u twice",
							e->msqid);
		if (e->mode & ~0777u || e->qbytes > INT32_MAX || e->lspid < 0 || e->lrpid < 0 ||
		    e->n_msgs > MSQ_MSGS_MAX)
			return img_inconsistent(IMG_IPC, 0, "message queue %u", e->msqid);
		for (size_t k = 0; k < e->n_msgs; k++) {
			if (e->msgs[k]->mtype <= 0 || e->msgs[k]->text.len > MSG_TEXT_MAX)
				return img_inconsistent(IMG_IPC, 0, "message queue %u: message %zu",
							e->msqid, k);
			bytes += e->msgs[k]->text.len;
		}
		if (bytes > e->qbytes)
			return img_inconsistent(IMG_IPC, 0, "message queue %u: %llu bytes",
						e->msqid, (unsigned long long)bytes);
		/* Above msgmnb only with CAP_SYS_RESOURCE, which ckpt has. */
		if (!t->trusted && e->qbytes > msgmnb())
			return pr_fail(
				-EPERM,
				"cannot restore: System V message queue %u holds more than kernel.msgmnb (%llu bytes)",
				e->msqid, (unsigned long long)e->qbytes);
		if (!t->trusted &&
		    (e->uid != t->owner || e->cuid != t->owner || !sysv_trust_has_gid(t, e->gid) ||
		     !sysv_trust_has_gid(t, e->cgid)))
			return pr_fail(
				-EPERM,
				"cannot restore: System V message queue %u is not the image owner's (uid %u, creator %u)",
				e->msqid, e->uid, e->cuid);
	}
	return 0;
}

/* NULL: a spare private queue, to use up msg_next_id. */
static int msq_get(const void *obj)
{
	const SysvMsqEntry *e = obj;
	int id = e ? msgget(e->key, IPC_CREAT | IPC_EXCL | (int)e->mode)
		   : msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	return id < 0 ? -errno : id;
}

static void msq_rm(int id)
{
	(void)msgctl(id, IPC_RMID, NULL);
}

static bool msq_exists(int id)
{
	struct msqid_ds ds;

	return msgctl(id, IPC_STAT, &ds) >= 0;
}

static int msq_by_key(int32_t key)
{
	return msgget(key, 0);
}

static const struct sysv_ops msq_ops = {
	.what = "message queue",
	.next_id = "/proc/sys/kernel/msg_next_id",
	.get = msq_get,
	.rm = msq_rm,
	.exists = msq_exists,
	.by_key = msq_by_key,
};

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* A type no saved message of @e has (the smallest): the marker the last
 * receiver takes. */
static long marker_type(const SysvMsqEntry *e)
{
	_cleanup_free_ long *types = xmalloc((e->n_msgs + 1) * sizeof(*types));
	long t = 1;

	for (size_t k = 0; k < e->n_msgs; k++)
		types[k] = (long)e->msgs[k]->mtype;
	qsort(types, e->n_msgs, sizeof(*types), cmp_long);
	for (size_t k = 0; k < e->n_msgs && types[k] <= t; k++)
		if (types[k] == t)
			t++;
	return t;
}

/* Does the last sender send the last message itself (remote, through the
 * scratch memory of the restorer)? */
static bool sender_sends_last(const SysvMsqEntry *e, size_t scratch_len)
{
	return e->lspid && e->n_msgs &&
	       e->msgs[e->n_msgs - 1]->text.len + sizeof(long) <= scratch_len;
}

static int msg_send(int id, long mtype, const ProtobufCBinaryData *text)
{
	_cleanup_free_ struct msgbuf_hdr *buf = xmalloc(sizeof(*buf) + text->len + 1);

	buf->mtype = mtype;
	if (text->len)
		memcpy(buf->mtext, text->data, text->len);
	return msgsnd(id, buf, text->len, IPC_NOWAIT) < 0 ? -errno : 0;
}

/* Owner, mode, qbytes and messages of queue @e (made or reused, empty). */
static int msq_fill(const SysvMsqEntry *e, size_t scratch_len)
{
	static const ProtobufCBinaryData empty = { 0, NULL };
	struct msqid_ds ds;
	size_t n = e->n_msgs;
	int r = 0;

	if (msgctl((int)e->msqid, IPC_STAT, &ds) < 0)
		return pr_errno(-errno, "cannot restore System V message queue %u", e->msqid);
	ds.msg_perm.uid = e->uid;
	ds.msg_perm.gid = e->gid;
	ds.msg_perm.mode = e->mode;
	ds.msg_qbytes = e->qbytes;
	if (msgctl((int)e->msqid, IPC_SET, &ds) < 0)
		return pr_errno(-errno, "cannot set the owner of System V message queue %u",
				e->msqid);
	if (e->lrpid)
		r = msg_send((int)e->msqid, marker_type(e), &empty);
	if (sender_sends_last(e, scratch_len))
		n--;
	for (size_t k = 0; k < n && r >= 0; k++)
		r = FAULT_OR(restore_sysv_msg_send, -EAGAIN,
			     msg_send((int)e->msqid, e->msgs[k]->mtype, &e->msgs[k]->text));
	if (r < 0)
		return pr_errno(r, "cannot put the messages back in System V message queue %u",
				e->msqid);
	return 0;
}

/* Take every message out of reused queue @id. */
static void msq_drain(int id)
{
	char buf[sizeof(long) + 1];

	while (msgrcv(id, buf, 1, 0, IPC_NOWAIT | MSG_NOERROR) >= 0)
		;
}

int msq_restore(const IpcEntry *ie, const struct trust *t, bool same_boot, size_t scratch_len,
		bool *created)
{
	for (size_t i = 0; i < ie->n_msq; i++) {
		const SysvMsqEntry *e = ie->msq[i];
		struct msqid_ds ds;
		int r;

		if (msgctl((int)e->msqid, IPC_STAT, &ds) >= 0) {
			if (!same_boot || e->key == IPC_PRIVATE || ds.msg_perm.__key != e->key ||
			    ds.msg_perm.cuid != e->cuid || ds.msg_perm.cgid != e->cgid)
				return pr_fail(
					-EEXIST,
					"cannot restore: System V message queue id %u is taken by another one",
					e->msqid);
			if (!t->trusted &&
			    (ds.msg_perm.uid != t->owner || ds.msg_perm.cuid != t->owner))
				return pr_fail(
					-EPERM,
					"cannot restore: System V message queue %u is not the image owner's",
					e->msqid);
			msq_drain((int)e->msqid);
		} else {
			r = sysv_create_with_id(&msq_ops, e, e->msqid, e->key, e->cuid, e->cgid);
			if (r < 0)
				return r;
			created[i] = true;
		}
		r = msq_fill(e, scratch_len);
		if (r < 0)
			return r;
	}
	return 0;
}

void msq_restore_undo(const IpcEntry *ie, const bool *created)
{
	for (size_t i = 0; i < ie->n_msq; i++)
		if (created[i])
			msq_rm((int)ie->msq[i]->msqid);
}

int msq_restore_late(struct infect *inf, const IpcEntry *ie)
{
	for (size_t i = 0; i < ie->n_msq; i++) {
		const SysvMsqEntry *e = ie->msq[i];
		long ret = 0;
		int r = 0;

		if (e->lrpid == inf->pid)
			r = infect_syscall6(inf, SYS_msgrcv, &ret, (long)e->msqid,
					    (long)inf->scratch, 0, marker_type(e), IPC_NOWAIT, 0);
		if (r >= 0 && ret >= 0 && e->lspid == inf->pid &&
		    sender_sends_last(e, inf->scratch_len)) {
			const SysvMsg *m = e->msgs[e->n_msgs - 1];
			long mtype = m->mtype;

			r = remote_write(inf->pid, inf->scratch, &mtype, sizeof(mtype));
			if (r >= 0 && m->text.len)
				r = remote_write(inf->pid, inf->scratch + sizeof(mtype),
						 m->text.data, m->text.len);
			if (r >= 0)
				r = infect_syscall6(inf, SYS_msgsnd, &ret, (long)e->msqid,
						    (long)inf->scratch, (long)m->text.len,
						    IPC_NOWAIT, 0, 0);
		}
		if (r >= 0 && ret < 0)
			r = (int)ret;
		if (r < 0)
			return pr_errno(r,
					"cannot restore %d: cannot use System V message queue %u",
					inf->pid, e->msqid);
	}
	return 0;
}

void msq_show(const IpcEntry *ie)
{
	for (size_t i = 0; i < ie->n_msq; i++) {
		const SysvMsqEntry *e = ie->msq[i];

		printf("  sysv message queue %u: key %#x mode %#o owner %u:%u creator %u:%u qbytes %llu, %zu messages\n",
		       e->msqid, (unsigned int)e->key, e->mode, e->uid, e->gid, e->cuid, e->cgid,
		       (unsigned long long)e->qbytes, e->n_msgs);
	}
}
