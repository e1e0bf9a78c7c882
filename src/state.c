/* state.c: the state a pmtr hands to the binary it executes on an upgrade, as text (doc/state-format.md). SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "joblog.h"
#include "state.h"
#include "util.h"

COLD void state_init(struct state *st)
{
	memset(st, 0, sizeof(*st));
	st->version = STATE_VERSION;
	st->listener_fd = st->notify_fd = st->cgroup_fd = -1;
	st->udp_listen_fd = st->udp_report_fd = st->reply_fd = -1;
	st->nofile_soft = -1;
	st->end_status = -1;
}

COLD static void job_free(struct state_job *job)
{
	free(job->name);
	free(job->partial);
	free(job->note);
	free(job->conf_text);
	free(job->next_text);
	free(job->file);
}

COLD void state_free(struct state *st)
{
	for (size_t i = 0; i < st->n_jobs; i++)
		job_free(&st->jobs[i]);
	free(st->jobs);
	st->jobs = NULL;
	st->n_jobs = 0;
	for (size_t i = 0; i < st->n_gzips; i++) {
		free(st->gzips[i].name);
		free(st->gzips[i].base);
	}
	free(st->gzips);
	st->gzips = NULL;
	st->n_gzips = 0;
	free(st->udp_listen_spec);
	st->udp_listen_spec = NULL;
	free(st->lines);
	st->lines = NULL;
	st->n_lines = 0;
	free(st->text);
	st->text = NULL;
}

/* ---- writing ---- */

COLD static void put_field(FILE *f, const char *text)
{
	char *esc = ctl_escape(text ? text : "");

	fputc(' ', f);
	fputs(esc ? esc : "\\e", f);
	free(esc);
}

COLD static void put_named(FILE *f, const char *kind, const char *name, const char *text)
{
	if (!text)
		return;
	fprintf(f, "%s %s", kind, name);
	put_field(f, text);
	fputc('\n', f);
}

/* Every line the ring keeps, oldest first. */
COLD static void put_log(FILE *f, const char *name, const struct joblog *log)
{
	static char buf[JOBLOG_TEXT_MAX + 1];
	struct joblog_cursor cur;
	struct joblog_line line;
	uint64_t missed = 0;

	joblog_tail(log, UINT64_MAX, &cur);
	while (joblog_peek(log, &cur, &missed, &line, buf) == 1) {
		fprintf(f, "log %s %" PRIu64 " %" PRId64 " %d", name, line.seq, line.time_ms,
			(int)line.pid);
		put_field(f, buf);
		fputc('\n', f);
		joblog_skip(log, &cur, &line);
	}
}

COLD char *state_format(const struct state *st)
{
	static const char *const fd_kinds[] = {
		"listener", "notify", "cgroup", "udp-listen", "udp-report", "reply",
	};
	const int fds[] = { st->listener_fd, st->notify_fd, st->cgroup_fd, st->udp_listen_fd,
			    st->udp_report_fd, st->reply_fd };
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fprintf(f, "pmtr-state %d\n", STATE_VERSION);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			fprintf(f, "fd %s %d\n", fd_kinds[i], fds[i]);
	if (st->udp_listen_spec) {
		fputs("udp-listen", f);
		put_field(f, st->udp_listen_spec);
		fputc('\n', f);
	}
	if (st->nofile_soft >= 0)
		fprintf(f, "nofile-soft %" PRId64 "\n", st->nofile_soft);
	fprintf(f, "end-status %d\n", st->end_status);
	for (size_t i = 0; i < st->n_gzips; i++) {
		const struct logfile_gzip *g = &st->gzips[i];

		fprintf(f, "gzip %d %d %u", (int)g->pid, g->dir_fd, g->index);
		put_field(f, g->name);
		put_field(f, g->base);
		fputc('\n', f);
	}
	for (size_t i = 0; i < st->n_jobs; i++) {
		const struct state_job *job = &st->jobs[i];
		const struct state_run *r = &job->run;

		fprintf(f, "job %s %d %d\n", job->name, (int)job->pid, (int)job->pgid);
		if (job->has_run) {
			fprintf(f, "run %s", job->name);
			put_field(f, r->state);
			put_field(f, r->then);
			fprintf(f, " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %u %u %u %d %u %"
				PRIu64 "\n", r->deadline, r->counters.started_ms, r->counters.started_wall,
				r->probe_at, r->counters.restarts, r->counters.check_failures,
				r->counters.checks_done, r->counters.last_status, r->flags,
				r->counters.oom_kills);
		}
		if (job->output_fd >= 0) {
			fprintf(f, "output %s %d", job->name, job->output_fd);
			put_field(f, job->partial);
			fputc('\n', f);
		}
		if (job->has_logfile) {
			const struct logfile_state *l = &job->logfile;

			fprintf(f, "logfile %s %d %d %" PRIu64 " %" PRId64 " %" PRIu64 " %lld %lld\n",
				job->name, l->fd, l->dir_fd, l->size, l->rotate_at, l->dropped,
				l->set_uid ? (long long)l->uid : -1LL,
				l->set_gid ? (long long)l->gid : -1LL);
		}
		if (job->has_due)
			fprintf(f, "due %s %" PRId64 " %" PRId64 "\n", job->name, job->due_at,
				job->due_jitter_ms);
		put_named(f, "note", job->name, job->note);
		put_named(f, "conf", job->name, job->conf_text);
		put_named(f, "next", job->name, job->next_text);
		put_named(f, "file", job->name, job->file);
		put_log(f, job->name, job->log);
	}
	fputs("end\n", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* ---- reading ---- */

#define MAX_FIELDS 16

/* Split line in place at single spaces; the number of fields, or -1 for more than
 * MAX_FIELDS or an empty field. */
COLD static int split(char *line, char **field)
{
	int n = 0;

	for (char *p = line; p; n++) {
		if (n == MAX_FIELDS || !*p || *p == ' ')
			return -1;
		field[n] = p;
		p = strchr(p, ' ');
		if (p)
			*p++ = '\0';
	}
	return n;
}

COLD static int number(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

COLD static struct state_job *find(struct state *st, const char *name)
{
	/* the lines of a job follow its job line: look from the last one */
	for (size_t i = st->n_jobs; i-- > 0;)
		if (strcmp(st->jobs[i].name, name) == 0)
			return &st->jobs[i];
	return NULL;
}

COLD static int add_job(struct state *st, char **field)
{
	struct state_job *bigger, *job;
	int64_t pid, pgid;

	if (!ctl_valid_job_name(field[1]) || number(field[2], 0, INT32_MAX, &pid) < 0 ||
	    number(field[3], 0, INT32_MAX, &pgid) < 0 || find(st, field[1]))
		return 1;
	bigger = realloc(st->jobs, (st->n_jobs + 1) * sizeof(*st->jobs));
	if (!bigger)
		return -1;
	st->jobs = bigger;
	job = &st->jobs[st->n_jobs];
	memset(job, 0, sizeof(*job));
	job->output_fd = -1;
	job->pid = (pid_t)pid;
	job->pgid = (pid_t)pgid;
	job->name = strdup(field[1]);
	if (!job->name)
		return -1;
	st->n_jobs++;
	return 0;
}

COLD static int read_run(struct state_job *job, char **field)
{
	struct state_run r = { 0 };
	int64_t v[10];
	static const int64_t max[10] = { INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, UINT32_MAX,
					 UINT32_MAX, UINT32_MAX, INT32_MAX, UINT32_MAX, INT64_MAX };

	if (ctl_unescape(field[2]) < 0 || ctl_unescape(field[3]) < 0 ||
	    strlen(field[2]) >= sizeof(r.state) || strlen(field[3]) >= sizeof(r.then))
		return 1;
	strcpy(r.state, field[2]);
	strcpy(r.then, field[3]);
	for (int i = 0; i < 10; i++)
		if (number(field[4 + i], i == 7 ? INT32_MIN : 0, max[i], &v[i]) < 0)
			return 1;
	r.deadline = v[0];
	r.counters.started_ms = v[1];
	r.counters.started_wall = v[2];
	r.probe_at = v[3];
	r.counters.restarts = (unsigned)v[4];
	r.counters.check_failures = (unsigned)v[5];
	r.counters.checks_done = (unsigned)v[6];
	r.counters.last_status = (int)v[7];
	r.flags = (unsigned)v[8];
	r.counters.oom_kills = (uint64_t)v[9];
	job->run = r;
	job->has_run = true;
	return 0;
}

/* A text field of a job ("note", "conf", ...) into *out. */
COLD static int read_text(char *field, char **out)
{
	if (*out || ctl_unescape(field) < 0)
		return 1;
	*out = strdup(field);
	return *out ? 0 : -1;
}

COLD static int read_fd(struct state *st, char **field)
{
	static const char *const kinds[] = {
		"listener", "notify", "cgroup", "udp-listen", "udp-report", "reply",
	};
	int *const fds[] = { &st->listener_fd, &st->notify_fd, &st->cgroup_fd,
			     &st->udp_listen_fd, &st->udp_report_fd, &st->reply_fd };
	int64_t fd;

	if (number(field[2], 0, INT32_MAX, &fd) < 0)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (strcmp(field[1], kinds[i]) == 0) {
			*fds[i] = (int)fd;
			return 0;
		}
	}
	return 1;
}

COLD static int read_log(struct state *st, struct state_job *job, char **field)
{
	struct state_line *line;
	int64_t seq, time_ms, pid;

	if (number(field[2], 0, INT64_MAX, &seq) < 0 ||
	    number(field[3], INT64_MIN, INT64_MAX, &time_ms) < 0 ||
	    number(field[4], 0, INT32_MAX, &pid) < 0 || ctl_unescape(field[5]) < 0 ||
	    strlen(field[5]) > JOBLOG_TEXT_MAX)
		return 1;
	/* doubled from 16 on: a state can hold tens of thousands of lines */
	if (st->n_lines == 0 || (st->n_lines >= 16 && (st->n_lines & (st->n_lines - 1)) == 0)) {
		size_t cap = st->n_lines ? 2 * st->n_lines : 16;
		struct state_line *bigger = realloc(st->lines, cap * sizeof(*bigger));

		if (!bigger)
			return -1;
		st->lines = bigger;
	}
	line = &st->lines[st->n_lines++];
	*line = (struct state_line){ .job = (size_t)(job - st->jobs), .seq = (uint64_t)seq,
				     .time_ms = time_ms, .pid = (pid_t)pid, .text = field[5] };
	return 0;
}

COLD static int read_logfile(struct state_job *job, char **field)
{
	int64_t v[7];
	static const int64_t min[7] = { -1, -1, 0, 0, 0, -1, -1 };
	static const int64_t max[7] = { INT32_MAX, INT32_MAX, INT64_MAX, INT64_MAX, INT64_MAX,
					UINT32_MAX, UINT32_MAX };

	if (job->has_logfile)
		return 1;
	for (int i = 0; i < 7; i++)
		if (number(field[2 + i], min[i], max[i], &v[i]) < 0)
			return 1;
	job->logfile = (struct logfile_state){
		.fd = (int)v[0], .dir_fd = (int)v[1], .size = (uint64_t)v[2],
		.rotate_at = v[3], .dropped = (uint64_t)v[4],
		.set_uid = v[5] >= 0, .uid = v[5] >= 0 ? (uid_t)v[5] : 0,
		.set_gid = v[6] >= 0, .gid = v[6] >= 0 ? (gid_t)v[6] : 0,
	};
	job->has_logfile = true;
	return 0;
}

COLD static int read_gzip(struct state *st, char **field)
{
	struct logfile_gzip g = { 0 }, *bigger;
	int64_t pid, fd, index;

	if (number(field[1], 1, INT32_MAX, &pid) < 0 || number(field[2], 0, INT32_MAX, &fd) < 0 ||
	    number(field[3], 1, UINT32_MAX, &index) < 0 || ctl_unescape(field[4]) < 0 ||
	    ctl_unescape(field[5]) < 0)
		return 1;
	bigger = realloc(st->gzips, (st->n_gzips + 1) * sizeof(*bigger));
	if (!bigger)
		return -1;
	st->gzips = bigger;
	g.pid = (pid_t)pid;
	g.dir_fd = (int)fd;
	g.index = (unsigned)index;
	g.name = strdup(field[4]);
	g.base = strdup(field[5]);
	st->gzips[st->n_gzips++] = g;
	return g.name && g.base ? 0 : -1;
}

/* One line: 0 read, 1 not understood, -1 ENOMEM. */
COLD static int read_line(struct state *st, char *line, bool *ended)
{
	char *field[MAX_FIELDS];
	struct state_job *job;
	int64_t v;
	int n = split(line, field);

	if (n < 1)
		return 1;
	if (n == 1 && strcmp(field[0], "end") == 0) {
		*ended = true;
		return 0;
	}
	if (n == 3 && strcmp(field[0], "fd") == 0)
		return read_fd(st, field);
	if (n == 2 && strcmp(field[0], "udp-listen") == 0)
		return read_text(field[1], &st->udp_listen_spec);
	if (n == 2 && strcmp(field[0], "nofile-soft") == 0) {
		if (number(field[1], 0, INT64_MAX, &v) < 0)
			return 1;
		st->nofile_soft = v;
		return 0;
	}
	if (n == 2 && strcmp(field[0], "end-status") == 0) {
		if (number(field[1], -1, 255, &v) < 0)
			return 1;
		st->end_status = (int)v;
		return 0;
	}
	if (n == 4 && strcmp(field[0], "job") == 0)
		return add_job(st, field);
	if (n == 6 && strcmp(field[0], "gzip") == 0)
		return read_gzip(st, field);
	if (n < 3 || !(job = find(st, field[1])))
		return 1;
	if (n == 14 && strcmp(field[0], "run") == 0)
		return read_run(job, field);
	if (n == 4 && strcmp(field[0], "output") == 0) {
		if (job->output_fd >= 0 || number(field[2], 0, INT32_MAX, &v) < 0)
			return 1;
		job->output_fd = (int)v;
		return read_text(field[3], &job->partial);
	}
	if (n == 9 && strcmp(field[0], "logfile") == 0)
		return read_logfile(job, field);
	if (n == 4 && strcmp(field[0], "due") == 0) {
		int64_t at, jitter;

		if (job->has_due || number(field[2], 1, INT64_MAX, &at) < 0 ||
		    number(field[3], 0, INT64_MAX, &jitter) < 0)
			return 1;
		job->has_due = true;
		job->due_at = at;
		job->due_jitter_ms = jitter;
		return 0;
	}
	if (n == 3 && strcmp(field[0], "note") == 0)
		return read_text(field[2], &job->note);
	if (n == 3 && strcmp(field[0], "conf") == 0)
		return read_text(field[2], &job->conf_text);
	if (n == 3 && strcmp(field[0], "next") == 0)
		return read_text(field[2], &job->next_text);
	if (n == 3 && strcmp(field[0], "file") == 0)
		return read_text(field[2], &job->file);
	if (n == 6 && strcmp(field[0], "log") == 0)
		return read_log(st, job, field);
	return 1;
}

COLD int state_parse(const char *text, size_t len, struct state *st)
{
	char *copy = malloc(len + 1), *line, *nl;
	bool ended = false, first = true;
	int rc = 0;

	state_init(st);
	if (!copy)
		return -1;
	/* a NUL byte ends what can be read */
	if (memchr(text, '\0', len)) {
		len = (size_t)((const char *)memchr(text, '\0', len) - text);
		st->partial = true;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (line = copy; line && *line && rc >= 0; line = nl) {
		nl = strchr(line, '\n');
		if (!nl) {
			st->partial = true;	/* cut short: the last line may be too */
			break;
		}
		*nl++ = '\0';
		if (first) {
			int64_t v;

			first = false;
			if (strncmp(line, "pmtr-state ", 11) != 0 ||
			    number(line + 11, 1, INT32_MAX, &v) < 0) {
				free(copy);
				state_free(st);
				errno = EINVAL;
				return -1;
			}
			st->version = (int)v;
			if (v != STATE_VERSION)
				st->partial = true;
			continue;
		}
		if (ended) {
			st->partial = true;
			break;
		}
		rc = read_line(st, line, &ended);
		if (rc > 0)
			st->partial = true;
	}
	st->text = copy;	/* the log lines' texts are in it */
	if (rc < 0) {
		state_free(st);
		errno = ENOMEM;
		return -1;
	}
	if (first) {
		state_free(st);
		errno = EINVAL;
		return -1;
	}
	if (!ended)
		st->partial = true;
	return 0;
}
