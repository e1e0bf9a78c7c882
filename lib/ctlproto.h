/* ctlproto.h: the control socket's wire protocol, shared by pmtr, pmtrctl and the tests. SPDX-License-Identifier: MIT */
#ifndef PMTR_CTLPROTO_H
#define PMTR_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "ctlcommand.h"

/*
 * One request per connection, text lines ending in "\n" (doc/protocol.md):
 *   client: "pmtr-ctl 2\n" then "COMMAND [ARG] [JOB...]\n", then it may shut down
 *           writing
 *   server: "pmtr-ctl 2\n" (the client's version), then "ok\n" and the body lines,
 *           or "error KIND message\n"; then it closes the connection (follow: once
 *           every job followed is gone, or the client leaves).
 * A body line of status is: "job NAME STATE PID UPTIME RESTARTS EXIT SIGNAL COMMAND",
 * each field escaped by ctl_escape (so no field holds a space), EXIT and SIGNAL "-"
 * when there is none; version 2 adds "KEY=VALUE" fields after it.
 */
#define CTL_VERSION 2			/* spoken by this pmtrctl */
#define CTL_VERSION_MIN 1		/* the oldest the daemon still answers */
#define CTL_HELLO "pmtr-ctl 2"
#define CTL_REQUEST_MAX 4096		/* bytes, hello line included */
#define CTL_MAX_NAMES 512

/* Error kinds on the wire, and pmtrctl's exit status for each. */
enum ctl_error {
	CTL_ERR_USAGE,		/* "usage": malformed request, exit 1 */
	CTL_ERR_UNKNOWN,	/* "unknown": a job name that does not exist, exit 3 */
	CTL_ERR_REFUSED,	/* "refused": not allowed, or cannot be done, exit 4 */
};

struct ctl_request {
	int version;			/* of the client's hello */
	enum ctl_command command;
	long arg;			/* lines of logs and follow, signal of signal */
	char **names;		/* job names, n_names of them (status, logs and follow
				 * with none: every job; start, stop, restart, enable,
				 * disable need one at least); logs and follow may name
				 * CTL_PMTR_LOG */
	size_t n_names;
};

/* "ready=yes|no" of a version 2 status line. Zero is "not said" (a version 1 line),
 * so that a status filled in with designated initializers says nothing it was not
 * told. */
enum ctl_ready {
	CTL_READY_ABSENT,
	CTL_READY_NO,
	CTL_READY_YES,
};

struct ctl_job_status {
	char *name;
	char *state;		/* "starting", "running", "stopping", "waiting to restart", ... */
	long pid;		/* 0: no process */
	long long uptime;	/* seconds since it started, 0 when not running */
	unsigned long restarts;
	int exit_code;		/* of the last exit, -1 when none */
	int exit_signal;	/* that killed it last, -1 when none */
	char *command;		/* the cmd line as written */
	/* Version 2 attributes; none of them reaches a client of version 1. */
	char *file;		/* the included file it is written in, or NULL */
	enum ctl_ready ready;	/* yes only while its process runs and is ready */
	char *health;		/* a job with a check: "starting", "healthy" or
				 * "unhealthy"; NULL for a job without one */
	char *note;		/* the last STATUS= text the job sent in this run, or NULL */
	bool oom_kill;		/* its last process was killed by the OOM killer */
	/* "restart_in=MS": a job waiting to restart starts again in this many ms
	 * (relative, so that the clocks of pmtr and its client need not agree) */
	bool has_restart_in;
	unsigned long long restart_in_ms;
	/* "next_run=S" and "last_run=S", Unix seconds (absolute, as a schedule is a
	 * time of day): a job with a schedule that is not disabled runs next at
	 * next_run (its jitter added); a job with a schedule last started a run at
	 * last_run. Neither is negative. */
	bool has_next_run;
	long long next_run;
	bool has_last_run;
	long long last_run;
	/* "details" only: what the job's cgroup uses now, each when known */
	bool has_memory, has_cpu, has_pids;
	unsigned long long memory_bytes, cpu_usec, pids;
};

/* A line of a job's output in the answer to logs and follow:
 * "line NAME PID TIME TEXT", TIME in ms since the epoch, TEXT escaped. Beside them:
 * "missed NAME COUNT" (lines the reader was too slow for), "output NAME STREAM PATH"
 * (STREAM "out" or "err" goes to a file, not to pmtr) and "end NAME" (the job left). */
struct ctl_log_line {
	char *name;
	long pid;
	long long time_ms;
	char *text;
};

/* The control socket of a user other than root when -s is not given:
 * "$XDG_RUNTIME_DIR/pmtr.sock" in buf. NULL when XDG_RUNTIME_DIR is unset, empty,
 * not an absolute path or too long, with the reason in *why. */
const char *ctl_user_socket(char *buf, size_t len, const char **why);

/* "usage", "unknown", "refused"; NULL when out of range. */
const char *ctl_error_name(enum ctl_error kind);
/* "unknown" -> CTL_ERR_UNKNOWN; -1 when not a kind. */
int ctl_error_from_name(const char *word);
/* pmtrctl's exit status for an error kind (4 for one out of range). */
int ctl_error_exit_status(enum ctl_error kind);

/* Escape a field so that it holds no space, tab, newline, backslash or control byte
 * ("\s", "\t", "\n", "\\", "\xHH"), and is never empty (the empty string is "\e").
 * Returns a malloc'd string or NULL. ctl_unescape undoes it in place; -1 on a bad
 * escape ("\x00" included), a raw space or control byte, or an empty field. */
char *ctl_escape(const char *field);
int ctl_unescape(char *field);
/* Room ctl_escape_into needs for a field of len bytes, NUL included. */
#define CTL_ESCAPED_MAX(len) (4 * (size_t)(len) + 3)
/* Escape len bytes of field (no NUL among them) into dst; returns the length. */
size_t ctl_escape_into(char *dst, const char *field, size_t len);

/* In a request of logs or follow, this name stands for pmtr's own log lines (what
 * it writes to syslog or stderr, debug lines aside), and their "line" and "missed"
 * body lines carry it. "%" is not allowed in a job name, so it names no job. */
#define CTL_PMTR_LOG "%pmtr"
bool ctl_is_pmtr_log(const char *name);

/* Whether name follows the configuration's rule for job names: 1 to 128 letters,
 * digits and ".-_@:+". */
bool ctl_valid_job_name(const char *name);

/* The version of a hello line (without its "\n", len bytes): "pmtr-ctl 2" -> 2;
 * -1 when it is not a hello. */
int ctl_parse_hello(const char *line, size_t len);

/* Parse a whole request as received (len bytes; the hello line, then the command
 * line; anything after the command line's newline is an error), by the rules of the
 * command's row (ctlcommand.h). On success fills *req (free with ctl_request_free)
 * and returns 0; on failure returns -1 and writes a one-line reason into why (what
 * the server sends after "error usage"). Rejects: missing or wrong hello,
 * unsupported version ("unsupported protocol version 3"), more than CTL_REQUEST_MAX
 * bytes, NUL or control bytes, an unknown command, names on a command that takes
 * none, more than CTL_MAX_NAMES names, a name that is not a valid job name, no name
 * where one is needed, a missing or bad number (logs and follow: 0 to CTL_LINES_MAX;
 * signal: 1 to CTL_SIGNAL_MAX). A request without its final newline is incomplete:
 * returns 1 (read more); a bad hello or a bad byte is refused as soon as it arrives,
 * and an incomplete request of CTL_REQUEST_MAX bytes or more is too long (-1). */
int ctl_parse_request(const char *buf, size_t len, struct ctl_request *req,
		      char *why, size_t why_len);
void ctl_request_free(struct ctl_request *req);

/* The client's request bytes: hello of req->version + command line (with req->arg
 * for a command that carries a number). malloc'd, NULL on error. */
char *ctl_format_request(const struct ctl_request *req);

/* One status body line (with its "\n") for a client of version, malloc'd; NULL on
 * ENOMEM, or EINVAL for a ready out of range, a health that is not one of its
 * three words, or a negative next_run or last_run that is set. Version 1 gets the
 * nine fields only; version 2 then "file=", "ready=", "health=", "note=",
 * "oom_kill=", "restart_in=", "next_run=", "last_run=" and the usage, each when
 * set. */
char *ctl_format_status(const struct ctl_job_status *status, int version);
/* Parse one status body line (without "\n") into *status, in place: the line is
 * cut into fields and unescaped, and the strings of *status point into it, so a
 * client parses a thousand lines without allocating. KEY=VALUE fields after the
 * nine are read when known, skipped when not; a known key with a bad value ("ready"
 * other than yes or no, "health" other than its three words, a number that is not
 * a decimal without sign or leading zero) is malformed. -1 on a
 * malformed line (its text is then undefined, *status as after memset, exit_code and
 * exit_signal -1). */
int ctl_parse_status(char *line, struct ctl_job_status *status);

/* A "line" body line (with its "\n") in dst of cap bytes; returns its length, or 0
 * when it does not fit. Needs at most CTL_LOG_LINE_MAX(name, text length). */
#define CTL_LOG_LINE_MAX(name_len, text_len) (CTL_ESCAPED_MAX(text_len) + (name_len) + 64)
size_t ctl_format_log_line(char *dst, size_t cap, const struct ctl_log_line *line);
/* Parse a "line" body line (without "\n") in place, as ctl_parse_status does; its
 * name is a job's or CTL_PMTR_LOG. */
int ctl_parse_log_line(char *line, struct ctl_log_line *out);

/* When the configuration file on disk cannot be used (the jobs run on the one
 * read before), the answers to status and details, and the error of reload,
 * carry one body line per error of its last reading:
 * "config-error SINCE TEXT", SINCE the Unix time since which it has been so,
 * TEXT escaped ("/etc/pmtr.conf:12: unknown keyword \"foo\""). Clients that do
 * not know the line skip it. */
char *ctl_format_config_error(long long since, const char *text);
/* Parse such a line (without "\n") in place: *text points into line. -1 when
 * it is not one. */
int ctl_parse_config_error(char *line, long long *since, char **text);

#endif
