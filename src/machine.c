// SPDX-License-Identifier: GPL-2.0
/*
 * The machine a tree was dumped on, and whether this one can run it
 * (machine.h). Recorded in the inventory: the kernel (uname), the machine
 * id, the CPUID flags a program may select code by, the XSAVE features
 * and xstate size of its threads, and the vDSO's identity (size, build-id,
 * checksum, the offsets of its exported functions).
 *
 * A process picks its code once, at startup: glibc's ifuncs (memcpy,
 * strlen...) read CPUID and bind to the AVX-512 or AVX2 variant for good.
 * So every flag the dump machine had may be in use, and a restore on a CPU
 * without one would end in SIGILL at some later call: refused up front,
 * by name. Only the flags of the table below are compared: features of
 * instructions a program can run. Platform bits (hypervisor, APIC, the
 * speculation mitigations) differ between machines that run the same code
 * and are left out. The vDSO's identity: vdso-id.c.
 *
 */
#include "machine.h"

#include "dump.h"
#include "fault.h"
#include "imgdir.h"
#include "util.h"

#include <cpuid.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define KERNEL_STR_MAX 256
#define XSTATE_MIN 576
#define XSTATE_MAX 16384
#define XSAVE_SW_OFF 464
#define FP_XSTATE_MAGIC1 0x46505853U

enum cpu_reg {
	R_1_ECX,
	R_1_EDX,
	R_7_EBX,
	R_7_ECX,
	R_7_EDX,
	R_7_1_EAX,
	R_D_1_EAX,
	R_EXT1_ECX,
	R_EXT1_EDX,
	NR_REGS
};

/* The features compared, by the names /proc/cpuinfo gives them. */
static const struct {
	enum cpu_reg reg;
	unsigned bit;
	const char *name;
} cpu_features[] = {
	{ R_1_ECX, 0, "pni" },
	{ R_1_ECX, 1, "pclmulqdq" },
	{ R_1_ECX, 9, "ssse3" },
	{ R_1_ECX, 12, "fma" },
	{ R_1_ECX, 13, "cx16" },
	{ R_1_ECX, 19, "sse4_1" },
	{ R_1_ECX, 20, "sse4_2" },
	{ R_1_ECX, 22, "movbe" },
	{ R_1_ECX, 23, "popcnt" },
	{ R_1_ECX, 25, "aes" },
	{ R_1_ECX, 26, "xsave" },
	{ R_1_ECX, 28, "avx" },
	{ R_1_ECX, 29, "f16c" },
	{ R_1_ECX, 30, "rdrand" },
	{ R_1_EDX, 0, "fpu" },
	{ R_1_EDX, 4, "tsc" },
	{ R_1_EDX, 8, "cx8" },
	{ R_1_EDX, 15, "cmov" },
	{ R_1_EDX, 19, "clflush" },
	{ R_1_EDX, 23, "mmx" },
	{ R_1_EDX, 24, "fxsr" },
	{ R_1_EDX, 25, "sse" },
	{ R_1_EDX, 26, "sse2" },
	{ R_7_EBX, 0, "fsgsbase" },
	{ R_7_EBX, 3, "bmi1" },
	{ R_7_EBX, 4, "hle" },
	{ R_7_EBX, 5, "avx2" },
	{ R_7_EBX, 8, "bmi2" },
	{ R_7_EBX, 9, "erms" },
	{ R_7_EBX, 11, "rtm" },
	{ R_7_EBX, 16, "avx512f" },
	{ R_7_EBX, 17, "avx512dq" },
	{ R_7_EBX, 18, "rdseed" },
	{ R_7_EBX, 19, "adx" },
	{ R_7_EBX, 21, "avx512ifma" },
	{ R_7_EBX, 23, "clflushopt" },
	{ R_7_EBX, 24, "clwb" },
	{ R_7_EBX, 28, "avx512cd" },
	{ R_7_EBX, 29, "sha_ni" },
	{ R_7_EBX, 30, "avx512bw" },
	{ R_7_EBX, 31, "avx512vl" },
	{ R_7_ECX, 1, "avx512vbmi" },
	{ R_7_ECX, 5, "waitpkg" },
	{ R_7_ECX, 6, "avx512_vbmi2" },
	{ R_7_ECX, 8, "gfni" },
	{ R_7_ECX, 9, "vaes" },
	{ R_7_ECX, 10, "vpclmulqdq" },
	{ R_7_ECX, 11, "avx512_vnni" },
	{ R_7_ECX, 12, "avx512_bitalg" },
	{ R_7_ECX, 14, "avx512_vpopcntdq" },
	{ R_7_ECX, 22, "rdpid" },
	{ R_7_ECX, 25, "cldemote" },
	{ R_7_ECX, 27, "movdiri" },
	{ R_7_ECX, 28, "movdir64b" },
	{ R_7_EDX, 4, "fsrm" },
	{ R_7_EDX, 8, "avx512_vp2intersect" },
	{ R_7_EDX, 14, "serialize" },
	{ R_7_EDX, 16, "tsxldtrk" },
	{ R_7_EDX, 22, "amx_bf16" },
	{ R_7_EDX, 23, "avx512_fp16" },
	{ R_7_EDX, 24, "amx_tile" },
	{ R_7_EDX, 25, "amx_int8" },
	{ R_7_1_EAX, 4, "avx_vnni" },
	{ R_7_1_EAX, 5, "avx512_bf16" },
	{ R_7_1_EAX, 10, "fzrm" },
	{ R_7_1_EAX, 11, "fsrs" },
	{ R_7_1_EAX, 12, "fsrc" },
	{ R_7_1_EAX, 21, "amx_fp16" },
	{ R_7_1_EAX, 23, "avx_ifma" },
	{ R_D_1_EAX, 0, "xsaveopt" },
	{ R_D_1_EAX, 1, "xsavec" },
	{ R_D_1_EAX, 2, "xgetbv1" },
	{ R_EXT1_ECX, 0, "lahf_lm" },
	{ R_EXT1_ECX, 5, "abm" },
	{ R_EXT1_ECX, 6, "sse4a" },
	{ R_EXT1_ECX, 8, "3dnowprefetch" },
	{ R_EXT1_ECX, 11, "xop" },
	{ R_EXT1_ECX, 16, "fma4" },
	{ R_EXT1_ECX, 21, "tbm" },
	{ R_EXT1_EDX, 27, "rdtscp" },
	{ R_EXT1_EDX, 29, "lm" },
};

/* XCR0's bits, as the kernel names the state components. */
static const char *const xfeature_names[] = {
	"x87",
	"sse",
	"avx",
	"bndregs",
	"bndcsr",
	"opmask",
	"zmm_hi256",
	"hi16_zmm",
	"pt",
	"pkru",
	"pasid",
	"cet_user",
	"cet_supervisor",
	"hdc",
	"uintr",
	"lbr",
	"hwp",
	"xtilecfg",
	"xtiledata",
	"apx",
};

static void cpu_read(uint32_t v[NR_REGS])
{
	unsigned a, b, c, d, max = __get_cpuid_max(0, NULL),
			     ext = __get_cpuid_max(0x80000000, NULL);

	memset(v, 0, NR_REGS * sizeof(*v));
	if (max >= 1 && __get_cpuid_count(1, 0, &a, &b, &c, &d)) {
		v[R_1_ECX] = c;
		v[R_1_EDX] = d;
	}
	if (max >= 7 && __get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		v[R_7_EBX] = b;
		v[R_7_ECX] = c;
		v[R_7_EDX] = d;
		if (a >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d))
			v[R_7_1_EAX] = a;
	}
	if (max >= 0xd && __get_cpuid_count(0xd, 1, &a, &b, &c, &d))
		v[R_D_1_EAX] = a;
	if (ext >= 0x80000001 && __get_cpuid_count(0x80000001, 0, &a, &b, &c, &d)) {
		v[R_EXT1_ECX] = c;
		v[R_EXT1_EDX] = d;
	}
}

/* XCR0: the state components the kernel lets processes use. */
static uint64_t xcr0_read(void)
{
	unsigned a, b, c, d;
	uint32_t lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return 3; /* x87 and SSE: what FXSAVE holds */
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* The size of a thread's XSAVE area (NT_X86_XSTATE) here: CPUID 0xd's
 * size for the components enabled in XCR0. */
static uint32_t xstate_size_here(void)
{
	unsigned a, b = 0, c, d;

	if (__get_cpuid_max(0, NULL) < 0xd || !__get_cpuid_count(0xd, 0, &a, &b, &c, &d) || !b)
		return XSTATE_MIN;
	return b;
}

static uint32_t *reg_field(MachineEntry *m, enum cpu_reg r, protobuf_c_boolean **has)
{
	switch (r) {
	case R_1_ECX:
		*has = &m->has_cpuid_1_ecx;
		return &m->cpuid_1_ecx;
	case R_1_EDX:
		*has = &m->has_cpuid_1_edx;
		return &m->cpuid_1_edx;
	case R_7_EBX:
		*has = &m->has_cpuid_7_ebx;
		return &m->cpuid_7_ebx;
	case R_7_ECX:
		*has = &m->has_cpuid_7_ecx;
		return &m->cpuid_7_ecx;
	case R_7_EDX:
		*has = &m->has_cpuid_7_edx;
		return &m->cpuid_7_edx;
	case R_7_1_EAX:
		*has = &m->has_cpuid_7_1_eax;
		return &m->cpuid_7_1_eax;
	case R_D_1_EAX:
		*has = &m->has_cpuid_d_1_eax;
		return &m->cpuid_d_1_eax;
	case R_EXT1_ECX:
		*has = &m->has_cpuid_ext1_ecx;
		return &m->cpuid_ext1_ecx;
	default:
		*has = &m->has_cpuid_ext1_edx;
		return &m->cpuid_ext1_edx;
	}
}

/* The XSAVE features of a thread: what ptrace puts in the first word of
 * the software bytes (or after the magic, as a signal frame has them). */
static uint64_t thread_xfeatures(const ThreadCoreEntry *th)
{
	uint64_t features = 0;
	uint32_t magic;

	if (th->xstate.len < XSTATE_MIN)
		return 0;
	memcpy(&magic, th->xstate.data + XSAVE_SW_OFF, 4);
	memcpy(&features, th->xstate.data + XSAVE_SW_OFF + (magic == FP_XSTATE_MAGIC1 ? 8 : 0), 8);
	return features;
}

/* CPUID 0xd.@k EBX: where component @k sits in a standard-format area. */
static uint32_t xstate_offset_here(unsigned k)
{
	unsigned a, b = 0, c, d;

	if (__get_cpuid_max(0, NULL) < 0xd || !__get_cpuid_count(0xd, k, &a, &b, &c, &d))
		return 0;
	return b;
}

static void xstate_offsets_dump(MachineEntry *m)
{
	size_t n = 0;

	for (unsigned k = 2; k < 64; k++)
		if (m->xfeatures & (1ull << k))
			n = k + 1;
	m->n_xstate_offsets = n;
	m->xstate_offsets = xzalloc((n + 1) * sizeof(*m->xstate_offsets));
	for (unsigned k = 2; k < n; k++)
		if (m->xfeatures & (1ull << k))
			m->xstate_offsets[k] = xstate_offset_here(k);
}

int machine_dump(struct dump *d, MachineEntry **ret)
{
	MachineEntry *m = xmalloc(sizeof(*m));
	_cleanup_free_ char *mid = NULL;
	uint32_t regs[NR_REGS];
	struct utsname u;
	size_t len;
	int r;

	machine_entry__init(m);
	*ret = m;
	if (uname(&u) == 0) {
		m->kernel_version = xstrdup(u.version);
		m->arch = xstrdup(u.machine);
	}
	if (read_file("/etc/machine-id", &mid, &len) == 0) {
		mid[strcspn(mid, "\n")] = 0;
		if (str_fits(mid, 64))
			m->machine_id = xstrdup(mid);
	}
	cpu_read(regs);
	for (int i = 0; i < NR_REGS; i++) {
		protobuf_c_boolean *has;
		uint32_t *f = reg_field(m, (enum cpu_reg)i, &has);

		*f = regs[i];
		*has = true;
	}
	m->has_xfeatures = m->has_xstate_size = true;
	for (size_t i = 0; i < d->tree.nr; i++)
		for (size_t t = 0; !d->tree.procs[i].node.zombie && d->procs[i].threads &&
				   t < d->tree.procs[i].nr_threads;
		     t++) {
			const ThreadCoreEntry *th = d->procs[i].threads[t];

			if (!th)
				continue;
			m->xfeatures |= thread_xfeatures(th);
			m->xstate_size = MAX(m->xstate_size, (uint32_t)th->xstate.len);
		}
	xstate_offsets_dump(m);
	r = vdso_id_dump(d, m);
	if (r < 0) {
		machine_free(m);
		*ret = NULL;
	}
	return r;
}

void machine_free(MachineEntry *m)
{
	if (!m)
		return;
	free(m->kernel_version);
	free(m->arch);
	free(m->machine_id);
	free(m->xstate_offsets);
	vdso_id_free(m->vdso);
	free(m);
}

/* ---- restore ---- */

static int bad(const char *what)
{
	return pr_fail(-EBADMSG, "cannot restore: images are inconsistent (inventory: %s)", what);
}

static int machine_valid(const MachineEntry *m)
{
	const VdsoIdEntry *v = m->vdso;
	const char *why;

	if ((m->kernel_version && !str_fits(m->kernel_version, KERNEL_STR_MAX)) ||
	    (m->arch && !str_fits(m->arch, 64)) || (m->machine_id && !str_fits(m->machine_id, 64)))
		return bad("a machine string too long");
	if (m->has_xstate_size && m->xstate_size && m->xstate_size < XSTATE_MIN)
		return bad("xstate size");
	if (m->has_xstate_size && m->xstate_size > XSTATE_MAX)
		return bad("xstate size");
	if (m->n_xstate_offsets > 64)
		return bad("xstate offsets");
	for (size_t k = 0; k < m->n_xstate_offsets; k++)
		if (m->xstate_offsets[k] > XSTATE_MAX)
			return bad("xstate offsets");
	why = v ? vdso_id_invalid(v) : NULL;
	return why ? bad(why) : 0;
}

static int check_cpu(const MachineEntry *m)
{
	_cleanup_free_ char *list = xstrdup("");
	uint32_t here[NR_REGS];
	uint64_t xmissing;
	size_t n = 0;

	cpu_read(here);
	for (size_t i = 0; i < ARRAY_SIZE(cpu_features); i++) {
		protobuf_c_boolean *has;
		uint32_t *f = reg_field((MachineEntry *)m, cpu_features[i].reg, &has);
		uint32_t bit = 1u << cpu_features[i].bit;
		char *more;

		if (!*has || !(*f & bit) || (here[cpu_features[i].reg] & bit))
			continue;
		more = xasprintf("%s%s%s", list, n++ ? ", " : "", cpu_features[i].name);
		free(list);
		list = more;
	}
	if (n)
		return pr_fail(-EOPNOTSUPP,
			       "cannot restore: this CPU lacks %s, which the process may use",
			       list);
	xmissing = m->has_xfeatures ? m->xfeatures & ~xcr0_read() : 0;
	for (unsigned b = 0; b < 64; b++) {
		char *more;

		if (!(xmissing & (1ull << b)))
			continue;
		if (b < ARRAY_SIZE(xfeature_names))
			more = xasprintf("%s%s%s", list, n++ ? ", " : "", xfeature_names[b]);
		else
			more = xasprintf("%s%sxsave feature %u", list, n++ ? ", " : "", b);
		free(list);
		list = more;
	}
	if (n)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot restore: this CPU lacks the XSAVE state %s, which the process may use",
			list);
	/* The area is given as it was, padded (regs.c): each component the
	 * threads have must sit where it sat. */
	for (unsigned k = 2; k < m->n_xstate_offsets; k++) {
		uint32_t here_off = xstate_offset_here(k);

		if (!(m->xfeatures & (1ull << k)) || !m->xstate_offsets[k] ||
		    here_off == m->xstate_offsets[k])
			continue;
		return pr_fail(
			-EOPNOTSUPP,
			"cannot restore: this CPU keeps the XSAVE state %s at offset %u, the dump's at %u",
			k < ARRAY_SIZE(xfeature_names) ? xfeature_names[k] : "?", here_off,
			m->xstate_offsets[k]);
	}
	if (m->has_xstate_size && m->xstate_size > xstate_size_here())
		return pr_fail(
			-EOPNOTSUPP,
			"cannot restore: the threads' xstate area (%u bytes) is larger than this CPU's (%u bytes)",
			m->xstate_size, xstate_size_here());
	return 0;
}

int machine_check_xstate(const TaskCoreEntry *c, int pid)
{
	uint32_t here = xstate_size_here();

	for (size_t t = 0; t < c->n_threads; t++)
		if (c->threads[t]->xstate.len > here)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot restore %d: its thread %u's xstate area (%zu bytes) is larger than this CPU's (%u bytes)",
				pid, c->threads[t]->tid, c->threads[t]->xstate.len, here);
	return 0;
}

/* -v: what differs that a restore does not refuse. */
static void tell_kernel(const InventoryEntry *inv, const MachineEntry *m)
{
	_cleanup_free_ char *mid = NULL;
	struct utsname u;
	size_t len;

	if (uname(&u) < 0)
		return;
	if (strcmp(inv->kernel, u.release) ||
	    (m->kernel_version && strcmp(m->kernel_version, u.version)))
		pr_debug("dumped on kernel %s (%s), restoring on %s (%s)", inv->kernel,
			 m->kernel_version ?: "?", u.release, u.version);
	if (m->machine_id && read_file("/etc/machine-id", &mid, &len) == 0) {
		mid[strcspn(mid, "\n")] = 0;
		if (strcmp(mid, m->machine_id))
			pr_debug("dumped on machine %s, restoring on %s", m->machine_id, mid);
	}
}

int machine_check(const InventoryEntry *inv)
{
	const MachineEntry *m = inv->machine;
	int r;

	if (!m) {
		pr_debug("the images say nothing of the dump's CPU and vDSO (an older ckpt)");
		return 0;
	}
	r = machine_valid(m);
	if (r < 0)
		return r;
	if (m->arch && strcmp(m->arch, "x86_64"))
		return pr_fail(-EOPNOTSUPP,
			       "cannot restore: the images were made on %s, this machine is x86_64",
			       m->arch);
	tell_kernel(inv, m);
	r = FAULT_OR(restore_check_cpu,
		     pr_fail(-EOPNOTSUPP, "cannot restore: this CPU lacks a feature"),
		     check_cpu(m));
	if (r >= 0 && m->vdso)
		r = vdso_id_check(m->vdso);
	return r;
}

/* ---- ckpt show ---- */

static char *esc(const char *s)
{
	return str_escape(s ? s : "?");
}

void machine_show(const InventoryEntry *inv)
{
	const MachineEntry *m = inv->machine;
	uint32_t regs[NR_REGS];
	_cleanup_free_ char *flags = xstrdup("");
	_cleanup_free_ char *arch = NULL, *kernel = NULL, *version = NULL, *mid = NULL;

	if (!m)
		return;
	arch = esc(m->arch);
	kernel = esc(inv->kernel);
	version = esc(m->kernel_version);
	mid = esc(m->machine_id);
	printf("machine: %s, kernel %s %s, machine id %s\n", arch, kernel, version, mid);
	for (int i = 0; i < NR_REGS; i++) {
		protobuf_c_boolean *has;

		regs[i] = *reg_field((MachineEntry *)m, (enum cpu_reg)i, &has);
	}
	for (size_t i = 0; i < ARRAY_SIZE(cpu_features); i++)
		if (regs[cpu_features[i].reg] & (1u << cpu_features[i].bit)) {
			char *more = xasprintf("%s %s", flags, cpu_features[i].name);

			free(flags);
			flags = more;
		}
	printf("  cpu flags:%s\n", flags);
	printf("  cpuid: 1.ecx %#x 1.edx %#x 7.ebx %#x 7.ecx %#x 7.edx %#x 7.1.eax %#x d.1.eax %#x 80000001.ecx %#x 80000001.edx %#x\n",
	       regs[R_1_ECX], regs[R_1_EDX], regs[R_7_EBX], regs[R_7_ECX], regs[R_7_EDX],
	       regs[R_7_1_EAX], regs[R_D_1_EAX], regs[R_EXT1_ECX], regs[R_EXT1_EDX]);
	printf("  xsave features %#llx, xstate %u bytes\n", (unsigned long long)m->xfeatures,
	       m->xstate_size);
	if (m->vdso) {
		printf("  vdso: %llu bytes, crc32c %08x, build-id ",
		       (unsigned long long)m->vdso->size, m->vdso->crc);
		for (size_t i = 0; i < m->vdso->build_id.len && i < BUILD_ID_MAX; i++)
			printf("%02x", m->vdso->build_id.data[i]);
		printf("\n");
		for (size_t i = 0; i < m->vdso->n_symbols; i++) {
			_cleanup_free_ char *name = esc(m->vdso->symbols[i]->name);

			printf("    %s at %#llx\n", name,
			       (unsigned long long)m->vdso->symbols[i]->offset);
		}
	}
}

void machine_show_json(const InventoryEntry *inv, void (*str)(const char *))
{
	const MachineEntry *m = inv->machine;
	bool first = true;

	if (!m)
		return;
	printf(",\"machine\":{\"arch\":");
	str(m->arch ?: "");
	printf(",\"kernel_version\":");
	str(m->kernel_version ?: "");
	printf(",\"machine_id\":");
	str(m->machine_id ?: "");
	printf(",\"cpu_flags\":[");
	for (size_t i = 0; i < ARRAY_SIZE(cpu_features); i++) {
		protobuf_c_boolean *has;
		uint32_t v = *reg_field((MachineEntry *)m, cpu_features[i].reg, &has);

		if (v & (1u << cpu_features[i].bit)) {
			printf("%s", first ? "" : ",");
			str(cpu_features[i].name);
			first = false;
		}
	}
	printf("],\"xfeatures\":%llu,\"xstate_size\":%u", (unsigned long long)m->xfeatures,
	       m->xstate_size);
	if (m->vdso) {
		printf(",\"vdso\":{\"size\":%llu,\"crc32c\":%u,\"symbols\":{",
		       (unsigned long long)m->vdso->size, m->vdso->crc);
		for (size_t i = 0; i < m->vdso->n_symbols; i++) {
			printf("%s", i ? "," : "");
			str(m->vdso->symbols[i]->name);
			printf(":%llu", (unsigned long long)m->vdso->symbols[i]->offset);
		}
		printf("}}");
	}
	printf("}");
}
