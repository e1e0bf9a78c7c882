/* ctl_read.c: what a client of logs or follow reads: the rings of its jobs (or of every job, or pmtr's own), its place in each, their lines in the order they came. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_read.h"
#include "joblog.h"
#include "log.h"

/* One job whose output a reader reads, or pmtr's own lines. */
struct ctl_reading {
	struct job *job;		/* NULL once the job left the table */
	bool pmtr;			/* pmtr's own log lines, which never end */
	struct joblog_cursor cur;
	uint64_t missed;		/* lines it was too slow for, not yet said */
};

static bool reading_live(const struct ctl_reading *rd)
{
	return rd->pmtr || rd->job;
}

static const struct joblog *reading_log(const struct ctl_reading *rd)
{
	return rd->pmtr ? log_kept_lines() : rd->job->log;
}

static const char *reading_name(const struct ctl_reading *rd)
{
	return rd->pmtr ? CTL_PMTR_LOG : rd->job->conf->name;
}

static void read_named(struct ctl_reader *r, const struct ctl_request *req, struct job **found)
{
	for (size_t i = 0; i < req->n_names; i++) {
		struct ctl_reading *rd = &r->readings[r->n_readings++];

		for (size_t j = 0; j < i; j++)
			if (found[j] == found[i])
				goto next;
		rd->job = found[i];
		rd->pmtr = !found[i];
		joblog_tail(reading_log(rd), (uint64_t)req->arg, &rd->cur);
		r->n_live++;
next:
		;
	}
}

static void read_every_job(struct ctl_reader *r, struct jobs *jobs, uint64_t lines)
{
	for (size_t i = 0; i < jobs_count(jobs); i++) {
		struct job *job = jobs_at(jobs, i);
		struct ctl_reading *rd;

		if (job_is_gone(job))
			continue;
		rd = &r->readings[r->n_readings++];
		rd->job = job;
		joblog_tail(job->log, lines, &rd->cur);
		r->n_live++;
	}
}

int ctl_reader_start(struct ctl_reader *r, struct jobs *jobs, const struct ctl_request *req,
		     struct job **found)
{
	size_t n = req->n_names ? req->n_names : jobs_count(jobs);

	memset(r, 0, sizeof(*r));
	r->readings = calloc(n ? n : 1, sizeof(*r->readings));
	if (!r->readings)
		return -1;
	if (req->n_names)
		read_named(r, req, found);
	else
		read_every_job(r, jobs, (uint64_t)req->arg);
	r->until_seq = joblog_next_seq();
	if (req->command == CTL_FOLLOW) {
		r->until_seq = UINT64_MAX;
		r->every = !req->n_names;
		r->rings_seen = joblog_rings_made();
	}
	return 0;
}

void ctl_reader_free(struct ctl_reader *r)
{
	free(r->readings);
	memset(r, 0, sizeof(*r));
}

bool ctl_reader_open(const struct ctl_reader *r)
{
	return r->n_live || r->every;
}

static bool is_read(const struct ctl_reader *r, const struct job *job)
{
	for (size_t i = 0; i < r->n_readings; i++)
		if (r->readings[i].job == job)
			return true;
	return false;
}

void ctl_reader_adopt(struct ctl_reader *r, struct jobs *jobs)
{
	uint64_t seen = r->rings_seen;
	size_t kept = 0;

	if (!r->every || seen == joblog_rings_made())
		return;
	r->rings_seen = joblog_rings_made();
	for (size_t i = 0; i < r->n_readings; i++)
		if (reading_live(&r->readings[i]) || r->readings[i].missed)
			r->readings[kept++] = r->readings[i];
	r->n_readings = kept;
	for (size_t i = 0; i < jobs_count(jobs); i++) {
		struct job *job = jobs_at(jobs, i);
		struct ctl_reading *more;

		/* a ring made since it looked: the job is new, or was silent until now */
		if (job_is_gone(job) || !job->log || joblog_made_at(job->log) < seen ||
		    is_read(r, job))
			continue;
		more = realloc(r->readings, (r->n_readings + 1) * sizeof(*more));
		if (!more) {
			log_warnx("control: out of memory for a reader of job output");
			return;
		}
		r->readings = more;
		r->readings[r->n_readings++] = (struct ctl_reading){ .job = job };
		r->n_live++;
	}
}

/* Give sink the next line of rd (peeked as line). */
static int put_line(struct ctl_reading *rd, struct joblog_line *line, const struct ctl_sink *sink)
{
	static char text[JOBLOG_TEXT_MAX + 1], wire[CTL_LOG_LINE_MAX(128, JOBLOG_TEXT_MAX)];
	struct ctl_log_line out;
	uint64_t missed = 0;
	size_t len;

	joblog_peek(reading_log(rd), &rd->cur, &missed, line, text);
	out = (struct ctl_log_line){ (char *)reading_name(rd), line->pid, line->time_ms, text };
	len = ctl_format_log_line(wire, sizeof(wire), &out);
	if (!len || sink->put(sink->arg, wire, len) < 0)
		return -1;
	joblog_skip(reading_log(rd), &rd->cur, line);
	return 0;
}

static int put_missed(struct ctl_reading *rd, const struct ctl_sink *sink)
{
	char msg[192];
	int len = snprintf(msg, sizeof(msg), "missed %s %llu\n", reading_name(rd),
			   (unsigned long long)rd->missed);

	rd->missed = 0;
	return sink->put(sink->arg, msg, (size_t)len);
}

/* A slow reader costs pmtr a bounded queue, never a stall: the lines it has not
 * taken stay in the rings, and those the rings forget first are counted. */
int ctl_reader_fill(struct ctl_reader *r, const struct job *only, const struct ctl_sink *sink)
{
	for (;;) {
		struct ctl_reading *best = NULL;
		struct joblog_line line, best_line = { 0 };

		if (!only && sink->full(sink->arg))
			return 0;
		for (size_t i = 0; i < r->n_readings; i++) {
			struct ctl_reading *rd = &r->readings[i];

			if (!reading_live(rd) || (only && rd->job != only))
				continue;
			if (!joblog_peek(reading_log(rd), &rd->cur, &rd->missed, &line, NULL) ||
			    line.seq >= r->until_seq)
				line.seq = UINT64_MAX;
			if (rd->missed && put_missed(rd, sink) < 0)
				return -1;
			if (line.seq != UINT64_MAX && (!best || line.seq < best_line.seq)) {
				best = rd;
				best_line = line;
			}
		}
		if (!best)
			return 0;
		if (put_line(best, &best_line, sink) < 0)
			return -1;
	}
}

bool ctl_reader_job_gone(struct ctl_reader *r, const struct job *job, const struct ctl_sink *sink)
{
	bool touched = false;

	for (size_t i = 0; i < r->n_readings; i++) {
		struct ctl_reading *rd = &r->readings[i];
		char msg[160];
		int len;

		if (rd->job != job)
			continue;
		len = snprintf(msg, sizeof(msg), "end %s\n", job->conf->name);
		if (ctl_reader_fill(r, job, sink) < 0 || sink->put(sink->arg, msg, (size_t)len) < 0)
			log_warnx("control: out of memory for a reader of job output");
		rd->job = NULL;
		r->n_live--;
		touched = true;
	}
	return touched;
}
