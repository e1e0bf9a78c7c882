/* reexec.h: the re-exec hand-over: pmtr's whole state to the binary on disk, in the same process, and back into jobs. SPDX-License-Identifier: MIT */
#ifndef PMTR_REEXEC_H
#define PMTR_REEXEC_H

#include <stddef.h>

#include "jobs.h"
#include "state.h"

/* What the running pmtr hands over besides its jobs: descriptors stay open. */
struct reexec_handover {
	const struct jobs *jobs;
	int listener_fd, notify_fd, cgroup_fd, udp_listen_fd;	/* -1: none */
	const char *udp_listen_spec;	/* what udp_listen_fd was opened for */
	const char *self;		/* the binary to execute */
	char **argv;
};

/* pmtrctl reexec: the binary as it is on disk now takes over in this process
 * (doc/state-format.md); reply_fd is the client's, answered by the new image.
 * Returns only when that failed, with everything as it was and the reason in why. */
void reexec_now(const struct reexec_handover *h, int reply_fd, char *why, size_t why_len);

/* The state the image before this one left in PMTR_STATE_FD, if any; NULL when
 * there is none or it is unreadable (said on stderr). */
struct state *reexec_take_state(void);

/* For a re-exec: every job as state; -1 on ENOMEM. */
int jobs_save(const struct jobs *jobs, struct state *st);

/* After a re-exec: take over the jobs of st, their processes untouched. A job
 * block this binary cannot read takes the file's job of that name. The output
 * descriptors move from st to the jobs. 1 when the file says exactly what st
 * does: the jobs took the file's jobs out of file, and nothing is left to
 * apply; 0 when file is still to be applied; -1 on ENOMEM. */
int jobs_restore(struct jobs *jobs, struct state *st, struct conf *file);

#endif
