/* health.h: ready probes and health checks of jobs: when to try, and what a result means to the job. SPDX-License-Identifier: MIT */
#ifndef PMTR_HEALTH_H
#define PMTR_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "job.h"

/* End the probe or check in progress (its command killed) and forget the next. */
void health_stop(struct job *job);

/* The next health check of a ready job with "check": one interval after the last
 * ended; the first (first) after a part of the interval that differs from job to
 * job, so that checks do not run in lockstep. */
void health_schedule_check(struct job *job, bool first);

/* The job's probe_at came (JOB_EV_PROBE): its ready probe (starting job) or its
 * check (ready job) starts. Results come back as events through job_raise:
 * JOB_EV_READY, JOB_EV_CHECK_OK, JOB_EV_CHECK_FAIL with the reason. */
void health_probe(struct jobs *jobs, struct job *job);
/* A probe past its time limit at now fails. */
void health_tick(struct job *job, int64_t now);
/* The job's next probe time (attempt to start or to time out), 0 if none. */
int64_t health_deadline(const struct job *job);
/* At the job's end: stop and free its probe. */
void health_free(struct job *job);

/* Whether pid was a probe's command; then its job hears the result. */
bool health_reaped(struct jobs *jobs, pid_t pid, int status);

#endif
