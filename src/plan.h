/* plan.h: build in pmtr what a child needs to start a job: its copy of the job, identity, environment, CPUs, output pipe. SPDX-License-Identifier: MIT */
#ifndef PMTR_PLAN_H
#define PMTR_PLAN_H

#include <stddef.h>

#include "child.h"
#include "conf.h"

/* A plan to start job (in the cgroup cgroup_fd when not -1), its output pipe
 * open unless the job writes both streams to files. NULL with a reason in why
 * ("unknown user www") when the job cannot start as configured. */
struct plan *plan_new(const struct conf_job *job, int cgroup_fd, const struct child_context *ctx,
		      char *why, size_t why_len);

/* Closes what the plan still holds open. NULL is fine. */
void plan_free(struct plan *plan);

/* Closes both ends of a pipe that are still open and marks them -1. */
void plan_close_pair(int p[2]);

/* cgroup.procs of the plan's cgroup, for a child that moves itself: -1 when
 * there is no cgroup, or it cannot be opened. */
int plan_open_procs(const struct plan *plan);

#endif
