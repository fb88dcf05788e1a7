// SPDX-License-Identifier: GPL-2.0
#include "proc.h"

#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>

static const struct {
	char name[3];
	uint64_t flag;
} vmflag_names[] = {
	{ "gd", VMF_GROWSDOWN },  { "sh", VMF_SHARED },	    { "dd", VMF_DONTDUMP },
	{ "dc", VMF_DONTCOPY },	  { "wf", VMF_WIPEONFORK }, { "hg", VMF_HUGEPAGE },
	{ "nh", VMF_NOHUGEPAGE }, { "mg", VMF_MERGEABLE },  { "lo", VMF_LOCKED },
	{ "sr", VMF_SEQ_READ },	  { "rr", VMF_RAND_READ },  { "io", VMF_IO },
	{ "pf", VMF_PFNMAP },	  { "ht", VMF_HUGETLB },    { "de", VMF_DONTEXPAND },
	{ "mw", VMF_MAYWRITE },	  { "uw", VMF_UFFD_WP },
};

uint64_t proc_parse_vmflags(const char *s)
{
	uint64_t flags = 0;

	while (*s) {
		while (*s == ' ')
			s++;
		if (!s[0] || !s[1])
			break;
		for (size_t i = 0; i < ARRAY_SIZE(vmflag_names); i++)
			if (s[0] == vmflag_names[i].name[0] && s[1] == vmflag_names[i].name[1])
				flags |= vmflag_names[i].flag;
		s += 2;
		while (*s && *s != ' ')
			s++;
	}
	return flags;
}

static int parse_maps_line(const char *line, struct proc_vma *v)
{
	char perms[5];
	int path_off = -1;

	memset(v, 0, sizeof(*v));
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n", &v->start,
		   &v->end, perms, &v->pgoff, &v->dev_major, &v->dev_minor, &v->ino, &path_off) < 7)
		return -EINVAL;
	if (strlen(perms) != 4 || v->end <= v->start)
		return -EINVAL;
	v->r = perms[0] == 'r';
	v->w = perms[1] == 'w';
	v->x = perms[2] == 'x';
	v->shared = perms[3] == 's';
	if (path_off > 0 && line[path_off]) {
		size_t len = strlen(line + path_off);

		while (len && line[path_off + len - 1] == '\n')
			len--;
		if (len)
			v->path = strndup(line + path_off, len);
	}
	return 0;
}

/* A line of maps starts with a hex address and a dash; smaps field lines
 * start with a capitalised name and a colon. */
static bool is_maps_line(const char *line)
{
	const char *p = line;

	while (isxdigit((unsigned char)*p))
		p++;
	return p != line && *p == '-';
}

int proc_parse_maps(FILE *f, struct proc_vma **ret_vmas, size_t *ret_nr)
{
	struct proc_vma *vmas = NULL;
	size_t nr = 0, cap = 0;
	char *line = NULL;
	size_t line_cap = 0;
	int r = 0;

	while (getline(&line, &line_cap, f) > 0) {
		if (is_maps_line(line)) {
			if (nr == cap) {
				cap = cap ? cap * 2 : 64;
				vmas = xrealloc(vmas, cap * sizeof(*vmas));
			}
			r = parse_maps_line(line, &vmas[nr]);
			if (r < 0)
				break;
			nr++;
		} else if (nr && !strncmp(line, "VmFlags:", 8)) {
			vmas[nr - 1].vmflags = proc_parse_vmflags(line + 8);
		} else if (nr && !strncmp(line, "AnonHugePages:", 14)) {
			vmas[nr - 1].anon_huge_kb = strtoull(line + 14, NULL, 10);
		} else if (!nr || !isupper((unsigned char)line[0])) {
			r = -EINVAL;
			break;
		}
	}
	free(line);
	if (r < 0) {
		proc_vmas_free(vmas, nr);
		return r;
	}
	*ret_vmas = vmas;
	*ret_nr = nr;
	return 0;
}

void proc_vmas_free(struct proc_vma *vmas, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(vmas[i].path);
	free(vmas);
}

int proc_parse_stat(const char *text, struct proc_stat *ret)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	unsigned long long v[52] = { 0 };
	const char *p;
	int n = 0;

	memset(ret, 0, sizeof(*ret));
	if (!open || !close || close < open || sscanf(text, "%d", &ret->pid) != 1)
		return -EINVAL;
	snprintf(ret->comm, sizeof(ret->comm), "%.*s", (int)MIN(close - open - 1, 63), open + 1);
	p = close + 1;
	while (*p == ' ')
		p++;
	if (!*p || *p == '\n')
		return -EINVAL;
	ret->state = *p++;
	/* Fields 4..52 (1-based, as in proc(5)); v[i - 1] holds field i. */
	for (int i = 4; i <= 52; i++) {
		char *end;

		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break;
		v[i - 1] = strtoll(p, &end, 10);
		if (end == p)
			return -EINVAL;
		p = end;
		n = i;
	}
	if (n < 28)
		return -EINVAL;
	ret->ppid = (int)v[3];
	ret->pgid = (int)v[4];
	ret->sid = (int)v[5];
	ret->tty_nr = (unsigned int)v[6];
	ret->flags = (unsigned int)v[8];
	ret->num_threads = (long)v[19];
	ret->start_time = v[21];
	ret->start_code = v[25];
	ret->end_code = v[26];
	ret->start_stack = v[27];
	ret->start_data = v[44];
	ret->end_data = v[45];
	ret->start_brk = v[46];
	ret->arg_start = v[47];
	ret->arg_end = v[48];
	ret->env_start = v[49];
	ret->env_end = v[50];
	ret->exit_code = (int)v[51];
	return 0;
}

static int parse_groups(const char *s, struct proc_status *ret)
{
	while (*s) {
		char *end;
		unsigned long g;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '\n')
			break;
		g = strtoul(s, &end, 10);
		if (end == s)
			return -EINVAL;
		ret->groups = xrealloc(ret->groups, (ret->nr_groups + 1) * sizeof(*ret->groups));
		ret->groups[ret->nr_groups++] = (unsigned int)g;
		s = end;
	}
	return 0;
}

/* "CapInh:\t0000000000000000" and the four others: a bit per line seen. */
static int parse_cap_line(const char *line, struct proc_status *ret)
{
	static const char *const names[] = { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:",
					     "CapAmb:" };
	uint64_t *sets[] = { &ret->cap_inh, &ret->cap_prm, &ret->cap_eff, &ret->cap_bnd,
			     &ret->cap_amb };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strncmp(line, names[i], strlen(names[i])) &&
		    sscanf(line + strlen(names[i]), "%" SCNx64, sets[i]) == 1)
			return 1 << i;
	return 0;
}

int proc_parse_status(FILE *f, struct proc_status *ret)
{
	char *line = NULL;
	size_t cap = 0;
	int seen = 0, caps = 0, r = 0;

	memset(ret, 0, sizeof(*ret));
	ret->no_new_privs = ret->seccomp = ret->seccomp_filters = -1;
	while (getline(&line, &cap, f) > 0) {
		if (!strncmp(line, "Cap", 3))
			caps |= parse_cap_line(line, ret);
		else if (sscanf(line, "Umask: %o", &ret->umask) == 1)
			seen |= 1;
		else if (sscanf(line, "Uid: %u %u %u %u", &ret->uid[0], &ret->uid[1], &ret->uid[2],
				&ret->uid[3]) == 4)
			seen |= 2;
		else if (sscanf(line, "Gid: %u %u %u %u", &ret->gid[0], &ret->gid[1], &ret->gid[2],
				&ret->gid[3]) == 4)
			seen |= 4;
		else if (!strncmp(line, "Groups:", 7))
			r = parse_groups(line + 7, ret);
		else if (sscanf(line, "Tgid: %d", &ret->tgid) == 1)
			seen |= 8;
		else if (sscanf(line, "PPid: %d", &ret->ppid) == 1) {
		} else if (sscanf(line, "TracerPid: %d", &ret->tracer_pid) == 1) {
		} else if (sscanf(line, "Threads: %d", &ret->threads) == 1) {
		} else if (sscanf(line, "SigPnd: %" SCNx64, &ret->sig_pending) == 1) {
		} else if (sscanf(line, "ShdPnd: %" SCNx64, &ret->shd_pending) == 1) {
		} else if (sscanf(line, "SigBlk: %" SCNx64, &ret->sig_blocked) == 1) {
		} else if (sscanf(line, "NoNewPrivs: %d", &ret->no_new_privs) == 1) {
		} else if (sscanf(line, "Seccomp: %d", &ret->seccomp) == 1) {
		} else if (sscanf(line, "Seccomp_filters: %d", &ret->seccomp_filters) == 1) {
		} else {
			(void)sscanf(line, "SigCgt: %" SCNx64, &ret->sig_caught);
		}
		if (r < 0)
			break;
	}
	free(line);
	ret->has_caps = caps == 31;
	if (r == 0 && (seen & 14) != 14)
		r = -EINVAL;
	if (r < 0) {
		free(ret->groups);
		ret->groups = NULL;
	}
	return r;
}

int proc_parse_fdinfo(FILE *f, struct proc_fdinfo *ret)
{
	char *line = NULL;
	size_t cap = 0;
	int seen = 0;

	memset(ret, 0, sizeof(*ret));
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "pos: %" SCNu64, &ret->pos) == 1)
			seen |= 1;
		else if (sscanf(line, "flags: %o", &ret->flags) == 1)
			seen |= 2;
		else
			(void)sscanf(line, "mnt_id: %d", &ret->mnt_id);
	}
	free(line);
	return seen == 3 ? 0 : -EINVAL;
}

int proc_read_stat(int pid, struct proc_stat *ret)
{
	char path[64];
	_cleanup_free_ char *text = NULL;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	r = read_file(path, &text, NULL);
	if (r < 0)
		return r;
	return proc_parse_stat(text, ret);
}

int proc_read_status(int pid, struct proc_status *ret)
{
	char path[64];
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	return proc_parse_status(f, ret);
}

int proc_read_thread_status(int pid, int tid, struct proc_status *ret)
{
	char path[96];
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	return proc_parse_status(f, ret);
}

static int read_maps_file(int pid, const char *name, struct proc_vma **ret_vmas, size_t *ret_nr)
{
	char path[64];
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	return proc_parse_maps(f, ret_vmas, ret_nr);
}

int proc_read_maps(int pid, struct proc_vma **ret_vmas, size_t *ret_nr)
{
	return read_maps_file(pid, "maps", ret_vmas, ret_nr);
}

int proc_read_smaps(int pid, struct proc_vma **ret_vmas, size_t *ret_nr)
{
	return read_maps_file(pid, "smaps", ret_vmas, ret_nr);
}

static int list_numbers(DIR *d, int **ret, size_t *ret_nr)
{
	struct dirent *de;
	int *v = NULL;
	size_t nr = 0;

	while ((de = readdir(d))) {
		int n;

		if (parse_pid(de->d_name, &n) < 0)
			continue;
		v = xrealloc(v, (nr + 1) * sizeof(*v));
		v[nr++] = n;
	}
	*ret = v;
	*ret_nr = nr;
	return 0;
}

int proc_list_threads(int pid, int **ret_tids, size_t *ret_nr)
{
	char path[64];
	DIR *d;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	r = list_numbers(d, ret_tids, ret_nr);
	closedir(d);
	return r;
}

int proc_list_fds(int pid, int **ret_fds, size_t *ret_nr)
{
	char path[64];
	struct dirent *de;
	int *v = NULL;
	size_t nr = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int fd;

		/* parse_pid() takes no 0, which is an fd like any other. */
		if (!strcmp(de->d_name, "0"))
			fd = 0;
		else if (parse_pid(de->d_name, &fd) < 0)
			continue;
		v = xrealloc(v, (nr + 1) * sizeof(*v));
		v[nr++] = fd;
	}
	closedir(d);
	*ret_fds = v;
	*ret_nr = nr;
	return 0;
}

int proc_list_children(int pid, int tid, int **ret_pids, size_t *ret_nr)
{
	char path[96];
	_cleanup_free_ char *text = NULL;
	int *v = NULL;
	size_t nr = 0;
	char *p, *save = NULL;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tid);
	r = read_file(path, &text, NULL);
	if (r < 0)
		return r;
	for (p = strtok_r(text, " \n", &save); p; p = strtok_r(NULL, " \n", &save)) {
		int n;

		if (parse_pid(p, &n) < 0)
			continue;
		v = xrealloc(v, (nr + 1) * sizeof(*v));
		v[nr++] = n;
	}
	*ret_pids = v;
	*ret_nr = nr;
	return 0;
}

/* ---- fdinfo of anonymous-inode files ------------------------------------ */

/* The text after "key" at the start of a line of @text, or NULL. */
static const char *line_value(const char *text, const char *key)
{
	size_t len = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, len))
			return p + len;
	return NULL;
}

/* An unsigned number in @base filling @s up to a blank or the end of the
 * line; sets *@end past it. No sign, no empty number. */
static int parse_u64(const char *s, int base, uint64_t *ret, const char **end)
{
	char *e;
	uint64_t v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (base == 16 ? !isxdigit((unsigned char)*s) : !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &e, base);
	if (errno || (*e && *e != ' ' && *e != '\t' && *e != '\n'))
		return -EINVAL;
	*ret = v;
	if (end)
		*end = e;
	return 0;
}

/* The number after "key" on a line of @text. */
static int field_u64(const char *text, const char *key, int base, uint64_t *ret)
{
	const char *v = line_value(text, key);

	return v ? parse_u64(v, base, ret, NULL) : -EINVAL;
}

int proc_parse_eventfd(const char *text, struct proc_eventfd *ret)
{
	uint64_t count, sem;
	int r = field_u64(text, "eventfd-count:", 16, &count);

	if (r < 0)
		return r;
	if (!line_value(text, "eventfd-semaphore:"))
		sem = (uint64_t)-1;
	else if (field_u64(text, "eventfd-semaphore:", 10, &sem) < 0 || sem > 1)
		return -EINVAL;
	ret->count = count;
	ret->semaphore = (int)sem;
	return 0;
}

/* "(sec, nsec)" in nanoseconds. */
static int parse_timespec(const char *s, uint64_t *ret)
{
	uint64_t sec, nsec;
	int n = 0;

	if (sscanf(s, " (%" SCNu64 ", %" SCNu64 ")%n", &sec, &nsec, &n) != 2 || !n ||
	    nsec >= 1000000000ULL || sec > (UINT64_MAX - nsec) / 1000000000ULL)
		return -EINVAL;
	*ret = sec * 1000000000ULL + nsec;
	return 0;
}

int proc_parse_timerfd(const char *text, struct proc_timerfd *ret)
{
	const char *value = line_value(text, "it_value:");
	const char *interval = line_value(text, "it_interval:");
	struct proc_timerfd t;
	uint64_t clockid, flags;

	if (field_u64(text, "clockid:", 10, &clockid) < 0 || clockid > INT32_MAX ||
	    field_u64(text, "ticks:", 10, &t.ticks) < 0 ||
	    field_u64(text, "settime flags:", 8, &flags) < 0 || flags > UINT32_MAX || !value ||
	    !interval || parse_timespec(value, &t.value_ns) < 0 ||
	    parse_timespec(interval, &t.interval_ns) < 0)
		return -EINVAL;
	t.clockid = (int)clockid;
	t.settime_flags = (unsigned int)flags;
	*ret = t;
	return 0;
}

static int parse_notify(const char *how, const char *whose, int *ret)
{
	int n;

	if (!strcmp(how, "signal"))
		n = SIGEV_SIGNAL;
	else if (!strcmp(how, "none"))
		n = SIGEV_NONE;
	else if (!strcmp(how, "thread"))
		n = SIGEV_THREAD;
	else
		return -EINVAL;
	if (!strcmp(whose, "tid"))
		n |= SIGEV_THREAD_ID;
	else if (strcmp(whose, "pid"))
		return -EINVAL;
	*ret = n;
	return 0;
}

int proc_parse_posix_timers(const char *text, struct proc_posix_timer **ret_timers, size_t *ret_nr)
{
	struct proc_posix_timer *timers = NULL;
	const char *p = text;
	size_t nr = 0;

	while (*p) {
		struct proc_posix_timer t;
		char how[16], whose[8];
		int n = 0;

		if (sscanf(p,
			   "ID: %d\nsignal: %d/%" SCNx64
			   "\nnotify: %15[a-z]/%7[a-z].%d\nClockID: %d%n",
			   &t.id, &t.signo, &t.sigval, how, whose, &t.target, &t.clockid,
			   &n) != 7 ||
		    t.id < 0 || t.signo < 0 || t.target < 0 ||
		    parse_notify(how, whose, &t.notify) < 0 || (p[n] && p[n] != '\n')) {
			free(timers);
			return -EINVAL;
		}
		timers = xrealloc(timers, (nr + 1) * sizeof(*timers));
		timers[nr++] = t;
		p += n;
		if (*p)
			p++;
	}
	*ret_timers = timers;
	*ret_nr = nr;
	return 0;
}

int proc_parse_sigmask(const char *text, uint64_t *ret)
{
	return field_u64(text, "sigmask:", 16, ret);
}

int proc_parse_epoll(const char *text, struct proc_epoll_item **ret_items, size_t *ret_nr)
{
	struct proc_epoll_item *items = NULL;
	const char *p = text;
	size_t nr = 0;

	while ((p = line_value(p, "tfd:"))) {
		struct proc_epoll_item it;
		int n = 0;

		if (sscanf(p,
			   " %d events: %" SCNx32 " data: %" SCNx64 " pos:%*[-0-9] ino:%" SCNx64
			   " sdev:%x%n",
			   &it.tfd, &it.events, &it.data, &it.ino, &it.sdev, &n) != 5 ||
		    it.tfd < 0 || (p[n] && p[n] != '\n')) {
			free(items);
			return -EINVAL;
		}
		items = xrealloc(items, (nr + 1) * sizeof(*items));
		items[nr++] = it;
		p = strchr(p, '\n');
	}
	*ret_items = items;
	*ret_nr = nr;
	return 0;
}

static int parse_handle(const char *s, struct proc_inotify_watch *w)
{
	unsigned int bytes, type;
	int n = 0;

	if (sscanf(s, " fhandle-bytes:%x fhandle-type:%x f_handle:%n", &bytes, &type, &n) != 2 ||
	    !n || bytes == 0 || bytes > PROC_FHANDLE_MAX || type > INT32_MAX)
		return -EINVAL;
	s += n;
	for (unsigned int i = 0; i < bytes; i++, s += 2) {
		unsigned int byte;

		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) ||
		    sscanf(s, "%2x", &byte) != 1)
			return -EINVAL;
		w->handle[i] = (unsigned char)byte;
	}
	if (*s && *s != '\n' && *s != ' ')
		return -EINVAL;
	w->handle_bytes = bytes;
	w->handle_type = (int)type;
	return 0;
}

int proc_parse_inotify(const char *text, struct proc_inotify_watch **ret_watches, size_t *ret_nr)
{
	struct proc_inotify_watch *ws = NULL;
	const char *p = text;
	size_t nr = 0;

	while ((p = line_value(p, "inotify wd:"))) {
		struct proc_inotify_watch w = { 0 };
		unsigned int ignored;
		int n = 0;

		if (sscanf(p, "%x ino:%" SCNx64 " sdev:%x mask:%" SCNx32 " ignored_mask:%x%n",
			   &w.wd, &w.ino, &w.sdev, &w.mask, &ignored, &n) != 5 ||
		    w.wd <= 0) {
			free(ws);
			return -EINVAL;
		}
		p += n;
		/* No handle when the file system cannot make one. */
		while (*p == ' ')
			p++;
		if (*p && *p != '\n' && parse_handle(p, &w) < 0) {
			free(ws);
			return -EINVAL;
		}
		ws = xrealloc(ws, (nr + 1) * sizeof(*ws));
		ws[nr++] = w;
		p = strchr(p, '\n');
	}
	*ret_watches = ws;
	*ret_nr = nr;
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = 0;
}

char *proc_mountinfo_unescape(const char *s)
{
	char *out = xstrdup(s);

	unescape_octal(out);
	return out;
}

int proc_find_mount(FILE *f, unsigned int major, unsigned int minor, char **ret_path)
{
	char *line = NULL, *found = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, f) > 0) {
		char *root = NULL, *point = NULL;
		unsigned int ma, mi;

		if (sscanf(line, "%*d %*d %u:%u %ms %ms", &ma, &mi, &root, &point) == 4 &&
		    ma == major && mi == minor && (!found || !strcmp(root, "/"))) {
			free(found);
			found = point;
			point = NULL;
			if (!strcmp(root, "/")) {
				free(root);
				break;
			}
		}
		free(root);
		free(point);
	}
	free(line);
	if (!found)
		return -ENOENT;
	unescape_octal(found);
	*ret_path = found;
	return 0;
}
