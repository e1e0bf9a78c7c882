/* jobs.h: each job's life cycle as one state machine, the one writer of a job's state. SPDX-License-Identifier: MIT */
#ifndef PMTR_JOBS_H
#define PMTR_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "job.h"
#include "loop.h"

void jobs_init(struct jobs *jobs, struct loop *loop);
/* Free every job; call once no job has a process. */
void jobs_exit(struct jobs *jobs);

/* Feed an event to a job: the one way anything changes a job's state. */
void job_event(struct jobs *jobs, struct job *job, enum job_event ev);
/* The same, with the event's text (why a check failed). */
void job_event_why(struct jobs *jobs, struct job *job, enum job_event ev, const char *why);

/* What the machine does with ev in state: the name of its action as doc/states.md
 * writes it in the transitions table, "" when it ignores it. */
const char *job_transition_text(enum job_state state, enum job_event ev);

/* A job taken over from the image before a re-exec enters the state it was in
 * there, with no action (doc/states.md, Reload). */
void job_hand_over(struct job *job, enum job_state state);

/* A UDP enable or disable: a start or stop that the next edit of the file undoes. */
void jobs_override(struct jobs *jobs, struct job *job, bool enable);

/* A new job of the table, pending (or disabled) with conf; NULL on ENOMEM. */
struct job *job_new(struct jobs *jobs, struct conf_job *conf);
/* The job has no process and is out of the table: free it and what it holds. */
void job_free(struct jobs *jobs, struct job *job);
/* A pending job whose gate is open (wait, after) starts: its dependency files
 * are there, its process is made, it goes starting or running (or waits to
 * restart when it cannot be made); it stays pending while every start slot is
 * taken (spawn_busy), to be started when one frees. */
void job_start(struct jobs *jobs, struct job *job);
/* When a job up in state (starting: its ready timeout; running, unhealthy: its
 * bounce) with conf must be looked at, its run timeout too: CLOCK_MONOTONIC ms
 * from its start, 0 for never. */
int64_t job_up_deadline(const struct job *job, enum job_state state, const struct conf_job *conf);
/* The job with no process takes on the newest configuration it was given. */
void job_adopt_next(struct job *job);
/* Note each depends file's content, to tell a change later. */
void job_hash_depends(struct job *job);

#endif
