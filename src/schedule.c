/* schedule.c: when a job with a schedule runs next: its due times by its cron expression or interval, their jitter, and what a step of the wall clock does to them. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cron.h"
#include "log.h"
#include "schedule.h"
#include "util.h"

/* A step back of the wall clock up to this keeps due times (as Vixie cron does). */
#define STEP_BACK_KEPT_MS (3 * 3600 * 1000LL)
/* Due times counted as passed at most, when the clock jumps far ahead. */
#define MISSED_COUNTED_MAX 10000u

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void schedule_now(struct sched_now *now)
{
	now->mono = clock_ms(CLOCK_MONOTONIC);
	now->wall = clock_ms(CLOCK_REALTIME);
	now->boot = clock_ms(CLOCK_BOOTTIME);
}

static const struct conf_job_more *more_of(const struct job *job)
{
	return CONF_MORE(job_latest_conf(job));
}

/* The clock of the job's due times, now. */
static int64_t its_now(const struct conf_job_more *more, const struct sched_now *now)
{
	return more->schedule ? now->wall : now->boot;
}

/* xorshift64*, seeded once: a jitter needs spread, not secrecy. */
static uint64_t random_below(uint64_t n)
{
	static uint64_t state;

	if (!state && getrandom(&state, sizeof(state), GRND_NONBLOCK) != sizeof(state))
		state = (uint64_t)clock_ms(CLOCK_MONOTONIC) ^ ((uint64_t)getpid() << 32);
	if (!state)
		state = 0x9e3779b97f4a7c15ull;
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return n ? (state * 0x2545f4914f6cdd1dull) % n : 0;
}

static void set_due(struct job *job, int64_t due_at, const struct conf_job_more *more)
{
	struct job_more *m = job_more_of(job);

	if (!m)
		return;
	m->due_at = due_at;
	m->due_jitter_ms = more->schedule_jitter_ms ?
			   (int64_t)random_below((uint64_t)more->schedule_jitter_ms) : 0;
}

/* The first cron due time strictly after wall ms, in ms; 0 when none. */
static int64_t cron_after(const struct cron *c, int64_t wall_ms)
{
	time_t t = cron_next(c, (time_t)(wall_ms / 1000));

	return t == (time_t)-1 ? 0 : (int64_t)t * 1000;
}

void schedule_first(struct job *job, const struct sched_now *now)
{
	const struct conf_job_more *more = more_of(job);

	if (more->schedule)
		set_due(job, cron_after(more->schedule, now->wall), more);
	else if (more->schedule_every_ms)
		set_due(job, now->boot + more->schedule_every_ms, more);
	else
		schedule_clear(job);
}

void schedule_clear(struct job *job)
{
	if (job->more)
		job->more->due_at = job->more->due_jitter_ms = 0;
}

unsigned schedule_advance(struct job *job, const struct sched_now *now)
{
	const struct conf_job_more *more = more_of(job);
	int64_t t = its_now(more, now), next;
	unsigned missed = 0;

	if (more->schedule) {
		for (next = cron_after(more->schedule, job_due_at(job)); next && next <= t &&
		     missed < MISSED_COUNTED_MAX; next = cron_after(more->schedule, next))
			missed++;
		set_due(job, cron_after(more->schedule, t), more);
	} else if (more->schedule_every_ms) {
		int64_t every = more->schedule_every_ms;
		int64_t due = job_due_at(job), behind = due < t ? (t - due) / every : 0;

		missed = behind > MISSED_COUNTED_MAX ? MISSED_COUNTED_MAX : (unsigned)behind;
		set_due(job, due + (behind + 1) * every, more);
	} else {
		schedule_clear(job);
	}
	return missed;
}

bool schedule_is_due(const struct job *job, const struct sched_now *now)
{
	return job_due_at(job) &&
	       job->more->due_at + job->more->due_jitter_ms <= its_now(more_of(job), now);
}

int64_t schedule_deadline(const struct job *job, const struct sched_now *now)
{
	int64_t left;

	if (!job_due_at(job))
		return 0;
	left = job->more->due_at + job->more->due_jitter_ms - its_now(more_of(job), now);
	/* 0 would mean none */
	return left > 0 ? now->mono + left : now->mono ? now->mono : 1;
}

int64_t schedule_next_run(const struct job *job, const struct sched_now *now)
{
	const struct conf_job_more *more = more_of(job);
	int64_t due;

	if (!job_due_at(job))
		return -1;
	due = job->more->due_at + job->more->due_jitter_ms;
	if (more->schedule)
		return due / 1000;
	return (now->wall + due - now->boot) / 1000;
}

void schedule_clock_changed(struct job *job, int64_t step_ms, const struct sched_now *now)
{
	/* an interval is elapsed time; a step ahead makes a due time simply due */
	if (!job_due_at(job) || !more_of(job)->schedule || step_ms > 0)
		return;
	/* back a little: the due time after the last run stays, nothing runs twice */
	if (step_ms < 0 && step_ms >= -STEP_BACK_KEPT_MS)
		return;
	/* far back, or another time zone: the schedule starts again from now */
	schedule_first(job, now);
}

const char *schedule_time_text(int64_t unix_s, char *buf, size_t len)
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M %z", &tm))
		snprintf(buf, len, "%lld", (long long)unix_s);
	return buf;
}

void schedule_describe(const struct conf_job *conf, time_t after, int n, char *buf,
		       size_t len)
{
	const struct conf_job_more *more = CONF_MORE(conf);
	size_t used = 0;
	char t[64];

	if (len)
		buf[0] = '\0';
	if (!more->schedule) {
		util_describe_ms(more->schedule_every_ms, t, sizeof(t));
		snprintf(buf, len, "%s after it is added, then every %s", t, t);
		return;
	}
	for (int i = 0; i < n && used + 1 < len; i++) {
		after = cron_next(more->schedule, after);
		if (after == (time_t)-1) {
			snprintf(buf + used, len - used, "%snever", i ? ", then " : "");
			return;
		}
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 schedule_time_text(after, t, sizeof(t)));
	}
}
