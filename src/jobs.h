/* jobs.h: the job table and each job's life cycle as one state machine. SPDX-License-Identifier: MIT */
#ifndef PMTR_JOBS_H
#define PMTR_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "loop.h"

/* The states and events are documented with their transitions in doc/states.md. */
enum job_state {
	JOB_PENDING,		/* wants to run; started when wait, depends and after allow */
	JOB_STARTING,		/* its process runs, not ready yet (jobs with "ready") */
	JOB_RUNNING,		/* ready; healthy, or not checked (yet) */
	JOB_UNHEALTHY,		/* ready, but its last check failed */
	JOB_STOPPING,		/* SIGTERM sent; SIGKILL at the deadline */
	JOB_BACKOFF,		/* waiting for its restart delay */
	JOB_DISABLED,
	JOB_DONE,		/* once, or exit status 33: not restarted */
	JOB_GONE,		/* removed; freed at the end of this turn of the loop */
	JOB_N_STATES
};

enum job_event {
	JOB_EV_START,		/* should run: added, enabled */
	JOB_EV_STOP,		/* should not run: disabled */
	JOB_EV_RESTART,		/* its configuration changed */
	JOB_EV_BOUNCE,		/* bounce interval or dependency change; retry if held */
	JOB_EV_REMOVE,		/* deleted from the configuration, or pmtr shuts down */
	JOB_EV_EXIT,		/* its process exited */
	JOB_EV_TIMER,		/* its deadline passed */
	JOB_EV_KILL,		/* stop without waiting: SIGKILL now */
	JOB_EV_READY,		/* its ready probe succeeded, or it sent READY=1 */
	JOB_EV_CHECK_OK,	/* a health check passed */
	JOB_EV_CHECK_FAIL,	/* a health check failed */
	JOB_N_EVENTS
};

/* Where STOPPING leads: start again at once, or under the restart rules (a job that
 * ran less than its restart delay waits for it), disabled, or out. */
enum job_then { JOB_THEN_START, JOB_THEN_RETRY, JOB_THEN_DISABLE, JOB_THEN_REMOVE };

struct output;
struct joblog;

struct jobs;

/* Pointers, then 4-byte fields, then flags as bits: 1000 jobs are 1000 of these. */
struct job {
	struct jobs *table;		/* the table it belongs to */
	struct conf_job *conf;		/* what it runs (or ran) with */
	struct conf_job *next;		/* a newer configuration, adopted once stopped */
	struct job *pid_next;		/* in its jobs->by_pid chain while it has a pid */
	int64_t deadline;		/* CLOCK_MONOTONIC ms, 0 for none */
	int64_t started_ms;
	int64_t started_wall;		/* time(NULL) at the last start, for people */
	uint64_t *dep_hash;		/* content hash of each depends file at start */
	struct output *output;
	struct joblog *log;		/* its recent output lines; NULL until it writes */
	struct probe *probe;		/* ready probe or health check; NULL until needed */
	int64_t probe_at;		/* CLOCK_MONOTONIC ms of the next attempt, 0: none */
	char *note;			/* the last STATUS= it sent in this run, or NULL */
	uint64_t oom_kills;		/* memory.events oom_kill of its cgroup, last seen */
	int64_t oom_at;			/* CLOCK_MONOTONIC ms to look at a new OOM kill, 0: none */
	struct job_report *report;	/* a forked child's report pipe until exec, or NULL */
	enum job_state state;
	enum job_then then;		/* where STOPPING leads */
	pid_t pid;			/* 0 when no process */
	pid_t pgid;			/* its process group, kept until the group is empty */
	unsigned restarts;
	int last_status;		/* wait(2) status of the last exit */
	unsigned check_failures;	/* in a row */
	unsigned checks_done;		/* in this run */
	int events_wd;			/* inotify watch of its memory.events, or -1 */
	bool has_exited : 1;
	bool kill_sent : 1;
	bool dep_missing_logged : 1;
	bool udp_override : 1;		/* enabled or disabled by UDP: undone by the next edit */
	bool in_cgroup : 1;		/* its processes are in a cgroup of their own */
	bool after_logged : 1;		/* said that it waits for an "after" job */
	bool limits_set : 1;		/* its cgroup holds limits written by pmtr */
	bool last_exit_oom : 1;		/* its last process was killed by the OOM killer */
};

struct cgroup_base;
struct notify_message;

struct jobs {
	struct loop *loop;
	struct cgroup_base *cgroup;	/* NULL or unusable: process groups only */
	struct job **v;			/* start order, then jobs being removed */
	size_t n, cap;
	bool need_advance;
	/* What jobs_tick found when it last looked at every job: the next deadline,
	 * and whether that still holds (no event since, no edit). */
	int64_t next_due;
	bool stale;
	bool looked;		/* the last jobs_tick looked at every job */
	int end_status;			/* an essential job ended: pmtr's exit status, else -1 */
	/* Told when a job leaves the table, just before it is freed (its last output
	 * lines are in its log by then): pmtrctl logs -f ends there. */
	void (*freed_cb)(void *arg, struct job *job);
	void *freed_arg;
	struct loop_watcher oom_watch;	/* inotify on the jobs' memory.events, or fd -1 */
	struct job **by_pid;		/* jobs with a process, chained by pid_next in
					 * by_pid_cap (a power of two, or 0) buckets */
	size_t by_pid_cap, by_pid_n;
};

void jobs_init(struct jobs *jobs, struct loop *loop);
/* Free every job; call once no job has a process. */
void jobs_exit(struct jobs *jobs);

/* Feed an event to a job: the one way anything changes a job. */
void job_event(struct jobs *jobs, struct job *job, enum job_event ev);

/* Apply a freshly parsed configuration: start added jobs, stop removed ones, restart
 * changed ones, leave the others alone. Takes the jobs out of conf. -1 on ENOMEM. */
int jobs_apply(struct jobs *jobs, struct conf *conf);

struct state;

/* For a re-exec: every job as state (doc/state-format.md); -1 on ENOMEM. */
int jobs_save(const struct jobs *jobs, struct state *st);

/* After a re-exec: take over the jobs of st, their processes untouched. A job
 * block this binary cannot read takes the file's job of that name. The output
 * descriptors move from st to the jobs. 1 when the file says exactly what st
 * does: the jobs took the file's jobs out of file, and nothing is left to
 * apply; 0 when file is still to be applied; -1 on ENOMEM. */
int jobs_restore(struct jobs *jobs, struct state *st, struct conf *file);

/* Collect every exited child without blocking (jobs and orphans alike). */
void jobs_reap(struct jobs *jobs);

/* Re-hash dependency files: restart running jobs whose files changed, retry jobs
 * held by a missing file. */
void jobs_check_depends(struct jobs *jobs);

/* Run due deadlines, start what may start, free removed jobs. Returns the next
 * deadline (CLOCK_MONOTONIC ms) or 0 when none. Call after every batch of events;
 * stirred: the batch ran more than job output readers (loop.stirred). After a batch
 * that was not, before the next deadline, it costs nothing per job. */
int64_t jobs_tick(struct jobs *jobs, bool stirred);

/* Stop every job (kill_now: with SIGKILL at once); pmtr exits when jobs->n is 0. */
void jobs_shutdown(struct jobs *jobs, bool kill_now);

/* A datagram from sender on the notify socket: READY=1 or STATUS= of the job it
 * belongs to (by process group, or cgroup); anything else is counted and ignored.
 * Returns false when sender is of no job that waits for it. */
bool jobs_notify(struct jobs *jobs, pid_t sender, const struct notify_message *msg);

/* Whether every job that should be running is up and ready, or failed to be (for
 * pmtr's own READY=1). */
bool jobs_settled(const struct jobs *jobs);

/* Whether the job's process runs: starting, running or unhealthy. */
bool job_is_up(const struct job *job);
/* Ready: up and past its ready step. */
bool job_is_ready(const struct job *job);

/* One line for people and sd_notify: "3 jobs: 2 running, 1 disabled". */
void jobs_summary(const struct jobs *jobs, char *buf, size_t len);

const char *job_state_name(enum job_state state);

/* The configuration a job is heading for: the newest it was given. */
struct conf_job *job_latest_conf(const struct job *job);

/* A health check's result, with the reason of a failure: JOB_EV_CHECK_OK or
 * JOB_EV_CHECK_FAIL. */
void job_check_result(struct jobs *jobs, struct job *job, bool ok, const char *why);

/* Whether the job left the configuration: gone, or stopping on its way out. */
bool job_is_removed(const struct job *job);

/* The reload diff, pure: for each job of the new table, the index of the job of the
 * same name in the old table, or -1 when it is new. Old jobs that no index names are
 * the removed ones. -1 on ENOMEM. */
int jobs_match(struct conf_job *const *old, size_t n_old,
	       struct conf_job *const *new, size_t n_new, long *old_index);

#endif
