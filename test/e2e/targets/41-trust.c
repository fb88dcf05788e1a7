/*
 * 41-trust.c - a process of an ordinary user, for the tests of the trust
 * model (tests/48-trust-sets.sh, attacks/30-images.sh, 40-paths.sh).
 *
 * Usage: 41-trust WORKDIR
 *
 * Makes WORKDIR/data (DATA_LEN bytes of a pattern) and holds it open
 * O_RDWR at fd DATA_FD, never writing through it; then runs the common
 * loop of target.h.
 *
 * Self-check: fd DATA_FD is still WORKDIR/data (same device and inode)
 * and reads the pattern from where it was left (offset DATA_OFF). Reports
 * what the process itself sees of its rights: uid=R/E/S/F, gid=R/E/S/F,
 * groups=N, capeff=HEX, capprm=HEX, and data_ino=N.
 */
#include "target.h"

#define DATA_FD 20
#define DATA_LEN 8192
#define DATA_OFF 100

static struct stat data_st;

static char pattern(size_t i)
{
	return (char)('a' + i % 26);
}

static void data_setup(void)
{
	char buf[DATA_LEN];
	int fd;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		t_fatal("open data");
	t_write_all(fd, buf, sizeof(buf));
	if (lseek(fd, DATA_OFF, SEEK_SET) != DATA_OFF || fstat(fd, &data_st))
		t_fatal("seek data");
	t_fd_at(fd, DATA_FD);
}

/* The "Key:" line of /proc/self/status, its value only. */
static void status_value(const char *key, char *out, size_t size)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	snprintf(out, size, "?");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':') {
			char *v = line + strlen(key) + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			for (char *p = v; *p; p++)
				if (*p == '\t')
					*p = '/';
			snprintf(out, size, "%s", v);
			break;
		}
	if (f)
		fclose(f);
}

static void trust_check(struct t_check *c)
{
	char uid[64], gid[64], capeff[32], capprm[32];
	char buf[16];
	struct stat st;
	off_t off = lseek(DATA_FD, 0, SEEK_CUR);

	if (fstat(DATA_FD, &st))
		t_check_fail(c, "fd %d: %s", DATA_FD, strerror(errno));
	else if (st.st_dev != data_st.st_dev || st.st_ino != data_st.st_ino)
		t_check_fail(c, "fd %d is inode %lu, was %lu", DATA_FD, (unsigned long)st.st_ino,
			     (unsigned long)data_st.st_ino);
	if (off != DATA_OFF)
		t_check_fail(c, "data offset %lld, want %d", (long long)off, DATA_OFF);
	else if (pread(DATA_FD, buf, sizeof(buf), DATA_OFF) != (ssize_t)sizeof(buf))
		t_check_fail(c, "cannot read data");
	else
		for (size_t i = 0; i < sizeof(buf); i++)
			if (buf[i] != pattern(DATA_OFF + i)) {
				t_check_fail(c, "data byte %zu changed", DATA_OFF + i);
				break;
			}
	status_value("Uid", uid, sizeof(uid));
	status_value("Gid", gid, sizeof(gid));
	status_value("CapEff", capeff, sizeof(capeff));
	status_value("CapPrm", capprm, sizeof(capprm));
	t_check_info(c, "uid=%s gid=%s groups=%d capeff=%s capprm=%s data_ino=%lu", uid, gid,
		     getgroups(0, NULL), capeff, capprm, (unsigned long)data_st.st_ino);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = trust_check };

	t_init(argc, argv);
	data_setup();
	t_run(&ops);
	return 0;
}
