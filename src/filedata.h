/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_FILEDATA_H
#define CKPT_FILEDATA_H
/*
 * The contents of a file kept in the images: shmem-backed memory objects,
 * memfds, deleted files. Only the stretches that hold data are saved
 * (SEEK_DATA/SEEK_HOLE), as runs of pages, into a raw image of their own.
 * No logging: 0 or -errno (-EBADMSG for an image that does not fit).
 */
#include "filedata.pb-c.h"
#include "image.h"

#include <stdint.h>

/* Save the data of @fd, @size bytes long, into image @kind @id of @dirfd. */
int filedata_dump(int fd, uint64_t size, FileDataEntry *d, int dirfd, enum img_kind kind, int id);
/* The runs lie in the file and add up. */
int filedata_check(const FileDataEntry *d);
/* Size @fd and write the saved data back into it. */
int filedata_restore(int fd, const FileDataEntry *d, int dirfd, enum img_kind kind, int id);
/* The same for data in memory (a System V segment attached by ckpt), @mem
 * the size of the file: the runs are the caller's (filedata_add_run). */
void filedata_add_run(FileDataEntry *d, uint64_t off, uint64_t nr_pages);
int filedata_dump_mem(const void *mem, const FileDataEntry *d, int dirfd, enum img_kind kind,
		      int id);
int filedata_restore_mem(void *mem, const FileDataEntry *d, int dirfd, enum img_kind kind, int id);

#endif
