/* joblog.c: each job's recent output lines, kept in a bounded ring for pmtrctl logs. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "joblog.h"

/* A line in the ring: its header packed in JOBLOG_HEADER bytes, then its text.
 * Records are contiguous modulo the ring's size: one may wrap around its end. */
struct record_header {
	uint64_t seq;
	int64_t time_ms;
	int32_t pid;
	uint16_t len;
};

struct joblog {
	uint64_t first;		/* number of the oldest line held */
	uint64_t next;		/* number the next line gets */
	size_t cap, head, used;	/* bytes: size, offset of the oldest record, in use */
	unsigned gen;		/* changes when records move (the ring grew) */
	uint64_t made_at;	/* rings_made before it */
	char *buf;
};

static uint64_t next_seq, rings_made;
static size_t total;

uint64_t joblog_rings_made(void)
{
	return rings_made;
}

uint64_t joblog_made_at(const struct joblog *log)
{
	return log->made_at;
}

uint64_t joblog_next_seq(void)
{
	return next_seq;
}

size_t joblog_total(void)
{
	return total;
}

static void copy_in(struct joblog *log, size_t off, const void *src, size_t n)
{
	size_t first = log->cap - off < n ? log->cap - off : n;

	memcpy(log->buf + off, src, first);
	memcpy(log->buf, (const char *)src + first, n - first);
}

static void copy_out(const struct joblog *log, size_t off, void *dst, size_t n)
{
	size_t first = log->cap - off < n ? log->cap - off : n;

	memcpy(dst, log->buf + off, first);
	memcpy((char *)dst + first, log->buf, n - first);
}

static void read_header(const struct joblog *log, size_t off, struct record_header *h)
{
	char raw[JOBLOG_HEADER];

	copy_out(log, off, raw, sizeof(raw));
	memcpy(&h->seq, raw, 8);
	memcpy(&h->time_ms, raw + 8, 8);
	memcpy(&h->pid, raw + 16, 4);
	memcpy(&h->len, raw + 20, 2);
}

static void write_header(struct joblog *log, size_t off, const struct record_header *h)
{
	char raw[JOBLOG_HEADER];

	memcpy(raw, &h->seq, 8);
	memcpy(raw + 8, &h->time_ms, 8);
	memcpy(raw + 16, &h->pid, 4);
	memcpy(raw + 20, &h->len, 2);
	copy_in(log, off, raw, sizeof(raw));
}

static size_t advance(const struct joblog *log, size_t off, size_t n)
{
	return (off + n) % log->cap;
}

static void forget_oldest(struct joblog *log)
{
	struct record_header h;

	read_header(log, log->head, &h);
	log->head = advance(log, log->head, JOBLOG_HEADER + h.len);
	log->used -= JOBLOG_HEADER + h.len;
	log->first++;
}

static struct joblog *create(void)
{
	struct joblog *log;

	if (total + JOBLOG_MIN > JOBLOG_TOTAL_MAX) {
		errno = ENOBUFS;
		return NULL;
	}
	log = calloc(1, sizeof(*log));
	if (!log)
		return NULL;
	log->buf = malloc(JOBLOG_MIN);
	if (!log->buf) {
		free(log);
		return NULL;
	}
	log->cap = JOBLOG_MIN;
	log->gen = 1;		/* a zeroed cursor finds its place by walking */
	log->made_at = rings_made++;
	total += log->cap;
	return log;
}

/* Double the ring, its records moved to the start. Fails quietly: the ring then
 * forgets lines instead. */
static void grow(struct joblog *log, size_t max)
{
	size_t cap = log->cap * 2;
	char *buf;

	if (cap > max || total + log->cap > JOBLOG_GROW_BUDGET)
		return;
	buf = malloc(cap);
	if (!buf)
		return;
	copy_out(log, log->head, buf, log->used);
	free(log->buf);
	total += cap - log->cap;
	log->buf = buf;
	log->cap = cap;
	log->head = 0;
	log->gen++;
}

int joblog_add(struct joblog **logp, pid_t pid, int64_t time_ms, const char *text, size_t len)
{
	return joblog_add_within(logp, JOBLOG_MAX, pid, time_ms, text, len);
}

int joblog_add_within(struct joblog **logp, size_t max, pid_t pid, int64_t time_ms,
		      const char *text, size_t len)
{
	struct record_header h = { .seq = next_seq, .time_ms = time_ms, .pid = (int32_t)pid };
	struct joblog *log = *logp;
	size_t size;

	if (len > JOBLOG_TEXT_MAX)
		len = JOBLOG_TEXT_MAX;
	h.len = (uint16_t)len;
	size = JOBLOG_HEADER + len;
	if (!log) {
		log = *logp = create();
		if (!log)
			return -1;
	}
	if (log->used + size > log->cap)
		grow(log, max);
	while (log->used + size > log->cap)
		forget_oldest(log);
	write_header(log, advance(log, log->head, log->used), &h);
	copy_in(log, advance(log, log->head, log->used + JOBLOG_HEADER), text, len);
	log->used += size;
	log->next++;
	next_seq++;
	return 0;
}

void joblog_free(struct joblog *log)
{
	if (!log)
		return;
	total -= log->cap;
	free(log->buf);
	free(log);
}

void joblog_tail(const struct joblog *log, uint64_t n, struct joblog_cursor *cur)
{
	memset(cur, 0, sizeof(*cur));
	if (log)
		cur->line = log->next - (n < log->next - log->first ? n : log->next - log->first);
}

int joblog_peek(const struct joblog *log, struct joblog_cursor *cur, uint64_t *missed,
		struct joblog_line *line, char *buf)
{
	struct record_header h;

	if (!log || cur->line >= log->next)
		return 0;
	if (cur->line < log->first) {
		*missed += log->first - cur->line;
		cur->line = log->first;
		cur->offset = log->head;
		cur->gen = log->gen;
	} else if (cur->gen != log->gen) {
		size_t off = log->head;

		for (uint64_t i = log->first; i < cur->line; i++) {
			read_header(log, off, &h);
			off = advance(log, off, JOBLOG_HEADER + h.len);
		}
		cur->offset = off;
		cur->gen = log->gen;
	}
	read_header(log, cur->offset, &h);
	line->seq = h.seq;
	line->time_ms = h.time_ms;
	line->pid = h.pid;
	line->len = h.len;
	line->text = NULL;
	if (buf) {
		copy_out(log, advance(log, cur->offset, JOBLOG_HEADER), buf, h.len);
		buf[h.len] = '\0';
		line->text = buf;
	}
	return 1;
}

void joblog_skip(const struct joblog *log, struct joblog_cursor *cur, const struct joblog_line *line)
{
	cur->offset = advance(log, cur->offset, JOBLOG_HEADER + line->len);
	cur->line++;
}
