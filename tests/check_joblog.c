/* check_joblog.c: unit tests of the per-job rings of output lines (src/joblog.c). SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "joblog.h"
#include "check_run.h"

/* joblog keeps its totals in statics: every test frees what it made and compares
 * joblog_total() with its value at the start, so that the tests also pass with
 * CK_FORK=no. */

/* The pid of line i: above 65535, as on a busy machine. */
#define PID(i) ((pid_t)(4194304 - 1 - (i)))

/* Bytes of a record with a text of len bytes. */
#define RECORD(len) (JOBLOG_HEADER + (size_t)(len))

/* The text of line i of a test, len bytes: its number, then filler that depends on i,
 * so that a line read at the wrong place, or cut, or shifted, does not compare equal. */
static void text_of(char *buf, uint64_t i, size_t len)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "#%llu:", (unsigned long long)i);

	for (size_t k = 0; k < len; k++)
		buf[k] = k < (size_t)n ? head[k] : (char)('a' + (i * 7 + k) % 26);
	buf[len] = '\0';
}

static void add(struct joblog **log, uint64_t i, size_t len)
{
	char text[JOBLOG_TEXT_MAX + 1];

	text_of(text, i, len);
	ck_assert_msg(joblog_add(log, PID(i), (int64_t)(1700000000000LL + i), text,
				 len) == 0, "joblog_add of line %llu refused", (unsigned long long)i);
}

/* Read the line at cur, which must be line i of len bytes (with no missed lines), and
 * move past it. */
static void expect(const struct joblog *log, struct joblog_cursor *cur, uint64_t i, size_t len)
{
	char buf[JOBLOG_TEXT_MAX + 1], want[JOBLOG_TEXT_MAX + 1];
	struct joblog_line line;
	uint64_t missed = 0;

	ck_assert_msg(joblog_peek(log, cur, &missed, &line, buf) == 1,
		      "no line where line %llu should be", (unsigned long long)i);
	ck_assert_msg(missed == 0, "missed %llu lines before line %llu",
		      (unsigned long long)missed, (unsigned long long)i);
	text_of(want, i, len);
	ck_assert_uint_eq(line.len, len);
	ck_assert_ptr_eq(line.text, buf);
	ck_assert_msg(memcmp(buf, want, len + 1) == 0, "line %llu reads \"%.40s\", not \"%.40s\"",
		      (unsigned long long)i, buf, want);
	ck_assert_int_eq(line.pid, PID(i));
	ck_assert_int_eq(line.time_ms, (int64_t)(1700000000000LL + i));
	joblog_skip(log, cur, &line);
}

static void expect_end(const struct joblog *log, struct joblog_cursor *cur)
{
	struct joblog_line line;
	uint64_t missed = 0;
	char buf[JOBLOG_TEXT_MAX + 1];

	ck_assert_int_eq(joblog_peek(log, cur, &missed, &line, buf), 0);
	ck_assert_uint_eq(missed, 0);
}

/* ---- basics ----------------------------------------------------------------- */

START_TEST(empty_log)
{
	struct joblog_cursor cur;
	struct joblog_line line = { .seq = 77 };
	uint64_t missed = 0;
	char buf[JOBLOG_TEXT_MAX + 1];
	size_t total = joblog_total();

	memset(&cur, 0xa5, sizeof(cur));
	joblog_tail(NULL, 10, &cur);
	ck_assert_uint_eq(cur.line, 0);
	ck_assert_int_eq(joblog_peek(NULL, &cur, &missed, &line, buf), 0);
	ck_assert_uint_eq(missed, 0);
	ck_assert_uint_eq(line.seq, 77);	/* untouched */
	memset(&cur, 0, sizeof(cur));
	ck_assert_int_eq(joblog_peek(NULL, &cur, &missed, &line, NULL), 0);
	joblog_free(NULL);
	ck_assert_uint_eq(joblog_total(), total);
}
END_TEST

START_TEST(add_peek_skip)
{
	struct joblog *log = NULL;
	struct joblog_cursor cur = { 0 };
	struct joblog_line line, again;
	uint64_t missed = 0, seq = joblog_next_seq();
	size_t total = joblog_total();
	char buf[JOBLOG_TEXT_MAX + 1];

	ck_assert_int_eq(joblog_add(&log, 10, 1000, "first line", 10), 0);
	ck_assert_ptr_nonnull(log);
	ck_assert_uint_eq(joblog_total(), total + JOBLOG_MIN);
	ck_assert_int_eq(joblog_add(&log, 11, 1001, "", 0), 0);
	/* len counts, not a NUL: "third" of "third line" */
	ck_assert_int_eq(joblog_add(&log, 12, -5, "third line", 5), 0);
	ck_assert_uint_eq(joblog_total(), total + JOBLOG_MIN);
	ck_assert_uint_eq(joblog_next_seq(), seq + 3);

	ck_assert_int_eq(joblog_peek(log, &cur, &missed, &line, buf), 1);
	ck_assert_uint_eq(line.seq, seq);
	ck_assert_int_eq(line.pid, 10);
	ck_assert_int_eq(line.time_ms, 1000);
	ck_assert_uint_eq(line.len, 10);
	ck_assert_str_eq(line.text, "first line");
	/* peek does not move */
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(joblog_peek(log, &cur, &missed, &again, buf), 1);
	ck_assert_uint_eq(again.seq, seq);
	ck_assert_str_eq(again.text, "first line");
	joblog_skip(log, &cur, &line);
	ck_assert_uint_eq(cur.line, 1);

	/* without a buffer: the header only */
	ck_assert_int_eq(joblog_peek(log, &cur, &missed, &line, NULL), 1);
	ck_assert_ptr_null(line.text);
	ck_assert_uint_eq(line.seq, seq + 1);
	ck_assert_int_eq(line.pid, 11);
	ck_assert_int_eq(line.time_ms, 1001);
	ck_assert_uint_eq(line.len, 0);
	joblog_skip(log, &cur, &line);

	ck_assert_int_eq(joblog_peek(log, &cur, &missed, &line, buf), 1);
	ck_assert_uint_eq(line.seq, seq + 2);
	ck_assert_int_eq(line.pid, 12);
	ck_assert_int_eq(line.time_ms, -5);
	ck_assert_uint_eq(line.len, 5);
	ck_assert_str_eq(line.text, "third");
	joblog_skip(log, &cur, &line);
	ck_assert_int_eq(joblog_peek(log, &cur, &missed, &line, buf), 0);
	ck_assert_uint_eq(missed, 0);

	/* a line added later is found by the cursor at the end */
	ck_assert_int_eq(joblog_add(&log, 13, 1003, "fourth", 6), 0);
	ck_assert_int_eq(joblog_peek(log, &cur, &missed, &line, buf), 1);
	ck_assert_str_eq(line.text, "fourth");
	ck_assert_uint_eq(line.seq, seq + 3);
	ck_assert_uint_eq(missed, 0);
	joblog_free(log);
	ck_assert_uint_eq(joblog_total(), total);
}
END_TEST

START_TEST(seq_across_logs)
{
	struct joblog *a = NULL, *b = NULL;
	struct joblog_cursor ca = { 0 }, cb = { 0 };
	struct joblog_line line;
	uint64_t missed = 0, seq = joblog_next_seq();
	static const struct { int log; uint64_t seq; } order[] = {
		{ 0, 0 }, { 1, 1 }, { 0, 2 }, { 1, 3 }, { 1, 4 }, { 0, 5 },
	};
	static const uint64_t seq_a[] = { 0, 2, 5 }, seq_b[] = { 1, 3, 4 };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		ck_assert_uint_eq(joblog_next_seq(), seq + order[i].seq);
		ck_assert_int_eq(joblog_add(order[i].log ? &b : &a, 1, 1, "x", 1), 0);
	}
	ck_assert_uint_eq(joblog_next_seq(), seq + 6);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(joblog_peek(a, &ca, &missed, &line, NULL), 1);
		ck_assert_uint_eq(line.seq, seq + seq_a[i]);
		joblog_skip(a, &ca, &line);
		ck_assert_int_eq(joblog_peek(b, &cb, &missed, &line, NULL), 1);
		ck_assert_uint_eq(line.seq, seq + seq_b[i]);
		joblog_skip(b, &cb, &line);
	}
	ck_assert_int_eq(joblog_peek(a, &ca, &missed, &line, NULL), 0);
	ck_assert_int_eq(joblog_peek(b, &cb, &missed, &line, NULL), 0);
	ck_assert_uint_eq(missed, 0);
	joblog_free(a);
	joblog_free(b);
}
END_TEST

/* A reader of every job finds the rings made since it last looked. */
START_TEST(rings_made)
{
	struct joblog *a = NULL, *b = NULL;
	uint64_t before = joblog_rings_made();

	ck_assert_int_eq(joblog_add(&a, 1, 1, "x", 1), 0);
	ck_assert_uint_eq(joblog_rings_made(), before + 1);
	ck_assert_uint_eq(joblog_made_at(a), before);
	/* more lines in a ring make none */
	ck_assert_int_eq(joblog_add(&a, 1, 2, "y", 1), 0);
	ck_assert_uint_eq(joblog_rings_made(), before + 1);
	ck_assert_int_eq(joblog_add(&b, 2, 3, "z", 1), 0);
	ck_assert_uint_eq(joblog_rings_made(), before + 2);
	ck_assert_uint_eq(joblog_made_at(b), before + 1);
	/* freeing one does not take the count back: a later ring is still new */
	joblog_free(a);
	a = NULL;
	ck_assert_uint_eq(joblog_rings_made(), before + 2);
	ck_assert_int_eq(joblog_add(&a, 1, 4, "w", 1), 0);
	ck_assert_uint_eq(joblog_made_at(a), before + 2);
	joblog_free(a);
	joblog_free(b);
}
END_TEST

START_TEST(tail)
{
	static const struct { uint64_t n, first; } cases[] = {
		{ 0, 10 }, { 1, 9 }, { 3, 7 }, { 9, 1 }, { 10, 0 }, { 11, 0 }, { 1000, 0 },
		{ UINT64_MAX, 0 },
	};
	struct joblog *log = NULL;
	struct joblog_cursor cur;

	for (uint64_t i = 0; i < 10; i++)
		add(&log, i, 20);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		memset(&cur, 0xa5, sizeof(cur));
		joblog_tail(log, cases[c].n, &cur);
		ck_assert_msg(cur.line == cases[c].first, "tail(%llu) at line %llu, not %llu",
			      (unsigned long long)cases[c].n, (unsigned long long)cur.line,
			      (unsigned long long)cases[c].first);
		for (uint64_t i = cases[c].first; i < 10; i++)
			expect(log, &cur, i, 20);
		expect_end(log, &cur);
	}
	joblog_free(log);
}
END_TEST

START_TEST(text_max)
{
	static const size_t lens[] = { JOBLOG_TEXT_MAX - 1, JOBLOG_TEXT_MAX, JOBLOG_TEXT_MAX + 1,
				       5000, 65536 };
	struct joblog *log = NULL;
	struct joblog_cursor cur = { 0 };
	struct joblog_line line;
	uint64_t missed = 0;
	char *text = malloc(65536), buf[JOBLOG_TEXT_MAX + 1 + 16];

	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < 65536; i++)
		text[i] = (char)('A' + i % 53);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t want = lens[i] < JOBLOG_TEXT_MAX ? lens[i] : JOBLOG_TEXT_MAX;

		ck_assert_int_eq(joblog_add(&log, 1, 2, text, lens[i]), 0);
		memset(buf, 'Z', sizeof(buf));
		ck_assert_int_eq(joblog_peek(log, &cur, &missed, &line, buf), 1);
		ck_assert_msg(line.len == want, "a text of %zu bytes kept as %zu, not %zu",
			      lens[i], line.len, want);
		ck_assert_int_eq(memcmp(buf, text, want), 0);
		ck_assert_int_eq(buf[want], '\0');
		/* nothing written past the JOBLOG_TEXT_MAX + 1 bytes of the buffer */
		for (size_t k = JOBLOG_TEXT_MAX + 1; k < sizeof(buf); k++)
			ck_assert_int_eq(buf[k], 'Z');
		joblog_skip(log, &cur, &line);
	}
	ck_assert_uint_eq(missed, 0);
	joblog_free(log);
	free(text);
}
END_TEST

/* ---- growth and forgetting -------------------------------------------------- */

#define LEN 100		/* text of the lines of the growth tests */

START_TEST(grow_then_forget)
{
	struct joblog *log = NULL;
	struct joblog_cursor behind = { 0 }, early = { 0 }, cur;
	size_t total = joblog_total(), cap = JOBLOG_MIN, used = 0;
	uint64_t first = 0, missed;
	struct joblog_line line;
	char buf[JOBLOG_TEXT_MAX + 1];
	const uint64_t n = 1000;
	unsigned doublings = 0;

	ck_assert_uint_lt(total + JOBLOG_MAX, JOBLOG_GROW_BUDGET);
	for (uint64_t i = 0; i < n; i++) {
		/* the model: double when the line does not fit and the ring may grow, then
		 * forget the oldest until it fits */
		if (used + RECORD(LEN) > cap && cap * 2 <= JOBLOG_MAX) {
			cap *= 2;
			doublings++;
		}
		while (used + RECORD(LEN) > cap) {
			used -= RECORD(LEN);
			first++;
		}
		used += RECORD(LEN);
		add(&log, i, LEN);
		ck_assert_msg(joblog_total() - total == cap, "after line %llu the ring has %zu bytes, not %zu",
			      (unsigned long long)i, joblog_total() - total, cap);
		if (i == 9)		/* a reader that read 10 lines, then fell behind */
			for (uint64_t k = 0; k < 10; k++)
				expect(log, &early, k, LEN);
	}
	ck_assert_uint_eq(doublings, 2);	/* 8 KiB, 16 KiB, 32 KiB */
	ck_assert_uint_eq(cap, JOBLOG_MAX);
	ck_assert_uint_eq(first, n - JOBLOG_MAX / RECORD(LEN));

	/* every line held, from the oldest */
	joblog_tail(log, UINT64_MAX, &cur);
	ck_assert_uint_eq(cur.line, first);
	for (uint64_t i = first; i < n; i++)
		expect(log, &cur, i, LEN);
	expect_end(log, &cur);

	/* a cursor left at the first line: told how many it missed, then at the oldest */
	missed = 0;
	ck_assert_int_eq(joblog_peek(log, &behind, &missed, &line, buf), 1);
	ck_assert_uint_eq(missed, first);
	ck_assert_uint_eq(behind.line, first);
	joblog_skip(log, &behind, &line);
	{
		char want[LEN + 1];

		text_of(want, first, LEN);
		ck_assert_str_eq(buf, want);
	}
	for (uint64_t i = first + 1; i < n; i++)
		expect(log, &behind, i, LEN);
	expect_end(log, &behind);
	/* missed adds to what the caller counted */
	missed = 5;
	ck_assert_int_eq(joblog_peek(log, &early, &missed, &line, NULL), 1);
	ck_assert_uint_eq(missed, 5 + first - 10);
	ck_assert_uint_eq(early.line, first);

	/* a full ring at JOBLOG_MAX stays so */
	for (uint64_t i = n; i < n + 300; i++)
		add(&log, i, LEN);
	ck_assert_uint_eq(joblog_total() - total, JOBLOG_MAX);
	joblog_free(log);
	ck_assert_uint_eq(joblog_total(), total);
}
END_TEST

/* A cursor that read some lines keeps its place while the ring grows and its records
 * move. */
START_TEST(cursor_across_growth)
{
	struct joblog *log = NULL;
	struct joblog_cursor mid = { 0 }, end = { 0 }, tail;
	size_t total = joblog_total();
	const uint64_t fit = JOBLOG_MIN / RECORD(LEN);
	unsigned gen_mid, gen_end;

	for (uint64_t i = 0; i < fit; i++)
		add(&log, i, LEN);
	ck_assert_uint_eq(joblog_total() - total, JOBLOG_MIN);
	for (uint64_t i = 0; i < fit / 2; i++)
		expect(log, &mid, i, LEN);
	for (uint64_t i = 0; i < fit; i++)
		expect(log, &end, i, LEN);
	expect_end(log, &end);
	/* a cursor from joblog_tail, at the newest line */
	joblog_tail(log, 1, &tail);
	expect(log, &tail, fit - 1, LEN);
	gen_mid = mid.gen;
	gen_end = end.gen;
	ck_assert_uint_eq(gen_mid, gen_end);

	/* a line that does not fit: the ring doubles */
	add(&log, fit, LEN);
	ck_assert_uint_eq(joblog_total() - total, 2 * JOBLOG_MIN);
	expect(log, &mid, fit / 2, LEN);
	ck_assert_uint_ne(mid.gen, gen_mid);
	expect(log, &end, fit, LEN);
	ck_assert_uint_ne(end.gen, gen_end);
	expect(log, &tail, fit, LEN);

	/* and once more, up to JOBLOG_MAX, readers in the middle again */
	gen_mid = mid.gen;
	for (uint64_t i = fit + 1; i < JOBLOG_MAX / RECORD(LEN); i++)
		add(&log, i, LEN);
	ck_assert_uint_eq(joblog_total() - total, JOBLOG_MAX);
	expect(log, &mid, fit / 2 + 1, LEN);
	ck_assert_uint_ne(mid.gen, gen_mid);
	for (uint64_t i = fit / 2 + 2; i < JOBLOG_MAX / RECORD(LEN); i++)
		expect(log, &mid, i, LEN);
	expect_end(log, &mid);
	for (uint64_t i = fit + 1; i < JOBLOG_MAX / RECORD(LEN); i++)
		expect(log, &end, i, LEN);
	expect_end(log, &end);
	joblog_free(log);
	ck_assert_uint_eq(joblog_total(), total);
}
END_TEST

/* Records placed so that they cross the end of the ring at every byte of their header
 * and in their text; each reads back intact, at once and later from a tail. */
START_TEST(record_wraps)
{
	struct joblog *log = NULL;
	struct joblog_cursor live = { 0 }, cur;
	size_t total = joblog_total(), lens[4096];
	uint64_t i = 0;
	int crossings = 0;

	/* to full size first */
	while (joblog_total() - total < JOBLOG_MAX || i < 2 * JOBLOG_MAX / RECORD(LEN)) {
		lens[i] = LEN;
		add(&log, i, LEN);
		expect(log, &live, i, LEN);
		i++;
	}
	/* before = bytes between the record's start and the end of the ring */
	for (size_t before = 1; before <= RECORD(60); before++) {
		for (;;) {
			/* live, past the newest line, is where the next record goes */
			size_t room = JOBLOG_MAX - live.offset, len;

			if (room == before)
				break;
			/* a filler that leaves exactly before bytes, or one that gets past the
			 * end when that cannot be done from here */
			len = room > before + JOBLOG_HEADER ? room - before - JOBLOG_HEADER : 200;
			if (len > JOBLOG_TEXT_MAX)
				len = JOBLOG_TEXT_MAX;
			ck_assert_uint_lt(i, 4096);
			lens[i] = len;
			add(&log, i, len);
			expect(log, &live, i, len);
			i++;
		}
		ck_assert_uint_lt(i, 4096);
		lens[i] = 60;
		add(&log, i, 60);
		ck_assert_uint_eq(live.offset, JOBLOG_MAX - before);
		expect(log, &live, i, 60);
		ck_assert_uint_eq(live.offset, RECORD(60) - before);
		/* a new cursor finds it by walking from the oldest record */
		joblog_tail(log, 2, &cur);
		expect(log, &cur, i - 1, lens[i - 1]);
		expect(log, &cur, i, 60);
		expect_end(log, &cur);
		crossings++;
		i++;
	}
	ck_assert_int_eq(crossings, RECORD(60));
	ck_assert_uint_eq(joblog_total() - total, JOBLOG_MAX);
	/* all that is held, read again by a new cursor that walks from the oldest */
	joblog_tail(log, UINT64_MAX, &cur);
	ck_assert_uint_gt(i - cur.line, 2);
	for (uint64_t k = cur.line; k < i; k++)
		expect(log, &cur, k, lens[k]);
	expect_end(log, &cur);
	joblog_free(log);
}
END_TEST

/* ---- memory budget ---------------------------------------------------------- */

START_TEST(free_returns_total)
{
	struct joblog *a = NULL, *b = NULL;
	size_t total = joblog_total();

	add(&a, 0, 10);
	ck_assert_uint_eq(joblog_total(), total + JOBLOG_MIN);
	for (uint64_t i = 0; i < 200; i++)
		add(&b, i, LEN);
	ck_assert_uint_eq(joblog_total(), total + JOBLOG_MIN + JOBLOG_MAX);
	joblog_free(b);
	ck_assert_uint_eq(joblog_total(), total + JOBLOG_MIN);
	joblog_free(a);
	ck_assert_uint_eq(joblog_total(), total);
}
END_TEST

/* A ring kept within JOBLOG_MIN never grows: it forgets its oldest lines. */
START_TEST(ring_within_max)
{
	struct joblog *log = NULL;
	size_t total = joblog_total();
	char text[LEN];

	memset(text, 'x', sizeof(text));
	for (int i = 0; i < 200; i++)
		ck_assert_int_eq(joblog_add_within(&log, JOBLOG_MIN, 1, i, text, sizeof(text)), 0);
	ck_assert_uint_eq(joblog_total(), total + JOBLOG_MIN);
	joblog_free(log);
	ck_assert_uint_eq(joblog_total(), total);
}
END_TEST

START_TEST(total_budget)
{
	size_t start = joblog_total(), n_max = (JOBLOG_TOTAL_MAX - start) / JOBLOG_MIN, n = 0;
	size_t total;
	struct joblog **logs = calloc(n_max + 1, sizeof(*logs)), *late = NULL, *small = NULL;
	struct joblog_cursor cur;
	uint64_t seq;

	ck_assert_ptr_nonnull(logs);
	/* rings until the growth budget is reached */
	while (joblog_total() + JOBLOG_MIN <= JOBLOG_GROW_BUDGET) {
		ck_assert_int_eq(joblog_add(&logs[n], 1, 1, "x", 1), 0);
		n++;
	}
	/* beyond it a full ring does not grow, it forgets */
	add(&small, 0, LEN);
	total = joblog_total();
	for (uint64_t i = 1; i < 500; i++)
		add(&small, i, LEN);
	ck_assert_uint_eq(joblog_total(), total);
	joblog_tail(small, UINT64_MAX, &cur);
	ck_assert_uint_eq(cur.line, 500 - JOBLOG_MIN / RECORD(LEN));
	for (uint64_t i = cur.line; i < 500 - 10; i++)
		expect(small, &cur, i, LEN);
	/* with room again, that ring (its oldest record no longer at its start) grows:
	 * what it holds reads back from a cursor kept across and from a new one */
	while (joblog_total() + JOBLOG_MIN > JOBLOG_GROW_BUDGET) {
		joblog_free(logs[--n]);
		logs[n] = NULL;
	}
	total = joblog_total();
	add(&small, 500, LEN);
	ck_assert_uint_eq(joblog_total(), total + JOBLOG_MIN);
	ck_assert_uint_eq(cur.line, 490);
	for (uint64_t i = 490; i <= 500; i++)
		expect(small, &cur, i, LEN);
	joblog_tail(small, UINT64_MAX, &cur);
	ck_assert_uint_eq(cur.line, 500 - JOBLOG_MIN / RECORD(LEN));	/* none forgotten */
	for (uint64_t i = cur.line; i <= 500; i++)
		expect(small, &cur, i, LEN);
	expect_end(small, &cur);
	joblog_free(small);
	small = NULL;

	/* then up to JOBLOG_TOTAL_MAX */
	while (n < n_max) {
		ck_assert_msg(joblog_add(&logs[n], 1, 1, "x", 1) == 0, "ring %zu of %zu refused",
			      n, n_max);
		n++;
	}
	ck_assert_uint_le(joblog_total(), JOBLOG_TOTAL_MAX);
	ck_assert_uint_gt(joblog_total() + JOBLOG_MIN, JOBLOG_TOTAL_MAX);
	/* a new ring is refused, its line not kept; the rings there are still take lines */
	seq = joblog_next_seq();
	ck_assert_int_eq(joblog_add(&late, 1, 1, "late", 4), -1);
	ck_assert_ptr_null(late);
	ck_assert_int_eq(joblog_add(&logs[0], 1, 1, "more", 4), 0);
	ck_assert_uint_eq(joblog_next_seq(), seq + 1);
	total = joblog_total();
	/* room again after a free */
	joblog_free(logs[--n]);
	logs[n] = NULL;
	ck_assert_uint_eq(joblog_total(), total - JOBLOG_MIN);
	ck_assert_int_eq(joblog_add(&late, 1, 1, "late", 4), 0);
	ck_assert_ptr_nonnull(late);
	joblog_free(late);
	while (n)
		joblog_free(logs[--n]);
	free(logs);
	ck_assert_uint_eq(joblog_total(), start);
}
END_TEST

static Suite *joblog_suite(void)
{
	Suite *s = suite_create("joblog");
	TCase *basic = tcase_create("basic"), *ring = tcase_create("ring");
	TCase *budget = tcase_create("budget");

	tcase_add_test(basic, empty_log);
	tcase_add_test(basic, add_peek_skip);
	tcase_add_test(basic, seq_across_logs);
	tcase_add_test(basic, rings_made);
	tcase_add_test(basic, tail);
	tcase_add_test(basic, text_max);
	suite_add_tcase(s, basic);
	tcase_add_test(ring, grow_then_forget);
	tcase_add_test(ring, cursor_across_growth);
	tcase_add_test(ring, record_wraps);
	tcase_add_test(ring, ring_within_max);
	suite_add_tcase(s, ring);
	tcase_add_test(budget, free_returns_total);
	tcase_add_test(budget, total_budget);
	tcase_set_timeout(budget, 30);
	suite_add_tcase(s, budget);
	return s;
}

int main(void)
{
	return check_run(joblog_suite());
}
