/* job_report.c: what the machine hears of a job's process besides its exit: the report pipe of a forked child until its exec (why it could not start), and its output pipe. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "job_report.h"
#include "log.h"
#include "output.h"
#include "spawn.h"
#include "util.h"

static const char *name_of(const struct job *job)
{
	return job->conf->name;
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

void job_report_watch(struct jobs *jobs, struct job *job, int fd)
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

void job_report_close(struct jobs *jobs, struct job *job)
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
