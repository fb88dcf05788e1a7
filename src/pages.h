/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_PAGES_H
#define CKPT_PAGES_H
/*
 * What pages.c (dump) and pages-restore.c share: runs of pages, batches of
 * them for process_vm_readv/writev, and a relay of two buffers between a
 * thread that fills them and one that empties them.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define BATCH_BYTES (32UL << 20)
#define BATCH_IOVS 1024 /* IOV_MAX */

struct page_run {
	uint64_t vaddr, nr_pages;
	uint32_t where; /* PAGE_WHERE__PAGES_HERE, __PAGES_IN_PARENT */
	bool zero_ok; /* a page of zeros needs no data (anonymous memory) */
};

struct page_runs {
	struct page_run *v;
	size_t n, cap;
	uint64_t nr_pages;
};

/* Append a page range; it extends the last run if it follows it, has the
 * same where, and @merge allows (runs never cross VMAs). */
void page_runs_add(struct page_runs *rs, uint64_t vaddr, uint64_t nr_pages, uint32_t where,
		   bool zero_ok, bool merge);
void page_runs_release(struct page_runs *rs);

struct batch {
	struct iovec remote[BATCH_IOVS];
	uint32_t run[BATCH_IOVS]; /* the run each piece is from */
	size_t n, bytes;
};

struct batches {
	struct batch *v;
	size_t n;
};

/* The runs of @rs stored here, cut in batches of at most BATCH_BYTES and
 * BATCH_IOVS pieces, in run order. */
void batches_make(const struct page_runs *rs, struct batches *ret);
/* The same with batches of at most @max_bytes (whole pages, at most
 * BATCH_BYTES). */
void batches_make_max(const struct page_runs *rs, size_t max_bytes, struct batches *ret);
void batches_release(struct batches *bs);

/* Two buffers handed between a producer and a consumer, each in order. */
struct relay {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *buf[2];
	size_t cap[2]; /* their sizes (relay_init) */
	size_t len[2];
	bool full[2];
	uint32_t crc[2]; /* relay_put_crc: the CRC32C of each buffer's bytes */
	bool closed; /* the producer has no more */
	int err; /* the first failure of either side */
	unsigned int put, take;
};

void relay_init(struct relay *r, size_t buf_len);
/* The buffers kept for the next relay_init freed: the pages are all
 * copied (a restore that waits for its tree keeps none). */
void relay_pool_drain(void);
void relay_release(struct relay *r);
/* Producer: the next empty buffer; NULL once either side failed. */
char *relay_empty(struct relay *r);
void relay_put(struct relay *r, size_t len);
/* relay_put with the buffer's CRC32C, which the consumer reads with
 * relay_crc() once relay_full() gave it the buffer. */
void relay_put_crc(struct relay *r, size_t len, uint32_t crc);
uint32_t relay_crc(const struct relay *r);
/* Producer: no more buffers; @err < 0 if it failed. */
void relay_close(struct relay *r, int err);
/* Consumer: the next full buffer; NULL when there is no more, or a failure
 * (relay_error() tells). */
char *relay_full(struct relay *r, size_t *ret_len);
void relay_done(struct relay *r);
void relay_fail(struct relay *r, int err);
int relay_error(struct relay *r);

#endif
