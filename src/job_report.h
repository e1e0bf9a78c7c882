/* job_report.h: what the machine hears of a job's process besides its exit: the report pipe of a forked child until its exec (why it could not start), and its output pipe. SPDX-License-Identifier: MIT */
#ifndef PMTR_JOB_REPORT_H
#define PMTR_JOB_REPORT_H

#include "job.h"

/* Watch fd, the report pipe of the job's new child: a failure to start is logged
 * as "job NAME [PID] failed to start: WHY" when the child writes it; its exec
 * closes the pipe. */
void job_report_watch(struct jobs *jobs, struct job *job, int fd);
/* The job's process is gone or forgotten: what its report pipe (or, without one,
 * the start slot) holds is logged, and the report and output pipes are closed. */
void job_report_close(struct jobs *jobs, struct job *job);

#endif
