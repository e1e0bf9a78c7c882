/* plan.c: what a child needs to start a job, computed in pmtr: the job's copy, user and group, environment, env file, CPUs. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "plan.h"
#include "util.h"

extern char **environ;

/* Largest env file read. */
#define ENV_FILE_MAX (1u << 20)

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
	const char *path = CONF_MORE(plan->job)->env_file;
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
	size += string_size(CONF_MORE(job)->in) + string_size(job->out) + string_size(job->err) +
		string_size(CONF_MORE(job)->dir);
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
	cj->in = copy_string(&at, CONF_MORE(job)->in);
	cj->out = copy_string(&at, job->out);
	cj->err = copy_string(&at, job->err);
	cj->dir = copy_string(&at, CONF_MORE(job)->dir);
	cj->umask = job->umask;
	cj->has_nice = job->has_nice;
	cj->nice = job->nice;
	return 0;
}

void plan_close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	p[0] = p[1] = -1;
}

void plan_free(struct plan *plan)
{
	if (!plan)
		return;
	plan_close_pair(plan->out_pipe);
	plan_close_pair(plan->report_pipe);
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
int plan_open_procs(const struct plan *plan)
{
	int fd;

	if (plan->cgroup_fd < 0)
		return -1;
	fd = openat(plan->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		log_debug("spawn: cgroup.procs of job %s: %s", plan->job->name, strerror(errno));
	return fd;
}

static int plan_fill(struct plan *plan, char *why, size_t why_len)
{
	const struct conf_job *job = plan->job;
	struct passwd *pw = NULL;

	if (copy_job(plan, job) < 0) {
		snprintf(why, why_len, "plan: %s", strerror(errno));
		return -1;
	}
	if (job->user && resolve_user(plan, &pw, why, why_len) < 0)
		return -1;
	if (job->group && resolve_group(plan, why, why_len) < 0)
		return -1;
	if (CONF_MORE(job)->env_file && read_env_file(plan, why, why_len) < 0)
		return -1;
	if (build_env(plan, pw) < 0) {
		snprintf(why, why_len, "environment: %s", strerror(errno));
		return -1;
	}
	resolve_cpus(plan);
	if ((!job->out || !job->err) && pipe2(plan->out_pipe, O_CLOEXEC) < 0) {
		snprintf(why, why_len, "output pipe: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct plan *plan_new(const struct conf_job *job, int cgroup_fd, const struct child_context *ctx,
		      char *why, size_t why_len)
{
	struct plan *plan = calloc(1, sizeof(*plan));

	if (!plan) {
		snprintf(why, why_len, "plan: %s", strerror(errno));
		return NULL;
	}
	*plan = (struct plan){ .job = job, .ctx = ctx, .cgroup_fd = cgroup_fd,
			       .out_pipe = { -1, -1 }, .report_pipe = { -1, -1 } };
	if (plan_fill(plan, why, why_len) < 0) {
		plan_free(plan);
		return NULL;
	}
	plan->fd.out = plan->out_pipe[1];
	plan->fd.report = plan->fd.procs = -1;
	plan->report.step = -1;
	return plan;
}
