/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_FILES_H
#define CKPT_FILES_H
/*
 * Open files of the tree.
 *
 * Dump: every fd of every process is matched (kcmp) against the open file
 * descriptions seen so far; files.img holds each description once with its
 * flags, offset and kind-specific state, and fdinfo-PID.img maps the fds of
 * a process onto them.
 *
 * Restore: ckpt opens every description once, description i at fd
 * base + i, before it creates the first process; every restored process
 * inherits them through fork, so a description shared in the dumped tree
 * is one description again (one offset, one set of flags). Each process
 * dup()s its own onto their numbers and closes the rest.
 */
#include "fdinfo.pb-c.h"

#include <stdbool.h>
#include <sys/stat.h>

struct proc_fdinfo;

/* Where one open file description was found, to compare others against. */
struct file_seen {
	int pid, fd;
	dev_t dev;
	ino_t ino;
};

struct file_table {
	FilesEntry img;
	struct file_seen *seen; /* per file id */
};

void file_table_init(struct file_table *ft);
void file_table_release(struct file_table *ft);
/* The fds of @pid into @fi, adding new descriptions to @ft. */
int files_dump_proc(struct file_table *ft, int pid, FdinfoEntry *fi);
/* Once every process is in: what needs the whole tree (pipe ends). */
int files_dump_finish(struct file_table *ft, const int *pids, size_t nr_pids);

/* Highest fd number in @fi, or -1. */
int fds_max(const FdinfoEntry *fi);
/* Before anything is created: can every description be reopened? */
int files_check(const FilesEntry *fe, const FdinfoEntry *const *fis, size_t nr_fis, bool have_tty);
/* In ckpt: open description i at fd @base + i. @tty_fd is the caller's
 * terminal, or -1. */
int files_open_all(const FilesEntry *fe, int base, int tty_fd);
/* In the new process: its fds, from the descriptions at @base. */
int fds_restore_early(const FdinfoEntry *fi, int base);

/* ---- kinds ---- */

/* files-reg.c: regular files, directories, plain devices, terminals */
bool reg_claims(const char *link, const struct stat *st);
int reg_dump(int pid, int fd, const char *link, const struct stat *st, FileEntry *e);
int reg_check(const FileEntry *e, bool have_tty);
int reg_open(const FileEntry *e, int tty_fd);

/* pipes.c */
struct pipes_open;
bool pipe_claims(const char *link, const struct stat *st);
int pipe_dump(FilesEntry *fe, int pid, int fd, const struct stat *st, FileEntry *e);
int pipes_dump_finish(const FilesEntry *fe, const int *pids, size_t nr_pids);
/* Every pipe of @fe, created and filled, at fds from @scratch up. */
int pipes_create(const FilesEntry *fe, int scratch, struct pipes_open **ret);
int pipe_open(struct pipes_open *po, const FileEntry *e);
void pipes_close(struct pipes_open *po);

/* Move @fd to the lowest free number at or above @min (close-on-exec). */
int fd_move_above(int fd, int min);

#endif
