/* probe.h: readiness and health probes: a TCP connect, or a command run in the job's context, never blocking pmtr. SPDX-License-Identifier: MIT */
#ifndef PMTR_PROBE_H
#define PMTR_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "loop.h"

/* One attempt at a time. Its end (success, failure, or the deadline passed) calls
 * done_cb once, with a reason on failure ("exit status 1: first line of output",
 * "timed out after 10 sec", "connect 127.0.0.1:8080: Connection refused"). */
struct probe {
	struct loop_watcher sock;	/* the TCP connect in progress, or fd -1 */
	struct loop_watcher out;	/* the command's output, or fd -1 */
	struct loop *loop;
	pid_t pid;			/* the command running, 0 when none */
	int64_t deadline;		/* CLOCK_MONOTONIC ms the attempt ends at; 0: none runs */
	int64_t timeout_ms;
	char first_line[120];		/* the command's first line of output */
	size_t first_len;
	bool line_done;
	void (*done_cb)(struct probe *probe, bool ok, const char *why);
	void *arg;
};

void probe_init(struct probe *probe, struct loop *loop,
		void (*done_cb)(struct probe *probe, bool ok, const char *why), void *arg);

/* Start a connect to host (numeric) and port. 0, or -1 when it could not even
 * start (done_cb is then not called; the reason is in why). */
int probe_tcp(struct probe *probe, const char *host, int port, int64_t timeout_ms,
	      char *why, size_t why_len);

/* Run argv in the execution context of job (user, group, env, dir, limits),
 * in the job's cgroup when cgroup_fd is not -1, in a process group of its own.
 * 0, or -1 (why says) when it could not start. */
int probe_cmd(struct probe *probe, const struct conf_job *job, char *const *argv,
	      int cgroup_fd, int64_t timeout_ms, char *why, size_t why_len);

/* Whether pid is this probe's command; then it is over, with wait status. */
bool probe_reaped(struct probe *probe, pid_t pid, int status);

/* Call when probe->deadline has passed: the attempt fails as timed out. */
void probe_expire(struct probe *probe);

/* End the attempt without a result: the command's group gets SIGKILL (reaped as
 * any orphan), the socket is closed. done_cb is not called. */
void probe_cancel(struct probe *probe);

#endif
