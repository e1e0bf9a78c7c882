/* spawn.c: start a job's process by fork and exec in a clean execution context. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "parse.h"
#include "spawn.h"
#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

/* The open-file soft limit pmtr was started with, when it raised its own. */
static struct {
	bool restore;
	rlim_t soft;
} nofile;

/* The signals pmtr ignores (inherited, or SIGPIPE): exec keeps "ignored", so a
 * child resets just these; pmtr installs no handler, and exec resets handlers. */
static struct {
	bool known;
	sigset_t ignored;
	int rtmin;		/* glibc keeps 32 up to here for itself: always reset */
} dispositions;

void spawn_note_dispositions(void)
{
	sigemptyset(&dispositions.ignored);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			sigaddset(&dispositions.ignored, sig);
	}
	dispositions.rtmin = SIGRTMIN;
	dispositions.known = true;
}

void spawn_set_nofile_soft(rlim_t soft)
{
	nofile.restore = true;
	nofile.soft = soft;
}

/* Everything the child needs, computed in the parent: between fork and exec the
 * child only makes system calls. */
struct plan {
	const struct conf_job *job;
	int cgroup_fd;
	char **envp;
	bool set_user;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int n_groups;
	bool set_cpus;
	cpu_set_t cpus;
	int out_pipe[2];
	int report_pipe[2];
};

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
	case SPAWN_STDIN: what = job->in ? job->in : "/dev/null"; break;
	case SPAWN_STDOUT: what = job->out ? job->out : ""; break;
	case SPAWN_STDERR: what = job->err ? job->err : ""; break;
	case SPAWN_CHDIR: what = job->dir ? job->dir : ""; break;
	case SPAWN_SETUID: case SPAWN_SETGID: case SPAWN_SETGROUPS:
		what = job->user ? job->user : ""; break;
	case SPAWN_EXEC: what = job->argv[0]; break;
	}
	snprintf(buf, len, "%s%s%s: %s", step_name(report->step), *what ? " " : "", what,
		 strerror(report->err));
}

static bool env_has(char **envp, size_t n, const char *entry)
{
	size_t name_len = strcspn(entry, "=");

	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], entry, name_len) == 0 && envp[i][name_len] == '=')
			return true;
	return false;
}

/* pmtr's environment, then the user's identity, then the job's env lines; a later
 * source wins. The strings of environ are shared, not copied; a job that changes
 * nothing gets environ itself. */
static int build_env(struct plan *plan, const struct passwd *pw, char *identity[3])
{
	const struct conf_job *job = plan->job;
	size_t n_environ = 0, n = 0, n_override;
	char **envp;

	if (!pw && !job->n_env) {
		plan->envp = environ;
		return 0;
	}
	while (environ[n_environ])
		n_environ++;
	envp = calloc(n_environ + 3 + job->n_env + 1, sizeof(*envp));
	if (!envp)
		return -1;
	for (size_t i = 0; i < job->n_env; i++)
		envp[n++] = job->env[i];
	if (pw) {
		if (asprintf(&identity[0], "HOME=%s", pw->pw_dir) < 0 ||
		    asprintf(&identity[1], "USER=%s", pw->pw_name) < 0 ||
		    asprintf(&identity[2], "LOGNAME=%s", pw->pw_name) < 0) {
			free(envp);
			return -1;
		}
		for (int i = 0; i < 3; i++)
			if (!env_has(envp, n, identity[i]))
				envp[n++] = identity[i];
	}
	/* environ's names are unique: only the overrides need looking through. */
	n_override = n;
	for (size_t i = 0; i < n_environ; i++)
		if (!env_has(envp, n_override, environ[i]))
			envp[n++] = environ[i];
	envp[n] = NULL;
	plan->envp = envp;
	return 0;
}

static struct passwd *find_user(const char *user)
{
	struct passwd *pw;
	char *end;
	unsigned long uid;

	errno = 0;
	pw = getpwnam(user);
	if (pw || errno)
		return pw;
	uid = strtoul(user, &end, 10);
	if (*user && !*end && uid < (uid_t)-1)
		return getpwuid((uid_t)uid);
	return NULL;
}

static int resolve_user(struct plan *plan, struct passwd **pwp, char *why, size_t why_len)
{
	struct passwd *pw = find_user(plan->job->user);
	int n = 16;

	if (!pw) {
		snprintf(why, why_len, "unknown user %s", plan->job->user);
		return -1;
	}
	plan->set_user = true;
	plan->uid = pw->pw_uid;
	plan->gid = pw->pw_gid;
	for (;;) {
		gid_t *groups = realloc(plan->groups, (size_t)n * sizeof(gid_t));

		if (!groups) {
			snprintf(why, why_len, "groups of %s: %s", plan->job->user, strerror(errno));
			return -1;
		}
		plan->groups = groups;
		int want = n;
		if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &want) >= 0) {
			plan->n_groups = want;
			break;
		}
		if (want <= n)
			want = n * 2;
		if (want > 65536) {
			snprintf(why, why_len, "groups of %s: too many", plan->job->user);
			return -1;
		}
		n = want;
	}
	*pwp = pw;
	return 0;
}

/* CPUs the machine does not have are dropped; a set left empty means no affinity. */
static void resolve_cpus(struct plan *plan)
{
	long present = sysconf(_SC_NPROCESSORS_CONF);

	if (!plan->job->cpus)
		return;
	CPU_ZERO(&plan->cpus);
	for (long cpu = 0; cpu < CPU_SETSIZE && cpu < present; cpu++)
		if (CPU_ISSET(cpu, plan->job->cpus))
			CPU_SET(cpu, &plan->cpus);
	plan->set_cpus = CPU_COUNT(&plan->cpus) > 0;
}

static __attribute__((noreturn)) void child_fail_at(const struct plan *plan, int step, int index)
{
	struct spawn_report report = { .step = step, .err = errno, .index = index };
	ssize_t ignored = write(plan->report_pipe[1], &report, sizeof(report));

	(void)ignored;
	_exit(step == SPAWN_EXEC && report.err == ENOENT ? 127 : 126);
}

static __attribute__((noreturn)) void child_fail(const struct plan *plan, int step)
{
	child_fail_at(plan, step, -1);
}

static int open_onto(const char *path, int flags, int target)
{
	int fd = open(path, flags | O_NOCTTY, 0644);

	if (fd < 0)
		return -1;
	if (fd != target) {
		if (dup2(fd, target) < 0)
			return -1;
		close(fd);
	}
	return 0;
}

/* glibc keeps two real-time signals for itself and refuses to touch them, but a
 * parent such as make may have left them ignored, and exec keeps "ignored". An
 * all-zero kernel sigaction is SIG_DFL with no flags and an empty mask. */
static void reset_reserved_signal(int sig)
{
	static const unsigned long zero_action[8];

	syscall(SYS_rt_sigaction, sig, zero_action, NULL, (size_t)(_NSIG / 8));
}

/* Between fork and exec: system calls only, no allocation, no stdio. */
static __attribute__((noreturn)) void child(const struct plan *plan)
{
	const struct conf_job *job = plan->job;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	/* First, so that everything the job ever starts is in its cgroup; a job that
	 * cannot enter it still runs, stopped through its process group only. */
	if (plan->cgroup_fd >= 0) {
		ssize_t ignored = write(plan->cgroup_fd, "0", 1);

		(void)ignored;
	}
	if (setsid() < 0)
		child_fail(plan, SPAWN_SETSID);
	for (int sig = 1; sig < NSIG; sig++) {
		bool reserved = sig >= 32 && sig < dispositions.rtmin;

		if (sig == SIGKILL || sig == SIGSTOP || (dispositions.known && !reserved &&
							 !sigismember(&dispositions.ignored, sig)))
			continue;
		if (sigaction(sig, &dfl, NULL) < 0)
			reset_reserved_signal(sig);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail(plan, SPAWN_SIGNALS);
	umask(022);

	if (open_onto(job->in ? job->in : "/dev/null", O_RDONLY, 0) < 0)
		child_fail(plan, SPAWN_STDIN);
	if (job->out) {
		if (open_onto(job->out, O_WRONLY | O_CREAT | O_APPEND, 1) < 0)
			child_fail(plan, SPAWN_STDOUT);
	} else if (dup2(plan->out_pipe[1], 1) < 0) {
		child_fail(plan, SPAWN_STDOUT);
	}
	if (job->err) {
		if (open_onto(job->err, O_WRONLY | O_CREAT | O_APPEND, 2) < 0)
			child_fail(plan, SPAWN_STDERR);
	} else if (dup2(plan->out_pipe[1], 2) < 0) {
		child_fail(plan, SPAWN_STDERR);
	}

	if (job->dir && chdir(job->dir) < 0)
		child_fail(plan, SPAWN_CHDIR);
	if (nofile.restore) {
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && nofile.soft < rl.rlim_cur) {
			rl.rlim_cur = nofile.soft;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	for (size_t i = 0; i < job->n_ulimits; i++) {
		struct rlimit rl = { job->ulimits[i].value, job->ulimits[i].value };

		if (setrlimit(job->ulimits[i].resource, &rl) < 0)
			child_fail_at(plan, SPAWN_ULIMIT, (int)i);
	}
	if (job->has_nice && setpriority(PRIO_PROCESS, 0, job->nice) < 0)
		child_fail(plan, SPAWN_NICE);
	if (plan->set_cpus && sched_setaffinity(0, sizeof(plan->cpus), &plan->cpus) < 0)
		child_fail(plan, SPAWN_CPU);
	if (plan->set_user) {
		if (setgroups((size_t)plan->n_groups, plan->groups) < 0)
			child_fail(plan, SPAWN_SETGROUPS);
		if (setgid(plan->gid) < 0)
			child_fail(plan, SPAWN_SETGID);
		if (setuid(plan->uid) < 0)
			child_fail(plan, SPAWN_SETUID);
	}
	/* Every descriptor above 2 goes at exec; the report pipe stays open until then. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = 3; fd < 65536; fd++)
			if (fd != plan->report_pipe[1])
				close(fd);
	}
	execve(job->argv[0], job->argv, plan->envp);
	child_fail(plan, SPAWN_EXEC);
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	p[0] = p[1] = -1;
}

int spawn_job(const struct conf_job *job, int cgroup_procs_fd, struct spawned *out, char *why,
	      size_t why_len)
{
	struct plan plan = { .job = job, .cgroup_fd = cgroup_procs_fd, .out_pipe = { -1, -1 },
			     .report_pipe = { -1, -1 } };
	char *identity[3] = { NULL, NULL, NULL };
	struct passwd *pw = NULL;
	int rc = -1;
	pid_t pid;

	if (job->user && resolve_user(&plan, &pw, why, why_len) < 0)
		goto done;
	if (build_env(&plan, pw, identity) < 0) {
		snprintf(why, why_len, "environment: %s", strerror(errno));
		goto done;
	}
	resolve_cpus(&plan);
	if ((!job->out || !job->err) && pipe2(plan.out_pipe, O_CLOEXEC) < 0) {
		snprintf(why, why_len, "output pipe: %s", strerror(errno));
		goto done;
	}
	if (pipe2(plan.report_pipe, O_CLOEXEC) < 0) {
		snprintf(why, why_len, "report pipe: %s", strerror(errno));
		goto done;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, why_len, "fork: %s", strerror(errno));
		goto done;
	}
	if (pid == 0)
		child(&plan);

	out->pid = pid;
	out->output_fd = plan.out_pipe[0];
	out->report_fd = plan.report_pipe[0];
	plan.out_pipe[0] = plan.report_pipe[0] = -1;
	if (out->output_fd >= 0)
		util_set_nonblock(out->output_fd);
	util_set_nonblock(out->report_fd);
	rc = 0;
done:
	close_pair(plan.out_pipe);
	close_pair(plan.report_pipe);
	if (plan.envp != environ)
		free(plan.envp);
	free(plan.groups);
	for (int i = 0; i < 3; i++)
		free(identity[i]);
	return rc;
}
