/* child.c: every line a job's child runs between clone (or fork) and exec. SPDX-License-Identifier: MIT */
/*
 * The rule of this file: a child made by child_clone or child_clone3 shares
 * pmtr's memory and runs beside it, so from the clone to the exec it may only
 * make system calls on data pmtr computed for it (struct plan). No allocation,
 * no stdio, no lock, no glibc wrapper (which would write pmtr's errno: the
 * system calls go through child_sys), no write to memory but its own stack and
 * the plan's report, and no call into another unit (a call through the PLT
 * could run the dynamic linker in the child). A forked child runs the same
 * code, so it needs no second copy of the rules.
 *
 * Nothing else here runs in pmtr, but the parent's half of the calls that make
 * a child (child_fork, child_clone, child_clone3, child_shares_memory): the
 * child's first instructions follow them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Code that runs in such a child works on pmtr's memory beside pmtr: under a
 * sanitizer it must not take the sanitizer's locks, nor tell it about a stack it
 * does not know. */
#define CHILD_CODE __attribute__((no_sanitize_address))

/* A system call as the child makes it: -errno on failure, errno untouched. */
#ifdef CHILD_RAW_SYSCALLS
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
/* Only a forked child gets here: its errno is its own. */
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

static CHILD_CODE void reset_signals(struct plan *plan)
{
	const struct child_context *ctx = plan->ctx;
	long rc;

	for (int i = 0, n = ctx->resets_known ? ctx->n_resets : NSIG - 1; i < n; i++) {
		int sig = ctx->resets_known ? ctx->reset[i] : i + 1;

		if (sig != SIGKILL && sig != SIGSTOP)
			SYS(SYS_rt_sigaction, sig, zero_words, NULL, _NSIG / 8);
	}
	if ((rc = SYS(SYS_rt_sigprocmask, SIG_SETMASK, zero_words, NULL, _NSIG / 8)) < 0)
		child_fail(plan, SPAWN_SIGNALS, rc);
}

static CHILD_CODE void redirect(struct plan *plan)
{
	const struct child_job *job = &plan->cj;
	int out_fd = plan->fd.out;
	long rc;

	if (job->in || out_fd < 0)
		rc = open_onto(job->in ? job->in : "/dev/null", O_RDONLY, 0);
	else
		rc = child_dup(plan->ctx->null_fd, 0);
	if (rc < 0)
		child_fail(plan, SPAWN_STDIN, rc);
	rc = job->out ? open_onto(job->out, O_WRONLY | O_CREAT | O_APPEND, 1) : child_dup(out_fd, 1);
	if (rc < 0)
		child_fail(plan, SPAWN_STDOUT, rc);
	rc = job->err ? open_onto(job->err, O_WRONLY | O_CREAT | O_APPEND, 2) : child_dup(out_fd, 2);
	if (rc < 0)
		child_fail(plan, SPAWN_STDERR, rc);
}

/* Open files, ulimits, nice, CPUs. */
static CHILD_CODE void set_limits(struct plan *plan)
{
	const struct child_job *job = &plan->cj;
	long rc;

	if (plan->ctx->nofile_restore) {
		uint64_t rl[2];

		if (SYS(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, rl) == 0 &&
		    plan->ctx->nofile_soft < rl[0]) {
			rl[0] = plan->ctx->nofile_soft;
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
}

static CHILD_CODE void set_identity(struct plan *plan)
{
	long rc;

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
}

static CHILD_CODE __attribute__((noreturn)) void child(struct plan *plan)
{
	const struct child_job *job = &plan->cj;
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
	reset_signals(plan);
	SYS(SYS_umask, job->umask, 0, 0, 0);
	redirect(plan);
	if (job->dir && (rc = SYS(SYS_chdir, job->dir, 0, 0, 0)) < 0)
		child_fail(plan, SPAWN_CHDIR, rc);
	set_limits(plan);
	set_identity(plan);
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

pid_t child_fork(struct plan *plan)
{
	pid_t pid = fork();

	if (pid == 0)
		child(plan);
	return pid;
}

pid_t child_clone(struct plan *plan, char *stack_top, pid_t *busy)
{
	return clone(shared_child, stack_top,
		     CLONE_VM | CLONE_FILES | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD,
		     plan, busy, NULL, busy);
}

#if defined(CHILD_RAW_SYSCALLS) && defined(SYS_clone3)
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

pid_t child_clone3(struct plan *plan, char *stack_top, size_t stack_size, pid_t *busy,
		   int cgroup_fd)
{
	struct clone3_args args = {
		.flags = CLONE_VM | CLONE_FILES | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
		.parent_tid = (uintptr_t)busy,
		.child_tid = (uintptr_t)busy,
		.exit_signal = SIGCHLD,
		.stack = (uintptr_t)(stack_top - stack_size),
		.stack_size = stack_size,
	};

	if (cgroup_fd >= 0) {
		args.flags |= CLONE3_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	return clone3_on_stack(&args, shared_child, plan);
}
#else
pid_t child_clone3(struct plan *plan, char *stack_top, size_t stack_size, pid_t *busy,
		   int cgroup_fd)
{
	(void)plan, (void)stack_top, (void)stack_size, (void)busy, (void)cgroup_fd;
	errno = ENOSYS;
	return -1;
}
#endif

static CHILD_CODE int probe_child(void *seen)
{
	*(volatile int *)seen = 1;
	child_exit(0);
}

const char *child_shares_memory(char *stack_top)
{
	static volatile int seen;
	static char why[64];

	seen = 0;
	if (clone(probe_child, stack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)&seen) < 0) {
		snprintf(why, sizeof(why), "clone: %s", strerror(errno));
		return why;
	}
	return seen == 1 ? NULL : "a clone does not share memory here";
}
