// SPDX-License-Identifier: GPL-2.0
/*
 * The identity of a mapped file beyond its inode (machine.h): another
 * machine, or this one after a reboot, has the same library at another
 * device and inode, so the inode tells nothing there (trust.c compares it
 * only on the boot of the dump). What does tell: the size (mm-check.c),
 * the mtime in nanoseconds, and for an ELF executable or library its GNU
 * build-id, which a rebuild changes even when size and mtime are forged.
 * A private mapping reads from the file whatever page the process did not
 * write: its mtime must be the dump's. A shared one shows the file as it
 * is: compared only on another boot, and never when the process maps it
 * writable (its mtime moves whenever it writes).
 */
#include "machine.h"

#include "util.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

static int note_build_id(Elf_Data *data, uint8_t *buf, size_t *ret_len)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	if (!data)
		return -ENOENT;
	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *name = (const char *)data->d_buf + name_off;

		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 || memcmp(name, "GNU", 4))
			continue;
		if (!nh.n_descsz || nh.n_descsz > BUILD_ID_MAX)
			return -ENOENT;
		memcpy(buf, (const char *)data->d_buf + desc_off, nh.n_descsz);
		*ret_len = nh.n_descsz;
		return 0;
	}
	return -ENOENT;
}

/* Through the program headers (what the loader sees), else the sections. */
static int elf_build_id(Elf *elf, uint8_t *buf, size_t *ret_len)
{
	size_t nr = 0;
	Elf_Scn *scn = NULL;

	if (elf_kind(elf) != ELF_K_ELF)
		return -ENOEXEC;
	if (elf_getphdrnum(elf, &nr) == 0)
		for (size_t i = 0; i < nr && i < 256; i++) {
			GElf_Phdr ph;
			Elf_Data *d;

			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
				continue;
			d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
						 ELF_T_NHDR);
			if (note_build_id(d, buf, ret_len) == 0)
				return 0;
		}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE &&
		    note_build_id(elf_getdata(scn, NULL), buf, ret_len) == 0)
			return 0;
	}
	return -ENOENT;
}

int elf_build_id_mem(const void *image, size_t len, uint8_t *buf, size_t *ret_len)
{
	Elf *elf;
	int r;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	if (len < 4 || memcmp(image, ELFMAG, SELFMAG))
		return -ENOEXEC;
	elf = elf_memory((char *)image, len);
	if (!elf)
		return -ENOEXEC;
	r = elf_build_id(elf, buf, ret_len);
	elf_end(elf);
	return r;
}

int elf_build_id_fd(int fd, uint8_t *buf, size_t *ret_len)
{
	unsigned char magic[SELFMAG];
	Elf *elf;
	int r;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	if (pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    memcmp(magic, ELFMAG, SELFMAG))
		return -ENOEXEC;
	/* Read, not mapped: a file truncated meanwhile (by its owner, at a
	 * restore as root) must not kill ckpt with SIGBUS. libelf reads
	 * the headers and each note chunk with pread. */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return -ENOEXEC;
	r = elf_build_id(elf, buf, ret_len);
	elf_end(elf);
	return r;
}

static uint64_t mtime_ns(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec;
}

/* A library is mapped four or five times in a row: read its notes once. */
static struct {
	dev_t dev;
	ino_t ino;
	uint64_t mtime;
	int r;
	size_t len;
	uint8_t id[BUILD_ID_MAX];
} last, check_last;

void file_id_dump(const char *path, const struct stat *st, VmaEntry *v)
{
	uint64_t mt = mtime_ns(st);

	v->has_file_mtime_ns = true;
	v->file_mtime_ns = mt;
	if (last.dev != st->st_dev || last.ino != st->st_ino || last.mtime != mt || !last.ino) {
		/* Without the right to open map_files (CAP_SYS_ADMIN): no
		 * build-id, the mtime only. */
		_cleanup_close_ int fd =
			S_ISREG(st->st_mode) ? open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) : -1;

		last.dev = st->st_dev;
		last.ino = st->st_ino;
		last.mtime = mt;
		last.r = elf_build_id_fd(fd, last.id, &last.len);
	}
	if (last.r == 0) {
		v->has_file_build_id = true;
		v->file_build_id.data = xmalloc(last.len);
		memcpy(v->file_build_id.data, last.id, last.len);
		v->file_build_id.len = last.len;
	}
}

bool file_id_valid(const VmaEntry *v)
{
	return !v->has_file_build_id ||
	       (v->file_build_id.len && v->file_build_id.len <= BUILD_ID_MAX);
}

static char *hex(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = xmalloc(2 * n + 1);

	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = 0;
	return s;
}

int file_id_check(int fd, const struct stat *st, const VmaEntry *v, bool same_boot)
{
	_cleanup_free_ char *path = str_escape(v->path);
	uint8_t id[BUILD_ID_MAX];
	size_t len = 0;
	int r;

	if (v->has_file_build_id) {
		/* The VMAs of one library in a row: its notes read once. */
		if (check_last.dev == st->st_dev && check_last.ino == st->st_ino &&
		    check_last.ino && check_last.mtime == mtime_ns(st)) {
			r = check_last.r;
			len = check_last.len;
			memcpy(id, check_last.id, len);
		} else {
			r = elf_build_id_fd(fd, id, &len);
			check_last.dev = st->st_dev;
			check_last.ino = st->st_ino;
			check_last.mtime = mtime_ns(st);
			check_last.r = r;
			check_last.len = r < 0 ? 0 : len;
			memcpy(check_last.id, id, check_last.len);
		}
		if (r < 0 || len != v->file_build_id.len ||
		    memcmp(id, v->file_build_id.data, len)) {
			_cleanup_free_ char *was = hex(v->file_build_id.data, v->file_build_id.len);
			_cleanup_free_ char *now = r < 0 ? xstrdup("none") : hex(id, len);

			return pr_fail(
				-ESTALE,
				"cannot restore: %s is not the file the process had (build-id differs: %s, was %s)",
				path, now, was);
		}
	}
	/* A shared mapping shows the file as it is, as an fd does: on the
	 * dump's boot (same inode) its changes are the file's own. */
	if (v->has_file_mtime_ns && !(v->file_writable && v->kind == VMA_KIND__VMA_FILE_SHARED) &&
	    !(same_boot && v->kind == VMA_KIND__VMA_FILE_SHARED) &&
	    mtime_ns(st) != v->file_mtime_ns)
		return pr_fail(
			-ESTALE,
			"cannot restore: %s is not the file the process had (modified since the dump: mtime differs)",
			path);
	return 0;
}

void file_id_dump_fd(FileEntry *e, const struct stat *st)
{
	e->has_mtime_ns = true;
	e->mtime_ns = mtime_ns(st);
}

int file_id_check_fd(const FileEntry *e, const struct stat *st, bool same_boot)
{
	_cleanup_free_ char *path = NULL;

	/* A file open for writing is the process's to change (its log, its
	 * output), and it may have since the dump: restoring a job whose log
	 * grew is what is expected of a restore. */
	if (same_boot || e->kind != FD_KIND__FD_REG || !e->has_mtime_ns ||
	    (e->flags & O_ACCMODE) != O_RDONLY)
		return 0;
	path = str_escape(e->path);
	if ((uint64_t)st->st_size != e->size)
		return pr_fail(
			-ESTALE,
			"cannot restore: %s is not the file the process had (%llu bytes, was %llu)",
			path, (unsigned long long)st->st_size, (unsigned long long)e->size);
	if (mtime_ns(st) != e->mtime_ns)
		return pr_fail(
			-ESTALE,
			"cannot restore: %s is not the file the process had (modified since the dump: mtime differs)",
			path);
	return 0;
}
