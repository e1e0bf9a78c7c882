/* job.h: what a job is (its record, its states and events, the table of jobs) and the questions about one that change nothing. SPDX-License-Identifier: MIT */
#ifndef PMTR_JOB_H
#define PMTR_JOB_H

/*
 * The units around a job, from the bottom up (doc/units.md has the whole map):
 *   job.c       this header: the record, the table's index by pid and by name
 *   health.c    ready probes and checks      resources.c  cgroup limits, OOM kills
 *               (both raise events through job_raise, never call the machine)
 *   jobs.c      the state machine: the one writer of job->state
 *   reconcile.c the reload diff              reexec.c     the re-exec hand-over
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "counters.h"
#include "loop.h"

/* The states and events are documented with their transitions in doc/states.md. */
enum job_state {
	JOB_PENDING,		/* wants to run; started when wait, depends and after allow */
	JOB_STARTING,		/* its process runs, not ready yet (jobs with "ready") */
	JOB_RUNNING,		/* ready; healthy, or not checked (yet) */
	JOB_UNHEALTHY,		/* ready, but its last check failed */
	JOB_STOPPING,		/* its stop signal sent; SIGKILL at the deadline */
	JOB_KILLING,		/* SIGKILL sent; what is left of its group is looked at */
	JOB_BACKOFF,		/* waiting for its restart delay */
	JOB_SCHEDULED,		/* a job with a schedule, between its runs */
	JOB_DISABLED,
	JOB_DONE,		/* once, or exit status 33: not restarted */
	JOB_GONE,		/* removed; freed at the end of this turn of the loop */
	JOB_N_STATES
};

enum job_event {
	JOB_EV_START,		/* should run: added, enabled */
	JOB_EV_RUN,		/* run now: pmtrctl start (a scheduled job runs at once) */
	JOB_EV_STOP,		/* should not run: disabled */
	JOB_EV_RESTART,		/* its configuration changed */
	JOB_EV_BOUNCE,		/* bounce interval or dependency change; retry if held */
	JOB_EV_REMOVE,		/* deleted from the configuration, or pmtr shuts down */
	JOB_EV_EXIT,		/* its process exited */
	JOB_EV_GROUP_EMPTY,	/* the last process of its group was reaped */
	JOB_EV_TIMER,		/* its deadline passed */
	JOB_EV_DUE,		/* the time of its next scheduled run came */
	JOB_EV_KILL,		/* stop without waiting: SIGKILL now */
	JOB_EV_READY,		/* its ready probe succeeded, or it sent READY=1 */
	JOB_EV_PROBE,		/* the time of its next ready probe or check came */
	JOB_EV_CHECK_OK,	/* a health check passed */
	JOB_EV_CHECK_FAIL,	/* a health check failed; the event's text says why */
	JOB_EV_OOM,		/* an OOM kill in its cgroup settled: say it if no exit did */
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
	struct job_counters counters;	/* JOB_COUNTERS */
	struct output *output;
	struct joblog *log;		/* its recent output lines; NULL until it writes */
	struct logfile *logfile;	/* "log file": where its output goes, or NULL */
	struct probe *probe;		/* ready probe or health check; NULL until needed */
	int64_t probe_at;		/* CLOCK_MONOTONIC ms of the next attempt, 0: none */
	char *note;			/* the last STATUS= it sent in this run, or NULL */
	int64_t oom_at;			/* CLOCK_MONOTONIC ms to look at a new OOM kill, 0: none */
	struct job_more *more;		/* what few jobs have, or NULL */
	struct job_report *report;	/* a forked child's report pipe until exec, or NULL */
	/* a byte each, and the flags beside them: 168 bytes, malloc's 176 class */
	enum job_state state : 8;	/* written by jobs.c's machine only */
	enum job_then then : 8;		/* where STOPPING and KILLING lead */
	bool has_exited : 1;
	bool dep_missing_logged : 1;
	bool udp_override : 1;		/* enabled or disabled by UDP: undone by the next edit */
	bool in_cgroup : 1;		/* its processes are in a cgroup of their own */
	bool after_logged : 1;		/* said that it waits for an "after" job */
	bool limits_set : 1;		/* its cgroup holds limits written by pmtr */
	bool last_exit_oom : 1;		/* its last process was killed by the OOM killer */
	pid_t pid;			/* 0 when no process */
	pid_t pgid;			/* its process group, kept until the group is empty */
	int events_wd;			/* inotify watch of its memory.events, or -1 */
};

/* What few jobs have, apart so that 1000 plain jobs stay small: made at the first
 * need (job_more_of), freed with the job. */
struct job_more {
	uint64_t *dep_hash;		/* content hash of each depends file at start */
	/* A job with a schedule: its next due time (0: none), in ms of its schedule's
	 * clock (schedule.h), and the random delay after it that this run starts at. */
	int64_t due_at;
	int64_t due_jitter_ms;
};

/* The job's job_more, made when it has none; NULL on ENOMEM (logged). */
struct job_more *job_more_of(struct job *job);
/* Its next due time, 0 for none. */
static inline int64_t job_due_at(const struct job *job)
{
	return job->more ? job->more->due_at : 0;
}

struct cgroup_base;

struct jobs {
	struct loop *loop;
	struct cgroup_base *cgroup;	/* NULL or unusable: process groups only */
	struct job **v;			/* start order, then jobs being removed */
	size_t n, cap;
	bool need_advance;
	/* CLOCK_REALTIME minus CLOCK_BOOTTIME when the jobs last looked: a change is a
	 * step of the wall clock (schedule.h) */
	int64_t wall_offset_ms;
	/* What jobs_tick found when it last looked at every job: the next deadline,
	 * and whether that still holds (no event since, no edit). */
	int64_t next_due;
	bool stale;
	bool looked;		/* the last jobs_tick looked at every job */
	int end_status;			/* an essential job ended: pmtr's exit status, else -1 */
	/* The machine, for the units below it that raise events (job_raise). */
	void (*raise)(struct jobs *jobs, struct job *job, enum job_event ev, const char *why);
	/* Told when a job leaves the table, just before it is freed (its last output
	 * lines are in its log by then): pmtrctl logs -f ends there. */
	void (*freed_cb)(void *arg, struct job *job);
	void *freed_arg;
	struct loop_watcher oom_watch;	/* inotify on the jobs' memory.events, or fd -1 */
	struct job **by_pid;		/* jobs with a process, chained by pid_next in
					 * by_pid_cap (a power of two, or 0) buckets */
	size_t by_pid_cap, by_pid_n;
};

/* "running", "waiting to restart"; KILLING is "stopping" to people. */
const char *job_state_name(enum job_state state);
/* The name doc/states.md gives a state or an event ("killing", "check failed"). */
const char *job_state_doc_name(enum job_state state);
const char *job_event_name(enum job_event ev);
/* A state by its job_state_doc_name or job_state_name; -1 when none. */
int job_state_named(const char *name);

/* Whether the job's process runs: starting, running or unhealthy. */
bool job_is_up(const struct job *job);
/* Ready: up and past its ready step. */
bool job_is_ready(const struct job *job);
/* Stopping: its stop signal or SIGKILL sent, the process or its group still there. */
bool job_is_stopping(const struct job *job);
/* Disabled: by the configuration, pmtrctl or UDP. Gone: removed, freed this turn. */
bool job_is_disabled(const struct job *job);
bool job_is_gone(const struct job *job);
/* Ready, but its last health check failed. */
bool job_is_unhealthy(const struct job *job);
/* Whether the job left the configuration: gone, or stopping on its way out. */
bool job_is_removed(const struct job *job);
/* The configuration a job is heading for: the newest it was given. */
struct conf_job *job_latest_conf(const struct job *job);

/* Feed an event to the machine from a unit below it (health, resources). */
void job_raise(struct job *job, enum job_event ev, const char *why);

/* The jobs in start order, those on their way out after them (gone ones too):
 * for (size_t i = 0; i < jobs_count(jobs); i++) jobs_at(jobs, i). */
size_t jobs_count(const struct jobs *jobs);
struct job *jobs_at(const struct jobs *jobs, size_t i);
/* The job of that name still in the configuration (removed_too: or on its way
 * out), or NULL. */
struct job *jobs_find(const struct jobs *jobs, const char *name, bool removed_too);

/* The jobs that have a process, by pid. */
void jobs_pid_add(struct jobs *jobs, struct job *job);
void jobs_pid_remove(struct jobs *jobs, struct job *job);
struct job *jobs_pid_find(struct jobs *jobs, pid_t pid);

#endif
