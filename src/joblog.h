/* joblog.h: each job's recent output lines, kept in a bounded ring for pmtrctl logs. SPDX-License-Identifier: MIT */
#ifndef PMTR_JOBLOG_H
#define PMTR_JOBLOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A ring is allocated when its job first writes a line, at JOBLOG_MIN bytes, and
 * doubles up to JOBLOG_MAX as long as all the rings together then hold at most
 * JOBLOG_GROW_BUDGET; a full ring forgets its oldest lines. Once the rings hold
 * JOBLOG_TOTAL_MAX, a job that writes for the first time keeps nothing (its lines
 * are still logged). Each line costs JOBLOG_HEADER bytes beside its text.
 */
#define JOBLOG_MIN (8u << 10)
#define JOBLOG_MAX (32u << 10)
#define JOBLOG_GROW_BUDGET (16u << 20)
#define JOBLOG_TOTAL_MAX (32u << 20)
#define JOBLOG_HEADER 22
/* Longest text kept: a line of output is at most 1024 bytes, each shown as \xHH. */
#define JOBLOG_TEXT_MAX 4096

struct joblog;

struct joblog_line {
	uint64_t seq;		/* order of arrival among the lines of every job */
	int64_t time_ms;	/* wall clock, ms since the epoch */
	pid_t pid;
	size_t len;
	char *text;		/* in the caller's buffer, NUL-terminated; NULL if not asked */
};

/* Where a reader is in one job's lines; zeroed, it is at the first line ever. */
struct joblog_cursor {
	uint64_t line;		/* number of the next line to read */
	size_t offset;		/* its place in the ring, while gen matches */
	unsigned gen;
};

/* Keep a line of text (len bytes, at most JOBLOG_TEXT_MAX, already made printable)
 * written by pid at time_ms. *log is allocated on the first line. 0, or -1 when the
 * memory for rings is used up (the line is not kept). */
int joblog_add(struct joblog **log, pid_t pid, int64_t time_ms, const char *text, size_t len);
/* The same for a ring that never grows past max bytes (JOBLOG_MIN: never grows). */
int joblog_add_within(struct joblog **log, size_t max, pid_t pid, int64_t time_ms,
		      const char *text, size_t len);
void joblog_free(struct joblog *log);

/* A cursor at the last n lines of log (NULL: no lines yet). */
void joblog_tail(const struct joblog *log, uint64_t n, struct joblog_cursor *cur);

/* The line at cur, without moving it: 1 when there is one, 0 at the end. Lines the
 * ring forgot before cur reached them are skipped and added to *missed. With buf
 * (JOBLOG_TEXT_MAX + 1 bytes) the text is copied there. */
int joblog_peek(const struct joblog *log, struct joblog_cursor *cur, uint64_t *missed,
		struct joblog_line *line, char *buf);
/* Move cur past the line that joblog_peek just returned. */
void joblog_skip(const struct joblog *log, struct joblog_cursor *cur, const struct joblog_line *line);

/* The seq the next line of any job will get: a reader that wants only the lines
 * there are now stops at it. */
uint64_t joblog_next_seq(void);
/* How many rings were ever made, and when log's was (this count before it):
 * a reader of every job looks for rings made since it last looked. */
uint64_t joblog_rings_made(void);
uint64_t joblog_made_at(const struct joblog *log);
/* Bytes held by every ring. */
size_t joblog_total(void);

#endif
