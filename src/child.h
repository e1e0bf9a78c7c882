/* child.h: the plan a child runs between clone and exec, and the calls that start one. SPDX-License-Identifier: MIT */
#ifndef PMTR_CHILD_H
#define PMTR_CHILD_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "conf.h"

/* How a child that failed before exec says where and why. */
struct spawn_report {
	int step;		/* enum spawn_step */
	int err;		/* errno */
	int index;		/* which ulimit failed, for SPAWN_ULIMIT */
};

enum spawn_step {
	SPAWN_SETSID, SPAWN_SIGNALS, SPAWN_STDIN, SPAWN_STDOUT, SPAWN_STDERR,
	SPAWN_CHDIR, SPAWN_ULIMIT, SPAWN_NICE, SPAWN_CPU, SPAWN_SETGROUPS,
	SPAWN_SETGID, SPAWN_SETUID, SPAWN_CLOSE_FDS, SPAWN_EXEC,
};

/* On x86-64 the child makes its system calls without glibc (whose wrappers
 * would write pmtr's errno from a child that shares its memory): only there may
 * a child share pmtr's memory. */
#if defined(__x86_64__)
#define CHILD_RAW_SYSCALLS 1
#endif

/* What every child reads, set once by pmtr. */
struct child_context {
	int null_fd;		/* /dev/null: stdin of a job whose output pmtr reads */
	bool nofile_restore;	/* pmtr raised its open-file limit: the job gets ... */
	rlim_t nofile_soft;	/* ... this soft limit back */
	/* The signals a child resets (until known, every signal): exec resets
	 * handlers but keeps "ignored". */
	bool resets_known;
	int n_resets;
	unsigned char reset[NSIG];
};

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

/* Everything the child needs, computed in the parent (plan.c): between clone
 * and exec the child only makes system calls. */
struct plan {
	const struct conf_job *job;	/* for the parent only */
	const struct child_context *ctx;
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

/* Each returns the child's pid, or -1 with errno set; the child runs plan and
 * execs, or reports its failure and exits 126 (127: no such program). */

/* By fork. */
pid_t child_fork(struct plan *plan);

/* Sharing pmtr's memory and descriptor table, on the stack below stack_top: the
 * kernel writes the pid to *busy and zeroes it at the child's exec or exit. */
pid_t child_clone(struct plan *plan, char *stack_top, pid_t *busy);

/* As child_clone, by clone3 on stack_size bytes below stack_top, born in the
 * cgroup cgroup_fd when not -1. -1 with ENOSYS where pmtr has no clone3 call. */
pid_t child_clone3(struct plan *plan, char *stack_top, size_t stack_size, pid_t *busy,
		   int cgroup_fd);

/* Whether a child cloned on stack_top writes where pmtr reads: NULL, or why not.
 * The probe child's exit is collected like any orphan's. */
const char *child_shares_memory(char *stack_top);

#endif
