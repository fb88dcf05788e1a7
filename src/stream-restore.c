// SPDX-License-Identifier: GPL-2.0
/* `restore --images -`: the set received from stdin into a private stage
 * (stream.h), and the restore's half of --handshake. */
#include "stream.h"

#include "image.h"
#include "pstree.pb-c.h"
#include "fault.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct stage stage = { .hold = -1 };

#define PIDS_WAIT_MS 10000

/*
 * A stream from this very machine (dump | restore): the dump kills its
 * tree only once the stream has ended, and its zombies are reaped a
 * little later. So the restore gives the pids of the tree (bounded) time
 * to be free before it checks them; a pid still taken is then refused as
 * always. Elsewhere the pids are free at once and nothing is waited for;
 * with --handshake the source's tree waits for us, frozen: no wait.
 */
static void wait_pids_free(int dirfd)
{
	PstreeEntry *ps = NULL;
	uint64_t end = now_ns(CLOCK_MONOTONIC) + PIDS_WAIT_MS * 1000000ull;

	if (img_read_msg(dirfd, IMG_PSTREE, 0, &pstree_entry__descriptor,
			 (ProtobufCMessage **)&ps) < 0)
		return; /* the restore's checks say why */
	for (size_t i = 0; i < ps->n_procs && i < 4096; i++) {
		char path[32];

		if (!ps->procs[i]->pid || ps->procs[i]->pid > INT_MAX)
			continue;
		snprintf(path, sizeof(path), "/proc/%u", ps->procs[i]->pid);
		while (access(path, F_OK) == 0 && now_ns(CLOCK_MONOTONIC) < end && !interrupted())
			usleep(10000);
	}
	protobuf_c_message_free_unpacked(&ps->base, NULL);
}

int stream_restore_receive(const char **ret_path, bool wait_pids)
{
	struct imgdir d;
	InventoryEntry *inv = NULL;
	int dirfd = -1, r;

	if (isatty(STDIN_FILENO))
		return pr_fail(-ENOTTY, "cannot restore: stdin is a terminal, not an image stream");
	r = stage_create(&stage, "restore");
	if (r >= 0)
		r = imgdir_create(&d, stage.set);
	if (r >= 0)
		r = stream_receive(STDIN_FILENO, &d);
	if (r >= 0)
		r = imgdir_open(stage.set, &dirfd, &inv);
	/* A pre-dump is not a set to restore. The final dump of a chain
	 * is: its parents, which a stream does not carry, were received
	 * before by `ckpt receive` at the path the dump recorded (what
	 * ckpt-migrate --live does), and the restore's chain_open finds
	 * them there, or refuses. */
	if (r >= 0 && inv->predump)
		r = pr_fail(
			-EINVAL,
			"cannot restore: the stream holds a pre-dump: receive the chain with 'ckpt receive' and restore from there");
	if (r >= 0) {
		if (wait_pids)
			wait_pids_free(dirfd);
	}
	if (inv)
		protobuf_c_message_free_unpacked(&inv->base, NULL);
	if (dirfd >= 0)
		close(dirfd);
	if (r < 0) {
		stream_restore_done();
		return r;
	}
	*ret_path = stage.set;
	return 0;
}

void stream_restore_done(void)
{
	if (stage.path || stage.hold >= 0)
		stage_remove(&stage);
}

int stream_restore_ready(void)
{
	char line[64];
	int r = FAULT_OR(stream_ready, -EPIPE, write_full(STDOUT_FILENO, "ready\n", 6));

	if (r < 0)
		return pr_errno(r, "cannot restore: cannot tell the dump side it is ready");
	r = stream_read_line(STDIN_FILENO, line, sizeof(line));
	if (r >= 0 && !strcmp(line, "go"))
		return 0;
	if (r == -EINTR)
		return r;
	if (r == -EPIPE)
		return pr_fail(
			-ECONNABORTED,
			"cannot restore: the dump side closed the connection instead of saying go");
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot hear the dump side");
	return pr_fail(-ECONNABORTED, "cannot restore: the dump side said '%s' instead of go",
		       line);
}

void stream_restore_running(int pid)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "running %d\n", pid);

	/* The tree runs: a dump side gone by now changes nothing. */
	if (write_full(STDOUT_FILENO, line, (size_t)n) < 0)
		pr_debug("cannot tell the dump side the tree runs: %s", strerror(errno));
}
