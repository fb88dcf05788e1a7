/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_MACHINE_H
#define CKPT_MACHINE_H
/*
 * What the dump machine offered the processes, for a restore that may run
 * on another machine (machine.c): the kernel, the vDSO's identity, the CPU
 * features the processes may use (CPUID flags, XSAVE features, the size of
 * a thread's xstate). And the identity of the files they map beyond their
 * inode, which another machine does not share: mtime and GNU build-id
 * (file-id.c).
 */
#include "core.pb-c.h"
#include "fdinfo.pb-c.h"
#include "inventory.pb-c.h"
#include "mm.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define BUILD_ID_MAX 64

struct dump;

/* The machine facts of dump @d, its tree frozen and its processes read:
 * a new entry into *@ret (machine_free() frees it). Logs why it fails. */
int machine_dump(struct dump *d, MachineEntry **ret);
void machine_free(MachineEntry *m);
/* Restore (and a dump reading its images back): the fields of @inv's
 * machine entry checked, then this machine against them: a CPU feature
 * or XSAVE feature missing, an xstate area too small, a different vDSO
 * refused by name; a different kernel said with -v. Logs why it refuses. */
int machine_check(const InventoryEntry *inv);
/* ckpt show, as text and as JSON (a ,"machine":{...} member; @str
 * prints a JSON string). */
void machine_show(const InventoryEntry *inv);
void machine_show_json(const InventoryEntry *inv, void (*str)(const char *));
/* Does every thread's xstate of @c fit this CPU's XSAVE area? Logs. */
int machine_check_xstate(const TaskCoreEntry *c, int pid);

/* vdso-id.c: the vDSO's identity. Dump: that of the first process of
 * @d with a vDSO into @m->vdso (none: left NULL); logs why it fails.
 * Restore: what is wrong with the fields of @v (NULL: nothing), then
 * whether this kernel's vDSO has @v's functions at @v's offsets (logs
 * why not). */
int vdso_id_dump(struct dump *d, MachineEntry *m);
const char *vdso_id_invalid(const VdsoIdEntry *v);
int vdso_id_check(const VdsoIdEntry *v);
void vdso_id_free(VdsoIdEntry *v);

/* file-id.c: the GNU build-id of the ELF image @image of @len bytes (a
 * mapped file read whole, or the vDSO). -ENOENT: none; -ENOEXEC: not ELF. */
int elf_build_id_mem(const void *image, size_t len, uint8_t *buf, size_t *ret_len);
/* The GNU build-id of the ELF file open at @fd, read through its program
 * headers' notes; -ENOENT none, -ENOEXEC not ELF. */
int elf_build_id_fd(int fd, uint8_t *buf, size_t *ret_len);
/* Dump: mtime and build-id of the file mapped by @v, of stat @st, opened
 * at @path (its /proc/PID/map_files link) if need be. Not an ELF file: no
 * build-id. */
void file_id_dump(const char *path, const struct stat *st, VmaEntry *v);
/* Restore: the file open at @fd for @v is the same file: its build-id
 * and mtime (size: mm-check.c) as recorded; the mtime of a shared
 * mapping only on another boot than the dump's (@same_boot false). Logs
 * by name why not. */
int file_id_check(int fd, const struct stat *st, const VmaEntry *v, bool same_boot);
/* A file reopened by path (files-reg.c): its mtime at the dump into @e;
 * at restore, on another boot than the dump's (@same_boot false: its
 * inode tells nothing), a regular file open read-only must have its size
 * and mtime of the dump. Logs by name why not. */
void file_id_dump_fd(FileEntry *e, const struct stat *st);
int file_id_check_fd(const FileEntry *e, const struct stat *st, bool same_boot);
/* The fields of @v's identity in range (mm_check). */
bool file_id_valid(const VmaEntry *v);

#endif
