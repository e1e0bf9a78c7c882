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

/* A decimal number without sign or leading zeros, at most max: 0, or -1. */
int ctl_parse_decimal(const char *s, unsigned long long max, unsigned long long *out);

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
