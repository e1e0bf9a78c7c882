/* spawn.c: start a job's process by fork and exec in a clean execution context. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/futex.h>
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

/* The signals a child resets: exec resets handlers but keeps "ignored", so those
 * pmtr ignores (inherited, or SIGPIPE; pmtr installs no handler), and glibc's
 * reserved ones, which a parent such as make may have left ignored. Until
 * note_dispositions, every signal. */
static struct {
	bool known;
	int n;
	unsigned char sig[NSIG];
} resets;

static void note_dispositions(void)
{
	resets.n = 0;
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		bool reserved = sig >= 32 && sig < SIGRTMIN;

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (reserved || (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN))
			resets.sig[resets.n++] = (unsigned char)sig;
	}
	resets.known = true;
}

/* A job starts in a child that shares pmtr's memory (CLONE_VM) on a stack of its
 * own, and pmtr goes on at once: neither the page tables are copied (a fork's cost)
 * nor does pmtr wait until the child gets a CPU and execs (vfork's, long on a busy
 * machine). The kernel zeroes the slot's word when the child execs or exits
 * (CLONE_CHILD_CLEARTID): from then on its stack and plan are free again. The child
 * gets a copy of the descriptor table and reports a failure through a pipe, as
 * after a fork. On x86-64 it is made by clone3 in its job's cgroup
 * (CLONE_INTO_CGROUP) rather than moved there. Used where a probe shows memory is
 * really shared (valgrind, for one, runs such a clone as a fork) and the child
 * can make system calls without glibc (whose wrappers would write pmtr's errno):
 * jobs start by fork otherwise, and when every slot is taken for longer than
 * SLOT_WAIT_NS (children stuck before exec, say on a FIFO without a reader). */
#define START_SLOTS 32
#define CHILD_STACK_SIZE (32 * 1024)
#define SLOT_WAIT_NS (10 * 1000 * 1000L)

/* Largest env file read. */
#define ENV_FILE_MAX (1u << 20)

/* Code that runs in such a child works on pmtr's memory beside pmtr: under a
 * sanitizer it must not take the sanitizer's locks, nor tell it about a stack it
 * does not know. */
#define CHILD_CODE __attribute__((no_sanitize_address))

/* A system call as the child makes it: -errno on failure, errno untouched. */
#if defined(__x86_64__)
#define HAVE_RAW_SYSCALL 1
static inline CHILD_CODE long child_sys(long n, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}
#else
static long child_sys(long n, long a, long b, long c, long d)
{
	long ret = syscall(n, a, b, c, d);

	return ret < 0 ? -errno : ret;
}
#endif
#define SYS(n, a, b, c, d) child_sys((n), (long)(a), (long)(b), (long)(c), (long)(d))

/* 32-bit ids where the plain calls take 16-bit ones. */
#ifdef SYS_setuid32
#define SYS_SETUID SYS_setuid32
#define SYS_SETGID SYS_setgid32
#define SYS_SETGROUPS SYS_setgroups32
#else
#define SYS_SETUID SYS_setuid
#define SYS_SETGID SYS_setgid
#define SYS_SETGROUPS SYS_setgroups
#endif

static CHILD_CODE __attribute__((noreturn)) void child_exit(int status)
{
	for (;;)
		SYS(SYS_exit_group, status, 0, 0, 0);
}

struct plan;

/* The descriptors a child takes along: dup'd by pmtr onto numbers it keeps for the
 * slot (on /dev/null between starts), all below shared.fd_cut. */
enum { SLOT_OUT, SLOT_FDS };

struct start_slot {
	pid_t busy;		/* the child's pid while it may use stack or plan; the
				 * kernel zeroes it at the child's exec or exit */
	char *stack;		/* top of CHILD_STACK_SIZE bytes above a guard page */
	struct plan *plan;	/* freed once the slot is free */
	int fd[SLOT_FDS];
	bool fds_taken;		/* fd[] hold a child's descriptors, not /dev/null */
	int procs_fd;		/* cgroup.procs for a child that moves itself, which
				 * it writes before its table is its own; or -1 */
};

static struct {
	bool on;
	bool clone3;		/* cleared when the kernel has no clone3 */
	bool into_cgroup;	/* cleared when it has no CLONE_INTO_CGROUP */
	struct start_slot slot[START_SLOTS];
	unsigned next;		/* the slot taken longest ago */
	char *stacks;		/* the mapping of every slot's stack */
	size_t stacks_len;
	unsigned taken;		/* slots taken since spawn_collect gave the pages back */
	int fd_cut;		/* every slot's descriptor is below this */
	int null_fd;		/* /dev/null: stdin of a job whose output pmtr reads */
} shared = { .null_fd = -1 };

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

/* One mapping holds every slot's stack, each above a guard page. */
static bool map_stacks(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), each = page + CHILD_STACK_SIZE;
	char *map = mmap(NULL, START_SLOTS * each, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);

	if (map == MAP_FAILED) {
		log_warn("spawn: child stacks");
		return false;
	}
	shared.stacks = map;
	shared.stacks_len = START_SLOTS * each;
	for (unsigned i = 0; i < START_SLOTS; i++) {
		if (mprotect(map + i * each, page, PROT_NONE) < 0)
			log_warn("spawn: guard page");
		shared.slot[i].stack = map + (i + 1) * each;
	}
	return true;
}

/* Whether a CLONE_VM child writes where pmtr reads. The probe's exit is collected
 * by the SIGCHLD handling like any orphan's. */
static const char *why_not_shared(void)
{
	static volatile int seen;
	static char why[64];

	seen = 0;
	if (clone(probe_child, shared.slot[0].stack, CLONE_VM | CLONE_VFORK | SIGCHLD,
		  (void *)&seen) < 0) {
		snprintf(why, sizeof(why), "clone: %s", strerror(errno));
		return why;
	}
	return seen == 1 ? NULL : "a clone does not share memory here";
}

/* A child shares pmtr's descriptor table (CLONE_FILES) until it takes a private
 * copy of the numbers below fd_cut: pmtr's first few and the slots', not the
 * thousands of job pipes a fork would copy and exec would close again. */
static const char *reserve_slot_fds(void)
{
	for (unsigned i = 0; i < START_SLOTS; i++) {
		for (int k = 0; k < SLOT_FDS; k++) {
			int fd = fcntl(shared.null_fd, F_DUPFD_CLOEXEC, 3);

			if (fd < 0)
				return "descriptors for the start slots";
			shared.slot[i].fd[k] = fd;
			shared.slot[i].procs_fd = -1;
			if (fd >= shared.fd_cut)
				shared.fd_cut = fd + 1;
		}
	}
	return NULL;
}

static void set_up_shared_start(void)
{
#ifdef HAVE_RAW_SYSCALL
	const char *why;

	if (shared.null_fd < 0 || !map_stacks())
		return;
	why = why_not_shared();
	if (!why)
		why = reserve_slot_fds();
	if (!why) {
		shared.on = shared.clone3 = shared.into_cgroup = true;
		return;
	}
	log_debug("spawn: %s: jobs start by fork", why);
	for (unsigned i = 0; i < START_SLOTS; i++)
		for (int k = 0; k < SLOT_FDS; k++)
			if (shared.slot[i].fd[k] > 0)
				close(shared.slot[i].fd[k]);
	munmap(shared.stacks, shared.stacks_len);
#else
	log_debug("spawn: no raw system calls on this architecture: jobs start by fork");
#endif
}

void spawn_init(void)
{
	note_dispositions();
	shared.null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (shared.null_fd < 0)
		log_warn("spawn: /dev/null");
	set_up_shared_start();
}

int64_t spawn_nofile_soft(void)
{
	return nofile.restore ? (int64_t)nofile.soft : -1;
}

void spawn_set_nofile_soft(rlim_t soft)
{
	nofile.restore = true;
	nofile.soft = soft;
}

/* What the child reads of its job: a copy, for a reload may free the job before
 * the child has exec'd. */
struct child_job {
	char **argv;
	char *in, *out, *err, *dir;
	char **env;
	size_t n_env;
	struct conf_rlimit *ulimits;
	size_t n_ulimits;
	mode_t umask;
	bool has_nice;
	int nice;
};

/* Everything the child needs, computed in the parent: between clone and exec the
 * child only makes system calls. */
struct plan {
	const struct conf_job *job;	/* for the parent only */
	struct child_job cj;
	char *copy;		/* what cj points into */
	int cgroup_fd;		/* the job's cgroup directory, or -1 */
	char **envp;
	bool envp_owned;	/* else it is environ */
	char *env_text;		/* the env file's content, which file_env points into */
	char **file_env;
	size_t n_file_env;
	char *identity[3];	/* HOME=, USER=, LOGNAME= */
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
	int report_pipe[2];	/* a forked child reports a failure through this */
	pid_t pid;
	struct spawn_report report;	/* ... a child in a slot here (step -1: none) */
	struct {		/* the child's descriptors, set before it starts: pmtr
				 * closes its own copies while the child may still read */
		int out, report;
		int procs;	/* cgroup.procs, for a child that moves itself into
				 * its cgroup; -1 when born in it, or no cgroup */
		int cut;	/* > 0: the table is shared, keep what is below */
	} fd;
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

/* "NOTIFY_SOCKET=@...", given to jobs with "ready notify"; empty until set. */
static char notify_env[64];

void spawn_set_notify_socket(const char *name)
{
	snprintf(notify_env, sizeof(notify_env), "NOTIFY_SOCKET=%s", name);
}

/* pmtr's environment, then the user's identity, then the env file, then the job's
 * env lines; a later source wins. The strings of environ are shared, not copied
 * (pmtr changes its environment only before the first start); a job that changes
 * nothing gets environ itself. */

static int build_env(struct plan *plan, const struct passwd *pw)
{
	const struct conf_job *job = plan->job;
	const struct child_job *cj = &plan->cj;
	char **identity = plan->identity;
	bool notify = CONF_MORE(job)->ready == CONF_READY_NOTIFY && notify_env[0];
	size_t n_environ = 0, n = 0, n_override;
	char **envp;

	if (!pw && !cj->n_env && !plan->n_file_env && !notify) {
		plan->envp = environ;
		return 0;
	}
	while (environ[n_environ])
		n_environ++;
	envp = calloc(n_environ + 4 + cj->n_env + plan->n_file_env + 1, sizeof(*envp));
	if (!envp)
		return -1;
	/* pmtr's own, first: the job cannot be told to notify another socket */
	if (notify)
		envp[n++] = notify_env;
	for (size_t i = 0; i < cj->n_env; i++)
		envp[n++] = cj->env[i];
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
	plan->envp_owned = true;
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

static CHILD_CODE __attribute__((noreturn)) void child_fail_at(struct plan *plan, int step,
								int index, long err)
{
	struct spawn_report report = { .step = step, .err = (int)-err, .index = index };

	if (plan->fd.report >= 0)
		SYS(SYS_write, plan->fd.report, &report, sizeof(report), 0);
	else
		*(volatile struct spawn_report *)&plan->report = report;
	child_exit(step == SPAWN_EXEC && report.err == ENOENT ? 127 : 126);
}

static CHILD_CODE __attribute__((noreturn)) void child_fail(struct plan *plan, int step, long err)
{
	child_fail_at(plan, step, -1, err);
}

static CHILD_CODE long child_dup(int fd, int target)
{
	return fd == target ? 0 : SYS(SYS_dup3, fd, target, 0, 0);
}

static CHILD_CODE long open_onto(const char *path, int flags, int target)
{
	long fd = SYS(SYS_openat, AT_FDCWD, path, flags | O_NOCTTY, 0644);
	long rc;

	if (fd < 0)
		return fd;
	rc = child_dup((int)fd, target);
	if (fd != target)
		SYS(SYS_close, fd, 0, 0, 0);
	return rc;
}

/* An all-zero kernel sigaction is SIG_DFL with no flags and an empty mask; so is
 * an all-zero signal mask empty. Large enough for any architecture's layout. */
static const unsigned long zero_words[8];

/* Between clone and exec: system calls only (child_sys), no allocation, no stdio,
 * no change to memory but the child's own stack: pmtr runs on beside it. */
static CHILD_CODE __attribute__((noreturn)) void child(struct plan *plan)
{
	const struct child_job *job = &plan->cj;
	int out_fd = plan->fd.out;
	long rc;


	/* Into the cgroup first, before anything the job could start; a job that
	 * cannot enter it still runs, stopped through its process group only. */
	if (plan->fd.procs >= 0)
		SYS(SYS_write, plan->fd.procs, "0", 1, 0);
	/* A table of its own, before pmtr changes the shared one under it: the
	 * numbers below the cut (close_range, Linux 5.9), or all of them. */
	if (plan->fd.cut > 0 &&
	    SYS(SYS_close_range, plan->fd.cut, ~0U, CLOSE_RANGE_UNSHARE, 0) < 0 &&
	    (rc = SYS(SYS_unshare, CLONE_FILES, 0, 0, 0)) < 0)
		child_fail(plan, SPAWN_CLOSE_FDS, rc);
	if ((rc = SYS(SYS_setsid, 0, 0, 0, 0)) < 0)
		child_fail(plan, SPAWN_SETSID, rc);
	for (int i = 0, n = resets.known ? resets.n : NSIG - 1; i < n; i++) {
		int sig = resets.known ? resets.sig[i] : i + 1;

		if (sig != SIGKILL && sig != SIGSTOP)
			SYS(SYS_rt_sigaction, sig, zero_words, NULL, _NSIG / 8);
	}
	if ((rc = SYS(SYS_rt_sigprocmask, SIG_SETMASK, zero_words, NULL, _NSIG / 8)) < 0)
		child_fail(plan, SPAWN_SIGNALS, rc);
	SYS(SYS_umask, job->umask, 0, 0, 0);

	if (job->in || out_fd < 0)
		rc = open_onto(job->in ? job->in : "/dev/null", O_RDONLY, 0);
	else
		rc = child_dup(shared.null_fd, 0);
	if (rc < 0)
		child_fail(plan, SPAWN_STDIN, rc);
	rc = job->out ? open_onto(job->out, O_WRONLY | O_CREAT | O_APPEND, 1) : child_dup(out_fd, 1);
	if (rc < 0)
		child_fail(plan, SPAWN_STDOUT, rc);
	rc = job->err ? open_onto(job->err, O_WRONLY | O_CREAT | O_APPEND, 2) : child_dup(out_fd, 2);
	if (rc < 0)
		child_fail(plan, SPAWN_STDERR, rc);

	if (job->dir && (rc = SYS(SYS_chdir, job->dir, 0, 0, 0)) < 0)
		child_fail(plan, SPAWN_CHDIR, rc);
	if (nofile.restore) {
		uint64_t rl[2];

		if (SYS(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, rl) == 0 && nofile.soft < rl[0]) {
			rl[0] = nofile.soft;
			SYS(SYS_prlimit64, 0, RLIMIT_NOFILE, rl, NULL);
		}
	}
	for (size_t i = 0; i < job->n_ulimits; i++) {
		uint64_t rl[2] = { job->ulimits[i].value, job->ulimits[i].value };

		if ((rc = SYS(SYS_prlimit64, 0, job->ulimits[i].resource, rl, NULL)) < 0)
			child_fail_at(plan, SPAWN_ULIMIT, (int)i, rc);
	}
	if (job->has_nice && (rc = SYS(SYS_setpriority, PRIO_PROCESS, 0, job->nice, 0)) < 0)
		child_fail(plan, SPAWN_NICE, rc);
	if (plan->set_cpus &&
	    (rc = SYS(SYS_sched_setaffinity, 0, sizeof(plan->cpus), &plan->cpus, 0)) < 0)
		child_fail(plan, SPAWN_CPU, rc);
	if (plan->set_user) {
		if ((rc = SYS(SYS_SETGROUPS, plan->n_groups, plan->groups, 0, 0)) < 0)
			child_fail(plan, SPAWN_SETGROUPS, rc);
		if ((rc = SYS(SYS_SETGID, plan->gid, 0, 0, 0)) < 0)
			child_fail(plan, SPAWN_SETGID, rc);
		if ((rc = SYS(SYS_SETUID, plan->uid, 0, 0, 0)) < 0)
			child_fail(plan, SPAWN_SETUID, rc);
	} else if (plan->set_gid) {
		if (plan->drop_groups && (rc = SYS(SYS_SETGROUPS, 1, &plan->gid, 0, 0)) < 0)
			child_fail(plan, SPAWN_SETGROUPS, rc);
		if ((rc = SYS(SYS_SETGID, plan->gid, 0, 0, 0)) < 0)
			child_fail(plan, SPAWN_SETGID, rc);
	}
	/* Every descriptor above 2 goes at exec; the report pipe stays open until then. */
	if (SYS(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC, 0) < 0) {
		for (int fd = 3; fd < 65536; fd++)
			if (fd != plan->fd.report)
				SYS(SYS_close, fd, 0, 0, 0);
	}
	rc = SYS(SYS_execve, job->argv[0], job->argv, plan->envp, 0);
	child_fail(plan, SPAWN_EXEC, rc);
}

static CHILD_CODE int shared_child(void *plan)
{
	child(plan);
}

static size_t string_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static char *copy_string(char **at, const char *s)
{
	char *copy = *at;

	if (!s)
		return NULL;
	memcpy(copy, s, strlen(s) + 1);
	*at += strlen(s) + 1;
	return copy;
}

/* One allocation holds the child's view of job: its arrays, then its strings. */
static int copy_job(struct plan *plan, const struct conf_job *job)
{
	struct child_job *cj = &plan->cj;
	size_t argc = 0, size;
	char *at;

	while (job->argv[argc])
		argc++;
	size = (argc + 1 + job->n_env) * sizeof(char *) +
	       job->n_ulimits * sizeof(struct conf_rlimit);
	for (size_t i = 0; i < argc; i++)
		size += string_size(job->argv[i]);
	for (size_t i = 0; i < job->n_env; i++)
		size += string_size(job->env[i]);
	size += string_size(job->in) + string_size(job->out) + string_size(job->err) +
		string_size(job->dir);
	plan->copy = malloc(size);
	if (!plan->copy)
		return -1;
	cj->ulimits = (struct conf_rlimit *)plan->copy;
	if (job->n_ulimits)
		memcpy(cj->ulimits, job->ulimits, job->n_ulimits * sizeof(struct conf_rlimit));
	cj->n_ulimits = job->n_ulimits;
	cj->argv = (char **)(cj->ulimits + job->n_ulimits);
	cj->env = cj->argv + argc + 1;
	cj->n_env = job->n_env;
	at = (char *)(cj->env + job->n_env);
	for (size_t i = 0; i < argc; i++)
		cj->argv[i] = copy_string(&at, job->argv[i]);
	cj->argv[argc] = NULL;
	for (size_t i = 0; i < job->n_env; i++)
		cj->env[i] = copy_string(&at, job->env[i]);
	cj->in = copy_string(&at, job->in);
	cj->out = copy_string(&at, job->out);
	cj->err = copy_string(&at, job->err);
	cj->dir = copy_string(&at, job->dir);
	cj->umask = job->umask;
	cj->has_nice = job->has_nice;
	cj->nice = job->nice;
	return 0;
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	p[0] = p[1] = -1;
}

static void plan_free(struct plan *plan)
{
	if (!plan)
		return;
	close_pair(plan->out_pipe);
	close_pair(plan->report_pipe);
	if (plan->envp_owned)
		free(plan->envp);
	free(plan->file_env);
	free(plan->env_text);
	free(plan->groups);
	for (int i = 0; i < 3; i++)
		free(plan->identity[i]);
	free(plan->copy);
	free(plan);
}

/* Opened by pmtr, for a child that is not born in its cgroup. */
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

static bool slot_free(struct start_slot *slot)
{
	return __atomic_load_n(&slot->busy, __ATOMIC_ACQUIRE) == 0;
}

/* Failures of children whose slot was taken again before their exit was reaped. */
#define FAILURES_KEPT 16
static struct {
	pid_t pid;
	struct spawn_report report;
} failures[FAILURES_KEPT];
static unsigned failures_next;

/* The slot's child has exec'd or exited: its plan goes (a failure it reported is
 * kept for spawn_take_failure), and its descriptors, so that the job's pipes see
 * their end when the job closes them. */
static void slot_release(struct start_slot *slot, bool keep_fds)
{
	if (slot->plan && slot->plan->report.step >= 0) {
		failures[failures_next].pid = slot->plan->pid;
		failures[failures_next].report = slot->plan->report;
		failures_next = (failures_next + 1) % FAILURES_KEPT;
	}
	plan_free(slot->plan);
	slot->plan = NULL;
	if (slot->procs_fd >= 0)
		close(slot->procs_fd);
	slot->procs_fd = -1;
	if (!slot->fds_taken || keep_fds)
		return;
	for (int k = 0; k < SLOT_FDS; k++)
		if (dup3(shared.null_fd, slot->fd[k], O_CLOEXEC) < 0)
			log_warn("spawn: descriptor %d", slot->fd[k]);
	slot->fds_taken = false;
}

/* Hands the child's descriptors over through the slot's numbers. */
static int slot_take_fds(struct start_slot *slot, struct plan *plan)
{
	int *fds[] = { [SLOT_OUT] = &plan->fd.out };

	slot->fds_taken = true;
	for (int k = 0; k < SLOT_FDS; k++) {
		if (*fds[k] < 0)
			continue;
		if (dup3(*fds[k], slot->fd[k], O_CLOEXEC) < 0)
			return -1;
		*fds[k] = slot->fd[k];
	}
	plan->fd.cut = shared.fd_cut;
	return 0;
}

/* A free slot, its last plan freed; waits a little for the oldest child to exec
 * when none is. NULL: every child is still on its way (start by fork). */
static struct start_slot *take_slot(void)
{
	struct timespec wait = { 0, SLOT_WAIT_NS };
	struct start_slot *slot = NULL;
	pid_t busy;

	for (unsigned k = 0; k < START_SLOTS && !slot; k++) {
		struct start_slot *s = &shared.slot[(shared.next + k) % START_SLOTS];

		if (slot_free(s))
			slot = s;
	}
	if (!slot) {
		slot = &shared.slot[shared.next];
		busy = __atomic_load_n(&slot->busy, __ATOMIC_ACQUIRE);
		/* Woken by the kernel when it zeroes the word (a shared futex). */
		if (busy && syscall(SYS_futex, &slot->busy, FUTEX_WAIT, busy, &wait, NULL, 0) < 0 &&
		    errno != EAGAIN && errno != ETIMEDOUT && errno != EINTR)
			log_warn("spawn: futex");
		if (!slot_free(slot)) {
			log_debug("spawn: %d children still on their way to exec: starting by fork",
				  START_SLOTS);
			return NULL;
		}
	}
	slot_release(slot, true);
	shared.next = (unsigned)(slot - shared.slot + 1) % START_SLOTS;
	shared.taken++;
	return slot;
}

/* A few stacks stay warm for the next restart; a burst's are given back. */
#define TRIM_AFTER 4
#define COLLECT_AGAIN_MS 5
#define COLLECT_AGAIN_MAX_MS 1000

int64_t spawn_collect(void)
{
	static int64_t again_ms = COLLECT_AGAIN_MS;
	bool all_free = true, released = false;

	for (unsigned i = 0; i < START_SLOTS && shared.on; i++) {
		struct start_slot *slot = &shared.slot[i];

		if (!slot_free(slot)) {
			all_free = false;
		} else if (slot->plan || slot->fds_taken) {
			slot_release(slot, false);
			released = true;
		}
	}
	/* No event tells pmtr of an exec: look again soon while a child is on its
	 * way, less and less often while none gets there (stuck before exec). */
	if (!all_free) {
		if (released)
			again_ms = COLLECT_AGAIN_MS;
		else if (again_ms < COLLECT_AGAIN_MAX_MS)
			again_ms *= 2;
		return util_now_ms() + again_ms;
	}
	again_ms = COLLECT_AGAIN_MS;
	if (shared.taken > TRIM_AFTER) {
		if (madvise(shared.stacks, shared.stacks_len, MADV_DONTNEED) < 0)
			log_warn("spawn: giving back child stacks");
		shared.taken = 0;
	}
	return 0;
}

bool spawn_take_failure(pid_t pid, struct spawn_report *report)
{
	for (unsigned i = 0; i < START_SLOTS && shared.on; i++) {
		struct plan *plan = shared.slot[i].plan;

		if (plan && plan->pid == pid && slot_free(&shared.slot[i]) && plan->report.step >= 0) {
			*report = plan->report;
			plan->report.step = -1;
			return true;
		}
	}
	for (unsigned i = 0; i < FAILURES_KEPT; i++) {
		if (failures[i].pid == pid && pid > 0) {
			*report = failures[i].report;
			failures[i].pid = 0;
			return true;
		}
	}
	return false;
}

#ifdef HAVE_CLONE3_ON_STACK
static pid_t clone3_job(struct plan *plan, struct start_slot *slot, bool into_cgroup)
{
	struct clone3_args args = {
		.flags = CLONE_VM | CLONE_FILES | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
		.parent_tid = (uintptr_t)&slot->busy,
		.child_tid = (uintptr_t)&slot->busy,
		.exit_signal = SIGCHLD,
		.stack = (uintptr_t)(slot->stack - CHILD_STACK_SIZE),
		.stack_size = CHILD_STACK_SIZE,
	};

	if (into_cgroup) {
		args.flags |= CLONE3_INTO_CGROUP;
		args.cgroup = (uint64_t)plan->cgroup_fd;
	}
	return clone3_on_stack(&args, shared_child, plan);
}
#endif

/* When it returns, the child may still be on its way to exec, in slot. */
static pid_t start_shared(struct plan *plan, struct start_slot *slot)
{
	pid_t pid = -1;
	int err = ENOSYS;

	slot->busy = -1;
#ifdef HAVE_CLONE3_ON_STACK
	/* clone3 only where it can also place the child: else the child moves itself. */
	if (shared.clone3 && (plan->cgroup_fd < 0 || shared.into_cgroup)) {
		bool into = plan->cgroup_fd >= 0;

		pid = clone3_job(plan, slot, into);
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
		plan->fd.procs = slot->procs_fd = open_procs(plan);
		pid = clone(shared_child, slot->stack,
			    CLONE_VM | CLONE_FILES | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |
			    SIGCHLD, plan, &slot->busy, NULL, &slot->busy);
		err = pid < 0 ? errno : 0;
	}
	if (pid < 0)
		slot->busy = 0;
	errno = err;
	return pid;
}

static pid_t start_forked(struct plan *plan)
{
	int procs = plan->fd.procs = open_procs(plan);
	pid_t pid = fork();

	if (pid == 0)
		child(plan);
	if (procs >= 0)
		close(procs);
	return pid;
}

int spawn_job(const struct conf_job *job, int cgroup_fd, struct spawned *out, char *why,
	      size_t why_len)
{
	struct plan *plan = calloc(1, sizeof(*plan));
	struct start_slot *slot = NULL;
	struct passwd *pw = NULL;
	pid_t pid;

	if (!plan) {
		snprintf(why, why_len, "plan: %s", strerror(errno));
		return -1;
	}
	*plan = (struct plan){ .job = job, .cgroup_fd = cgroup_fd, .out_pipe = { -1, -1 },
			       .report_pipe = { -1, -1 } };
	if (copy_job(plan, job) < 0) {
		snprintf(why, why_len, "plan: %s", strerror(errno));
		goto fail;
	}
	if (job->user && resolve_user(plan, &pw, why, why_len) < 0)
		goto fail;
	if (job->group && resolve_group(plan, why, why_len) < 0)
		goto fail;
	if (job->env_file && read_env_file(plan, why, why_len) < 0)
		goto fail;
	if (build_env(plan, pw) < 0) {
		snprintf(why, why_len, "environment: %s", strerror(errno));
		goto fail;
	}
	resolve_cpus(plan);
	if ((!job->out || !job->err) && pipe2(plan->out_pipe, O_CLOEXEC) < 0) {
		snprintf(why, why_len, "output pipe: %s", strerror(errno));
		goto fail;
	}
	plan->fd.out = plan->out_pipe[1];
	plan->fd.report = plan->fd.procs = -1;
	plan->report.step = -1;
	if (shared.on)
		slot = take_slot();
	if (slot && slot_take_fds(slot, plan) < 0) {
		log_warn("spawn: descriptors of a start slot");
		plan->fd.out = plan->out_pipe[1];
		plan->fd.cut = 0;
		slot = NULL;
	}
	/* Non-blocking at both ends: the child writes at most one report. */
	if (!slot && pipe2(plan->report_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(why, why_len, "report pipe: %s", strerror(errno));
		goto fail;
	}
	plan->fd.report = plan->report_pipe[1];
	pid = slot ? start_shared(plan, slot) : start_forked(plan);
	if (pid < 0) {
		snprintf(why, why_len, "fork: %s", strerror(errno));
		goto fail;
	}
	plan->pid = pid;

	out->pid = pid;
	out->output_fd = plan->out_pipe[0];
	out->report_fd = plan->report_pipe[0];
	plan->out_pipe[0] = plan->report_pipe[0] = -1;
	/* Its flags are known: one system call instead of two per start. */
	if (out->output_fd >= 0 && fcntl(out->output_fd, F_SETFL, O_RDONLY | O_NONBLOCK) < 0)
		log_warn("spawn: output pipe");
	/* The child has its own copies of the descriptors; the plan's memory it may
	 * read until the slot is free. */
	close_pair(plan->out_pipe);
	close_pair(plan->report_pipe);
	if (slot)
		slot->plan = plan;
	else
		plan_free(plan);
	return 0;
fail:
	plan_free(plan);
	return -1;
}
