/* spawn.c: start a job's process by fork and exec in a clean execution context. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "spawn.h"
#include "util.h"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
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

static void note_dispositions(void)
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

/* A start with vfork semantics (CLONE_VM | CLONE_VFORK | CLONE_FILES) on a stack of
 * its own: pmtr waits while the child, sharing its memory and descriptor table,
 * takes a private copy of the few descriptors it needs. Nothing else is copied
 * (page tables; a thousand job pipes, closed again at exec), and a failure is
 * reported in memory. On x86-64 the child is made by clone3 in its job's cgroup
 * (CLONE_INTO_CGROUP) rather than moved there. Used where a probe shows memory is
 * really shared (valgrind, for one, runs such a clone as a fork): jobs start by
 * fork otherwise. */
#define CHILD_STACK_SIZE (64 * 1024)

/* Largest env file read. */
#define ENV_FILE_MAX (1u << 20)

/* Code that runs in such a child works on pmtr's memory: under a sanitizer it must
 * not take the sanitizer's locks (its _exit interceptor does, and a lock held at
 * exit stays held in pmtr), nor tell it about a stack it does not know. */
#define CHILD_CODE __attribute__((no_sanitize_address))

static CHILD_CODE __attribute__((noreturn)) void child_exit(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
}

static struct {
	bool on;
	bool clone3;		/* cleared when the kernel has no clone3 */
	bool into_cgroup;	/* cleared when it has no CLONE_INTO_CGROUP */
	char *stack;		/* CHILD_STACK_SIZE bytes above a guard page */
	int slot;		/* low descriptor through which the output pipe passes */
	int null_fd;		/* /dev/null: a child's stdin, the slot between starts */
	struct spawn_report report;	/* written by a failing child */
} shared;

#if defined(__x86_64__) && defined(SYS_clone3)
#define HAVE_CLONE3_ON_STACK 1

/* struct clone_args of Linux 5.7, spelt out for older headers. */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
		set_tid, set_tid_size, cgroup;
};
#define CLONE3_INTO_CGROUP 0x200000000ULL

/* glibc has no clone3 wrapper. A CLONE_VM child starts on args->stack with
 * nothing to return to, so it calls fn and exits from within these instructions. */
static pid_t clone3_on_stack(struct clone3_args *args, int (*fn)(void *), void *arg)
{
	register int (*call)(void *) __asm__("r12") = fn;
	register void *call_arg __asm__("r13") = arg;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r13, %%rdi\n\t"
			 "call *%%r12\n\t"
			 "mov %%eax, %%edi\n\t"
			 "mov %[sys_exit], %%eax\n\t"
			 "syscall\n\t"
			 "hlt\n"
			 "1:"
			 : "=a"(ret)
			 : "0"((long)SYS_clone3), "D"(args), "S"(sizeof(*args)), "r"(call),
			   "r"(call_arg), [sys_exit] "i"(SYS_exit)
			 : "rcx", "r11", "memory");
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return (pid_t)ret;
}
#endif

static CHILD_CODE int probe_child(void *seen)
{
	*(volatile int *)seen = 1;
	child_exit(0);
}

/* Whether a CLONE_VM | CLONE_VFORK child writes where pmtr reads. The probe's exit
 * is collected by the SIGCHLD handling like any orphan's. */
static bool memory_is_shared(void)
{
	static volatile int seen;

	seen = 0;
	if (clone(probe_child, shared.stack + CHILD_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD,
		  (void *)&seen) < 0) {
		log_warn("spawn: clone");
		return false;
	}
	return seen == 1;
}

static void set_up_shared_start(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *map;

	/* close_range(CLOSE_RANGE_UNSHARE), Linux 5.9: on a table of one user it only
	 * checks the flags. */
	if (syscall(SYS_close_range, ~0U, ~0U, CLOSE_RANGE_UNSHARE) < 0) {
		log_debug("spawn: close_range cannot unshare (%s): jobs start by fork",
			  strerror(errno));
		return;
	}
	map = mmap(NULL, page + CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (map == MAP_FAILED) {
		log_warn("spawn: child stack");
		return;
	}
	if (mprotect(map, page, PROT_NONE) < 0)
		log_warn("spawn: guard page");
	shared.stack = map + page;
	shared.null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* Above null_fd: a child's private table, all below the slot, holds both. */
	shared.slot = shared.null_fd >= 0 ? fcntl(shared.null_fd, F_DUPFD_CLOEXEC,
						  shared.null_fd + 1) : -1;
	if (shared.slot >= 0 && memory_is_shared()) {
		shared.on = shared.clone3 = shared.into_cgroup = true;
		return;
	}
	if (shared.slot < 0)
		log_warn("spawn: descriptors");
	else
		log_debug("spawn: a clone does not share memory here: jobs start by fork");
	if (shared.null_fd >= 0)
		close(shared.null_fd);
	if (shared.slot >= 0)
		close(shared.slot);
	munmap(map, page + CHILD_STACK_SIZE);
	shared.stack = NULL;
}

void spawn_init(void)
{
	note_dispositions();
	set_up_shared_start();
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
	int cgroup_fd;		/* the job's cgroup directory, or -1 */
	char **envp;
	char *env_text;		/* the env file's content, which file_env points into */
	char **file_env;
	size_t n_file_env;
	bool set_user;
	bool set_gid;		/* group without user */
	bool drop_groups;	/* ... and pmtr may set groups: that group only */
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int n_groups;
	bool set_cpus;
	cpu_set_t cpus;
	int out_pipe[2];
	int report_pipe[2];	/* a fork's child reports through this */
	int out_slot;		/* a shared start's child finds its output pipe here */
	int procs_fd;		/* the cgroup's cgroup.procs, for a child that moves
				 * itself there; -1 when born in it, or no cgroup */
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
	case SPAWN_SETUID:
		what = job->user ? job->user : ""; break;
	case SPAWN_SETGID: case SPAWN_SETGROUPS:
		what = job->group ? job->group : job->user ? job->user : ""; break;
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

/* pmtr's environment, then the user's identity, then the env file, then the job's
 * env lines; a later source wins. The strings of environ are shared, not copied;
 * a job that changes nothing gets environ itself. */
/* "NOTIFY_SOCKET=@...", given to jobs with "ready notify"; empty until set. */
static char notify_env[64];

void spawn_set_notify_socket(const char *name)
{
	snprintf(notify_env, sizeof(notify_env), "NOTIFY_SOCKET=%s", name);
}

static int build_env(struct plan *plan, const struct passwd *pw, char *identity[3])
{
	const struct conf_job *job = plan->job;
	bool notify = CONF_MORE(job)->ready == CONF_READY_NOTIFY && notify_env[0];
	size_t n_environ = 0, n = 0, n_override;
	char **envp;

	if (!pw && !job->n_env && !plan->n_file_env && !notify) {
		plan->envp = environ;
		return 0;
	}
	while (environ[n_environ])
		n_environ++;
	envp = calloc(n_environ + 4 + job->n_env + plan->n_file_env + 1, sizeof(*envp));
	if (!envp)
		return -1;
	/* pmtr's own, first: the job cannot be told to notify another socket */
	if (notify)
		envp[n++] = notify_env;
	for (size_t i = 0; i < job->n_env; i++)
		envp[n++] = job->env[i];
	/* a name may repeat in the file: its last line wins, as in a shell */
	for (size_t i = plan->n_file_env; i-- > 0;)
		if (!env_has(envp, n, plan->file_env[i]))
			envp[n++] = plan->file_env[i];
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

static int resolve_group(struct plan *plan, char *why, size_t why_len)
{
	const char *name = plan->job->group;
	struct group *gr;
	char *end;
	unsigned long gid;

	errno = 0;
	gr = getgrnam(name);
	if (!gr && !errno) {
		gid = strtoul(name, &end, 10);
		if (*name && !*end && gid < (gid_t)-1) {
			/* a number needs no entry in /etc/group */
			plan->gid = (gid_t)gid;
			goto found;
		}
	}
	if (!gr) {
		snprintf(why, why_len, "unknown group %s%s%s", name, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return -1;
	}
	plan->gid = gr->gr_gid;
found:
	if (!plan->set_user) {
		plan->set_gid = true;
		plan->drop_groups = geteuid() == 0;
	}
	return 0;
}

/* The env file, read at each start: its lines point into plan->env_text. */
static int read_env_file(struct plan *plan, char *why, size_t why_len)
{
	const char *path = plan->job->env_file;
	size_t len, n_lines = 1, line = 0;
	char *text, *s;

	text = util_read_file(path, ENV_FILE_MAX, &len);
	if (!text) {
		snprintf(why, why_len, "env file %s: %s", path, strerror(errno));
		return -1;
	}
	plan->env_text = text;
	if (memchr(text, '\0', len)) {
		snprintf(why, why_len, "env file %s: nul byte in the file", path);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		n_lines += text[i] == '\n';
	plan->file_env = calloc(n_lines, sizeof(*plan->file_env));
	if (!plan->file_env) {
		snprintf(why, why_len, "env file %s: %s", path, strerror(errno));
		return -1;
	}
	for (s = text; s; ) {
		char *nl = strchr(s, '\n'), *entry;
		const char *bad;

		if (nl)
			*nl = '\0';
		line++;
		bad = parse_env_line(s, &entry);
		if (bad) {
			snprintf(why, why_len, "env file %s line %zu: %s", path, line, bad);
			return -1;
		}
		if (entry)
			plan->file_env[plan->n_file_env++] = entry;
		s = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* CPUs the machine does not have are dropped; a set left empty means no affinity. */
static void resolve_cpus(struct plan *plan)
{
	long present;

	if (!plan->job->cpus)
		return;
	present = sysconf(_SC_NPROCESSORS_CONF);
	CPU_ZERO(&plan->cpus);
	for (long cpu = 0; cpu < CPU_SETSIZE && cpu < present; cpu++)
		if (CPU_ISSET(cpu, plan->job->cpus))
			CPU_SET(cpu, &plan->cpus);
	plan->set_cpus = CPU_COUNT(&plan->cpus) > 0;
}

static CHILD_CODE __attribute__((noreturn)) void child_fail_at(struct plan *plan, int step, int index)
{
	struct spawn_report report = { .step = step, .err = errno, .index = index };

	if (plan->report_pipe[1] >= 0) {
		ssize_t ignored = write(plan->report_pipe[1], &report, sizeof(report));

		(void)ignored;
	} else {
		*(volatile struct spawn_report *)&shared.report = report;
	}
	child_exit(step == SPAWN_EXEC && report.err == ENOENT ? 127 : 126);
}

static CHILD_CODE __attribute__((noreturn)) void child_fail(struct plan *plan, int step)
{
	child_fail_at(plan, step, -1);
}

static CHILD_CODE int open_onto(const char *path, int flags, int target)
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
static CHILD_CODE void reset_reserved_signal(int sig)
{
	static const unsigned long zero_action[8];

	syscall(SYS_rt_sigaction, sig, zero_action, NULL, (size_t)(_NSIG / 8));
}

/* Between fork and exec: system calls only, no allocation, no stdio. In a shared
 * start, also no change to memory but plan->report, and none to a descriptor before
 * the table is the child's own. */
static CHILD_CODE __attribute__((noreturn)) void child(struct plan *plan)
{
	const struct conf_job *job = plan->job;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int out_fd = plan->out_pipe[1];
	sigset_t none;

	/* Into the cgroup first, before anything the job could start; a job that
	 * cannot enter it still runs, stopped through its process group only. */
	if (plan->procs_fd >= 0) {
		ssize_t ignored = write(plan->procs_fd, "0", 1);

		(void)ignored;
	}
	/* A private table of the descriptors below the slot: a handful, not pmtr's
	 * thousand job pipes. Nothing before this may change pmtr's table. */
	if (plan->out_slot >= 0) {
		if (syscall(SYS_close_range, (unsigned)plan->out_slot + 1, ~0U,
			    CLOSE_RANGE_UNSHARE) < 0)
			child_fail(plan, SPAWN_CLOSE_FDS);
		out_fd = plan->out_slot;
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
	umask(job->umask);

	if (job->in || plan->out_slot < 0) {
		if (open_onto(job->in ? job->in : "/dev/null", O_RDONLY, 0) < 0)
			child_fail(plan, SPAWN_STDIN);
	} else if (dup2(shared.null_fd, 0) < 0) {
		child_fail(plan, SPAWN_STDIN);
	}
	if (job->out) {
		if (open_onto(job->out, O_WRONLY | O_CREAT | O_APPEND, 1) < 0)
			child_fail(plan, SPAWN_STDOUT);
	} else if (dup2(out_fd, 1) < 0) {
		child_fail(plan, SPAWN_STDOUT);
	}
	if (job->err) {
		if (open_onto(job->err, O_WRONLY | O_CREAT | O_APPEND, 2) < 0)
			child_fail(plan, SPAWN_STDERR);
	} else if (dup2(out_fd, 2) < 0) {
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
	} else if (plan->set_gid) {
		if (plan->drop_groups && setgroups(1, &plan->gid) < 0)
			child_fail(plan, SPAWN_SETGROUPS);
		if (setgid(plan->gid) < 0)
			child_fail(plan, SPAWN_SETGID);
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

/* Opened by pmtr: the child must not add to a descriptor table it shares. */
static int open_procs(const struct plan *plan)
{
	int fd;

	if (plan->cgroup_fd < 0)
		return -1;
	fd = openat(plan->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		log_debug("spawn: cgroup.procs of job %s: %s", plan->job->name, strerror(errno));
	return fd;
}

static CHILD_CODE int shared_child(void *plan)
{
	child(plan);
}

#ifdef HAVE_CLONE3_ON_STACK
static pid_t clone3_job(struct plan *plan, bool into_cgroup)
{
	struct clone3_args args = {
		.flags = CLONE_VM | CLONE_VFORK | CLONE_FILES,
		.exit_signal = SIGCHLD,
		.stack = (uintptr_t)shared.stack,
		.stack_size = CHILD_STACK_SIZE,
	};

	if (into_cgroup) {
		args.flags |= CLONE3_INTO_CGROUP;
		args.cgroup = (uint64_t)plan->cgroup_fd;
	}
	return clone3_on_stack(&args, shared_child, plan);
}
#endif

/* When it returns, the child has exec'd or failed: pmtr waited. */
static pid_t start_shared(struct plan *plan, struct spawned *out)
{
	pid_t pid = -1;
	int err = ENOSYS;

	shared.report.step = -1;
	if (plan->out_pipe[1] >= 0 && dup3(plan->out_pipe[1], shared.slot, O_CLOEXEC) < 0)
		return -1;
	plan->out_slot = shared.slot;
#ifdef HAVE_CLONE3_ON_STACK
	/* clone3 only where it can also place the child: else the child moves itself. */
	if (shared.clone3 && (plan->cgroup_fd < 0 || shared.into_cgroup)) {
		bool into = plan->cgroup_fd >= 0;

		pid = clone3_job(plan, into);
		err = pid < 0 ? errno : 0;
		if (err == ENOSYS || err == EPERM) {
			log_debug("spawn: clone3: %s", strerror(err));
			shared.clone3 = false;
			err = ENOSYS;
		} else if (into && err != 0 && err != EAGAIN && err != ENOMEM) {
			/* Linux < 5.7, or a cgroup that takes no processes: the child tries
			 * to move itself, or stays where it is. */
			log_debug("spawn: clone3 into a cgroup: %s", strerror(err));
			if (err == EINVAL || err == E2BIG)
				shared.into_cgroup = false;
			err = ENOSYS;
		}
	}
#endif
	if (err == ENOSYS) {
		plan->procs_fd = open_procs(plan);
		pid = clone(shared_child, shared.stack + CHILD_STACK_SIZE,
			    CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, plan);
		err = pid < 0 ? errno : 0;
	}
	/* The slot must not keep the pipe open: its reader would never see EOF. */
	if (dup3(shared.null_fd, shared.slot, O_CLOEXEC) < 0)
		log_warn("spawn: descriptor %d", shared.slot);
	if (pid > 0) {
		out->report = *(volatile struct spawn_report *)&shared.report;
		out->failed = out->report.step >= 0;
	}
	errno = err;
	return pid;
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	p[0] = p[1] = -1;
}

int spawn_job(const struct conf_job *job, int cgroup_fd, struct spawned *out, char *why,
	      size_t why_len)
{
	struct plan plan = { .job = job, .cgroup_fd = cgroup_fd, .out_pipe = { -1, -1 },
			     .report_pipe = { -1, -1 }, .out_slot = -1, .procs_fd = -1 };
	char *identity[3] = { NULL, NULL, NULL };
	struct passwd *pw = NULL;
	int rc = -1;
	pid_t pid;

	if (job->user && resolve_user(&plan, &pw, why, why_len) < 0)
		goto done;
	if (job->group && resolve_group(&plan, why, why_len) < 0)
		goto done;
	if (job->env_file && read_env_file(&plan, why, why_len) < 0)
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
	out->failed = false;
	if (shared.on) {
		pid = start_shared(&plan, out);
		if (pid < 0) {
			snprintf(why, why_len, "fork: %s", strerror(errno));
			goto done;
		}
	} else {
		plan.procs_fd = open_procs(&plan);
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
	}

	out->pid = pid;
	out->output_fd = plan.out_pipe[0];
	out->report_fd = plan.report_pipe[0];
	plan.out_pipe[0] = plan.report_pipe[0] = -1;
	/* Its flags are known: one system call instead of two per start. */
	if (out->output_fd >= 0 && fcntl(out->output_fd, F_SETFL, O_RDONLY | O_NONBLOCK) < 0)
		log_warn("spawn: output pipe");
	if (out->report_fd >= 0)
		util_set_nonblock(out->report_fd);
	rc = 0;
done:
	if (plan.procs_fd >= 0)
		close(plan.procs_fd);
	close_pair(plan.out_pipe);
	close_pair(plan.report_pipe);
	if (plan.envp != environ)
		free(plan.envp);
	free(plan.file_env);
	free(plan.env_text);
	free(plan.groups);
	for (int i = 0; i < 3; i++)
		free(identity[i]);
	return rc;
}
