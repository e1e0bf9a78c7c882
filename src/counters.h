/* counters.h: a job's figures that outlive a run, as one list: status, JSON, metrics and the re-exec hand-over walk it. SPDX-License-Identifier: MIT */
#ifndef PMTR_COUNTERS_H
#define PMTR_COUNTERS_H

#include <stdint.h>

/*
 * A job's figures that outlive a run: what status, JSON and the re-exec hand-over
 * carry (the hand-over copies the struct whole; its text, doc/state-format.md,
 * keeps the order of the first state version). One row each: X(type, field).
 */
#define JOB_COUNTERS(X) \
	X(int64_t, started_ms)	/* CLOCK_MONOTONIC ms of the last start */ \
	X(int64_t, started_wall)	/* time(NULL) then, for people */ \
	X(uint64_t, oom_kills)	/* memory.events oom_kill, last seen */ \
	X(unsigned, restarts) \
	X(unsigned, check_failures)	/* in a row */ \
	X(unsigned, checks_done)	/* in this run */ \
	X(int, last_status)	/* wait(2) status of the last exit */

struct job_counters {
#define JOB_COUNTER_FIELD(type, field) type field;
	JOB_COUNTERS(JOB_COUNTER_FIELD)
#undef JOB_COUNTER_FIELD
};

#endif
