/* ctl_read.h: what a client of logs or follow reads: the rings of its jobs (or of every job, or pmtr's own), its place in each, their lines in the order they came. SPDX-License-Identifier: MIT */
#ifndef PMTR_CTL_READ_H
#define PMTR_CTL_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctlproto.h"
#include "job.h"

struct ctl_reading;

/* Where a reader's body lines go: put appends (0, or -1 on ENOMEM); full says
 * that no more lines are to be queued for now. */
struct ctl_sink {
	int (*put)(void *arg, const char *text, size_t len);
	bool (*full)(void *arg);
	void *arg;
};

struct ctl_reader {
	struct ctl_reading *readings;	/* NULL: not a reader */
	size_t n_readings, n_live;
	uint64_t until_seq;		/* logs stops before this line; follow never */
	/* follow of every job: a job that writes its first line later is read too,
	 * found among the rings made since rings_seen */
	bool every;
	uint64_t rings_seen;
};

/* Start reading what req (logs or follow) asks for, at its req->arg last lines
 * of each: the jobs found for its names, in their order (NULL: CTL_PMTR_LOG; a
 * name given twice is read once), or with no names every job of jobs. 0, or -1
 * on ENOMEM. */
int ctl_reader_start(struct ctl_reader *r, struct jobs *jobs, const struct ctl_request *req,
		     struct job **found);
void ctl_reader_free(struct ctl_reader *r);
/* Whether a line can still come: a job read is in the table, pmtr's own lines
 * are read, or it follows every job. */
bool ctl_reader_open(const struct ctl_reader *r);

/* Give sink the lines in the order they came, "missed" first where the rings
 * forgot lines before they were read, until sink is full (only: every line of
 * that job, full or not). Lines not given stay in the rings. -1 on ENOMEM. */
int ctl_reader_fill(struct ctl_reader *r, const struct job *only, const struct ctl_sink *sink);
/* job leaves the table: its last lines, then "end NAME", go to sink. Whether r
 * read it. */
bool ctl_reader_job_gone(struct ctl_reader *r, const struct job *job, const struct ctl_sink *sink);
/* A follower of every job takes in the jobs that wrote their first line since it
 * last looked, and forgets those that left. */
void ctl_reader_adopt(struct ctl_reader *r, struct jobs *jobs);

#endif
