/* jobs.c: the job table and each job's life cycle as one state machine. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "health.h"
#include "joblog.h"
#include "jobs.h"
#include "log.h"
#include "notify.h"
#include "output.h"
#include "parse.h"
#include "resources.h"
#include "spawn.h"
#include "state.h"
#include "util.h"

/* While a stopped job's leader is gone but its group lingers, how often to look. */
#define GROUP_RECHECK_MS 100
/* Why the health check that is being reported failed (for act_check_fail). */
static const char *check_why;

static const char *const state_names[JOB_N_STATES] = {
	[JOB_PENDING] = "pending",
	[JOB_STARTING] = "starting",
	[JOB_RUNNING] = "running",
	[JOB_UNHEALTHY] = "unhealthy",
	[JOB_STOPPING] = "stopping",
	[JOB_BACKOFF] = "waiting to restart",
	[JOB_DISABLED] = "disabled",
	[JOB_DONE] = "done",
	[JOB_GONE] = "gone",
};

static const char *const event_names[JOB_N_EVENTS] = {
	[JOB_EV_START] = "start",
	[JOB_EV_STOP] = "stop",
	[JOB_EV_RESTART] = "restart",
	[JOB_EV_BOUNCE] = "bounce",
	[JOB_EV_REMOVE] = "remove",
	[JOB_EV_EXIT] = "exit",
	[JOB_EV_TIMER] = "timer",
	[JOB_EV_KILL] = "kill",
	[JOB_EV_READY] = "ready",
	[JOB_EV_CHECK_OK] = "check ok",
	[JOB_EV_CHECK_FAIL] = "check failed",
};

const char *job_state_name(enum job_state state)
{
	return state < JOB_N_STATES ? state_names[state] : "?";
}

bool job_is_up(const struct job *job)
{
	return job->state == JOB_STARTING || job->state == JOB_RUNNING ||
	       job->state == JOB_UNHEALTHY;
}

bool job_is_ready(const struct job *job)
{
	return job->state == JOB_RUNNING || job->state == JOB_UNHEALTHY;
}

struct conf_job *job_latest_conf(const struct job *job)
{
	return job->next ? job->next : job->conf;
}

bool job_is_removed(const struct job *job)
{
	return job->state == JOB_GONE ||
		(job->state == JOB_STOPPING && job->then == JOB_THEN_REMOVE);
}

static const char *name_of(const struct job *job)
{
	return job->conf->name;
}

/* A job with no process takes on the newer configuration it was given. */
static void set_state(struct job *job, enum job_state state)
{
	job->state = state;
	if (!job_is_up(job) && state != JOB_STOPPING && job->next) {
		conf_job_free(job->conf);
		job->conf = job->next;
		job->next = NULL;
		free(job->dep_hash);
		job->dep_hash = NULL;
		job->dep_missing_logged = false;
	}
}

/* Whether anything of the job is left: its process group, or its cgroup, which
 * also holds the descendants that left the group (setsid, double fork). */
static bool group_alive(const struct job *job)
{
	if (job->pgid > 0 && (kill(-job->pgid, 0) == 0 || errno == EPERM))
		return true;
	return job->in_cgroup && cgroup_job_populated(job->table->cgroup, name_of(job));
}

static void signal_job(struct job *job, int sig)
{
	if (job->in_cgroup)
		cgroup_job_signal(job->table->cgroup, name_of(job), sig);
	/* Before the child's setsid the group does not exist yet; the signal then
	 * waits in the child's blocked set until it clears it. */
	if (job->pgid > 0 && kill(-job->pgid, sig) == 0)
		return;
	if (job->pid > 0 && kill(job->pid, sig) < 0 && errno != ESRCH)
		log_warn("job %s [%d]: kill", name_of(job), (int)job->pid);
}

/* A forked child's report pipe, watched until its exec closes it. */
struct job_report {
	struct loop_watcher w;
	struct job *job;
};

static void close_report(struct jobs *jobs, struct job *job)
{
	if (!job->report)
		return;
	loop_del(jobs->loop, &job->report->w);
	close(job->report->w.fd);
	/* An event for it may still be on its way in this turn of the loop. */
	job->report->job = NULL;
	loop_free_later(jobs->loop, job->report);
	job->report = NULL;
}

/* Jobs with a process, by pid: a reaped child is found without a scan of the table. */
static size_t pid_home(const struct jobs *jobs, pid_t pid)
{
	return ((uint32_t)pid * 2654435761u) & (jobs->by_pid_cap - 1);
}

static struct job *find_pid(struct jobs *jobs, pid_t pid)
{
	struct job *job;

	if (!jobs->by_pid_cap) {
		/* the index could not be made: the table it is */
		for (size_t i = 0; i < jobs->n; i++)
			if (jobs->v[i]->pid == pid)
				return jobs->v[i];
		return NULL;
	}
	for (job = jobs->by_pid[pid_home(jobs, pid)]; job && job->pid != pid; job = job->pid_next)
		;
	return job;
}

/* job->pid is set: index it, with about two jobs per bucket. */
static void pid_index_add(struct jobs *jobs, struct job *job)
{
	size_t home;

	if (jobs->by_pid_n >= 2 * jobs->by_pid_cap) {
		size_t cap = jobs->by_pid_cap ? 2 * jobs->by_pid_cap : 32, old_cap = jobs->by_pid_cap;
		struct job **old = jobs->by_pid, **by_pid = calloc(cap, sizeof(*by_pid));

		if (!by_pid && !old) {
			log_warn("jobs by pid");
			return;
		}
		if (by_pid) {
			jobs->by_pid = by_pid;
			jobs->by_pid_cap = cap;
			for (size_t i = 0; i < old_cap; i++) {
				for (struct job *j = old[i], *after; j; j = after) {
					after = j->pid_next;
					home = pid_home(jobs, j->pid);
					j->pid_next = by_pid[home];
					by_pid[home] = j;
				}
			}
			free(old);
		}
	}
	home = pid_home(jobs, job->pid);
	job->pid_next = jobs->by_pid[home];
	jobs->by_pid[home] = job;
	jobs->by_pid_n++;
}

/* Before job->pid is cleared. */
static void pid_index_remove(struct jobs *jobs, struct job *job)
{
	if (!jobs->by_pid_cap)
		return;
	for (struct job **at = &jobs->by_pid[pid_home(jobs, job->pid)]; *at; at = &(*at)->pid_next) {
		if (*at == job) {
			*at = job->pid_next;
			job->pid_next = NULL;
			jobs->by_pid_n--;
			return;
		}
	}
}

static void log_failed_start(struct job *job, const struct spawn_report *report)
{
	char why[512];

	spawn_describe(job->conf, report, why, sizeof(why));
	log_warnx("job %s [%d] failed to start: %s", name_of(job), (int)job->pid, why);
}

/* Returns false while nothing is there yet. */
static bool read_report(struct jobs *jobs, struct job *job)
{
	struct spawn_report report;
	ssize_t n = read(job->report->w.fd, &report, sizeof(report));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n == (ssize_t)sizeof(report))
		log_failed_start(job, &report);
	close_report(jobs, job);
	return true;
}

static void report_cb(struct loop_watcher *w, uint32_t events)
{
	struct job *job = container_of(w, struct job_report, w)->job;

	(void)events;
	if (job)
		read_report(job->table, job);
}

static void watch_report(struct jobs *jobs, struct job *job, int fd)
{
	job->report = malloc(sizeof(*job->report));
	if (job->report) {
		*job->report = (struct job_report){ .w = { .fd = fd, .cb = report_cb }, .job = job };
		if (loop_add(jobs->loop, &job->report->w, EPOLLIN) == 0)
			return;
		free(job->report);
		job->report = NULL;
	}
	log_warn("job %s [%d]: watching its start", name_of(job), (int)job->pid);
	close(fd);
}

static void close_process_fds(struct jobs *jobs, struct job *job)
{
	struct spawn_report report;

	if (job->report)
		read_report(jobs, job);
	else if (job->pid > 0 && spawn_take_failure(job->pid, &report))
		log_failed_start(job, &report);
	close_report(jobs, job);
	output_close(jobs->loop, job->output);
	job->output = NULL;
}

static void hash_depends(struct job *job)
{
	const struct conf_job *conf = job->conf;

	if (!conf->n_depends)
		return;
	if (!job->dep_hash) {
		job->dep_hash = calloc(conf->n_depends, sizeof(*job->dep_hash));
		if (!job->dep_hash) {
			log_warn("job %s: dependency hashes", name_of(job));
			return;
		}
	}
	for (size_t i = 0; i < conf->n_depends; i++)
		if (util_hash_file(conf->depends[i], &job->dep_hash[i]) < 0)
			job->dep_hash[i] = 0;
}

/* A missing dependency holds the job; said once until it appears. */
static bool depends_present(struct job *job)
{
	const struct conf_job *conf = job->conf;

	for (size_t i = 0; i < conf->n_depends; i++) {
		if (access(conf->depends[i], F_OK) == 0)
			continue;
		if (!job->dep_missing_logged)
			log_warnx("job %s waits for dependency %s", name_of(job), conf->depends[i]);
		job->dep_missing_logged = true;
		return false;
	}
	job->dep_missing_logged = false;
	return true;
}

static void backoff(struct job *job)
{
	char delay[32];

	set_state(job, JOB_BACKOFF);
	job->deadline = util_now_ms() + job->conf->restart_delay_ms;
	log_info("job %s restarts in %s", name_of(job),
		 util_describe_ms(job->conf->restart_delay_ms, delay, sizeof(delay)));
}

/* Up and ready: the bounce timer runs, checks begin, jobs "after" it may start. */
static void become_ready(struct jobs *jobs, struct job *job)
{
	set_state(job, JOB_RUNNING);
	job->deadline = job->conf->bounce_ms ? job->started_ms + job->conf->bounce_ms : 0;
	health_schedule_check(job, true);
	jobs->need_advance = true;
}

static void start(struct jobs *jobs, struct job *job)
{
	struct spawned child;
	char why[512];
	int cgroup_fd, rc;

	/* no free start slot yet: stays pending, started when one frees */
	if (spawn_busy())
		return;
	if (!depends_present(job))
		return;
	hash_depends(job);
	cgroup_fd = jobs->cgroup ? cgroup_job_dir_fd(jobs->cgroup, name_of(job)) : -1;
	job->in_cgroup = cgroup_fd >= 0;
	/* born under its limits */
	if (cgroup_fd >= 0) {
		resources_write(jobs, job, cgroup_fd);
		resources_baseline(jobs, job);
	}
	rc = spawn_job(job->conf, cgroup_fd, &child, why, sizeof(why));
	if (cgroup_fd >= 0)
		close(cgroup_fd);
	if (rc < 0) {
		log_warnx("job %s failed to start: %s", name_of(job), why);
		backoff(job);
		return;
	}
	job->pid = job->pgid = child.pid;
	pid_index_add(jobs, job);
	job->kill_sent = false;
	job->started_ms = util_now_ms();
	job->started_wall = (int64_t)time(NULL);
	if (job->has_exited)
		job->restarts++;
	if (child.report_fd >= 0)
		watch_report(jobs, job, child.report_fd);
	if (child.output_fd >= 0) {
		job->output = output_open(jobs->loop, child.output_fd, name_of(job), child.pid,
					  &job->log);
		if (!job->output) {
			log_warn("job %s [%d]: its output will be lost", name_of(job), (int)job->pid);
			close(child.output_fd);
		}
	}
	job->check_failures = job->checks_done = 0;
	free(job->note);
	job->note = NULL;
	job->after_logged = false;
	log_info("started job %s [%d]", name_of(job), (int)job->pid);
	resources_watch_oom(jobs, job);
	if (CONF_MORE(job->conf)->ready == CONF_READY_STARTED) {
		become_ready(jobs, job);
	} else {
		set_state(job, JOB_STARTING);
		job->deadline = job->started_ms + CONF_MORE(job->conf)->ready_timeout_ms;
		if (CONF_MORE(job->conf)->ready != CONF_READY_NOTIFY)
			job->probe_at = job->started_ms;
	}
}

static void begin_stop(struct jobs *jobs, struct job *job, enum job_then then)
{
	int sig = job->conf->stop_signal;
	char name[32];

	(void)jobs;
	health_stop(job);
	if (sig == SIGTERM)
		log_info("stopping job %s [%d]", name_of(job), (int)job->pid);
	else
		log_info("stopping job %s [%d] with %s", name_of(job), (int)job->pid,
			 util_signame(sig, name, sizeof(name)));
	job->then = then;
	job->state = JOB_STOPPING;
	job->deadline = util_now_ms() + job->conf->stop_timeout_ms;
	signal_job(job, sig);
}

static void finish_stop(struct jobs *jobs, struct job *job)
{
	job->deadline = 0;
	job->pgid = 0;
	switch (job->then) {
	case JOB_THEN_RETRY:
		if (util_now_ms() - job->started_ms < job->conf->restart_delay_ms) {
			backoff(job);
			break;
		}
		/* fall through */
	case JOB_THEN_START:
		set_state(job, JOB_PENDING);
		jobs->need_advance = true;
		break;
	case JOB_THEN_DISABLE:
		set_state(job, JOB_DISABLED);
		break;
	case JOB_THEN_REMOVE:
		set_state(job, JOB_GONE);
		break;
	}
}

static void log_job_exit(struct job *job)
{
	char how[64];
	int64_t ran = util_now_ms() - job->started_ms;

	log_info("job %s [%d] exited after %lld sec: %s", name_of(job), (int)job->pid,
		 (long long)(ran / 1000), util_describe_status(job->last_status, how, sizeof(how)));
}

/* An essential job that ends by itself ends pmtr with its status, the shell's way;
 * but an essential wait job that succeeds was a setup step, and start-up goes on. */
static bool essential_ends_pmtr(struct jobs *jobs, struct job *job)
{
	int status = job->last_status;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) :
		   WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;

	if (!job->conf->essential || (job->conf->wait && code == 0))
		return false;
	if (jobs->end_status < 0) {
		log_warnx("essential job %s ended: stopping pmtr with exit status %d",
			  name_of(job), code);
		jobs->end_status = code;
	}
	return true;
}

/* The actions of the transition table. */

static void act_want_start(struct jobs *jobs, struct job *job)
{
	job->deadline = 0;
	set_state(job, JOB_PENDING);
	jobs->need_advance = true;
}

static void act_disable(struct jobs *jobs, struct job *job)
{
	(void)jobs;
	job->deadline = 0;
	set_state(job, JOB_DISABLED);
}

static void act_forget(struct jobs *jobs, struct job *job)
{
	(void)jobs;
	job->deadline = 0;
	set_state(job, JOB_GONE);
}

static void act_stop_then_disable(struct jobs *jobs, struct job *job)
{
	begin_stop(jobs, job, JOB_THEN_DISABLE);
}

static void act_stop_then_start(struct jobs *jobs, struct job *job)
{
	begin_stop(jobs, job, JOB_THEN_START);
}

static void act_stop_then_remove(struct jobs *jobs, struct job *job)
{
	begin_stop(jobs, job, JOB_THEN_REMOVE);
}

static void act_then_start(struct jobs *jobs, struct job *job)
{
	(void)jobs;
	job->then = JOB_THEN_START;
}

static void act_then_disable(struct jobs *jobs, struct job *job)
{
	(void)jobs;
	job->then = JOB_THEN_DISABLE;
}

static void act_then_remove(struct jobs *jobs, struct job *job)
{
	(void)jobs;
	job->then = JOB_THEN_REMOVE;
}

static void act_exited(struct jobs *jobs, struct job *job)
{
	int64_t ran = util_now_ms() - job->started_ms;
	int status = job->last_status;

	/* Its last lines of output first, then the line that says it exited. */
	health_stop(job);
	close_process_fds(jobs, job);
	log_job_exit(job);
	resources_note_exit(jobs, job);
	pid_index_remove(jobs, job);
	job->pid = 0;
	job->pgid = 0;
	job->deadline = 0;
	if (essential_ends_pmtr(jobs, job)) {
		set_state(job, JOB_DONE);
	} else if (job->conf->once) {
		log_info("job %s is once: not restarting", name_of(job));
		set_state(job, JOB_DONE);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 33) {
		log_info("job %s exited with status 33: not restarting", name_of(job));
		set_state(job, JOB_DONE);
	} else if (ran < job->conf->restart_delay_ms) {
		backoff(job);
	} else {
		set_state(job, JOB_PENDING);
	}
	/* Whatever happened, a wait gate may have opened. */
	jobs->need_advance = true;
}

static void act_stopped(struct jobs *jobs, struct job *job)
{
	health_stop(job);
	close_process_fds(jobs, job);
	log_job_exit(job);
	resources_note_exit(jobs, job);
	pid_index_remove(jobs, job);
	job->pid = 0;
	if (!group_alive(job)) {
		finish_stop(jobs, job);
		return;
	}
	log_debug("job %s: process group %d still has members", name_of(job), (int)job->pgid);
	if (job->kill_sent)
		job->deadline = util_now_ms() + GROUP_RECHECK_MS;
}

static void act_kill(struct jobs *jobs, struct job *job)
{
	if (!job->pid && !group_alive(job)) {
		finish_stop(jobs, job);
		return;
	}
	if (!job->kill_sent && job->state == JOB_STOPPING) {
		char waited[32];

		log_warnx("job %s [%d] still running after %s: sending SIGKILL", name_of(job),
			  (int)job->pid, util_describe_ms(job->conf->stop_timeout_ms, waited,
							  sizeof(waited)));
	}
	signal_job(job, SIGKILL);
	job->kill_sent = true;
	job->deadline = job->pid ? 0 : util_now_ms() + GROUP_RECHECK_MS;
}

static void act_bounce(struct jobs *jobs, struct job *job)
{
	log_info("bouncing job %s [%d]", name_of(job), (int)job->pid);
	begin_stop(jobs, job, JOB_THEN_START);
}

static void act_kill_now(struct jobs *jobs, struct job *job)
{
	if (job_is_up(job))
		begin_stop(jobs, job, JOB_THEN_REMOVE);
	act_kill(jobs, job);
}

static void act_ready(struct jobs *jobs, struct job *job)
{
	log_info("job %s [%d] is ready", name_of(job), (int)job->pid);
	health_stop(job);
	become_ready(jobs, job);
}

static void act_not_ready(struct jobs *jobs, struct job *job)
{
	char waited[32];

	log_warnx("job %s [%d] not ready after %s: restarting", name_of(job), (int)job->pid,
		  util_describe_ms(CONF_MORE(job->conf)->ready_timeout_ms, waited, sizeof(waited)));
	begin_stop(jobs, job, JOB_THEN_RETRY);
}

static void act_check_ok(struct jobs *jobs, struct job *job)
{
	(void)jobs;
	job->checks_done++;
	job->check_failures = 0;
	if (job->state == JOB_UNHEALTHY) {
		log_info("job %s [%d] is healthy again", name_of(job), (int)job->pid);
		set_state(job, JOB_RUNNING);
	}
	health_schedule_check(job, false);
}

static void act_check_fail(struct jobs *jobs, struct job *job)
{
	unsigned retries = CONF_MORE(job->conf)->check_retries;

	job->checks_done++;
	job->check_failures++;
	log_warnx("job %s [%d]: check failed (%u of %u): %s", name_of(job), (int)job->pid,
		  job->check_failures, retries, check_why ? check_why : "?");
	if (job->check_failures >= retries) {
		log_warnx("job %s [%d] unhealthy: %u check%s failed in a row: restarting",
			  name_of(job), (int)job->pid, job->check_failures,
			  job->check_failures == 1 ? "" : "s");
		begin_stop(jobs, job, JOB_THEN_RETRY);
		return;
	}
	set_state(job, JOB_UNHEALTHY);
	health_schedule_check(job, false);
}

typedef void job_action(struct jobs *jobs, struct job *job);

/* What a job whose process runs does with these events, ready or not. */
#define UP_EVENTS \
	[JOB_EV_STOP] = act_stop_then_disable, \
	[JOB_EV_RESTART] = act_stop_then_start, \
	[JOB_EV_BOUNCE] = act_stop_then_start, \
	[JOB_EV_REMOVE] = act_stop_then_remove, \
	[JOB_EV_EXIT] = act_exited, \
	[JOB_EV_KILL] = act_kill_now

/* [state][event] -> action; NULL: the event means nothing in that state. */
static job_action *const transitions[JOB_N_STATES][JOB_N_EVENTS] = {
	[JOB_PENDING] = {
		[JOB_EV_START] = act_want_start,
		[JOB_EV_STOP] = act_disable,
		[JOB_EV_RESTART] = act_want_start,
		[JOB_EV_BOUNCE] = act_want_start,
		[JOB_EV_REMOVE] = act_forget,
	},
	[JOB_STARTING] = {
		UP_EVENTS,
		[JOB_EV_TIMER] = act_not_ready,
		[JOB_EV_READY] = act_ready,
	},
	[JOB_RUNNING] = {
		UP_EVENTS,
		[JOB_EV_TIMER] = act_bounce,
		[JOB_EV_CHECK_OK] = act_check_ok,
		[JOB_EV_CHECK_FAIL] = act_check_fail,
	},
	[JOB_UNHEALTHY] = {
		UP_EVENTS,
		[JOB_EV_TIMER] = act_bounce,
		[JOB_EV_CHECK_OK] = act_check_ok,
		[JOB_EV_CHECK_FAIL] = act_check_fail,
	},
	[JOB_STOPPING] = {
		[JOB_EV_START] = act_then_start,
		[JOB_EV_STOP] = act_then_disable,
		[JOB_EV_RESTART] = act_then_start,
		[JOB_EV_REMOVE] = act_then_remove,
		[JOB_EV_EXIT] = act_stopped,
		[JOB_EV_TIMER] = act_kill,
		[JOB_EV_KILL] = act_kill,
	},
	[JOB_BACKOFF] = {
		[JOB_EV_STOP] = act_disable,
		[JOB_EV_RESTART] = act_want_start,
		[JOB_EV_REMOVE] = act_forget,
		[JOB_EV_TIMER] = act_want_start,
	},
	[JOB_DISABLED] = {
		[JOB_EV_START] = act_want_start,
		[JOB_EV_RESTART] = act_want_start,
		[JOB_EV_REMOVE] = act_forget,
	},
	[JOB_DONE] = {
		[JOB_EV_START] = act_want_start,
		[JOB_EV_STOP] = act_disable,
		[JOB_EV_RESTART] = act_want_start,
		[JOB_EV_REMOVE] = act_forget,
	},
	[JOB_GONE] = { 0 },
};

void job_check_result(struct jobs *jobs, struct job *job, bool ok, const char *why)
{
	check_why = why;
	job_event(jobs, job, ok ? JOB_EV_CHECK_OK : JOB_EV_CHECK_FAIL);
	check_why = NULL;
}

void job_event(struct jobs *jobs, struct job *job, enum job_event ev)
{
	job_action *action = transitions[job->state][ev];

	log_debug("job %s: event %s in state %s%s", name_of(job), event_names[ev],
		  state_names[job->state], action ? "" : " (ignored)");
	jobs->stale = true;
	if (action)
		action(jobs, job);
}

/* The table. */

void jobs_init(struct jobs *jobs, struct loop *loop)
{
	memset(jobs, 0, sizeof(*jobs));
	jobs->loop = loop;
	jobs->end_status = -1;
	jobs->oom_watch.fd = -1;
	jobs->stale = true;
}

static void job_free(struct jobs *jobs, struct job *job)
{
	resources_forget(jobs, job);
	health_free(job);
	free(job->note);
	close_process_fds(jobs, job);
	if (jobs->freed_cb)
		jobs->freed_cb(jobs->freed_arg, job);
	joblog_free(job->log);
	/* Also for a job that never started: its cgroup was made when it was added. */
	if (jobs->cgroup)
		cgroup_job_remove(jobs->cgroup, name_of(job));
	conf_job_free(job->conf);
	conf_job_free(job->next);
	free(job->dep_hash);
	free(job);
}

void jobs_exit(struct jobs *jobs)
{
	for (size_t i = 0; i < jobs->n; i++)
		job_free(jobs, jobs->v[i]);
	free(jobs->v);
	jobs->v = NULL;
	jobs->n = jobs->cap = 0;
	free(jobs->by_pid);
	jobs->by_pid = NULL;
	jobs->by_pid_cap = jobs->by_pid_n = 0;
	resources_exit(jobs);
}

static struct job *job_new(struct jobs *jobs, struct conf_job *conf)
{
	struct job *job = calloc(1, sizeof(*job));

	if (!job)
		return NULL;
	job->table = jobs;
	job->conf = conf;
	job->events_wd = -1;
	job->state = conf->disabled ? JOB_DISABLED : JOB_PENDING;
	return job;
}

static int by_name(const void *a, const void *b, void *names)
{
	struct conf_job *const *v = names;

	return strcmp(v[*(const long *)a]->name, v[*(const long *)b]->name);
}

struct match_key {
	const char *name;
	struct conf_job *const *v;
};

static int find_name(const void *key, const void *elem)
{
	const struct match_key *k = key;

	return strcmp(k->name, k->v[*(const long *)elem]->name);
}

int jobs_match(struct conf_job *const *old, size_t n_old,
	       struct conf_job *const *new, size_t n_new, long *old_index)
{
	long *sorted = malloc((n_old ? n_old : 1) * sizeof(*sorted));

	if (!sorted)
		return -1;
	for (size_t i = 0; i < n_old; i++)
		sorted[i] = (long)i;
	qsort_r(sorted, n_old, sizeof(*sorted), by_name, (void *)old);
	for (size_t i = 0; i < n_new; i++) {
		struct match_key key = { new[i]->name, old };
		long *hit = bsearch(&key, sorted, n_old, sizeof(*sorted), find_name);

		old_index[i] = hit ? *hit : -1;
	}
	free(sorted);
	return 0;
}


/* A pending deadline that was measured with the old setting is measured again
 * with the new one, from the same start. */
static void retime(struct job *job, const struct conf_job *old, const struct conf_job *new)
{
	switch (job->state) {
	case JOB_STARTING:
		job->deadline += CONF_MORE(new)->ready_timeout_ms - CONF_MORE(old)->ready_timeout_ms;
		break;
	case JOB_RUNNING:
	case JOB_UNHEALTHY:
		if (old->bounce_ms != new->bounce_ms)
			job->deadline = new->bounce_ms ? job->started_ms + new->bounce_ms : 0;
		break;
	case JOB_STOPPING:
		if (job->deadline && !job->kill_sent)
			job->deadline += new->stop_timeout_ms - old->stop_timeout_ms;
		break;
	case JOB_BACKOFF:
		if (job->deadline)
			job->deadline += new->restart_delay_ms - old->restart_delay_ms;
		break;
	default:
		break;
	}
	/* 0 would mean "no deadline": one that is due stays due. */
	if (job->deadline < 0)
		job->deadline = 1;
}

/* The same process with other settings for pmtr: taken over without touching it. */
static void take_supervision(struct jobs *jobs, struct job *job, struct conf_job *conf)
{
	struct conf_job *latest = job_latest_conf(job);
	bool was_disabled = latest->disabled, reschedule_check = false, limits_changed;
	char what[256];

	if (conf_job_supervision_differs(latest, conf, what, sizeof(what))) {
		if (job->pid)
			log_info("job %s [%d]: applied %s", name_of(job), (int)job->pid, what);
		else
			log_info("job %s: applied %s", name_of(job), what);
		/* checks follow their new settings from now */
		if (job_is_ready(job) && !job->next) {
			health_stop(job);
			reschedule_check = true;
		}
	}
	retime(job, job->conf, conf);
	limits_changed = conf_job_limits_differ(latest, conf);
	conf_job_take_supervision(latest, conf);
	/* A stop in progress goes on with the new stop settings too. */
	if (job->next)
		conf_job_take_supervision(job->conf, conf);
	conf_job_free(conf);
	if (reschedule_check)
		health_schedule_check(job, true);
	/* a running job gets its new limits now; a stopped one at its next start */
	if (limits_changed && job->in_cgroup && job_is_up(job) && !job->next) {
		resources_apply_now(jobs, job);
		resources_watch_oom(jobs, job);
	}
	if (job->udp_override) {
		/* A UDP enable or disable lasts until the file is edited. */
		job->udp_override = false;
		job_event(jobs, job, latest->disabled ? JOB_EV_STOP : JOB_EV_START);
	} else if (latest->disabled != was_disabled) {
		job_event(jobs, job, latest->disabled ? JOB_EV_STOP : JOB_EV_START);
	}
	/* A new order, wait or once may open or close a wait gate. */
	jobs->need_advance = true;
}

static void take_new_conf(struct jobs *jobs, struct job *job, struct conf_job *conf)
{
	if (conf_job_same_process(job_latest_conf(job), conf) && !job_is_removed(job)) {
		take_supervision(jobs, job, conf);
		return;
	}
	job->udp_override = false;
	if (job->state == JOB_GONE)
		job->state = JOB_DISABLED;	/* back from the dead: removed and re-added */
	if (job_is_up(job) || job->state == JOB_STOPPING) {
		conf_job_free(job->next);
		job->next = conf;
	} else {
		conf_job_free(job->next);
		job->next = NULL;
		conf_job_free(job->conf);
		job->conf = conf;
		free(job->dep_hash);
		job->dep_hash = NULL;
		job->dep_missing_logged = false;
	}
	job_event(jobs, job, conf->disabled ? JOB_EV_STOP : JOB_EV_RESTART);
}

int jobs_apply(struct jobs *jobs, struct conf *conf)
{
	size_t n_old = jobs->n, n_new = conf->n_jobs, n = 0;
	struct conf_job **old_confs = NULL;
	long *old_index = NULL;
	bool *kept = NULL;
	struct job **v = NULL;
	int rc = -1;

	jobs->stale = true;
	old_confs = malloc((n_old ? n_old : 1) * sizeof(*old_confs));
	old_index = malloc((n_new ? n_new : 1) * sizeof(*old_index));
	kept = calloc(n_old ? n_old : 1, sizeof(*kept));
	v = malloc((n_old + n_new ? n_old + n_new : 1) * sizeof(*v));
	if (!old_confs || !old_index || !kept || !v)
		goto done;
	for (size_t i = 0; i < n_old; i++)
		old_confs[i] = job_latest_conf(jobs->v[i]);
	if (jobs_match(old_confs, n_old, conf->jobs, n_new, old_index) < 0)
		goto done;
	/* Allocate every new job first, so that running out of memory changes nothing. */
	for (size_t i = 0; i < n_new; i++) {
		if (old_index[i] >= 0)
			continue;
		v[i] = job_new(jobs, conf->jobs[i]);
		if (!v[i]) {
			for (size_t j = 0; j < i; j++)
				if (old_index[j] < 0)
					free(v[j]);
			goto done;
		}
	}
	for (size_t i = 0; i < n_new; i++) {
		if (old_index[i] < 0) {
			log_debug("job %s added", conf->jobs[i]->name);
			jobs->need_advance = true;
			/* Now, before the jobs started next compete with pmtr for the CPU. */
			if (jobs->cgroup)
				cgroup_job_create(jobs->cgroup, conf->jobs[i]->name);
		} else {
			v[i] = jobs->v[old_index[i]];
			kept[old_index[i]] = true;
			take_new_conf(jobs, v[i], conf->jobs[i]);
		}
		conf->jobs[i] = NULL;
	}
	n = n_new;
	for (size_t i = 0; i < n_old; i++) {
		if (kept[i])
			continue;
		v[n++] = jobs->v[i];
		job_event(jobs, jobs->v[i], JOB_EV_REMOVE);
	}
	conf->n_jobs = 0;
	free(jobs->v);
	jobs->v = v;
	jobs->n = n;
	jobs->cap = n_old + n_new;
	v = NULL;
	rc = 0;
	resources_check(jobs);
done:
	free(old_confs);
	free(old_index);
	free(kept);
	free(v);
	return rc;
}

void jobs_reap(struct jobs *jobs)
{
	bool orphans = false;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct job *job = find_pid(jobs, pid);

		if (!job && health_reaped(jobs, pid, status))
			continue;
		if (!job) {
			char how[64];

			log_debug("reaped process %d: %s", (int)pid,
				  util_describe_status(status, how, sizeof(how)));
			orphans = true;
			continue;
		}
		job->last_status = status;
		job->has_exited = true;
		job_event(jobs, job, JOB_EV_EXIT);
	}
	if (pid < 0 && errno != ECHILD)
		log_warn("waitpid");
	if (!orphans)
		return;
	/* A reaped descendant may have been the last of a stopped job's group. */
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];

		if (job->state == JOB_STOPPING && !job->pid && !group_alive(job))
			finish_stop(jobs, job);
	}
}

void jobs_check_depends(struct jobs *jobs)
{
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];
		const struct conf_job *conf = job->conf;

		if (!conf->n_depends)
			continue;
		if (job->state == JOB_PENDING) {
			jobs->need_advance = true;
			continue;
		}
		if (!job_is_up(job) || !job->dep_hash)
			continue;
		for (size_t d = 0; d < conf->n_depends; d++) {
			uint64_t hash;

			if (util_hash_file(conf->depends[d], &hash) < 0 || hash == job->dep_hash[d])
				continue;
			log_info("job %s: dependency %s changed: restarting", name_of(job),
				 conf->depends[d]);
			job_event(jobs, job, JOB_EV_BOUNCE);
			break;
		}
	}
}

static struct job *job_named(struct jobs *jobs, const char *name)
{
	for (size_t i = 0; i < jobs->n; i++)
		if (!job_is_removed(jobs->v[i]) && strcmp(name_of(jobs->v[i]), name) == 0)
			return jobs->v[i];
	return NULL;
}

/* Whether each job of "after" is ready (a once job: has exited 0). */
static bool after_ready(struct jobs *jobs, struct job *job)
{
	const struct conf_job *conf = job->conf;

	for (size_t i = 0; i < CONF_MORE(conf)->n_after; i++) {
		struct job *first = job_named(jobs, CONF_MORE(conf)->after[i]);
		bool ok = first && (first->conf->once ?
				    first->state == JOB_DONE && WIFEXITED(first->last_status) &&
				    WEXITSTATUS(first->last_status) == 0 :
				    job_is_ready(first));

		if (ok)
			continue;
		if (!job->after_logged)
			log_info("job %s waits for %s to be ready", name_of(job), CONF_MORE(conf)->after[i]);
		job->after_logged = true;
		return false;
	}
	return true;
}

/* Start pending jobs in order; a wait job that has not finished closes the gate. */
static void advance(struct jobs *jobs)
{
	/* Once an essential job has ended pmtr, nothing new starts. */
	bool gate_open = jobs->end_status < 0;

	jobs->need_advance = false;
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];

		if (job_is_removed(job))
			continue;
		if (job->state == JOB_PENDING && gate_open && after_ready(jobs, job))
			start(jobs, job);
		if (job->conf->wait && !job->has_exited &&
		    job->state != JOB_DISABLED && job->state != JOB_DONE)
			gate_open = false;
	}
}

static void collect(struct jobs *jobs)
{
	size_t kept = 0;

	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];

		if (job->state == JOB_GONE) {
			log_debug("job %s removed", name_of(job));
			job_free(jobs, job);
		} else {
			jobs->v[kept++] = job;
		}
	}
	jobs->n = kept;
}

int64_t jobs_tick(struct jobs *jobs, bool stirred)
{
	int64_t now = util_now_ms(), next = 0;

	/* A batch that only read job output changed no job: what the last look found
	 * holds until its deadline. 10,000 jobs and a chatty one cost a look per line. */
	jobs->looked = stirred || jobs->stale || jobs->need_advance ||
		       (jobs->next_due && now >= jobs->next_due);
	if (!jobs->looked)
		return jobs->next_due;

	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];

		if (job->deadline && job->deadline <= now) {
			job->deadline = 0;
			job_event(jobs, job, JOB_EV_TIMER);
		}
		health_tick(jobs, job, now);
		if (job->oom_at && job->oom_at <= now)
			resources_oom_settled(jobs, job);
	}
	/* A job that became ready may let one earlier in the order start: again, until
	 * a pass starts nothing that is ready at once. */
	while (jobs->need_advance)
		advance(jobs);
	collect(jobs);
	for (size_t i = 0; i < jobs->n; i++) {
		const struct job *job = jobs->v[i];
		int64_t d[] = { job->deadline, health_deadline(job), job->oom_at };

		for (size_t k = 0; k < ARRAY_SIZE(d); k++)
			if (d[k] && (!next || d[k] < next))
				next = d[k];
	}
	jobs->next_due = next;
	jobs->stale = false;
	return next;
}

void jobs_shutdown(struct jobs *jobs, bool kill_now)
{
	for (size_t i = 0; i < jobs->n; i++)
		job_event(jobs, jobs->v[i], kill_now ? JOB_EV_KILL : JOB_EV_REMOVE);
	if (kill_now)
		for (size_t i = 0; i < jobs->n; i++)
			job_event(jobs, jobs->v[i], JOB_EV_REMOVE);
}

bool jobs_notify(struct jobs *jobs, pid_t sender, const struct notify_message *msg)
{
	pid_t pgid = getpgid(sender);

	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];

		if (!job_is_up(job) || CONF_MORE(job->conf)->ready != CONF_READY_NOTIFY)
			continue;
		if ((pgid <= 0 || pgid != job->pgid) &&
		    !(job->in_cgroup && cgroup_job_holds(jobs->cgroup, name_of(job), sender)))
			continue;
		if (msg->has_status) {
			free(job->note);
			job->note = util_strdup(msg->status);
		}
		if (msg->ready)
			job_event(jobs, job, JOB_EV_READY);
		return true;
	}
	return false;
}

bool jobs_settled(const struct jobs *jobs)
{
	for (size_t i = 0; i < jobs->n; i++)
		if (jobs->v[i]->state == JOB_PENDING || jobs->v[i]->state == JOB_STARTING)
			return false;
	return true;
}

void jobs_summary(const struct jobs *jobs, char *buf, size_t len)
{
	size_t count[JOB_N_STATES] = { 0 };
	const char *sep = ":";
	size_t used;

	for (size_t i = 0; i < jobs->n; i++)
		count[jobs->v[i]->state]++;
	snprintf(buf, len, "%zu job%s", jobs->n, jobs->n == 1 ? "" : "s");
	for (int s = 0; s < JOB_GONE; s++) {
		used = strlen(buf);
		if (!count[s] || used + 1 >= len)
			continue;
		snprintf(buf + used, len - used, "%s %zu %s", sep, count[s], state_names[s]);
		sep = ",";
	}
}

static const char *const then_names[] = {
	[JOB_THEN_START] = "start", [JOB_THEN_RETRY] = "retry",
	[JOB_THEN_DISABLE] = "disable", [JOB_THEN_REMOVE] = "remove",
};

COLD static char *strdup_or_null(const char *s, bool *failed)
{
	char *copy = s ? strdup(s) : NULL;

	if (s && !copy)
		*failed = true;
	return copy;
}

COLD int jobs_save(const struct jobs *jobs, struct state *st)
{
	bool failed = false;

	st->end_status = jobs->end_status;
	st->jobs = calloc(jobs->n ? jobs->n : 1, sizeof(*st->jobs));
	if (!st->jobs)
		return -1;
	for (size_t i = 0; i < jobs->n; i++) {
		const struct job *job = jobs->v[i];
		struct state_job *sj = &st->jobs[st->n_jobs];
		struct state_run *r = &sj->run;
		const char *line;
		size_t len;

		if (job->state == JOB_GONE)
			continue;
		st->n_jobs++;
		sj->name = strdup_or_null(name_of(job), &failed);
		sj->pid = job->pid;
		sj->pgid = job->pgid;
		sj->has_run = true;
		snprintf(r->state, sizeof(r->state), "%s", job_state_name(job->state));
		snprintf(r->then, sizeof(r->then), "%s", then_names[job->then]);
		r->deadline = job->deadline;
		r->started_ms = job->started_ms;
		r->started_wall = job->started_wall;
		r->probe_at = job->probe_at;
		r->restarts = job->restarts;
		r->check_failures = job->check_failures;
		r->checks_done = job->checks_done;
		r->last_status = job->last_status;
		r->oom_kills = job->oom_kills;
		r->flags = (job->has_exited ? STATE_HAS_EXITED : 0) |
			   (job->kill_sent ? STATE_KILL_SENT : 0) |
			   (job->udp_override ? STATE_UDP_OVERRIDE : 0) |
			   (job->in_cgroup ? STATE_IN_CGROUP : 0) |
			   (job->last_exit_oom ? STATE_LAST_EXIT_OOM : 0);
		sj->output_fd = output_fd(job->output);
		len = output_pending(job->output, &line);
		if (line && !(sj->partial = strndup(line, len)))
			failed = true;
		sj->note = strdup_or_null(job->note, &failed);
		sj->file = strdup_or_null(job->conf->file, &failed);
		if (!(sj->conf_text = conf_job_text(job->conf)))
			failed = true;
		if (job->next && !(sj->next_text = conf_job_text(job->next)))
			failed = true;
		sj->log = job->log;
	}
	return failed ? -1 : 0;
}

COLD static int by_seq(const void *a, const void *b)
{
	uint64_t x = ((const struct state_line *)a)->seq, y = ((const struct state_line *)b)->seq;

	return (x > y) - (x < y);
}

/* The kept output lines into the rings of the jobs they were taken over as, in the
 * order they came: pmtrctl logs shows what it showed before the exec. */
COLD static void restore_logs(struct state *st, struct job **by_state)
{
	size_t lost = 0;

	if (st->n_lines > 1)
		qsort(st->lines, st->n_lines, sizeof(*st->lines), by_seq);
	for (size_t i = 0; i < st->n_lines; i++) {
		const struct state_line *line = &st->lines[i];
		struct job *job = by_state[line->job];

		if (job && joblog_add(&job->log, line->pid, line->time_ms, line->text,
				      strlen(line->text)) < 0)
			lost++;
	}
	if (lost)
		log_warnx("re-exec: %zu kept output lines did not fit in the memory for job output",
			  lost);
}

/* A job block of the state read by this binary's parser; NULL when it cannot. */
COLD static struct conf_job *conf_from_text(const char *text)
{
	struct parse_errors errs = { 0 };
	struct conf *conf;
	struct conf_job *job = NULL;

	if (!text)
		return NULL;
	conf = parse_conf(text, strlen(text), "state", &errs, NULL);
	for (size_t i = 0; i < errs.n; i++)
		log_warnx("re-exec: %s", errs.msgs[i]);
	parse_errors_free(&errs);
	if (conf && conf->n_jobs == 1) {
		job = conf->jobs[0];
		conf->n_jobs = 0;
	}
	conf_free(conf);
	return job;
}

/* A job the state names but does not describe in a way this binary reads: the
 * file's job of that name (a copy), or one that runs nothing, which the next
 * apply stops as gone from the file. */
COLD static struct conf_job *conf_for(const char *name, const struct conf *file)
{
	struct conf_job *job = NULL;
	char *text;

	for (size_t i = 0; file && i < file->n_jobs && !job; i++) {
		if (strcmp(file->jobs[i]->name, name) != 0)
			continue;
		text = conf_job_text(file->jobs[i]);
		job = conf_from_text(text);
		free(text);
	}
	if (!job && (text = malloc(strlen(name) + 64))) {
		sprintf(text, "job {\n  name %s\n  cmd /bin/false\n}\n", name);
		job = conf_from_text(text);
		free(text);
	}
	return job;
}

COLD static int state_named(const char *name)
{
	for (int s = 0; s < JOB_N_STATES; s++)
		if (strcmp(name, state_names[s]) == 0)
			return s;
	return -1;
}

COLD static void restore_run(struct job *job, const struct state_job *sj)
{
	const struct state_run *r = &sj->run;
	int state = sj->has_run ? state_named(r->state) : -1;

	job->deadline = r->deadline;
	job->started_ms = r->started_ms;
	job->started_wall = r->started_wall;
	job->restarts = r->restarts;
	job->check_failures = r->check_failures;
	job->checks_done = r->checks_done;
	job->last_status = r->last_status;
	job->oom_kills = r->oom_kills;
	job->has_exited = r->flags & STATE_HAS_EXITED;
	job->kill_sent = r->flags & STATE_KILL_SENT;
	job->udp_override = r->flags & STATE_UDP_OVERRIDE;
	job->in_cgroup = r->flags & STATE_IN_CGROUP;
	job->last_exit_oom = r->flags & STATE_LAST_EXIT_OOM;
	for (int t = 0; t < (int)ARRAY_SIZE(then_names); t++)
		if (strcmp(r->then, then_names[t]) == 0)
			job->then = (enum job_then)t;
	if (state < 0 || state == JOB_GONE) {
		/* What only the pid says: a job with a process runs. */
		state = job->pid ? JOB_RUNNING : JOB_PENDING;
		job->started_ms = job->started_ms ? job->started_ms : util_now_ms();
		job->started_wall = job->started_wall ? job->started_wall : (int64_t)time(NULL);
	}
	if (!job->pid && (state == JOB_STARTING || state == JOB_RUNNING ||
			  state == JOB_UNHEALTHY || state == JOB_STOPPING))
		state = JOB_PENDING;
	job->state = (enum job_state)state;
	/* A probe or check in flight was cancelled before the exec: at once. */
	if (job_is_up(job) && (CONF_MORE(job->conf)->ready != CONF_READY_STARTED ||
			       CONF_MORE(job->conf)->check_argv))
		job->probe_at = r->probe_at ? util_now_ms() : 0;
}

/* A table's jobs by name, each with its slot in the table: a job taken out of
 * the table leaves NULL there, and the index stays sorted. */
struct named {
	const char *name;
	struct conf_job **slot;
};

COLD static int by_named(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

COLD static struct named *index_by_name(struct conf *conf)
{
	struct named *ix;

	if (!conf || !(ix = malloc((conf->n_jobs + 1) * sizeof(*ix))))
		return NULL;
	for (size_t i = 0; i < conf->n_jobs; i++)
		ix[i] = (struct named){ .name = conf->jobs[i]->name, .slot = &conf->jobs[i] };
	qsort(ix, conf->n_jobs, sizeof(*ix), by_named);
	return ix;
}

COLD static struct named *find_named(struct named *ix, size_t n, const char *name)
{
	struct named key = { .name = name };

	return ix ? bsearch(&key, ix, n, sizeof(*ix), by_named) : NULL;
}

COLD static struct conf_job *take_named(struct named *ix, size_t n, const char *name)
{
	struct named *hit = find_named(ix, n, name);
	struct conf_job *job = hit ? *hit->slot : NULL;

	if (job)
		*hit->slot = NULL;
	return job;
}

/* Whether the file says what the state says, job for job: then the jobs take the
 * file's own table, and no second table of 10,000 jobs is made and freed (which
 * left 5 MiB of scraps in the heap). */
COLD static bool file_is_state(struct named *ix, size_t n, const struct state *st)
{
	if (!ix || n != st->n_jobs)
		return false;
	for (size_t i = 0; i < st->n_jobs; i++) {
		const struct state_job *sj = &st->jobs[i];
		struct named *hit = find_named(ix, n, sj->name);
		char *text;
		bool same;

		if (!hit || !sj->conf_text || sj->next_text)
			return false;
		text = conf_job_text(*hit->slot);
		same = text && strcmp(text, sj->conf_text) == 0;
		free(text);
		if (!same)
			return false;
	}
	return true;
}

/* Every job block of the state read at once, into one table as the file's is.
 * NULL when the blocks do not read together: then each is read alone. */
COLD static struct conf *confs_of_state(const struct state *st)
{
	struct parse_errors errs = { 0 };
	struct conf *all;
	size_t len = 0, at = 0;
	char *text;

	for (size_t i = 0; i < st->n_jobs; i++)
		len += st->jobs[i].conf_text ? strlen(st->jobs[i].conf_text) : 0;
	text = malloc(len + 1);
	if (!text)
		return NULL;
	for (size_t i = 0; i < st->n_jobs; i++) {
		if (!st->jobs[i].conf_text)
			continue;
		memcpy(text + at, st->jobs[i].conf_text, strlen(st->jobs[i].conf_text));
		at += strlen(st->jobs[i].conf_text);
	}
	all = parse_conf(text, len, "state", &errs, NULL);
	parse_errors_free(&errs);
	free(text);
	return all;
}

COLD int jobs_restore(struct jobs *jobs, struct state *st, struct conf *file)
{
	struct named *file_ix = index_by_name(file), *all_ix = NULL;
	bool from_file = file_is_state(file_ix, file ? file->n_jobs : 0, st);
	struct conf *all = from_file ? NULL : confs_of_state(st);
	struct job **by_state = calloc(st->n_jobs ? st->n_jobs : 1, sizeof(*by_state));
	int rc = from_file ? 1 : 0;

	jobs->stale = true;
	all_ix = index_by_name(all);
	jobs->end_status = st->end_status;
	for (size_t i = 0; i < st->n_jobs; i++) {
		struct state_job *sj = &st->jobs[i];
		struct conf_job *conf = from_file ? take_named(file_ix, file->n_jobs, sj->name) :
			all_ix ? take_named(all_ix, all->n_jobs, sj->name) :
			conf_from_text(sj->conf_text);
		struct job *job;

		if (!conf)
			conf = conf_for(sj->name, file);
		if (!conf) {
			log_warnx("re-exec: job %s [%d]: out of memory, left running unsupervised",
				  sj->name, (int)sj->pid);
			continue;
		}
		if (sj->file && !conf->file)
			conf->file = strdup(sj->file);
		if (jobs->n == jobs->cap) {
			size_t cap = jobs->cap ? 2 * jobs->cap : 16;
			struct job **v = realloc(jobs->v, cap * sizeof(*v));

			if (!v) {
				conf_job_free(conf);
				rc = -1;
				break;
			}
			jobs->v = v;
			jobs->cap = cap;
		}
		job = job_new(jobs, conf);
		if (!job) {
			conf_job_free(conf);
			rc = -1;
			break;
		}
		jobs->v[jobs->n++] = job;
		if (by_state)
			by_state[i] = job;
		job->pid = sj->pid;
		job->pgid = sj->pgid;
		job->next = conf_from_text(sj->next_text);
		restore_run(job, sj);
		if (job->pid)
			pid_index_add(jobs, job);
		if (sj->note)
			job->note = strdup(sj->note);
		if (sj->output_fd >= 0) {
			if (fcntl(sj->output_fd, F_SETFD, FD_CLOEXEC) < 0)
				log_warn("re-exec: job %s: output pipe", name_of(job));
			job->output = output_open(jobs->loop, sj->output_fd, name_of(job), job->pid,
						  &job->log);
			if (!job->output)
				close(sj->output_fd);
			else if (sj->partial && output_resume(job->output, sj->partial,
							      strlen(sj->partial)) < 0)
				log_warnx("re-exec: job %s: its unfinished line is lost", name_of(job));
			sj->output_fd = -1;
		}
		if (job->pid && job->in_cgroup)
			resources_watch_oom(jobs, job);
		/* a depends file changed from here on restarts the job, as before */
		if (job->pid)
			hash_depends(job);
	}
	if (by_state)
		restore_logs(st, by_state);
	else if (st->n_lines)
		log_warnx("re-exec: out of memory: the kept output lines are lost");
	free(by_state);
	free(file_ix);
	free(all_ix);
	conf_free(all);
	jobs->need_advance = true;
	return rc;
}
