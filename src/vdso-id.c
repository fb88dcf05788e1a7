// SPDX-License-Identifier: GPL-2.0
/*
 * The vDSO's identity (machine.h): its size, build-id, checksum and the
 * offsets of its exported functions, read at dump from the first process
 * that has one, compared at restore with ckpt's own (every process on a
 * kernel has the same vDSO image).
 *
 * The vDSO: the process holds pointers into it (glibc keeps the address of
 * __vdso_clock_gettime), so a vDSO whose functions lie at other offsets
 * would be called in the middle of some other code. One whose exported
 * functions are at the same offsets and of the same size is taken as the
 * same (vdso.c moves it into place); any other is refused.
 */
#include "machine.h"

#include "dump.h"
#include "fault.h"
#include "image.h"
#include "infect.h"
#include "proc.h"
#include "util.h"

#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#define VDSO_MAX (1u << 20)
#define VDSO_SYMS_MAX 256
#define VDSO_NAME_MAX 64

struct vdso_id {
	uint64_t size;
	uint32_t crc;
	uint8_t build_id[BUILD_ID_MAX];
	size_t build_id_len;
	size_t nr;
	struct {
		char name[VDSO_NAME_MAX + 1];
		uint64_t offset;
	} syms[VDSO_SYMS_MAX];
};

/* Its exported functions, from the dynamic symbol table; offsets from
 * the lowest loaded address (the vDSO is linked at 0 today). */
static int vdso_parse(const void *image, size_t len, struct vdso_id *id)
{
	uint64_t base = UINT64_MAX;
	Elf_Scn *scn = NULL;
	size_t nr_ph = 0;
	Elf *elf;
	int r = -ENOEXEC;

	memset(id, 0, sizeof(*id));
	id->size = len;
	id->crc = crc32c(0, image, len);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	if (len < SELFMAG || memcmp(image, ELFMAG, SELFMAG))
		return -ENOEXEC;
	elf = elf_memory((char *)image, len);
	if (!elf)
		return -ENOEXEC;
	if (elf_getphdrnum(elf, &nr_ph) == 0)
		for (size_t i = 0; i < nr_ph && i < 64; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
				base = MIN(base, ph.p_vaddr);
		}
	if (base == UINT64_MAX)
		goto out;
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t k = 0; data && k < sh.sh_size / sh.sh_entsize; k++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)k, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
			    sym.st_value < base || sym.st_value - base >= len ||
			    (GELF_ST_BIND(sym.st_info) != STB_GLOBAL &&
			     GELF_ST_BIND(sym.st_info) != STB_WEAK))
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !*name || strlen(name) > VDSO_NAME_MAX ||
			    id->nr == VDSO_SYMS_MAX)
				continue;
			memcpy(id->syms[id->nr].name, name, strlen(name) + 1);
			id->syms[id->nr++].offset = sym.st_value - base;
		}
		r = 0;
		break;
	}
	if (r == 0 && elf_build_id_mem(image, len, id->build_id, &id->build_id_len) < 0)
		id->build_id_len = 0;
out:
	elf_end(elf);
	return r;
}

static VdsoIdEntry *vdso_entry(const struct vdso_id *id)
{
	VdsoIdEntry *e = xmalloc(sizeof(*e));

	vdso_id_entry__init(e);
	e->size = id->size;
	e->crc = id->crc;
	if (id->build_id_len) {
		e->has_build_id = true;
		e->build_id.len = id->build_id_len;
		e->build_id.data = xmalloc(id->build_id_len);
		memcpy(e->build_id.data, id->build_id, id->build_id_len);
	}
	e->n_symbols = id->nr;
	e->symbols = xmalloc((id->nr + 1) * sizeof(*e->symbols));
	for (size_t i = 0; i < id->nr; i++) {
		e->symbols[i] = xmalloc(sizeof(*e->symbols[i]));
		vdso_symbol_entry__init(e->symbols[i]);
		e->symbols[i]->name = xstrdup(id->syms[i].name);
		e->symbols[i]->offset = id->syms[i].offset;
	}
	return e;
}

/* The vDSO of the first process that has one. */
int vdso_id_dump(struct dump *d, MachineEntry *m)
{
	for (size_t i = 0; i < d->tree.nr; i++) {
		const MmEntry *mm = &d->procs[i].mm;
		int pid = d->tree.procs[i].node.pid;

		if (d->tree.procs[i].node.zombie)
			continue;
		for (size_t k = 0; k < mm->n_vmas; k++) {
			const VmaEntry *v = mm->vmas[k];
			_cleanup_free_ void *buf = NULL;
			_cleanup_free_ struct vdso_id *id = NULL;
			int r;

			if (v->kind != VMA_KIND__VMA_VDSO)
				continue;
			if (v->end - v->start > VDSO_MAX)
				return pr_fail(-EOPNOTSUPP,
					       "cannot dump %d: its vDSO is %llu bytes", pid,
					       (unsigned long long)(v->end - v->start));
			buf = xmalloc(v->end - v->start);
			id = xmalloc(sizeof(*id));
			r = FAULT_OR(dump_read_vdso, -EFAULT,
				     remote_read(pid, v->start, buf, v->end - v->start));
			if (r < 0)
				return pr_errno(r, "cannot dump %d: cannot read its vDSO", pid);
			r = vdso_parse(buf, v->end - v->start, id);
			if (r < 0)
				return pr_fail(
					r,
					"cannot dump %d: its vDSO is not an ELF image with symbols (changed by the process?)",
					pid);
			m->vdso = vdso_entry(id);
			return 0;
		}
	}
	return 0;
}

void vdso_id_free(VdsoIdEntry *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n_symbols; i++) {
		free(v->symbols[i]->name);
		free(v->symbols[i]);
	}
	free(v->symbols);
	free(v->build_id.data);
	free(v);
}

static bool sym_name_ok(const char *s)
{
	if (!*s || strlen(s) > VDSO_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

const char *vdso_id_invalid(const VdsoIdEntry *v)
{
	if (!v->size || v->size > VDSO_MAX || v->size % PAGE_SIZE)
		return "vDSO size";
	if (v->has_build_id && (!v->build_id.len || v->build_id.len > BUILD_ID_MAX))
		return "vDSO build-id";
	if (v->n_symbols > VDSO_SYMS_MAX)
		return "vDSO symbols";
	for (size_t i = 0; i < v->n_symbols; i++)
		if (!sym_name_ok(v->symbols[i]->name) || v->symbols[i]->offset >= v->size)
			return "vDSO symbol";
	return NULL;
}

static int own_vdso(struct vdso_id *id)
{
	uint64_t at = getauxval(AT_SYSINFO_EHDR), size = 0;
	struct proc_vma *pvs;
	size_t nr;
	int r;

	if (!at)
		return -ENOENT;
	r = proc_read_maps(getpid(), &pvs, &nr);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nr; i++)
		if (pvs[i].start == at && pvs[i].path && !strcmp(pvs[i].path, "[vdso]"))
			size = pvs[i].end - pvs[i].start;
	proc_vmas_free(pvs, nr);
	if (!size)
		return -ENOENT;
	return vdso_parse((const void *)at, size, id);
}

int vdso_id_check(const VdsoIdEntry *v)
{
	_cleanup_free_ struct vdso_id *here = xmalloc(sizeof(*here));
	int r = own_vdso(here);

	if (r < 0)
		return pr_errno(r, "cannot restore: cannot read this kernel's vDSO");
	if (here->size != v->size)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot restore: the vDSO of this kernel differs from the dumped one (%llu bytes, was %llu); restore on the kernel of the dump",
			(unsigned long long)here->size, (unsigned long long)v->size);
	for (size_t i = 0; i < v->n_symbols; i++) {
		const VdsoSymbolEntry *s = v->symbols[i];
		size_t k = 0;

		while (k < here->nr && strcmp(here->syms[k].name, s->name))
			k++;
		if (k == here->nr)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot restore: the vDSO of this kernel differs from the dumped one (it has no %s); restore on the kernel of the dump",
				s->name);
		if (here->syms[k].offset != s->offset)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot restore: the vDSO of this kernel differs from the dumped one (%s at %#llx, was %#llx); restore on the kernel of the dump",
				s->name, (unsigned long long)here->syms[k].offset,
				(unsigned long long)s->offset);
	}
	if (here->nr != v->n_symbols)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot restore: the vDSO of this kernel differs from the dumped one (%zu functions, was %zu); restore on the kernel of the dump",
			here->nr, v->n_symbols);
	if (here->crc != v->crc)
		pr_debug(
			"the vDSO's bytes differ from the dumped one's, its functions do not move");
	return 0;
}
