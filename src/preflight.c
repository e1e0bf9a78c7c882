/* preflight.c: what pmtr -t can tell of a valid configuration before a job runs: programs, directories, users and groups that are not there (yet). SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preflight.h"
#include "schedule.h"

struct where {
	const struct conf_job *job;
	const char *main_file;
	void (*warn)(const char *line);
	size_t n;
};

__attribute__((format(printf, 2, 3)))
static void say(struct where *w, const char *fmt, ...)
{
	char what[1024], line[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s:%d: warning: job %s: %s",
		 w->job->file ? w->job->file : w->main_file, w->job->line, w->job->name, what);
	w->warn(line);
	w->n++;
}

static void check_cmd(struct where *w, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		say(w, "cmd %s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		say(w, "cmd %s: not a regular file", path);
	else if (access(path, X_OK) < 0)
		say(w, "cmd %s: not executable", path);
}

static void check_dir(struct where *w, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		say(w, "dir %s: %s", path, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		say(w, "dir %s: not a directory", path);
}

/* A name, or a number (which needs no entry: the kernel takes any id). */
static bool is_number(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

static void check_ids(struct where *w, const struct conf_job *job)
{
	errno = 0;
	if (job->user && !is_number(job->user) && !getpwnam(job->user))
		say(w, "user %s: %s", job->user, errno ? strerror(errno) : "no such user");
	errno = 0;
	if (job->group && !is_number(job->group) && !getgrnam(job->group))
		say(w, "group %s: %s", job->group, errno ? strerror(errno) : "no such group");
}

size_t preflight_check(const struct conf *conf, const char *main_file,
		       void (*warn)(const char *line))
{
	struct where w = { .main_file = main_file, .warn = warn };

	if (conf->control_group && !is_number(conf->control_group) &&
	    !getgrnam(conf->control_group)) {
		char line[PATH_MAX + 128];

		snprintf(line, sizeof(line), "%s:%d: warning: control socket group %s: no such group",
			 main_file, conf->control_group_line, conf->control_group);
		warn(line);
		w.n++;
	}
	for (size_t i = 0; i < conf->n_jobs; i++) {
		w.job = conf->jobs[i];
		check_cmd(&w, w.job->argv[0]);
		if (CONF_MORE(w.job)->dir)
			check_dir(&w, CONF_MORE(w.job)->dir);
		check_ids(&w, w.job);
	}
	return w.n;
}

void preflight_schedules(const struct conf *conf, time_t now, void (*say)(const char *line))
{
	char when[256], line[512];

	for (size_t i = 0; i < conf->n_jobs; i++) {
		const struct conf_job *job = conf->jobs[i];

		if (!CONF_SCHEDULED(job))
			continue;
		schedule_describe(job, now, 3, when, sizeof(when));
		snprintf(line, sizeof(line), "job %s: %s%s%s", job->name,
			 CONF_MORE(job)->schedule ? "next runs " : "runs ", when,
			 job->disabled ? " (disabled)" : "");
		say(line);
	}
}
