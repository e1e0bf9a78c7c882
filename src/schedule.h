/* schedule.h: when a job with a schedule runs next: its due times by its cron expression or interval, their jitter, and what a step of the wall clock does to them. SPDX-License-Identifier: MIT */
#ifndef PMTR_SCHEDULE_H
#define PMTR_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "job.h"

/*
 * A cron expression is local wall time: its due times are CLOCK_REALTIME ms. An
 * interval ("schedule every") is elapsed time: CLOCK_BOOTTIME ms, which clock
 * steps do not move and a suspend does not stop. The loop's timer is
 * CLOCK_MONOTONIC: schedule_deadline converts, and a step of the wall clock or a
 * resume (clock.h) makes the jobs look again.
 */

/* The three clocks at one moment, in ms. */
struct sched_now {
	int64_t mono, wall, boot;
};
void schedule_now(struct sched_now *now);

/* The job's first due time from now by its latest configuration; none (0) for a
 * job without a schedule. A new random jitter goes with it. */
void schedule_first(struct job *job, const struct sched_now *now);
/* No due time (a disabled job). */
void schedule_clear(struct job *job);
/* The due time came (schedule_is_due): the next one after now. Returns how many
 * due times passed besides this one (the clock jumped, the machine slept). */
unsigned schedule_advance(struct job *job, const struct sched_now *now);

bool schedule_is_due(const struct job *job, const struct sched_now *now);
/* The CLOCK_MONOTONIC ms at which the job is due; 0 without a due time. */
int64_t schedule_deadline(const struct job *job, const struct sched_now *now);
/* Unix seconds of its next run (jitter included); -1 without a due time. */
int64_t schedule_next_run(const struct job *job, const struct sched_now *now);

/* The wall clock moved by step_ms against elapsed time: a cron job's due time
 * stays for a step back of up to 3 hours (nothing runs twice) and starts again
 * from now for a longer one; a step ahead needs nothing (it is simply due).
 * step_ms 0: the local time zone changed, due times again from now. */
void schedule_clock_changed(struct job *job, int64_t step_ms, const struct sched_now *now);

/* "2026-12-09 03:00 +0100, 2026-12-10 03:00 +0100, ..." (n of them from after),
 * or "15 min after it is added, then every 15 min": for pmtr -t -v. */
void schedule_describe(const struct conf_job *conf, time_t after, int n, char *buf,
		       size_t len);
/* "2026-12-09 03:00 +0100": t in local time, for log lines. */
const char *schedule_time_text(int64_t unix_s, char *buf, size_t len);

#endif
