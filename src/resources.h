/* resources.h: cgroup limits of jobs (written before they run and when they change) and the OOM killer's kills. SPDX-License-Identifier: MIT */
#ifndef PMTR_RESOURCES_H
#define PMTR_RESOURCES_H

#include <stdint.h>

#include "job.h"

/* Once per configuration load: switch on the controllers the jobs' limits need,
 * say each limit that cannot be enforced, and give running jobs what a newly
 * switched-on controller enforces. */
void resources_check(struct jobs *jobs);

/* The job's limits into its cgroup directory job_fd, before its process runs. */
void resources_write(struct jobs *jobs, struct job *job, int job_fd);
/* The same for a running job whose limits changed. */
void resources_apply_now(struct jobs *jobs, struct job *job);

/* Watch the job's memory.events (jobs with memory max), for OOM kills. */
void resources_watch_oom(struct jobs *jobs, struct job *job);
/* OOM kills in the job's cgroup since last seen, now counted as seen. */
uint64_t resources_baseline(struct jobs *jobs, struct job *job);
/* job->oom_at came (JOB_EV_OOM): a kill its main process's exit did not claim is said. */
void resources_oom_settled(struct jobs *jobs, struct job *job);
/* After the job's exit: whether the OOM killer did it (logged, last_exit_oom). */
void resources_note_exit(struct jobs *jobs, struct job *job);

/* A job leaves: its watch goes. */
void resources_forget(struct jobs *jobs, struct job *job);
/* pmtr ends: the OOM watch goes. */
void resources_exit(struct jobs *jobs);

#endif
