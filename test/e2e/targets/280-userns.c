/*
 * 280-userns.c - a rootless container: started by an ordinary user as
 * `unshare --user --map-root-user --uts 280-userns WORKDIR NAME`, so
 * that it made (and is the only process of) its user and uts
 * namespaces.
 *
 * At start it sets its host name to NAME (it is root in its uts
 * namespace; NAME "-": it leaves it, and does not set it again) and records what it sees: its ids (all 0), groups, the
 * capability sets of its /proc/self/status (every one, inside), its
 * uid_map, gid_map and setgroups, the owner of its user namespace as it
 * sees it (NS_GET_OWNER_UID: 0 when the owner is the user its root maps
 * to), the host name, a heap buffer and a System V shm segment of its
 * ipc namespace (its owner root inside, attached once, its contents). The self-check (SIGUSR2) compares
 * each with now, and uses its capabilities inside: sets its host name
 * again (CAP_SYS_ADMIN over its uts namespace, which it has only if that
 * namespace belongs to its user namespace) and changes its uids to 0 and
 * back (CAP_SETUID inside). Reports uid=, owner=, host=.
 */
#include "target.h"

#include <grp.h>
#include <linux/nsfs.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/shm.h>
#include <sys/utsname.h>

#define HEAP_WORDS (1 << 20)

static char uid_map[256], gid_map[256], sg_text[32], caps[512], hostname[65];
static uid_t ids[6];
static gid_t groups[64];
static int nr_groups;
static uid_t owner;
static uint64_t *heap;
static int shmid = -1;
static uint32_t *shm;
#define SHM_WORDS 4096

static void read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (n < 0)
		t_fatal("read %s", path);
	buf[n] = 0;
	close(fd);
}

/* The capability lines of /proc/self/status. */
static void read_caps(char *buf, size_t size)
{
	char status[4096], *line, *save = NULL;

	read_text("/proc/self/status", status, sizeof(status));
	buf[0] = 0;
	for (line = strtok_r(status, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "Cap", 3) && strlen(buf) + strlen(line) + 2 < size) {
			strcat(buf, line);
			strcat(buf, ";");
		}
}

static int read_owner(uid_t *ret)
{
	int fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	int r = fd < 0 ? -1 : ioctl(fd, NS_GET_OWNER_UID, ret);

	if (fd >= 0)
		close(fd);
	return r;
}

static void read_ids(uid_t *v)
{
	getresuid(&v[0], &v[1], &v[2]);
	getresgid(&v[3], &v[4], &v[5]);
}

/* NAME "-": its uts namespace is not its own to name (282). */
static bool own_uts;

static void setup(const char *name)
{
	struct utsname u;

	own_uts = strcmp(name, "-") != 0;
	if (own_uts && sethostname(name, strlen(name)))
		t_fatal("sethostname %s (not root in an uts namespace of its own?)", name);
	if (uname(&u))
		t_fatal("uname");
	snprintf(hostname, sizeof(hostname), "%s", u.nodename);
	read_text("/proc/self/uid_map", uid_map, sizeof(uid_map));
	read_text("/proc/self/gid_map", gid_map, sizeof(gid_map));
	read_text("/proc/self/setgroups", sg_text, sizeof(sg_text));
	read_caps(caps, sizeof(caps));
	read_ids(ids);
	nr_groups = getgroups(64, groups);
	if (nr_groups < 0)
		t_fatal("getgroups");
	if (read_owner(&owner))
		t_fatal("NS_GET_OWNER_UID");
	for (int k = 0; k < 6; k++)
		if (ids[k] != 0)
			t_fatal("id %d is %u, not 0: not root in a user namespace of its own", k,
				ids[k]);
	/* A segment of its own ipc namespace, owned by its root. */
	shmid = shmget(0x280280, SHM_WORDS * sizeof(*shm), IPC_CREAT | IPC_EXCL | 0600);
	shm = shmid < 0 ? MAP_FAILED : shmat(shmid, NULL, 0);
	if (shm == MAP_FAILED)
		t_fatal("shmget/shmat in its ipc namespace");
	for (size_t i = 0; i < SHM_WORDS; i++)
		shm[i] = (uint32_t)(i * 2654435761u);
	heap = malloc(HEAP_WORDS * sizeof(*heap));
	if (!heap)
		t_fatal("malloc");
	for (size_t i = 0; i < HEAP_WORDS; i++)
		heap[i] = i * 0x9E3779B97F4A7C15ull;
}

static void same_text(struct t_check *c, const char *what, const char *path, const char *was)
{
	char now[512];

	read_text(path, now, sizeof(now));
	if (strcmp(now, was))
		t_check_fail(c, "%s is '%s', was '%s'", what, now, was);
}

static void userns_check(struct t_check *c)
{
	char now_caps[512];
	struct utsname u;
	uid_t now[6], now_owner = (uid_t)-1;
	gid_t now_groups[64];
	struct shmid_ds ds;
	int n;

	read_ids(now);
	for (int k = 0; k < 6; k++)
		if (now[k] != ids[k])
			t_check_fail(c, "id %d is %u, was %u", k, now[k], ids[k]);
	n = getgroups(64, now_groups);
	if (n != nr_groups || (n > 0 && memcmp(now_groups, groups, (size_t)n * sizeof(gid_t))))
		t_check_fail(c, "groups: %d of them now, %d at start", n, nr_groups);
	same_text(c, "uid_map", "/proc/self/uid_map", uid_map);
	same_text(c, "gid_map", "/proc/self/gid_map", gid_map);
	same_text(c, "setgroups", "/proc/self/setgroups", sg_text);
	read_caps(now_caps, sizeof(now_caps));
	if (strcmp(now_caps, caps))
		t_check_fail(c, "capabilities are '%s', were '%s'", now_caps, caps);
	if (read_owner(&now_owner) || now_owner != owner)
		t_check_fail(c, "its user namespace's owner is %d inside, was %d", (int)now_owner,
			     (int)owner);
	if (uname(&u) || strcmp(u.nodename, hostname))
		t_check_fail(c, "host name is '%s', was '%s'", u.nodename, hostname);
	/* Its capabilities still work, over its own namespaces. */
	if (own_uts && sethostname(hostname, strlen(hostname)))
		t_check_fail(c, "sethostname: %s", strerror(errno));
	if (setresuid(0, 0, 0))
		t_check_fail(c, "setresuid(0): %s", strerror(errno));
	if (shmctl(shmid, IPC_STAT, &ds))
		t_check_fail(c, "shm %d: %s", shmid, strerror(errno));
	else if (ds.shm_perm.uid != 0 || ds.shm_perm.cuid != 0 || ds.shm_nattch != 1 ||
		 (ds.shm_perm.mode & 0777) != 0600 || ds.shm_perm.__key != 0x280280)
		t_check_fail(c, "shm %d: uid %u cuid %u nattch %lu mode %o key %x", shmid,
			     ds.shm_perm.uid, ds.shm_perm.cuid, (unsigned long)ds.shm_nattch,
			     ds.shm_perm.mode, ds.shm_perm.__key);
	for (size_t i = 0; i < SHM_WORDS; i++)
		if (shm[i] != (uint32_t)(i * 2654435761u)) {
			t_check_fail(c, "shm word %zu", i);
			break;
		}
	for (size_t i = 0; i < HEAP_WORDS; i++)
		if (heap[i] != i * 0x9E3779B97F4A7C15ull) {
			t_check_fail(c, "heap word %zu", i);
			break;
		}
	t_check_info(c, "uid=%u owner=%u host=%s", now[0], now_owner, u.nodename);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = userns_check };

	t_init(argc, argv);
	setup(argc > 2 ? argv[2] : "ck280");
	t_run(&ops);
	return 0;
}
