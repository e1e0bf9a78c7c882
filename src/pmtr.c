/* pmtr.c: the pmtr daemon: options, start-up, signals and the event loop. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "clock.h"
#include "ctl.h"
#include "ctlproto.h"
#include "daemon.h"
#include "jobs.h"
#include "turn.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "options.h"
#include "spawn.h"
#include "parse.h"
#include "preflight.h"
#include "reconcile.h"
#include "reexec.h"
#include "state.h"
#include "udp.h"
#include "util.h"
#include "watch.h"

/* Readings of the configuration after one change, at most: each may find a new
 * directory to watch (include directories made one inside the other). */
#define WATCH_ROUNDS 4

/*
 * Signals, all taken through a signalfd:
 *   SIGTERM, SIGINT, SIGQUIT  stop every job, then exit 0; a second one sends SIGKILL
 *   SIGHUP                    read the configuration again now
 *   SIGCHLD                   reap jobs and, as subreaper or process 1, orphans
 *   SIGPIPE                   ignored: a closed socket is an error return, not a death
 * Everything else keeps its default disposition.
 */
static const int handled_signals[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD };

struct pmtr {
	struct options opt;
	char conf_path[PATH_MAX];
	struct loop loop;
	struct jobs jobs;
	struct watch watch;
	struct clock_watch clock;	/* clock steps and time zone changes: schedules */
	struct ctl ctl;
	struct udp udp;
	struct cgroup_base cgroup;
	struct notify_listener job_notify;	/* NOTIFY_SOCKET of jobs with "ready notify" */
	struct loop_watcher signals;
	uint64_t conf_hash;	/* of every file the configuration was last read from */
	int conf_errno;		/* the last read error reported, to say it once */
	struct parse_input input;	/* what the last reading read: watched */
	bool stopping;
	int64_t orphans_deadline;	/* at shutdown: SIGKILL to what jobs left behind */
	char status[256];
	char user_socket[PATH_MAX];	/* the socket of a pmtr that is not root's */
	char self[PATH_MAX];	/* this binary's path, executed again by a re-exec */
	char **argv;
	struct state *restored;	/* what the image before this one handed over, or NULL */
	bool conf_invalid;	/* at a re-exec: the jobs run as handed over */
	bool restored_jobs;	/* this image took jobs over from the one before */
	bool applied_once;	/* a configuration was applied: the next is a reload */
	struct ctl_conf_report conf_report;	/* why the file on disk is not what runs */
};

/* Relative to the directory pmtr was started in, even after it moved to "/". */
static int absolute_path(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return snprintf(out, len, "%s", path) < (int)len ? 0 : -1;
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	return snprintf(out, len, "%s/%s", cwd, path) < (int)len ? 0 : -1;
}

static void print_errors(const struct parse_errors *errs)
{
	for (size_t i = 0; i < errs->n_warnings; i++)
		fprintf(stderr, "%s\n", errs->warnings[i]);
	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", errs->msgs[i]);
}

/* As root, pmtr runs what the included files say as root: they must be root's. */
static struct parse_opts conf_reading_opts(int verbosity)
{
	struct parse_opts opts = {
		.trace = verbosity > 1 ? log_trace : NULL,
		.check_owner = geteuid() == 0,
		.owner = 0,
	};

	return opts;
}

static void print_warning(const char *line)
{
	fprintf(stderr, "%s\n", line);
}

static void print_line(const char *line)
{
	printf("%s\n", line);
}

static int test_config(const char *path, int verbosity)
{
	struct parse_opts opts = conf_reading_opts(verbosity);
	struct parse_errors errs = { 0 };
	struct parse_input input = { 0 };
	struct conf *conf;

	log_init(LOG_TO_STDERR, verbosity);
	conf = parse_conf_set(path, &opts, &errs, &input);

	print_errors(&errs);
	parse_errors_free(&errs);
	if (!conf) {
		parse_input_free(&input);
		return 1;
	}
	preflight_check(conf, path, print_warning);
	if (verbosity)
		preflight_schedules(conf, time(NULL), print_line);
	if (verbosity && input.n_files)
		printf("%s: %zu jobs in %zu files, configuration ok\n", path, conf->n_jobs,
		       input.n_files + 1);
	else if (verbosity)
		printf("%s: %zu jobs, configuration ok\n", path, conf->n_jobs);
	parse_input_free(&input);
	conf_free(conf);
	return 0;
}

static int create_if_missing(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EEXIST ? 0 : -1;
}

/* Returns how many directories are watched that were not before. */
static size_t watch_everything(struct pmtr *p)
{
	size_t n = 1 + p->input.n_files;
	const char **paths;

	for (size_t i = 0; i < p->jobs.n; i++)
		n += p->jobs.v[i]->conf->n_depends;
	paths = malloc(n * sizeof(*paths));
	if (!paths) {
		log_warn("watch list");
		return 0;
	}
	n = 0;
	paths[n++] = p->conf_path;
	for (size_t i = 0; i < p->input.n_files; i++)
		paths[n++] = p->input.files[i];
	for (size_t i = 0; i < p->jobs.n; i++) {
		const struct conf_job *conf = p->jobs.v[i]->conf;

		for (size_t d = 0; d < conf->n_depends; d++)
			paths[n++] = conf->depends[d];
	}
	n = watch_paths(&p->watch, paths, n, (const char *const *)p->input.patterns,
			p->input.n_patterns);
	free(paths);
	return n;
}

/* The control socket's group and mode, as the file says. */
static void apply_control_access(struct pmtr *p, const struct conf *conf)
{
	char why[PATH_MAX + 128];

	if (ctl_set_access(&p->ctl, conf->control_group, conf->control_mode, why,
			   sizeof(why)) < 0)
		log_warnx("%s:%d: %s", p->conf_path, conf->control_group_line, why);
}

/* "nothing changed", or "1 added, 2 changed live, 1 restarted, 1 removed". */
static void describe_counts(const struct reconcile_counts *c, char *buf, size_t len)
{
	const struct { size_t n; const char *what; } parts[] = {
		{ c->added, "added" }, { c->applied, "changed live" },
		{ c->changed, "restarted or stopped" }, { c->removed, "removed" },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(parts) && used + 1 < len; i++) {
		if (!parts[i].n)
			continue;
		snprintf(buf + used, len - used, "%s%zu %s", used ? ", " : "", parts[i].n,
			 parts[i].what);
		used = strlen(buf);
	}
	if (!used)
		snprintf(buf, len, "nothing changed");
}

/* The configuration cannot be applied: the jobs run on, and status says why. */
static void not_applied(struct pmtr *p, char *why, const char *verdict)
{
	log_warnx("%s", why);
	log_warnx("%s: %s, keeping the running configuration", p->conf_path, verdict);
	ctl_conf_report_set(&p->conf_report, &why, 1);
}

static void apply(struct pmtr *p, struct conf *conf)
{
	struct reconcile_counts counts;
	size_t n = conf->n_jobs;
	char why[PATH_MAX + 1024], what[160];

	if (udp_apply(&p->udp, conf, p->conf_path, why, sizeof(why)) < 0) {
		not_applied(p, why, "invalid");
	} else if (jobs_apply(&p->jobs, conf, &counts) < 0) {
		snprintf(why, sizeof(why), "%s: %s", p->conf_path, strerror(errno));
		not_applied(p, why, "cannot apply");
	} else {
		ctl_conf_report_clear(&p->conf_report);
		apply_control_access(p, conf);
		describe_counts(&counts, what, sizeof(what));
		if (!p->applied_once)
			log_info("%s: %zu job%s", p->conf_path, n, n == 1 ? "" : "s");
		else
			log_info("%s: %zu job%s; %s", p->conf_path, n, n == 1 ? "" : "s", what);
	}
	p->applied_once = true;
	conf_free(conf);
}

/* For status and pmtrctl reload: the file on disk cannot be read. */
static void report_unreadable(struct pmtr *p, int err)
{
	char text[PATH_MAX + 128], *one = text;

	snprintf(text, sizeof(text), "%s: %s", p->conf_path, strerror(err));
	ctl_conf_report_set(&p->conf_report, &one, 1);
}

/* Read the configuration: the main file and every file it includes. Keeps what
 * was read for watching, and returns the configuration, or NULL when it has errors
 * (logged) or did not change since the last reading (unless forced). */
static struct conf *read_conf(struct pmtr *p, bool force)
{
	struct parse_opts opts = conf_reading_opts(log_verbosity());
	struct parse_errors errs = { 0 };
	struct parse_input input = { 0 };
	struct conf *conf;
	char changed[512];
	size_t n_changed;

	if (!force && parse_input_unchanged(p->conf_path, &opts, &p->input))
		return NULL;
	conf = parse_conf_set(p->conf_path, &opts, &errs, &input);
	if (input.error) {
		if (input.error != p->conf_errno) {
			errno = input.error;
			log_warn("cannot read %s, keeping the running configuration", p->conf_path);
		}
		p->conf_errno = input.error;
		report_unreadable(p, input.error);
		goto keep;
	}
	p->conf_errno = 0;
	if (!conf && !errs.n) {
		log_warn("cannot read %s, keeping the running configuration", p->conf_path);
		report_unreadable(p, errno);
		goto keep;
	}
	n_changed = parse_input_changes(&p->input, &input, p->conf_path, changed,
					sizeof(changed));
	parse_input_free(&p->input);
	p->input = input;
	if (!force && input.hash == p->conf_hash) {
		conf_free(conf);
		parse_errors_free(&errs);
		return NULL;
	}
	p->conf_hash = input.hash;
	/* the files that changed; the main file when only modes or names did */
	if (n_changed || !force)
		log_info("%s changed: reloading", n_changed ? changed : p->conf_path);
	for (size_t i = 0; i < errs.n_warnings; i++)
		log_warnx("%s", errs.warnings[i]);
	for (size_t i = 0; i < errs.n; i++)
		log_warnx("%s", errs.msgs[i]);
	if (!conf) {
		log_warnx("%s: invalid, keeping the running configuration", p->conf_path);
		ctl_conf_report_set(&p->conf_report, errs.msgs, errs.n);
	}
	parse_errors_free(&errs);
	return conf;
keep:
	conf_free(conf);
	parse_errors_free(&errs);
	parse_input_free(&input);
	return NULL;
}

/* Apply the configuration if it changed (or always, if forced). The running jobs
 * stay as they are whenever it cannot be used. */
static void reload(struct pmtr *p, bool force)
{
	struct conf *conf = read_conf(p, force);

	if (!conf)
		return;
	apply(p, conf);
#ifdef __GLIBC__
	/* The old and the new tables were both alive: without this, the heap keeps
	 * the larger size for good (10,000 jobs: 8.9 MiB grew to 13.6 MiB). */
	malloc_trim(0);
#endif
}

/* Read (forced or if anything changed) and apply the configuration, then watch
 * what it depends on. A directory watched for the first time (an include
 * directory just made) may have had files written into it before its watch
 * existed: read again until no new directory is watched. */
static void reload_and_watch(struct pmtr *p, bool force)
{
	for (int round = 0; round < WATCH_ROUNDS; round++) {
		reload(p, force && round == 0);
		jobs_check_depends(&p->jobs);
		if (watch_everything(p) == 0)
			break;
	}
}

static int ctl_reload_cb(void *arg)
{
	struct pmtr *p = arg;

	if (!p->stopping)
		reload_and_watch(p, true);
	return p->conf_report.since ? -1 : 0;
}

/* pmtrctl reexec: the binary as it is on disk now takes over in this process.
 * Returns only when that failed, with everything as it was. */
COLD static void reexec_cb(void *arg, int reply_fd, char *why, size_t why_len)
{
	struct pmtr *p = arg;
	const struct reexec_handover h = {
		.jobs = &p->jobs,
		.listener_fd = p->ctl.listener.fd,
		.notify_fd = p->job_notify.w.fd,
		.cgroup_fd = p->cgroup.dir_fd,
		.udp_listen_fd = p->udp.listener.fd,
		.udp_listen_spec = p->udp.listen_spec,
		.self = p->self,
		.argv = p->argv,
	};

	reexec_now(&h, reply_fd, why, why_len);
}

static void clock_changed_cb(void *arg, bool zone)
{
	jobs_clock_changed(&((struct pmtr *)arg)->jobs, zone);
}

static void files_changed_cb(void *arg)
{
	struct pmtr *p = arg;

	if (!p->stopping)
		reload_and_watch(p, false);
}

static void shutdown_jobs(struct pmtr *p, int sig)
{
	char name[32];

	if (!p->stopping) {
		log_info("pmtr: stopping (%s)", util_signame(sig, name, sizeof(name)));
		notify_send("STOPPING=1");
		p->stopping = true;
		p->ctl.refuse_changes = true;
		jobs_shutdown(&p->jobs, false);
	} else {
		log_info("pmtr: %s again: killing every job now", util_signame(sig, name, sizeof(name)));
		jobs_shutdown(&p->jobs, true);
	}
}

static void signal_cb(struct loop_watcher *w, uint32_t events)
{
	struct pmtr *p = container_of(w, struct pmtr, signals);
	struct signalfd_siginfo si;
	ssize_t n;

	(void)events;
	while ((n = read(w->fd, &si, sizeof(si))) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM: case SIGINT: case SIGQUIT:
			shutdown_jobs(p, (int)si.ssi_signo);
			break;
		case SIGHUP:
			if (!p->stopping) {
				log_info("pmtr: SIGHUP: reading %s", p->conf_path);
				reload_and_watch(p, true);
			}
			break;
		case SIGCHLD:
			jobs_reap(&p->jobs);
			break;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		log_warn("signalfd read");
}

static int setup_signals(struct pmtr *p)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, ign = { .sa_handler = SIG_IGN };
	sigset_t set;

	/* An inherited SIG_IGN for SIGCHLD would make the kernel reap jobs behind our back. */
	sigaction(SIGCHLD, &dfl, NULL);
	sigaction(SIGPIPE, &ign, NULL);
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(handled_signals); i++) {
		sigaction(handled_signals[i], &dfl, NULL);
		sigaddset(&set, handled_signals[i]);
	}
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	p->signals.cb = signal_cb;
	p->signals.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (p->signals.fd < 0)
		return -1;
	return loop_add(&p->loop, &p->signals, EPOLLIN);
}

static void update_status(struct pmtr *p)
{
	char status[sizeof(p->status)], msg[sizeof(p->status) + 16];

	jobs_summary(&p->jobs, status, sizeof(status));
	if (strcmp(status, p->status) == 0)
		return;
	memcpy(p->status, status, sizeof(status));
	snprintf(msg, sizeof(msg), "STATUS=%s", status);
	notify_send(msg);
}

static void job_notify_cb(void *arg, pid_t sender, const struct notify_message *msg)
{
	struct pmtr *p = arg;

	if (!jobs_notify(&p->jobs, sender, msg))
		notify_ignored(&p->job_notify, sender, "not a process of a job waiting for it");
}

/* The longest ready timeout of the jobs: by then every job started at boot is ready
 * or has failed to be. */
static int64_t boot_deadline(const struct jobs *jobs)
{
	int64_t longest = 0;

	for (size_t i = 0; i < jobs->n; i++)
		if (CONF_MORE(jobs->v[i]->conf)->ready != CONF_READY_STARTED &&
		    CONF_MORE(jobs->v[i]->conf)->ready_timeout_ms > longest)
			longest = CONF_MORE(jobs->v[i]->conf)->ready_timeout_ms;
	return util_now_ms() + longest;
}

static void run(struct pmtr *p)
{
	bool ready = false, starts_due;
	int64_t ready_by = boot_deadline(&p->jobs);

	for (;;) {
		int64_t deadline = jobs_tick(&p->jobs, p->loop.stirred), collect_at;
		int64_t others[] = { ctl_tick(&p->ctl), udp_tick(&p->udp) };

		for (size_t i = 0; i < ARRAY_SIZE(others); i++)
			if (others[i] && (!deadline || others[i] < deadline))
				deadline = others[i];
		if (p->stopping && p->jobs.n == 0) {
			deadline = daemon_stop_orphans(&p->orphans_deadline);
			if (deadline < 0)
				break;
		}
		if (p->jobs.end_status >= 0 && !p->stopping) {
			p->stopping = true;
			p->ctl.refuse_changes = true;
			notify_send("STOPPING=1");
			jobs_shutdown(&p->jobs, false);
			continue;
		}
		/* both look at every job: only after a batch that may have changed one */
		if (p->jobs.looked)
			update_status(p);
		/* systemd hears READY=1 once the jobs started at boot are ready, or have
		 * had their ready timeout: units after pmtr.service find them serving. */
		if (!ready && ((p->jobs.looked && jobs_settled(&p->jobs)) || util_now_ms() >= ready_by)) {
			notify_send("READY=1");
			ready = true;
		}
		if (!ready && (!deadline || ready_by < deadline))
			deadline = ready_by;
		collect_at = spawn_collect(&starts_due);
		if (starts_due) {
			p->jobs.need_advance = true;
			continue;
		}
		if (collect_at && (!deadline || collect_at < deadline))
			deadline = collect_at;
		loop_set_deadline(&p->loop, deadline);
		if (loop_run_once(&p->loop) < 0) {
			/* epoll_wait only fails on a broken set; nothing else can be done. */
			log_warn("epoll_wait");
			jobs_shutdown(&p->jobs, true);
			break;
		}
	}
}

/* Without -s: root's socket is $(runstatedir)/pmtr.sock, its directory made if
 * missing; another user's is $XDG_RUNTIME_DIR/pmtr.sock, or none. Failing to listen
 * there only costs the socket; another pmtr on the path is always fatal. */
static int open_control_socket(struct pmtr *p)
{
	char why[PATH_MAX + 64];

	p->ctl.listener.fd = -1;
	if (!p->opt.socket_given && geteuid() != 0) {
		const char *reason;

		p->opt.socket_path = ctl_user_socket(p->user_socket, sizeof(p->user_socket),
						     &reason);
		if (!p->opt.socket_path) {
			log_warnx("control socket disabled: %s (use -s PATH)", reason);
			p->opt.socket_path = "none";
		}
	} else if (!p->opt.socket_given && strcmp(p->opt.socket_path, "none") != 0) {
		daemon_make_parents(p->opt.socket_path, 0755, "the control socket");
	}
	if (strcmp(p->opt.socket_path, "none") == 0)
		return 0;
	if (p->restored && p->restored->listener_fd >= 0) {
		if (ctl_adopt(&p->ctl, &p->loop, &p->jobs, p->opt.socket_path,
			      p->restored->listener_fd, ctl_reload_cb, p) < 0)
			log_warn("re-exec: control socket %s", p->opt.socket_path);
		p->restored->listener_fd = -1;
		p->ctl.reexec_cb = reexec_cb;
		p->ctl.conf = &p->conf_report;
		return 0;
	}
	if (ctl_init(&p->ctl, &p->loop, &p->jobs, p->opt.socket_path, ctl_reload_cb, p,
		     why, sizeof(why)) == 0) {
		log_debug("control socket %s", p->opt.socket_path);
		p->ctl.reexec_cb = reexec_cb;
		p->ctl.conf = &p->conf_report;
		return 0;
	}
	if (p->opt.socket_given || errno == EADDRINUSE || errno == EEXIST) {
		log_warnx("pmtr: %s", why);
		return -1;
	}
	log_warnx("control socket disabled: %s", why);
	return 0;
}

static void leftover_cb(const char *job, int count)
{
	log_warnx("job %s: killed %d process%s left by an earlier pmtr", job, count,
		  count == 1 ? "" : "es");
}

/* Each job in a cgroup of its own when pmtr may make them; what an earlier pmtr
 * (killed without stopping its jobs) left there is killed, not run twice. */
static int set_up_cgroups(struct pmtr *p)
{
	int inherited = p->restored ? p->restored->cgroup_fd : -1;

	if (p->restored)
		p->restored->cgroup_fd = -1;
	if (cgroup_init(&p->cgroup, p->conf_path, inherited) < 0) {
		if (errno == EBUSY) {
			log_warnx("pmtr: another pmtr is running with %s", p->conf_path);
			return -1;
		}
		log_info("no cgroups (%s): a stop reaches each job's process group", strerror(errno));
		return 0;
	}
	log_debug("job cgroups under %s", p->cgroup.path);
	/* after a re-exec, what is in there is the jobs taken over */
	if (inherited < 0)
		cgroup_sweep(&p->cgroup, leftover_cb);
	p->jobs.cgroup = &p->cgroup;
	return 0;
}

/* The configuration at start-up, made when missing; its errors on stderr. After
 * a re-exec an invalid file leaves an empty one (the jobs run on as they are). */
static int read_first_conf(struct pmtr *p, struct conf **conf)
{
	struct parse_opts opts = conf_reading_opts(p->opt.verbosity);
	struct parse_errors errs = { 0 };

	if (absolute_path(p->opt.conf_path, p->conf_path, sizeof(p->conf_path)) < 0) {
		fprintf(stderr, "pmtr: %s: %s\n", p->opt.conf_path, strerror(errno ? errno : ENAMETOOLONG));
		return -1;
	}
	log_init(LOG_TO_STDERR, p->opt.verbosity);
	/* A person at a terminal wants times; journald and docker add their own. */
	log_set_timestamps(p->opt.timestamps || isatty(STDERR_FILENO));
	/* a user's own file is made with its directories, as the system's is */
	if (!p->opt.conf_given && geteuid() != 0)
		daemon_make_parents(p->conf_path, 0700, "the configuration");
	if (create_if_missing(p->conf_path) < 0) {
		fprintf(stderr, "pmtr: cannot create %s: %s\n", p->conf_path, strerror(errno));
		return -1;
	}
	*conf = parse_conf_set(p->opt.conf_path, &opts, &errs, &p->input);
	p->conf_hash = p->input.hash;
	print_errors(&errs);
	if (!*conf && p->restored) {
		/* the jobs handed over run on as they are; the next good edit applies */
		fprintf(stderr, "pmtr: %s: invalid, keeping the jobs as they run\n", p->conf_path);
		ctl_conf_report_set(&p->conf_report, errs.msgs, errs.n);
		*conf = calloc(1, sizeof(**conf));
		p->conf_invalid = true;
	}
	parse_errors_free(&errs);
	if (!*conf) {
		if (!errs.n && errno == ENOMEM)
			fprintf(stderr, "pmtr: %s: %s\n", p->conf_path, strerror(errno));
		return -1;
	}
	return 0;
}

static int start_up(struct pmtr *p, struct conf **conf)
{
	char why[1024];

	if (read_first_conf(p, conf) < 0)
		return -1;
	/* The socket is claimed before detaching, so that a second pmtr on it fails
	 * where its caller sees it. */
	if (loop_init(&p->loop) < 0) {
		log_warn("cannot set up the event loop");
		return -1;
	}
	jobs_init(&p->jobs, &p->loop);
	if (open_control_socket(p) < 0 || set_up_cgroups(p) < 0)
		return -1;
	/* Names are resolved now, where an error still reaches the caller. */
	udp_init(&p->udp, &p->loop, &p->jobs);
	if (p->restored && p->restored->udp_listen_fd >= 0) {
		if (!p->restored->udp_listen_spec ||
		    udp_adopt_listener(&p->udp, p->restored->udp_listen_fd,
				       p->restored->udp_listen_spec) < 0)
			log_warn("re-exec: udp listener");
		p->restored->udp_listen_fd = -1;
	}
	if (!p->conf_invalid && udp_apply(&p->udp, *conf, p->opt.conf_path, why, sizeof(why)) < 0) {
		fprintf(stderr, "%s\n", why);
		/* after a re-exec the jobs run on whatever the file says */
		if (!p->restored)
			return -1;
	}
	if (!p->opt.foreground && !p->restored && daemon_detach() < 0) {
		fprintf(stderr, "pmtr: cannot become a daemon: %s\n", strerror(errno));
		return -1;
	}
	log_init(p->opt.foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG, p->opt.verbosity);
	/* After the fork: epoll watches a signalfd for the process that added it. */
	if (setup_signals(p) < 0) {
		log_warn("cannot set up signal handling");
		return -1;
	}
	/* Orphans of our jobs come back to us, so that a stop can wait for them. */
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("cannot become a child subreaper");
	spawn_init();
	if (watch_init(&p->watch, &p->loop, files_changed_cb, p) < 0)
		log_warn("cannot watch %s: edits apply on SIGHUP only", p->conf_path);
	clock_watch_init(&p->clock, &p->loop, clock_changed_cb, p);
	notify_init();
	if (notify_listen(&p->job_notify, &p->loop, job_notify_cb, p,
			  p->restored ? p->restored->notify_fd : -1) < 0)
		log_warn("cannot open the notify socket: jobs with \"ready notify\" never get ready");
	else
		spawn_set_notify_socket(p->job_notify.name);
	daemon_raise_fd_limit();
	if (p->restored && p->restored->nofile_soft >= 0)
		spawn_set_nofile_soft((rlim_t)p->restored->nofile_soft);
	if (p->opt.pidfile && daemon_write_pidfile(p->opt.pidfile) < 0) {
		log_warn("cannot write pidfile %s", p->opt.pidfile);
		return -1;
	}
	return 0;
}

/* After a re-exec: the jobs the image before this one handed over. 1 when they
 * took the file's own jobs (nothing left to apply), 0 when conf is still to be
 * applied, -1 on ENOMEM. */
COLD static int take_over(struct pmtr *p, struct conf *conf)
{
	size_t n = p->restored->n_jobs;
	int same_file;

	p->restored_jobs = true;
	p->applied_once = true;
	same_file = jobs_restore(&p->jobs, p->restored, p->conf_invalid ? NULL : conf);
	if (same_file < 0)
		log_warn("re-exec: taking the jobs over");
	log_info("pmtr: re-executed, %zu job%s taken over%s", n, n == 1 ? "" : "s",
		 p->restored->partial ? " (part of the state was not understood)" : "");
	if (p->restored->reply_fd >= 0)
		ctl_answer_reexec(p->restored->reply_fd, PACKAGE_STRING);
	state_free(p->restored);
	free(p->restored);
	p->restored = NULL;
	jobs_reap(&p->jobs);
	return same_file;
}

int main(int argc, char **argv)
{
	static struct pmtr p;
	struct conf *conf = NULL;
	int same_file = 0;

	if (options_parse(argc, argv, &p.opt) < 0)
		return 1;
	daemon_ensure_std_fds();
	if (p.opt.test_only)
		return test_config(p.opt.conf_path, p.opt.verbosity);
	p.ctl.listener.fd = -1;
	p.argv = argv;
	if (readlink("/proc/self/exe", p.self, sizeof(p.self) - 1) < 0)
		snprintf(p.self, sizeof(p.self), "%s", argv[0]);
	/* dpkg replaced the file under us: its path is what runs next */
	{
		char *deleted = strstr(p.self, " (deleted)");

		if (deleted && !deleted[10])
			*deleted = '\0';
	}
	p.restored = reexec_take_state();
	p.udp.report_fd = p.udp.listener.fd = -1;
	p.cgroup.dir_fd = -1;
	p.job_notify.w.fd = -1;
	if (start_up(&p, &conf) < 0) {
		/* Empty cgroups go, this pmtr's base with them; one that still holds
		 * processes stays for the next pmtr to sweep (rmdir refuses it). */
		cgroup_exit(&p.cgroup);
		udp_exit(&p.udp);
		ctl_exit(&p.ctl);
		conf_free(conf);
		parse_input_free(&p.input);
		return 1;
	}
	if (p.restored)
		same_file = take_over(&p, conf);
	else
		log_info("pmtr: starting");
	if (p.conf_invalid) {
		conf_free(conf);
	} else if (same_file == 1) {
		/* the jobs have the file's own jobs: nothing differs */
		log_info("%s: %zu job%s", p.conf_path, conf->n_jobs, conf->n_jobs == 1 ? "" : "s");
		apply_control_access(&p, conf);
		conf_free(conf);
	} else {
		apply(&p, conf);
	}
#ifdef __GLIBC__
	/* the state text and the jobs read from it were one more table of jobs */
	if (p.restored_jobs)
		malloc_trim(0);
#endif
	/* what changed between the first reading and its watches is read now */
	if (watch_everything(&p))
		reload_and_watch(&p, false);
	run(&p);
	if (p.jobs.end_status > 0)
		log_info("pmtr: exiting with status %d", p.jobs.end_status);
	else
		log_info("pmtr: exiting");
	if (p.opt.pidfile)
		unlink(p.opt.pidfile);
	watch_exit(&p.watch);
	clock_watch_exit(&p.clock);
	parse_input_free(&p.input);
	udp_exit(&p.udp);
	cgroup_exit(&p.cgroup);
	ctl_exit(&p.ctl);
	ctl_conf_report_clear(&p.conf_report);
	jobs_exit(&p.jobs);
	notify_listen_exit(&p.job_notify, &p.loop);
	notify_exit();
	close(p.signals.fd);
	loop_exit(&p.loop);
	log_exit();
	return p.jobs.end_status < 0 ? 0 : p.jobs.end_status;
}
