/* pmtrctl_client.h: pmtrctl's side of the control socket: send a request, read its answer whole or line by line, ask again across a reexec. SPDX-License-Identifier: MIT */
#ifndef PMTR_PMTRCTL_CLIENT_H
#define PMTR_PMTRCTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "ctlproto.h"
#include "ctlstatus.h"
#include "pmtrctl_output.h"

/* Exit statuses (pmtrctl(8)); 1, 3 and 4 also come from the daemon's error kinds. */
#define EXIT_OK 0
#define EXIT_USAGE 1
#define EXIT_UNREACHABLE 2
#define EXIT_NOT_READY 5	/* wait: not every job was ready in time */
/* Not an exit status: pmtr stopped while a follow was asked again; it ends as it
 * would have. */
#define DAEMON_GONE (-3)

/* Between two questions to a pmtr that is executing itself anew. */
#define REEXEC_RETRY_NS (50 * 1000 * 1000L)

/* An answer read whole. */
struct buf {
	char *data;
	size_t len, cap;
};

/* The job lines of an answer to status, parsed; their strings point into the reply. */
struct job_list {
	struct ctl_job_status *v;
	size_t n, cap;
	struct out_config config;	/* its errors point into the reply too */
};

/* What a job list holds, freed (the reply it points into aside). */
void client_jobs_free(struct job_list *jobs);

/* An answer taken line by line as it arrives (logs, follow), instead of whole. */
struct stream {
	/* Called with each body line, its "\n" cut; returns EXIT_OK to go on, else
	 * the exit status to end with. */
	int (*line_cb)(struct stream *st, char *line);
	const char *path;
	enum ctl_command command;
	bool resumed;		/* asked again: a pmtr that is gone ends it (DAEMON_GONE) */
	/* Set while reading: */
	int version;		/* of the daemon's hello, 0 before it */
	bool ok;		/* the "ok" line came */
	bool endless;		/* from now on the answer may take as long as it likes */
};

/* Ready to ask again for the same stream: no hello yet. */
void client_stream_restart(struct stream *st);

/* Send req to the socket at path and read its answer: whole into reply, the job
 * lines of status and details into *jobs; or line by line through stream (then
 * reply holds what is not a whole line yet). A request is checked by the daemon's
 * rules before it leaves; one that changes nothing is sent again while pmtr
 * executes itself anew; a daemon that speaks only version 1 is asked again in it,
 * and req->version stays 1. Prints a message on failure; returns the exit
 * status. */
int client_request(const char *path, struct ctl_request *req, struct buf *reply,
		   struct stream *stream, struct job_list *jobs);

/* What to add when the default socket cannot be reached: which other one was
 * looked for, or why none was. */
void client_set_hint(const char *hint);

/* From now on SIGINT and SIGTERM end an endless answer (follow) with EXIT_OK
 * instead of ending pmtrctl: they are blocked, and taken only while
 * client_request waits for the daemon, so that none is lost between looking for
 * one and waiting. */
void client_catch_interrupts(void);
bool client_interrupted(void);

#endif
