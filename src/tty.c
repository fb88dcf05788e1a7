// SPDX-License-Identifier: GPL-2.0
/*
 * Pseudo-terminals whose master is in the tree (a process running under
 * `script`, a terminal emulator or multiplexer that was dumped with it).
 *
 * Dump: each side of a pty (the /dev/ptmx master, /dev/pts/N slaves) is a
 * description of this kind, with the terminal's state: termios, window
 * size, packet mode, the session it is the controlling terminal of and its
 * foreground group. A slave whose master is not in the tree is a terminal
 * of the caller's instead (files-reg.c): its entry changes kind.
 *
 * Restore: a new pair is made for each pty (its number may differ: devpts
 * gives the lowest free one) with the same state; masters share one
 * description, each slave description is a new open. The session leader
 * takes it as its controlling terminal again (TIOCSCTTY, through a slave
 * opened from the master: it may hold no fd of the slave) and gives it the
 * foreground group. Bytes waiting in the terminal's buffers are lost.
 */
#include "files.h"
#include "ns.h"

#include "util.h"

#include <asm/termbits.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#define PTMX_MAJOR 5
#define PTMX_MINOR 2
#define PTS_MAJOR_FIRST 136
#define PTS_MAJOR_LAST 143

static bool is_ptmx(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == PTMX_MAJOR &&
	       minor(st->st_rdev) == PTMX_MINOR;
}

static bool is_pts(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) >= PTS_MAJOR_FIRST &&
	       major(st->st_rdev) <= PTS_MAJOR_LAST;
}

static bool pty_claims(const char *link, const struct stat *st)
{
	return link[0] == '/' && (is_ptmx(st) || is_pts(st));
}

static int pts_index(const struct stat *st)
{
	return (int)((major(st->st_rdev) - PTS_MAJOR_FIRST) * 256 + minor(st->st_rdev));
}

/* The terminal's state, read through a new open of its slave side. */
static int tty_state_dump(TtyEntry *t)
{
	struct termios2 tio;
	struct winsize ws;
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/pts/%u", t->index);
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, TCGETS2, &tio) == 0) {
		t->termios.data = xmalloc(sizeof(tio));
		memcpy(t->termios.data, &tio, sizeof(tio));
		t->termios.len = sizeof(tio);
		t->has_termios = true;
	}
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
		t->has_rows = t->has_cols = t->has_xpixel = t->has_ypixel = true;
		t->rows = ws.ws_row;
		t->cols = ws.ws_col;
		t->xpixel = ws.ws_xpixel;
		t->ypixel = ws.ws_ypixel;
	}
	close(fd);
	return 0;
}

/*
 * What the master alone tells, on its very description: packet mode, and
 * the session whose controlling terminal it is and its foreground group
 * (TIOCGSID and TIOCGPGRP answer on a master, or on one's own terminal).
 */
static int pty_master_dump(int pid, int fd, TtyEntry *t)
{
	int master = fd_borrow(pid, fd), v = 0;

	if (master < 0)
		return master;
	if (ioctl(master, TIOCGPKT, &v) == 0) {
		t->has_packet = true;
		t->packet = v != 0;
	}
	if (ioctl(master, TIOCGSID, &v) == 0) {
		t->has_sid = true;
		t->sid = (uint32_t)v;
		if (ioctl(master, TIOCGPGRP, &v) == 0) {
			t->has_fg_pgrp = true;
			t->fg_pgrp = (uint32_t)v;
		}
	}
	close(master);
	return 0;
}

static int pty_dump(const struct fd_dump *d, FileEntry *e)
{
	TtyEntry *t = xmalloc(sizeof(*t));
	const char *index = fdinfo_field(d->fdinfo, "tty-index:");
	int r;

	tty_entry__init(t);
	e->tty = t;
	e->has_mode = e->has_rdev = true;
	e->mode = d->st->st_mode;
	e->rdev = d->st->st_rdev;
	t->master = is_ptmx(d->st);
	if (t->master && !index)
		return pr_fail(-EOPNOTSUPP,
			       "cannot dump %d: fd %d is a pty master of unknown number", d->pid,
			       d->fd);
	t->index = t->master ? (uint32_t)strtoul(index, NULL, 10) : (uint32_t)pts_index(d->st);
	r = tty_state_dump(t);
	if (r >= 0 && t->master)
		r = pty_master_dump(d->pid, d->fd, t);
	if (r < 0)
		return pr_errno(r, "cannot dump %d: cannot read the terminal of fd %d ('%s')",
				d->pid, d->fd, d->link);
	return 0;
}

static const TtyEntry *master_of(const FilesEntry *fe, uint32_t index)
{
	for (size_t i = 0; i < fe->n_files; i++)
		if (fe->files[i]->kind == FD_KIND__FD_PTY && fe->files[i]->tty->master &&
		    fe->files[i]->tty->index == index)
			return fe->files[i]->tty;
	return NULL;
}

/* A slave whose master is not ours is the caller's kind of terminal; the
 * others learn their session from their master. */
static int pty_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids)
{
	FilesEntry *fe = &ft->img;

	for (size_t i = 0; i < fe->n_files; i++) {
		FileEntry *e = fe->files[i];
		const TtyEntry *m;

		if (e->kind != FD_KIND__FD_PTY || e->tty->master)
			continue;
		m = master_of(fe, e->tty->index);
		if (m) {
			e->tty->has_sid = m->has_sid;
			e->tty->sid = m->sid;
			e->tty->has_fg_pgrp = m->has_fg_pgrp;
			e->tty->fg_pgrp = m->fg_pgrp;
			continue;
		}
		/* The caller's terminal takes its place at restore: its
		 * owner and mode are the caller's, not restored. */
		e->kind = FD_KIND__FD_TTY;
		e->has_uid = e->has_gid = false;
		tty_entry__free_unpacked(e->tty, NULL);
		e->tty = NULL;
	}
	return 0;
}

static int pty_check(const FileEntry *e, const struct files_open *fo)
{
	/* NR_UNIX98_PTY_MAX ptys at most; struct winsize is 16-bit. */
	if (!e->tty || (e->tty->has_termios && e->tty->termios.len != sizeof(struct termios2)) ||
	    e->tty->index >= (1u << 20) || e->tty->rows > 0xffff || e->tty->cols > 0xffff ||
	    e->tty->xpixel > 0xffff || e->tty->ypixel > 0xffff)
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (pty)");
	if (!e->tty->master && !master_of(fo->fe, e->tty->index))
		return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (pty)");
	return 0;
}

/* ---- restore ---- */

struct pty_pair {
	uint32_t index; /* dumped */
	int master, slave;
};

struct ptys {
	struct pty_pair *v;
	size_t n;
};

static int pty_state_restore(const TtyEntry *t, int slave)
{
	struct winsize ws = { (unsigned short)t->rows, (unsigned short)t->cols,
			      (unsigned short)t->xpixel, (unsigned short)t->ypixel };

	if (t->has_termios && ioctl(slave, TCSETS2, t->termios.data) < 0)
		return -errno;
	if (t->has_rows && ioctl(slave, TIOCSWINSZ, &ws) < 0)
		return -errno;
	return 0;
}

static int pty_pair_make(const FileEntry *e, int scratch, struct pty_pair *p)
{
	int unlock = 0, packet = e->tty->packet, r;

	p->index = e->tty->index;
	p->master = fd_move_above(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), scratch);
	if (p->master < 0)
		return pr_errno(p->master, "cannot restore: cannot open /dev/ptmx");
	if (ioctl(p->master, TIOCSPTLCK, &unlock) < 0)
		return pr_errno(-errno, "cannot restore: cannot unlock a pty");
	p->slave = fd_move_above(ioctl(p->master, TIOCGPTPEER, O_RDWR | O_NOCTTY), scratch);
	if (p->slave < 0)
		return pr_errno(-errno, "cannot restore: cannot open the slave of a pty");
	r = pty_state_restore(e->tty, p->slave);
	if (r == 0 && packet && ioctl(p->master, TIOCPKT, &packet) < 0)
		r = -errno;
	return r < 0 ? pr_errno(r, "cannot restore: cannot set up a pty") : 0;
}

static int ptys_prepare(struct files_open *fo)
{
	struct ptys *ps = xzalloc(sizeof(*ps));
	const FilesEntry *fe = fo->fe;

	fo->state[FD_KIND__FD_PTY] = ps;
	for (size_t i = 0; i < fe->n_files; i++) {
		const FileEntry *e = fe->files[i];
		bool seen = false;
		int r;

		if (e->kind != FD_KIND__FD_PTY || !e->tty->master)
			continue;
		for (size_t k = 0; k < ps->n; k++)
			seen |= ps->v[k].index == e->tty->index;
		if (seen)
			continue;
		ps->v = xrealloc(ps->v, (ps->n + 1) * sizeof(*ps->v));
		ps->v[ps->n] = (struct pty_pair){ .master = -1, .slave = -1 };
		r = pty_pair_make(e, fo->scratch, &ps->v[ps->n++]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int pty_open(struct files_open *fo, const FileEntry *e)
{
	struct ptys *ps = fo->state[FD_KIND__FD_PTY];
	int fl = (int)e->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_ACCMODE);
	char path[64];
	int fd = -1;

	for (size_t k = 0; k < ps->n; k++) {
		if (ps->v[k].index != e->tty->index)
			continue;
		if (e->tty->master) {
			fd = dup(ps->v[k].master);
			if (fd >= 0 && fcntl(fd, F_SETFL, fl) < 0) {
				close(fd);
				fd = -1;
			}
		} else {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", ps->v[k].slave);
			fd = open(path, ((int)e->flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOCTTY);
		}
		break;
	}
	return fd < 0 ? pr_errno(-errno, "cannot restore: cannot open '%s'", e->path) : fd;
}

static void ptys_finish(struct files_open *fo)
{
	struct ptys *ps = fo->state[FD_KIND__FD_PTY];

	for (size_t k = 0; ps && k < ps->n; k++) {
		if (ps->v[k].master >= 0)
			close(ps->v[k].master);
		if (ps->v[k].slave >= 0)
			close(ps->v[k].slave);
	}
	if (ps)
		free(ps->v);
	free(ps);
	fo->state[FD_KIND__FD_PTY] = NULL;
}

/* The master of the pty that is session @pid's controlling terminal, or
 * -1: its description's id. */
static int ctty_master(const FilesEntry *fe, int pid)
{
	for (size_t i = 0; i < fe->n_files; i++) {
		const TtyEntry *t = fe->files[i]->tty;

		if (fe->files[i]->kind == FD_KIND__FD_PTY && t->master && t->has_sid &&
		    t->sid == (uint32_t)pid)
			return (int)i;
	}
	return -1;
}

/*
 * In session leader @pid, just after its setsid(), before it creates its
 * session's other processes (which get their controlling terminal from
 * their parent at fork, as they did): the pty whose master says it is
 * this session's controlling terminal, taken again through a new open of
 * its slave from that master (TIOCGPTPEER), which the leader need not
 * hold: a terminal one made its controlling terminal and then closed every
 * fd of is still its terminal.
 */
int pty_ctty_take(const FilesEntry *fe, int base, int pid)
{
	int i = ctty_master(fe, pid), slave, r = 0;

	if (i < 0)
		return 0;
	slave = ioctl(base + i, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		r = pr_errno(-errno, "cannot restore: %d cannot take its terminal back", pid);
	if (slave >= 0)
		close(slave);
	return r;
}

/* In session leader @pid, every process and group of the tree there: the
 * terminal's foreground group. */
int pty_ctty_restore(const FilesEntry *fe, int base, int pid)
{
	int i = ctty_master(fe, pid);
	const TtyEntry *t = i < 0 ? NULL : fe->files[i]->tty;

	/* In its own pid namespace the leader knows itself and the group by
	 * their pids there. */
	if (!t || !t->has_fg_pgrp || getsid(0) != ns_own_pid(pid))
		return 0;
	/* SIGTTOU is blocked. */
	if (ioctl(base + i, TIOCSPGRP, &(pid_t){ ns_pid_seen_by(pid, (int)t->fg_pgrp) }) < 0)
		return pr_errno(-errno, "cannot restore: cannot give the terminal to group %u",
				t->fg_pgrp);
	return 0;
}

const struct file_kind pty_kind = {
	.kind = FD_KIND__FD_PTY,
	.name = "pty",
	.claims = pty_claims,
	.dump = pty_dump,
	.dump_finish = pty_dump_finish,
	.check = pty_check,
	.prepare = ptys_prepare,
	.finish = ptys_finish,
	.open = pty_open,
};
