/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_STREAM_H
#define CKPT_STREAM_H
/*
 * An image set as one stream (`--images -`), for pipes and ssh.
 *
 * The stream is a header, then records, all integers little-endian:
 *
 *	header:	"CKPTSTRM"   u32 version (1)   u32 CRC32C of the 12 bytes before
 *	record:	u32 type   u32 body length   body   u32 CRC32C of type, length, body
 *
 *	FILE  (1)  u32 id   u32 kind magic   name          an image file begins
 *	DATA  (2)  u32 id   bytes                         the next bytes of its payload
 *	DONE  (3)  u32 id   its 32-byte image header       the file is complete
 *	END   (4)  u32 CRC32C of every byte of the stream before this record,
 *	           then inventory.img whole                 the set is complete
 *
 * An image file travels as its payload (what image.c stores: compressed
 * frames when the dump compresses) in DATA records of at most
 * STREAM_CHUNK bytes, then its header, which image.c writes last. Page
 * images are sent as the dump writes them, so neither side ever holds a
 * process's memory whole; the small images follow once the set is
 * sealed, and the inventory last. Several files may be open at once (at
 * most STREAM_OPEN_MAX), each named by its id.
 *
 * The receiver believes nothing: lengths are bounded, names are those the
 * image kinds produce (no '/', no "..", no dot files) and match the kind
 * magic, a file's header must agree with the bytes received for it
 * (length and payload checksum), the inventory must list exactly the
 * files received with their sizes. It writes into a temporary directory
 * (imgdir.c) that becomes the image set only once all that holds. After
 * END the stream carries nothing but the handshake lines (--handshake).
 *
 * These functions log their errors (one line) and return -errno.
 */
#include "imgdir.h"
#include "inventory.pb-c.h"
#include "options.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define STREAM_VERSION 1
#define STREAM_CHUNK (1u << 20)
#define STREAM_OPEN_MAX 16
#define STREAM_FILES_MAX (1u << 20)

/* ---- dump side (stream.c) ---- */

struct stream_out;

/* `dump|pre-dump --images -`: @dir is made where the set is staged (the
 * --meta DIR, or a private directory on tmpfs), and page images are sent
 * on stdout as they are written. Refuses a terminal on stdout. */
int stream_dump_begin(const struct options *o, struct imgdir *dir, struct stream_out **ret);
/* The set sealed in @dir (inventory @inv): the rest of the files and the
 * end record sent. With --meta, @dir then holds the set without its page
 * images, marked so, to be published as the parent of the next dump. */
int stream_dump_send(struct stream_out *so, struct imgdir *dir, InventoryEntry *inv, int root);
/* --handshake: wait for the restore side's "ready" (the tree still frozen). */
int stream_dump_wait_ready(struct stream_out *so, int root);
/* --handshake, the tree killed (or resumed): "go", then "running PID". */
int stream_dump_go(struct stream_out *so, int root, bool killed);
/* Success or not: the staging directory removed, the tap cleared. */
void stream_dump_end(struct stream_out *so);

/* ---- receiving side (stream-recv.c) ---- */

/* Read one image set from @fd into @d (made by imgdir_create) and publish
 * it. On failure @d is aborted: nothing is left that looks like a set. */
int stream_receive(int fd, struct imgdir *d);

/* ---- a private directory on tmpfs (stream-stage.c) ---- */

/*
 * A directory only we can reach (/dev/shm/.ckpt-stream-XXXXXX, 0700), and
 * a small process of its own, not a child of ckpt, that removes it when
 * ckpt is gone, however it ends (it waits for the end of a pipe whose
 * other end only ckpt holds, close-on-exec).
 */
struct stage {
	char *path; /* the directory */
	char *set; /* path/images: where the image set goes */
	int hold; /* our end of the remover's pipe */
	ino_t ino; /* the directory's inode: only that one is removed */
};
int stage_create(struct stage *s, const char *verb);
void stage_remove(struct stage *s);

/* ---- restore side (stream-restore.c) ---- */

/* `restore --images -`: the set read from stdin into a stage; @ret_path
 * is where it is (a self-contained set: no parent). @wait_pids: give the
 * tree's pids some time to be freed (a dump on this machine kills its
 * tree once the stream is sent). */
int stream_restore_receive(const char **ret_path, bool wait_pids);
/* The restored tree let go (or the restore failed): the stage goes. */
void stream_restore_done(void);
/* --handshake: "ready" on stdout, then "go" awaited on stdin. */
int stream_restore_ready(void);
void stream_restore_running(int pid);

/* One handshake line from @fd (a byte at a time: what follows is not
 * ours), without its newline; -EPIPE at EOF, -EPROTO if too long,
 * -EINTR when interrupted(). Does not log. */
int stream_read_line(int fd, char *buf, size_t size);

/* Is @name an image file name of @kind (what img_name() makes)? */
bool stream_name_ok(const char *name, int kind);

#endif
