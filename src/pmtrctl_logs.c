/* pmtrctl_logs.c: pmtrctl logs and logs -f: the jobs' last lines of output, then (follow) the new ones until Ctrl-C or the jobs leave. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pmtrctl_client.h"
#include "pmtrctl_logs.h"
#include "pmtrctl_output.h"
#include "util.h"

/* The answer to logs or follow as it is read. */
struct follow {
	struct stream stream;
	struct ctl_request *req;	/* follow: the names left as their jobs end */
	bool every;			/* follow of every job: goes on while pmtr runs */
	/* A follow asked again after pmtr executed itself anew (pmtrctl reexec)
	 * prints from the line after the last one shown: lines come in the order
	 * they were written, so that is the first line after shown_ms but the
	 * shown_at_ms lines already printed with that time (skip_at_ms counts
	 * them down while skipping). */
	bool skipping;
	long long shown_ms;
	unsigned long shown_at_ms, skip_at_ms;
};

/* The body lines other than "line": missed, output and end. */
static int log_notice(struct follow *f, char *line)
{
	char *word[4] = { NULL }, *p = line;
	size_t n = 0;

	while (p && n < ARRAY_SIZE(word)) {
		word[n++] = p;
		p = strchr(p, ' ');
		if (p)
			*p++ = '\0';
	}
	if (n == 3 && strcmp(word[0], "missed") == 0 && ctl_is_pmtr_log(word[1])) {
		out_complain("missed %s lines of pmtr's log: reading too slowly", word[2]);
	} else if (n == 3 && strcmp(word[0], "missed") == 0 && ctl_valid_job_name(word[1])) {
		out_complain("missed %s lines of job %s: reading too slowly", word[2], word[1]);
	} else if (n == 4 && strcmp(word[0], "output") == 0 && ctl_valid_job_name(word[1]) &&
		   ctl_unescape(word[3]) == 0) {
		out_make_printable(word[3], NULL);
		out_complain("job %s writes its standard %s to %s, not to pmtr", word[1],
		     strcmp(word[2], "err") == 0 ? "error" : "output", word[3]);
	} else if (n == 2 && strcmp(word[0], "end") == 0 && ctl_valid_job_name(word[1])) {
		if (f->stream.command == CTL_FOLLOW)
			out_complain("job %s left the configuration", word[1]);
		for (size_t i = 0; f->req && i < f->req->n_names;) {
			if (strcmp(f->req->names[i], word[1]) == 0)
				f->req->names[i] = f->req->names[--f->req->n_names];
			else
				i++;
		}
	}
	/* Anything else is for newer clients. */
	return EXIT_OK;
}

static int log_line_cb(struct stream *st, char *line)
{
	struct follow *f = container_of(st, struct follow, stream);
	struct ctl_log_line l;

	if (strncmp(line, "line ", 5) != 0)
		return log_notice(f, line);
	if (ctl_parse_log_line(line, &l) < 0) {
		out_complain("%s: malformed line of output from the daemon", st->path);
		return EXIT_UNREACHABLE;
	}
	if (f->skipping) {
		if (l.time_ms < f->shown_ms)
			return EXIT_OK;
		if (l.time_ms == f->shown_ms && f->skip_at_ms > 0) {
			f->skip_at_ms--;
			return EXIT_OK;
		}
		f->skipping = false;
	}
	/* pmtr's own lines as it writes them on stderr; their text is not made
	 * printable by pmtr as a job's output is */
	if (ctl_is_pmtr_log(l.name)) {
		l.name = "pmtr";
		out_make_printable(l.text, NULL);
	}
	out_log_line(&l);
	if (l.time_ms != f->shown_ms)
		f->shown_at_ms = 0;
	f->shown_ms = l.time_ms;
	f->shown_at_ms++;
	return EXIT_OK;
}

int logs_show(const char *path, struct ctl_request *req)
{
	struct follow f = {
		.stream = { .line_cb = log_line_cb, .path = path, .command = req->command },
	};
	struct buf reply = { 0 };
	int rc;

	if (req->command == CTL_FOLLOW) {
		struct timespec now;

		client_catch_interrupts();
		f.req = req;
		f.every = req->n_names == 0;
		/* nothing shown yet: what a follow asked again has to show starts now */
		if (clock_gettime(CLOCK_REALTIME, &now) == 0)
			f.shown_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	}
	rc = client_request(path, req, &reply, &f.stream, NULL);
	/* A follow closed before every job named left: pmtr executed itself anew
	 * (pmtrctl reexec), which hands its kept lines over; follow on from there. */
	while (rc == EXIT_OK && req->command == CTL_FOLLOW && f.stream.ok &&
	       (req->n_names > 0 || f.every) && !client_interrupted()) {
		/* not at once: a pmtr that keeps closing follows is not asked in a busy loop */
		nanosleep(&(struct timespec){ 0, REEXEC_RETRY_NS }, NULL);
		client_stream_restart(&f.stream);
		f.stream.resumed = f.skipping = true;
		f.skip_at_ms = f.shown_at_ms;
		req->arg = CTL_LINES_MAX;
		rc = client_request(path, req, &reply, &f.stream, NULL);
		if (rc == DAEMON_GONE)
			rc = EXIT_OK;
	}
	free(reply.data);
	return rc;
}
