/* check_schedule.c: unit tests of a job's due times (src/schedule.c): the first and the next one, due times passed unseen, jitter, the clocks a due time is measured on, and what a step of the wall clock or a new time zone does. SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"
#include "schedule.h"
#include "check_run.h"

#define MIN_MS (60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

static struct conf *conf;
static struct job job;

/* A job with these lines (besides name and cmd); local time is UTC. */
static void job_with(const char *lines)
{
	char text[512];
	struct parse_errors e;

	setenv("TZ", "UTC0", 1);
	tzset();
	snprintf(text, sizeof(text), "job {\n  name t\n  cmd /bin/true\n%s}\n", lines);
	conf = parse_conf(text, strlen(text), "pmtr.conf", &e, NULL);
	ck_assert_msg(conf && conf->n_jobs == 1, "%s does not parse", text);
	parse_errors_free(&e);
	free(job.more);
	memset(&job, 0, sizeof(job));
	job.conf = conf->jobs[0];
}

static void teardown(void)
{
	free(job.more);
	job.more = NULL;
	conf_free(conf);
	conf = NULL;
}

static int64_t utc_ms(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi };
	return (int64_t)timegm(&tm) * 1000;
}

/* The three clocks: the wall clock at wall, the others at made-up values. */
static struct sched_now at(int64_t wall)
{
	return (struct sched_now){ .mono = 5000000, .wall = wall, .boot = 9000000 };
}

START_TEST(test_cron_first_and_next)
{
	struct sched_now now = at(utc_ms(2026, 12, 8, 10, 0) + 1234);

	job_with("  schedule 0 3 * * *\n");
	schedule_first(&job, &now);
	ck_assert_int_eq(job.more->due_at, utc_ms(2026, 12, 9, 3, 0));
	ck_assert_int_eq(job.more->due_jitter_ms, 0);
	ck_assert(!schedule_is_due(&job, &now));
	/* 17 h minus the 1.234 s past the hour, on the monotonic clock */
	ck_assert_int_eq(schedule_deadline(&job, &now), now.mono + 17 * HOUR_MS - 1234);
	ck_assert_int_eq(schedule_next_run(&job, &now), utc_ms(2026, 12, 9, 3, 0) / 1000);
	now = at(utc_ms(2026, 12, 9, 3, 0) + 20);
	ck_assert(schedule_is_due(&job, &now));
	ck_assert_uint_eq(schedule_advance(&job, &now), 0);
	ck_assert_int_eq(job.more->due_at, utc_ms(2026, 12, 10, 3, 0));
	teardown();
}
END_TEST

/* The machine slept, or the clock jumped ahead: one run for the due times
 * passed, counted, and the next one after now. */
START_TEST(test_cron_passed_unseen)
{
	struct sched_now now = at(utc_ms(2026, 12, 8, 10, 0));

	job_with("  schedule 0 3 * * *\n");
	schedule_first(&job, &now);
	now = at(utc_ms(2026, 12, 12, 4, 0));
	ck_assert(schedule_is_due(&job, &now));
	ck_assert_uint_eq(schedule_advance(&job, &now), 3);
	ck_assert_int_eq(job.more->due_at, utc_ms(2026, 12, 13, 3, 0));
	teardown();
}
END_TEST

START_TEST(test_every)
{
	struct sched_now now = at(utc_ms(2026, 12, 8, 10, 0));
	int64_t first;

	job_with("  schedule every 15m\n");
	schedule_first(&job, &now);
	first = job.more->due_at;
	ck_assert_int_eq(first, now.boot + 15 * MIN_MS);
	ck_assert_int_eq(schedule_next_run(&job, &now), (now.wall + 15 * MIN_MS) / 1000);
	/* the wall clock does not matter to it: a day later by the wall, still not due */
	now.wall += DAY_MS;
	ck_assert(!schedule_is_due(&job, &now));
	ck_assert_int_eq(schedule_deadline(&job, &now), now.mono + 15 * MIN_MS);
	/* 31 min of elapsed time: two due times went by, the next is the third after */
	now.boot += 46 * MIN_MS;
	ck_assert(schedule_is_due(&job, &now));
	ck_assert_uint_eq(schedule_advance(&job, &now), 2);
	ck_assert_int_eq(job.more->due_at, first + 45 * MIN_MS);
	teardown();
}
END_TEST

START_TEST(test_jitter)
{
	struct sched_now now = at(utc_ms(2026, 12, 8, 10, 0));
	int64_t seen_min = INT64_MAX, seen_max = -1;

	job_with("  schedule @hourly\n  schedule jitter 10m\n");
	for (int i = 0; i < 2000; i++) {
		schedule_first(&job, &now);
		ck_assert_int_eq(job.more->due_at, utc_ms(2026, 12, 8, 11, 0));
		ck_assert(job.more->due_jitter_ms >= 0 && job.more->due_jitter_ms < 10 * MIN_MS);
		seen_min = job.more->due_jitter_ms < seen_min ? job.more->due_jitter_ms : seen_min;
		seen_max = job.more->due_jitter_ms > seen_max ? job.more->due_jitter_ms : seen_max;
	}
	/* spread over the range, not one value */
	ck_assert_int_lt(seen_min, MIN_MS);
	ck_assert_int_gt(seen_max, 9 * MIN_MS);
	/* due only once the jitter has passed too */
	now = at(job.more->due_at + job.more->due_jitter_ms - 1);
	ck_assert(!schedule_is_due(&job, &now));
	now.wall += 1;
	ck_assert(schedule_is_due(&job, &now));
	ck_assert_int_eq(schedule_next_run(&job, &now), now.wall / 1000);
	teardown();
}
END_TEST

/* Back by up to 3 h: the due time after the last run stays (03:00 does not run
 * again); further back: the schedule starts again from the new time. Ahead:
 * it is simply due. An interval does not care. */
START_TEST(test_clock_steps)
{
	struct sched_now now = at(utc_ms(2026, 12, 9, 3, 0) + 500);

	job_with("  schedule 0 3 * * *\n");
	schedule_first(&job, &now);
	ck_assert_int_eq(job.more->due_at, utc_ms(2026, 12, 10, 3, 0));
	now = at(utc_ms(2026, 12, 9, 1, 0));
	schedule_clock_changed(&job, -2 * HOUR_MS, &now);
	ck_assert_int_eq(job.more->due_at, utc_ms(2026, 12, 10, 3, 0));
	now = at(utc_ms(2026, 12, 8, 22, 0));
	schedule_clock_changed(&job, -5 * HOUR_MS, &now);
	ck_assert_int_eq(job.more->due_at, utc_ms(2026, 12, 9, 3, 0));
	now = at(utc_ms(2026, 12, 9, 7, 0));
	schedule_clock_changed(&job, 9 * HOUR_MS, &now);
	ck_assert_int_eq(job.more->due_at, utc_ms(2026, 12, 9, 3, 0));
	ck_assert(schedule_is_due(&job, &now));
	teardown();

	now = at(utc_ms(2026, 12, 9, 3, 0));
	job_with("  schedule every 1h\n");
	schedule_first(&job, &now);
	schedule_clock_changed(&job, -5 * HOUR_MS, &now);
	ck_assert_int_eq(job.more->due_at, now.boot + HOUR_MS);
	teardown();
}
END_TEST

/* Another time zone: 03:00 is 03:00 there. */
START_TEST(test_zone_change)
{
	struct sched_now now = at(utc_ms(2026, 12, 8, 10, 0));

	job_with("  schedule 0 3 * * *\n");
	schedule_first(&job, &now);
	ck_assert_int_eq(job.more->due_at, utc_ms(2026, 12, 9, 3, 0));
	setenv("TZ", "CET-1", 1);
	tzset();
	schedule_clock_changed(&job, 0, &now);
	ck_assert_int_eq(job.more->due_at, utc_ms(2026, 12, 9, 2, 0));
	teardown();
}
END_TEST

START_TEST(test_no_schedule_and_disabled)
{
	struct sched_now now = at(utc_ms(2026, 12, 8, 10, 0));

	job_with("  run timeout 1h\n");
	schedule_first(&job, &now);
	ck_assert_int_eq(job_due_at(&job), 0);
	ck_assert_int_eq(schedule_deadline(&job, &now), 0);
	ck_assert_int_eq(schedule_next_run(&job, &now), -1);
	teardown();
	job_with("  schedule @daily\n");
	schedule_first(&job, &now);
	schedule_clear(&job);
	ck_assert(!schedule_is_due(&job, &now));
	ck_assert_int_eq(schedule_next_run(&job, &now), -1);
	teardown();
}
END_TEST

START_TEST(test_describe)
{
	char buf[256];

	job_with("  schedule 30 3 * * mon\n");
	schedule_describe(job.conf, (time_t)(utc_ms(2026, 12, 8, 10, 0) / 1000), 3, buf,
			  sizeof(buf));
	ck_assert_str_eq(buf, "2026-12-14 03:30 +0000, 2026-12-21 03:30 +0000, "
			 "2026-12-28 03:30 +0000");
	teardown();
	job_with("  schedule every 90m\n");
	schedule_describe(job.conf, 0, 3, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1 h 30 min after it is added, then every 1 h 30 min");
	teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("schedule");
	TCase *tc = tcase_create("due times");

	tcase_add_test(tc, test_cron_first_and_next);
	tcase_add_test(tc, test_cron_passed_unseen);
	tcase_add_test(tc, test_every);
	tcase_add_test(tc, test_jitter);
	tcase_add_test(tc, test_clock_steps);
	tcase_add_test(tc, test_zone_change);
	tcase_add_test(tc, test_no_schedule_and_disabled);
	tcase_add_test(tc, test_describe);
	suite_add_tcase(s, tc);
	return check_run(s);
}
