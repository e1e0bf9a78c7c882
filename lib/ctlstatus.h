/* ctlstatus.h: a job's status line of the control protocol (doc/protocol.md): written by pmtr, read by pmtrctl. SPDX-License-Identifier: MIT */
#ifndef PMTR_CTLSTATUS_H
#define PMTR_CTLSTATUS_H

#include <stdbool.h>

/* "ready=yes|no" of a version 2 status line. Zero is "not said" (a version 1 line),
 * so that a status filled in with designated initializers says nothing it was not
 * told. */
enum ctl_ready {
	CTL_READY_ABSENT,
	CTL_READY_NO,
	CTL_READY_YES,
};

struct ctl_job_status {
	char *name;
	char *state;		/* "starting", "running", "stopping", "waiting to restart", ... */
	long pid;		/* 0: no process */
	long long uptime;	/* seconds since it started, 0 when not running */
	unsigned long restarts;
	int exit_code;		/* of the last exit, -1 when none */
	int exit_signal;	/* that killed it last, -1 when none */
	char *command;		/* the cmd line as written */
	/* Version 2 attributes; none of them reaches a client of version 1. */
	char *file;		/* the included file it is written in, or NULL */
	enum ctl_ready ready;	/* yes only while its process runs and is ready */
	char *health;		/* a job with a check: "starting", "healthy" or
				 * "unhealthy"; NULL for a job without one */
	char *note;		/* the last STATUS= text the job sent in this run, or NULL */
	bool oom_kill;		/* its last process was killed by the OOM killer */
	/* "restart_in=MS": a job waiting to restart starts again in this many ms
	 * (relative, so that the clocks of pmtr and its client need not agree) */
	bool has_restart_in;
	unsigned long long restart_in_ms;
	/* "next_run=S" and "last_run=S", Unix seconds (absolute, as a schedule is a
	 * time of day): a job with a schedule that is not disabled runs next at
	 * next_run (its jitter added); a job with a schedule last started a run at
	 * last_run. Neither is negative. */
	bool has_next_run;
	long long next_run;
	bool has_last_run;
	long long last_run;
	/* "details" only: what the job's cgroup uses now, each when known */
	bool has_memory, has_cpu, has_pids;
	unsigned long long memory_bytes, cpu_usec, pids;
};

/* One status body line (with its "\n") for a client of version, malloc'd; NULL on
 * ENOMEM, or EINVAL for a ready out of range, a health that is not one of its
 * three words, or a negative next_run or last_run that is set. Version 1 gets the
 * nine fields only; version 2 then "file=", "ready=", "health=", "note=",
 * "oom_kill=", "restart_in=", "next_run=", "last_run=" and the usage, each when
 * set. */
char *ctl_format_status(const struct ctl_job_status *status, int version);
/* Parse one status body line (without "\n") into *status, in place: the line is
 * cut into fields and unescaped, and the strings of *status point into it, so a
 * client parses a thousand lines without allocating. KEY=VALUE fields after the
 * nine are read when known, skipped when not; a known key with a bad value ("ready"
 * other than yes or no, "health" other than its three words, a number that is not
 * a decimal without sign or leading zero) is malformed. -1 on a
 * malformed line (its text is then undefined, *status as after memset, exit_code and
 * exit_signal -1). */
int ctl_parse_status(char *line, struct ctl_job_status *status);

#endif
