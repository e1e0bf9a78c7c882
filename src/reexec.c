/* reexec.c: the re-exec hand-over: pmtr's whole state to the binary on disk, in the same process, and back into jobs. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "joblog.h"
#include "log.h"
#include "logfile.h"
#include "notify.h"
#include "output.h"
#include "parse.h"
#include "reexec.h"
#include "resources.h"
#include "schedule.h"
#include "spawn.h"
#include "util.h"

extern char **environ;

/* The descriptors a re-exec hands over: close-on-exec cleared for the exec, set
 * again when it fails. */
COLD static void set_cloexec(const int *fds, size_t n, bool on)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0 && fcntl(fds[i], F_SETFD, on ? FD_CLOEXEC : 0) < 0)
			log_warn("re-exec: descriptor %d", fds[i]);
}

COLD static int write_state(const struct state *st)
{
	char *text = state_format(st);
	size_t len = text ? strlen(text) : 0, done = 0;
	int fd = text ? memfd_create("pmtr-state", 0) : -1;

	while (fd >= 0 && done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno != EINTR) {
			close(fd);
			fd = -1;
		} else if (n > 0) {
			done += (size_t)n;
		}
	}
	if (fd >= 0 && lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		fd = -1;
	}
	free(text);
	return fd;
}

/* The environment of the new image: pmtr's own, with PMTR_STATE_FD and the
 * NOTIFY_SOCKET pmtr took out at its start. A copy, for environ itself must not
 * change: a child on its way to exec may be reading it. */
COLD static char **exec_environment(char *state_var, char *notify_var)
{
	size_t n = 0, k = 0;
	char **envp;

	while (environ[n])
		n++;
	envp = calloc(n + 3, sizeof(*envp));
	if (!envp)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "PMTR_STATE_FD=", 14) != 0 &&
		    strncmp(environ[i], "NOTIFY_SOCKET=", 14) != 0)
			envp[k++] = environ[i];
	envp[k++] = state_var;
	if (notify_var)
		envp[k++] = notify_var;
	return envp;
}

COLD void reexec_now(const struct reexec_handover *h, int reply_fd, char *why, size_t why_len)
{
	struct state st;
	int *fds = NULL, state_fd = -1, err;
	size_t n_fds = 0;
	char state_var[32], *notify_var = NULL, **envp = NULL;
	const char *systemd = notify_socket();

	state_init(&st);
	st.listener_fd = h->listener_fd;
	st.notify_fd = h->notify_fd;
	st.cgroup_fd = h->cgroup_fd;
	st.reply_fd = reply_fd;
	st.nofile_soft = spawn_nofile_soft();
	if (h->udp_listen_spec && h->udp_listen_fd >= 0) {
		st.udp_listen_fd = h->udp_listen_fd;
		st.udp_listen_spec = strdup(h->udp_listen_spec);
	}
	if (jobs_save(h->jobs, &st) < 0 ||
	    !(fds = calloc(3 * st.n_jobs + st.n_gzips + 5, sizeof(*fds))) ||
	    (st.udp_listen_fd >= 0 && !st.udp_listen_spec)) {
		snprintf(why, why_len, "out of memory");
		goto out;
	}
	state_fd = write_state(&st);
	if (state_fd < 0) {
		snprintf(why, why_len, "state: %s", strerror(errno));
		goto out;
	}
	fds[n_fds++] = st.listener_fd;
	fds[n_fds++] = st.notify_fd;
	fds[n_fds++] = st.cgroup_fd;
	fds[n_fds++] = st.reply_fd;
	fds[n_fds++] = st.udp_listen_fd;
	for (size_t i = 0; i < st.n_jobs; i++) {
		fds[n_fds++] = st.jobs[i].output_fd;
		if (st.jobs[i].has_logfile) {
			fds[n_fds++] = st.jobs[i].logfile.fd;
			fds[n_fds++] = st.jobs[i].logfile.dir_fd;
		}
	}
	for (size_t i = 0; i < st.n_gzips; i++)
		fds[n_fds++] = st.gzips[i].dir_fd;
	snprintf(state_var, sizeof(state_var), "PMTR_STATE_FD=%d", state_fd);
	if (systemd && asprintf(&notify_var, "NOTIFY_SOCKET=%s", systemd) < 0)
		notify_var = NULL;
	if ((systemd && !notify_var) || !(envp = exec_environment(state_var, notify_var))) {
		snprintf(why, why_len, "environment: %s", strerror(errno));
		goto out;
	}
	log_info("pmtr: re-executing %s", h->self);
	notify_send("RELOADING=1");
	set_cloexec(fds, n_fds, false);
	execve(h->self, h->argv, envp);
	err = errno;
	set_cloexec(fds, n_fds, true);
	snprintf(why, why_len, "exec %s: %s", h->self, strerror(err));
	log_warnx("pmtr: re-exec failed, running on: %s", why);
	notify_send("READY=1");
out:
	free(envp);
	free(notify_var);
	if (state_fd >= 0)
		close(state_fd);
	free(fds);
	/* the descriptors in st are the live ones: only its memory goes */
	state_free(&st);
}

/* The state the image before this one left in PMTR_STATE_FD, if any. */
COLD struct state *reexec_take_state(void)
{
	const char *number = getenv("PMTR_STATE_FD");
	struct state *st;
	struct stat sb;
	char *text;
	int fd;

	if (!number)
		return NULL;
	fd = atoi(number);
	unsetenv("PMTR_STATE_FD");
	st = calloc(1, sizeof(*st));
	if (fd < 3 || !st || fstat(fd, &sb) < 0 || sb.st_size <= 0 ||
	    !(text = malloc((size_t)sb.st_size))) {
		fprintf(stderr, "pmtr: re-exec state %s unreadable\n", number);
		free(st);
		if (fd >= 3)
			close(fd);
		return NULL;
	}
	if (pread(fd, text, (size_t)sb.st_size, 0) != sb.st_size ||
	    state_parse(text, (size_t)sb.st_size, st) < 0) {
		fprintf(stderr, "pmtr: re-exec state unreadable\n");
		free(text);
		free(st);
		close(fd);
		return NULL;
	}
	free(text);
	close(fd);
	return st;
}

static const char *const then_names[] = {
	[JOB_THEN_START] = "start", [JOB_THEN_RETRY] = "retry",
	[JOB_THEN_DISABLE] = "disable", [JOB_THEN_REMOVE] = "remove",
};

COLD static char *strdup_or_null(const char *s, bool *failed)
{
	char *copy = s ? strdup(s) : NULL;

	if (s && !copy)
		*failed = true;
	return copy;
}

/* The compressions in progress, copied into st. */
COLD static int save_gzips(struct state *st)
{
	struct logfile_gzip *g;
	long n = logfile_gzips(&g);

	if (n <= 0)
		return (int)n;
	st->gzips = g;
	for (long i = 0; i < n; i++) {
		g[i].name = strdup(g[i].name);
		g[i].base = strdup(g[i].base);
		st->n_gzips++;
		if (!g[i].name || !g[i].base)
			return -1;
	}
	return 0;
}

COLD int jobs_save(const struct jobs *jobs, struct state *st)
{
	bool failed = false;

	st->end_status = jobs->end_status;
	st->jobs = calloc(jobs->n ? jobs->n : 1, sizeof(*st->jobs));
	if (!st->jobs)
		return -1;
	for (size_t i = 0; i < jobs->n; i++) {
		const struct job *job = jobs->v[i];
		struct state_job *sj = &st->jobs[st->n_jobs];
		struct state_run *r = &sj->run;
		const char *line;
		size_t len;

		if (job->state == JOB_GONE)
			continue;
		st->n_jobs++;
		sj->name = strdup_or_null(job->conf->name, &failed);
		sj->pid = job->pid;
		sj->pgid = job->pgid;
		sj->has_run = true;
		/* KILLING is "stopping" with STATE_KILL_SENT, as older images wrote it */
		snprintf(r->state, sizeof(r->state), "%s", job_state_name(job->state));
		snprintf(r->then, sizeof(r->then), "%s", then_names[job->then]);
		r->deadline = job->deadline;
		r->probe_at = job->probe_at;
		r->counters = job->counters;
		r->flags = (job->has_exited ? STATE_HAS_EXITED : 0) |
			   (job->state == JOB_KILLING ? STATE_KILL_SENT : 0) |
			   (job->udp_override ? STATE_UDP_OVERRIDE : 0) |
			   (job->in_cgroup ? STATE_IN_CGROUP : 0) |
			   (job->last_exit_oom ? STATE_LAST_EXIT_OOM : 0);
		sj->has_logfile = logfile_hand_over(job->logfile, &sj->logfile);
		sj->has_due = job_due_at(job) != 0;
		sj->due_at = job_due_at(job);
		sj->due_jitter_ms = job->more ? job->more->due_jitter_ms : 0;
		sj->output_fd = output_fd(job->output);
		len = output_pending(job->output, &line);
		if (line && !(sj->partial = strndup(line, len)))
			failed = true;
		sj->note = strdup_or_null(job->note, &failed);
		sj->file = strdup_or_null(job->conf->file, &failed);
		if (!(sj->conf_text = conf_job_text(job->conf)))
			failed = true;
		if (job->next && !(sj->next_text = conf_job_text(job->next)))
			failed = true;
		sj->log = job->log;
	}
	return failed || save_gzips(st) < 0 ? -1 : 0;
}

COLD static int by_seq(const void *a, const void *b)
{
	uint64_t x = ((const struct state_line *)a)->seq, y = ((const struct state_line *)b)->seq;

	return (x > y) - (x < y);
}

/* The kept output lines into the rings of the jobs they were taken over as, in the
 * order they came: pmtrctl logs shows what it showed before the exec. */
COLD static void restore_logs(struct state *st, struct job **by_state)
{
	size_t lost = 0;

	if (st->n_lines > 1)
		qsort(st->lines, st->n_lines, sizeof(*st->lines), by_seq);
	for (size_t i = 0; i < st->n_lines; i++) {
		const struct state_line *line = &st->lines[i];
		struct job *job = by_state[line->job];

		if (job && joblog_add(&job->log, line->pid, line->time_ms, line->text,
				      strlen(line->text)) < 0)
			lost++;
	}
	if (lost)
		log_warnx("re-exec: %zu kept output lines did not fit in the memory for job output",
			  lost);
}

/* A job block of the state read by this binary's parser; NULL when it cannot. */
COLD static struct conf_job *conf_from_text(const char *text)
{
	struct parse_errors errs = { 0 };
	struct conf *conf;
	struct conf_job *job = NULL;

	if (!text)
		return NULL;
	conf = parse_conf(text, strlen(text), "state", &errs, NULL);
	for (size_t i = 0; i < errs.n; i++)
		log_warnx("re-exec: %s", errs.msgs[i]);
	parse_errors_free(&errs);
	if (conf && conf->n_jobs == 1) {
		job = conf->jobs[0];
		conf->n_jobs = 0;
	}
	conf_free(conf);
	return job;
}

/* A job the state names but does not describe in a way this binary reads: the
 * file's job of that name (a copy), or one that runs nothing, which the next
 * apply stops as gone from the file. */
COLD static struct conf_job *conf_for(const char *name, const struct conf *file)
{
	struct conf_job *job = NULL;
	char *text;

	for (size_t i = 0; file && i < file->n_jobs && !job; i++) {
		if (strcmp(file->jobs[i]->name, name) != 0)
			continue;
		text = conf_job_text(file->jobs[i]);
		job = conf_from_text(text);
		free(text);
	}
	if (!job && (text = malloc(strlen(name) + 64))) {
		sprintf(text, "job {\n  name %s\n  cmd /bin/false\n}\n", name);
		job = conf_from_text(text);
		free(text);
	}
	return job;
}

/* Its next due time as it was; computed from now for a scheduled job the image
 * before did not say it of (it had no schedules). */
COLD static void restore_due(struct job *job, const struct state_job *sj)
{
	struct sched_now now;

	if (sj->has_due && job_more_of(job)) {
		job->more->due_at = sj->due_at;
		job->more->due_jitter_ms = sj->due_jitter_ms;
	} else if (CONF_SCHEDULED(job_latest_conf(job)) && !job_is_disabled(job)) {
		schedule_now(&now);
		schedule_first(job, &now);
	}
}

COLD static void restore_run(struct job *job, const struct state_job *sj)
{
	const struct state_run *r = &sj->run;
	int state = sj->has_run ? job_state_named(r->state) : -1;

	job->deadline = r->deadline;
	job->counters = r->counters;
	job->has_exited = r->flags & STATE_HAS_EXITED;
	job->udp_override = r->flags & STATE_UDP_OVERRIDE;
	job->in_cgroup = r->flags & STATE_IN_CGROUP;
	job->last_exit_oom = r->flags & STATE_LAST_EXIT_OOM;
	for (int t = 0; t < (int)ARRAY_SIZE(then_names); t++)
		if (strcmp(r->then, then_names[t]) == 0)
			job->then = (enum job_then)t;
	if (state < 0 || state == JOB_GONE) {
		/* What only the pid says: a job with a process runs. */
		state = job->pid ? JOB_RUNNING : JOB_PENDING;
		if (!job->counters.started_ms)
			job->counters.started_ms = util_now_ms();
		if (!job->counters.started_wall)
			job->counters.started_wall = (int64_t)time(NULL);
	}
	if (!job->pid && (state == JOB_STARTING || state == JOB_RUNNING ||
			  state == JOB_UNHEALTHY || state == JOB_STOPPING))
		state = JOB_PENDING;
	if (state == JOB_STOPPING && (r->flags & STATE_KILL_SENT))
		state = JOB_KILLING;
	job_hand_over(job, (enum job_state)state);
	restore_due(job, sj);
	/* A probe or check in flight was cancelled before the exec: at once. */
	if (job_is_up(job) && (CONF_MORE(job->conf)->ready != CONF_READY_STARTED ||
			       CONF_MORE(job->conf)->check_argv))
		job->probe_at = r->probe_at ? util_now_ms() : 0;
}

/* The compressions the image before started go on; their end is ours to see. */
COLD static void adopt_gzips(struct jobs *jobs, struct state *st)
{
	for (size_t i = 0; i < st->n_gzips; i++) {
		struct job *job = jobs_find(jobs, st->gzips[i].name, true);

		if (fcntl(st->gzips[i].dir_fd, F_SETFD, FD_CLOEXEC) < 0)
			log_warn("re-exec: a compression's directory");
		if (!logfile_adopt_gzip(&st->gzips[i], job ? job->logfile : NULL))
			log_warnx("re-exec: out of memory: %s.%u stays uncompressed",
				  st->gzips[i].base, st->gzips[i].index);
	}
}

/* A table's jobs by name, each with its slot in the table: a job taken out of
 * the table leaves NULL there, and the index stays sorted. */
struct named {
	const char *name;
	struct conf_job **slot;
};

COLD static int by_named(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

COLD static struct named *index_by_name(struct conf *conf)
{
	struct named *ix;

	if (!conf || !(ix = malloc((conf->n_jobs + 1) * sizeof(*ix))))
		return NULL;
	for (size_t i = 0; i < conf->n_jobs; i++)
		ix[i] = (struct named){ .name = conf->jobs[i]->name, .slot = &conf->jobs[i] };
	qsort(ix, conf->n_jobs, sizeof(*ix), by_named);
	return ix;
}

COLD static struct named *find_named(struct named *ix, size_t n, const char *name)
{
	struct named key = { .name = name };

	return ix ? bsearch(&key, ix, n, sizeof(*ix), by_named) : NULL;
}

COLD static struct conf_job *take_named(struct named *ix, size_t n, const char *name)
{
	struct named *hit = find_named(ix, n, name);
	struct conf_job *job = hit ? *hit->slot : NULL;

	if (job)
		*hit->slot = NULL;
	return job;
}

/* Whether the file says what the state says, job for job: then the jobs take the
 * file's own table, and no second table of 10,000 jobs is made and freed (which
 * left 5 MiB of scraps in the heap). */
COLD static bool file_is_state(struct named *ix, size_t n, const struct state *st)
{
	if (!ix || n != st->n_jobs)
		return false;
	for (size_t i = 0; i < st->n_jobs; i++) {
		const struct state_job *sj = &st->jobs[i];
		struct named *hit = find_named(ix, n, sj->name);
		char *text;
		bool same;

		if (!hit || !sj->conf_text || sj->next_text)
			return false;
		text = conf_job_text(*hit->slot);
		same = text && strcmp(text, sj->conf_text) == 0;
		free(text);
		if (!same)
			return false;
	}
	return true;
}

/* Every job block of the state read at once, into one table as the file's is.
 * NULL when the blocks do not read together: then each is read alone. */
COLD static struct conf *confs_of_state(const struct state *st)
{
	struct parse_errors errs = { 0 };
	struct conf *all;
	size_t len = 0, at = 0;
	char *text;

	for (size_t i = 0; i < st->n_jobs; i++)
		len += st->jobs[i].conf_text ? strlen(st->jobs[i].conf_text) : 0;
	text = malloc(len + 1);
	if (!text)
		return NULL;
	for (size_t i = 0; i < st->n_jobs; i++) {
		if (!st->jobs[i].conf_text)
			continue;
		memcpy(text + at, st->jobs[i].conf_text, strlen(st->jobs[i].conf_text));
		at += strlen(st->jobs[i].conf_text);
	}
	all = parse_conf(text, len, "state", &errs, NULL);
	parse_errors_free(&errs);
	free(text);
	return all;
}

/* A job of the table, new, takes over what the state says of it: its process,
 * its place in the machine, its output pipe. */
COLD static void restore_job(struct jobs *jobs, struct job *job, struct state_job *sj)
{
	job->pid = sj->pid;
	job->pgid = sj->pgid;
	job->next = conf_from_text(sj->next_text);
	restore_run(job, sj);
	if (job->pid)
		jobs_pid_add(jobs, job);
	if (sj->note)
		job->note = strdup(sj->note);
	if (sj->output_fd >= 0) {
		if (fcntl(sj->output_fd, F_SETFD, FD_CLOEXEC) < 0)
			log_warn("re-exec: job %s: output pipe", job->conf->name);
		job->output = output_open(jobs->loop, sj->output_fd, job->conf->name, job->pid,
					  &job->log, &job->logfile);
		if (!job->output)
			close(sj->output_fd);
		else if (sj->partial && output_resume(job->output, sj->partial,
						      strlen(sj->partial)) < 0)
			log_warnx("re-exec: job %s: its unfinished line is lost", job->conf->name);
		sj->output_fd = -1;
	}
	if (sj->has_logfile) {
		int fds[] = { sj->logfile.fd, sj->logfile.dir_fd };

		for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
			if (fds[i] >= 0 && fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0)
				log_warn("re-exec: job %s: log file", job->conf->name);
		job->logfile = logfile_take_over(job->conf->name, job->conf, &job->log,
						 &sj->logfile);
		sj->has_logfile = false;
	}
	if (job->pid && job->in_cgroup)
		resources_watch_oom(jobs, job);
	/* a depends file changed from here on restarts the job, as before */
	if (job->pid)
		job_hash_depends(job);
}

COLD int jobs_restore(struct jobs *jobs, struct state *st, struct conf *file)
{
	struct named *file_ix = index_by_name(file), *all_ix = NULL;
	bool from_file = file_is_state(file_ix, file ? file->n_jobs : 0, st);
	struct conf *all = from_file ? NULL : confs_of_state(st);
	struct job **by_state = calloc(st->n_jobs ? st->n_jobs : 1, sizeof(*by_state));
	int rc = from_file ? 1 : 0;

	jobs->stale = true;
	all_ix = index_by_name(all);
	jobs->end_status = st->end_status;
	for (size_t i = 0; i < st->n_jobs; i++) {
		struct state_job *sj = &st->jobs[i];
		struct conf_job *conf = from_file ? take_named(file_ix, file->n_jobs, sj->name) :
			all_ix ? take_named(all_ix, all->n_jobs, sj->name) :
			conf_from_text(sj->conf_text);
		struct job *job;

		if (!conf)
			conf = conf_for(sj->name, file);
		if (!conf) {
			log_warnx("re-exec: job %s [%d]: out of memory, left running unsupervised",
				  sj->name, (int)sj->pid);
			continue;
		}
		if (sj->file && !conf->file)
			conf->file = strdup(sj->file);
		if (jobs->n == jobs->cap) {
			size_t cap = jobs->cap ? 2 * jobs->cap : 16;
			struct job **v = realloc(jobs->v, cap * sizeof(*v));

			if (!v) {
				conf_job_free(conf);
				rc = -1;
				break;
			}
			jobs->v = v;
			jobs->cap = cap;
		}
		job = job_new(jobs, conf);
		if (!job) {
			conf_job_free(conf);
			rc = -1;
			break;
		}
		jobs->v[jobs->n++] = job;
		if (by_state)
			by_state[i] = job;
		restore_job(jobs, job, sj);
	}
	if (by_state)
		restore_logs(st, by_state);
	else if (st->n_lines)
		log_warnx("re-exec: out of memory: the kept output lines are lost");
	free(by_state);
	free(file_ix);
	free(all_ix);
	conf_free(all);
	adopt_gzips(jobs, st);
	jobs->need_advance = true;
	return rc;
}
