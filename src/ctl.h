/* ctl.h: the control socket server: pmtrctl's requests, answered without ever blocking. SPDX-License-Identifier: MIT */
#ifndef PMTR_CTL_H
#define PMTR_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jobs.h"
#include "loop.h"

#define CTL_MAX_CLIENTS 32
/* Of them, at most this many follow job output (no time limit), so that status
 * always has room. */
#define CTL_MAX_FOLLOWERS 16
#define CTL_CLIENT_TIMEOUT_MS 10000
/* A reader of job output is sent lines while fewer bytes than this wait for it. */
#define CTL_QUEUE_MAX (64u << 10)

struct ctl_client;

/* What pmtr says of its configuration file: when the file on disk cannot be
 * used (the jobs run on the configuration read before), since when and the
 * errors of its last reading. */
struct ctl_conf_report {
	long long since;	/* time(NULL) it became so; 0: the file is what runs */
	char **errors;
	size_t n_errors;
};

struct ctl {
	struct loop_watcher listener;
	struct loop *loop;
	struct jobs *jobs;
	char *path;
	struct ctl_client *clients;
	size_t n_clients, n_followers;
	uint64_t fed_seq;		/* joblog_next_seq() when followers were last fed */
	/* "reload": read the configuration now; -1 when it cannot be used (conf says why) */
	int (*reload_cb)(void *arg);
	const struct ctl_conf_report *conf;	/* told to status, details and reload */
	/* "reexec": returns only when the exec failed, saying why; fd is the
	 * requester's connection, which the new image answers */
	void (*reexec_cb)(void *arg, int fd, char *why, size_t why_len);
	void *arg;
	bool refuse_changes;		/* pmtr is shutting down: status only */
	gid_t group;			/* of the socket file, as last set */
	mode_t mode;			/* of the socket file, as last set; 0: not yet */
};

/* The file cannot be used for these errors (copied; since kept when it already
 * could not), or (n 0) it is what runs again. */
void ctl_conf_report_set(struct ctl_conf_report *report, char *const *errors, size_t n);
void ctl_conf_report_clear(struct ctl_conf_report *report);

/* Listen on path (mode 0660). A socket file left by a dead pmtr is replaced; a live
 * pmtr on it is an error (EADDRINUSE). 0, or -1 with errno and a reason in why. */
int ctl_init(struct ctl *ctl, struct loop *loop, struct jobs *jobs, const char *path,
	     int (*reload_cb)(void *arg), void *arg, char *why, size_t why_len);
/* After a re-exec: listen on the inherited listener fd (the socket file is there). */
int ctl_adopt(struct ctl *ctl, struct loop *loop, struct jobs *jobs, const char *path, int fd,
	      int (*reload_cb)(void *arg), void *arg);

/* The socket file's group (a name or a number; NULL: pmtr's own) and mode (0:
 * 0660), as "control socket group" and "control socket mode" say: set and
 * logged when they change. 0, or -1 with a reason in why (nothing changed). */
int ctl_set_access(struct ctl *ctl, const char *group, mode_t mode, char *why, size_t why_len);

/* After a re-exec: answer the pmtrctl that asked for it on fd, and close fd. */
void ctl_answer_reexec(int fd, const char *version);

/* Close every connection and remove the socket file. Safe on an unused ctl. */
void ctl_exit(struct ctl *ctl);

/* Send new job output to followers and drop clients past their time limit; returns
 * the next client deadline, 0 if none. Call once per turn of the loop. */
int64_t ctl_tick(struct ctl *ctl);

#endif
