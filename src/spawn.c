/* spawn.c: start a job's process in a clean execution context: a plan, then a start slot or a fork. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "parse.h"
#include "plan.h"
#include "slots.h"
#include "spawn.h"

/* What every child reads: set here, in pmtr, before the first start. */
static struct child_context context = { .null_fd = -1 };

/* The signals a child resets: exec resets handlers but keeps "ignored", so those
 * pmtr ignores (inherited, or SIGPIPE; pmtr installs no handler), and glibc's
 * reserved ones, which a parent such as make may have left ignored. */
static void note_dispositions(void)
{
	context.n_resets = 0;
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		bool reserved = sig >= 32 && sig < SIGRTMIN;

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (reserved || (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN))
			context.reset[context.n_resets++] = (unsigned char)sig;
	}
	context.resets_known = true;
}

void spawn_init(void)
{
	note_dispositions();
	context.null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (context.null_fd < 0)
		log_warn("spawn: /dev/null");
	slots_init(context.null_fd);
}

int64_t spawn_nofile_soft(void)
{
	return context.nofile_restore ? (int64_t)context.nofile_soft : -1;
}

void spawn_set_nofile_soft(rlim_t soft)
{
	context.nofile_restore = true;
	context.nofile_soft = soft;
}

static const char *step_name(int step)
{
	switch (step) {
	case SPAWN_SETSID: return "setsid";
	case SPAWN_SIGNALS: return "signals";
	case SPAWN_STDIN: return "stdin";
	case SPAWN_STDOUT: return "stdout";
	case SPAWN_STDERR: return "stderr";
	case SPAWN_CHDIR: return "chdir";
	case SPAWN_ULIMIT: return "ulimit";
	case SPAWN_NICE: return "nice";
	case SPAWN_CPU: return "cpu";
	case SPAWN_SETGROUPS: return "setgroups";
	case SPAWN_SETGID: return "setgid";
	case SPAWN_SETUID: return "setuid";
	case SPAWN_CLOSE_FDS: return "close fds";
	case SPAWN_EXEC: return "exec";
	}
	return "unknown step";
}

void spawn_describe(const struct conf_job *job, const struct spawn_report *report,
		    char *buf, size_t len)
{
	const char *what = "";
	char flag[4] = "";

	switch (report->step) {
	case SPAWN_ULIMIT:
		for (char c = 'a'; c <= 'z' && report->index >= 0 &&
		     (size_t)report->index < job->n_ulimits; c++)
			if (parse_ulimit_flag(c) == job->ulimits[report->index].resource)
				snprintf(flag, sizeof(flag), "-%c", c);
		what = flag;
		break;
	case SPAWN_STDIN: what = CONF_MORE(job)->in ? CONF_MORE(job)->in : "/dev/null"; break;
	case SPAWN_STDOUT: what = job->out ? job->out : ""; break;
	case SPAWN_STDERR: what = job->err ? job->err : ""; break;
	case SPAWN_CHDIR: what = CONF_MORE(job)->dir ? CONF_MORE(job)->dir : ""; break;
	case SPAWN_SETUID:
		what = job->user ? job->user : ""; break;
	case SPAWN_SETGID: case SPAWN_SETGROUPS:
		what = job->group ? job->group : job->user ? job->user : ""; break;
	case SPAWN_EXEC: what = job->argv[0]; break;
	}
	snprintf(buf, len, "%s%s%s: %s", step_name(report->step), *what ? " " : "", what,
		 strerror(report->err));
}

static pid_t start_forked(struct plan *plan)
{
	int procs = plan->fd.procs = plan_open_procs(plan);
	pid_t pid = child_fork(plan);

	if (procs >= 0)
		close(procs);
	return pid;
}

int spawn_job(const struct conf_job *job, int cgroup_fd, struct spawned *out, char *why,
	      size_t why_len)
{
	struct plan *plan = plan_new(job, cgroup_fd, &context, why, why_len);
	struct start_slot *slot;
	pid_t pid;

	if (!plan)
		return -1;
	slot = slots_take(plan);
	/* Non-blocking at both ends: the child writes at most one report. */
	if (!slot && pipe2(plan->report_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(why, why_len, "report pipe: %s", strerror(errno));
		goto fail;
	}
	plan->fd.report = plan->report_pipe[1];
	pid = slot ? slots_start(slot, plan) : start_forked(plan);
	if (pid < 0) {
		snprintf(why, why_len, "fork: %s", strerror(errno));
		goto fail;
	}
	plan->pid = pid;

	out->pid = pid;
	out->set_uid = plan->set_user;
	out->set_gid = plan->set_user || plan->set_gid;
	out->uid = plan->uid;
	out->gid = plan->gid;
	out->output_fd = plan->out_pipe[0];
	out->report_fd = plan->report_pipe[0];
	plan->out_pipe[0] = plan->report_pipe[0] = -1;
	/* Its flags are known: one system call instead of two per start. */
	if (out->output_fd >= 0 && fcntl(out->output_fd, F_SETFL, O_RDONLY | O_NONBLOCK) < 0)
		log_warn("spawn: output pipe");
	/* The child has its own copies of the descriptors; the plan's memory it may
	 * read until the slot is free (the slot holds the plan). */
	plan_close_pair(plan->out_pipe);
	plan_close_pair(plan->report_pipe);
	if (!slot)
		plan_free(plan);
	return 0;
fail:
	plan_free(plan);
	return -1;
}

bool spawn_busy(void)
{
	return slots_busy();
}

int64_t spawn_collect(bool *starts_due)
{
	return slots_collect(starts_due);
}

bool spawn_take_failure(pid_t pid, struct spawn_report *report)
{
	return slots_take_failure(pid, report);
}
