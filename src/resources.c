/* resources.c: cgroup limits of jobs (written before they run and when they change) and the OOM killer's kills. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "resources.h"
#include "log.h"
#include "util.h"


static const char *memory_max_text(const struct job *job, char *buf, size_t len)
{
	if (!CONF_MORE(job->conf)->memory_max)
		return "no memory max";
	snprintf(buf, len, "memory max ");
	conf_size_text(CONF_MORE(job->conf)->memory_max, buf + strlen(buf), len - strlen(buf));
	return buf;
}

/* The job's limits into its cgroup (job_fd): before its process runs, and again
 * when they change. */
void resources_write(struct jobs *jobs, struct job *job, int job_fd)
{
	unsigned mask;
	bool has = conf_job_has_limits(job->conf, &mask);
	char why[256];

	if (!has && !job->limits_set)
		return;
	if (cgroup_job_set_limits(jobs->cgroup, job_fd, job->conf, why, sizeof(why)) < 0)
		log_debug("job %s: limits: %s", job->conf->name, why);
	job->limits_set = has;
}

void resources_apply_now(struct jobs *jobs, struct job *job)
{
	int fd;

	if (!jobs->cgroup || jobs->cgroup->dir_fd < 0)
		return;
	fd = cgroup_job_dir_fd(jobs->cgroup, job->conf->name);
	if (fd < 0)
		return;
	resources_write(jobs, job, fd);
	close(fd);
}

void resources_watch_oom(struct jobs *jobs, struct job *job)
{
	char path[PATH_MAX];

	if (jobs->oom_watch.fd < 0 || job->events_wd >= 0 || !CONF_MORE(job->conf)->memory_max ||
	    cgroup_job_events_path(jobs->cgroup, job->conf->name, path, sizeof(path)) < 0)
		return;
	job->events_wd = inotify_add_watch(jobs->oom_watch.fd, path, IN_MODIFY);
	if (job->events_wd < 0)
		log_debug("job %s: watching %s: %s", job->conf->name, path, strerror(errno));
}

/* New OOM kills in the job's cgroup, counted since last seen. */
uint64_t resources_baseline(struct jobs *jobs, struct job *job)
{
	uint64_t count;

	if (!job->in_cgroup || !jobs->cgroup ||
	    cgroup_job_oom_kills(jobs->cgroup, job->conf->name, &count) < 0 || count <= job->counters.oom_kills)
		return 0;
	count -= job->counters.oom_kills;
	job->counters.oom_kills += count;
	return count;
}

/* The kernel counts an OOM kill when it sends SIGKILL, before the victim is gone:
 * whether it was the main process is known only later. */
#define OOM_SETTLE_MS 250

static void oom_watch_cb(struct loop_watcher *w, uint32_t events)
{
	struct jobs *jobs = container_of(w, struct jobs, oom_watch);
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(w->fd, buf, sizeof(buf));

	(void)events;
	for (char *p = buf; n > 0 && p < buf + n;) {
		const struct inotify_event *ev = (const struct inotify_event *)p;

		p += sizeof(*ev) + ev->len;
		for (size_t i = 0; i < jobs->n; i++) {
			struct job *job = jobs->v[i];

			if (job->events_wd != ev->wd)
				continue;
			if (ev->mask & IN_IGNORED)
				job->events_wd = -1;	/* its cgroup went away */
			else if (job_is_up(job) && !job->oom_at)
				job->oom_at = util_now_ms() + OOM_SETTLE_MS;
			break;
		}
	}
}

/* A kill the exit of the main process has not claimed: one of its other processes. */
void resources_oom_settled(struct jobs *jobs, struct job *job)
{
	char limit[48];

	job->oom_at = 0;
	if (job_is_up(job) && resources_baseline(jobs, job))
		log_warnx("job %s [%d]: a process was killed by the OOM killer (%s)", job->conf->name,
			  (int)job->pid, memory_max_text(job, limit, sizeof(limit)));
}

/* After an exit: whether the OOM killer did it. */
void resources_note_exit(struct jobs *jobs, struct job *job)
{
	char limit[48];

	job->last_exit_oom = resources_baseline(jobs, job) && WIFSIGNALED(job->counters.last_status) &&
			     WTERMSIG(job->counters.last_status) == SIGKILL;
	if (job->last_exit_oom)
		log_warnx("job %s [%d] killed by the OOM killer (%s)", job->conf->name, (int)job->pid,
			  memory_max_text(job, limit, sizeof(limit)));
}

/* Once per configuration: the controllers the limits need; a limit that cannot be
 * enforced is said, and its job runs without it. */
void resources_check(struct jobs *jobs)
{
	static const char *const limit_names[] = { "memory max", "pids max", "cpu max" };
	unsigned want = 0, have = 0, before, mask;

	for (size_t i = 0; i < jobs->n; i++)
		if (!job_is_removed(jobs->v[i]) && conf_job_has_limits(job_latest_conf(jobs->v[i]), &mask))
			want |= mask;
	if (!want)
		return;
	before = jobs->cgroup ? jobs->cgroup->enabled : 0;
	if (jobs->cgroup)
		have = cgroup_enable(jobs->cgroup, want);
	if ((have & (1u << CGROUP_MEMORY)) && jobs->oom_watch.fd < 0) {
		jobs->oom_watch.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		jobs->oom_watch.cb = oom_watch_cb;
		if (jobs->oom_watch.fd >= 0 && loop_add(jobs->loop, &jobs->oom_watch, EPOLLIN) < 0) {
			close(jobs->oom_watch.fd);
			jobs->oom_watch.fd = -1;
		}
	}
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];

		if (job_is_removed(job) || !conf_job_has_limits(job_latest_conf(job), &mask))
			continue;
		for (int c = 0; c < CGROUP_N_CONTROLLERS; c++)
			if (mask & ~have & (1u << c))
				log_warnx("job %s: %s not enforced: %s", job->conf->name,
					  c == CGROUP_CPU && !CONF_MORE(job_latest_conf(job))->cpu_max_percent ?
					  "cpu weight" : c == CGROUP_MEMORY && !CONF_MORE(job_latest_conf(job))->memory_max ?
					  "memory high" : limit_names[c],
					  jobs->cgroup && jobs->cgroup->dir_fd >= 0 ? jobs->cgroup->why[c] :
					  "no cgroup v2 for pmtr's jobs");
		if (!job_is_up(job))
			continue;
		/* a controller that came on just now: the running job gets its limits */
		if (mask & have & ~before && job->in_cgroup && !job->next)
			resources_apply_now(jobs, job);
		resources_watch_oom(jobs, job);
	}
}


void resources_forget(struct jobs *jobs, struct job *job)
{
	if (job->events_wd >= 0 && jobs->oom_watch.fd >= 0)
		inotify_rm_watch(jobs->oom_watch.fd, job->events_wd);
	job->events_wd = -1;
}

void resources_exit(struct jobs *jobs)
{
	if (jobs->oom_watch.fd < 0)
		return;
	loop_del(jobs->loop, &jobs->oom_watch);
	close(jobs->oom_watch.fd);
	jobs->oom_watch.fd = -1;
}
