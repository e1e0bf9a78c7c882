/* ctlproto.h: the control socket's wire protocol, shared by pmtr, pmtrctl and the tests. SPDX-License-Identifier: MIT */
#ifndef PMTR_CTLPROTO_H
#define PMTR_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>

/*
 * One request per connection, text lines ending in "\n" (doc/protocol.md):
 *   client: "pmtr-ctl 1\n" then "COMMAND [JOB...]\n", then it may shut down writing
 *   server: "pmtr-ctl 1\n", then "ok\n" and the body lines, or
 *           "error KIND message\n"; then it closes the connection.
 * A body line of status is: "job NAME STATE PID UPTIME RESTARTS EXIT SIGNAL COMMAND",
 * each field escaped by ctl_escape (so no field holds a space), EXIT and SIGNAL "-"
 * when there is none.
 */
#define CTL_VERSION 1
#define CTL_HELLO "pmtr-ctl 1"
#define CTL_REQUEST_MAX 4096		/* bytes, hello line included */
#define CTL_MAX_NAMES 512

enum ctl_command {
	CTL_STATUS, CTL_START, CTL_STOP, CTL_RESTART, CTL_ENABLE, CTL_DISABLE, CTL_RELOAD,
};

/* Error kinds on the wire, and pmtrctl's exit status for each. */
enum ctl_error {
	CTL_ERR_USAGE,		/* "usage": malformed request, exit 1 */
	CTL_ERR_UNKNOWN,	/* "unknown": a job name that does not exist, exit 3 */
	CTL_ERR_REFUSED,	/* "refused": not allowed, or cannot be done, exit 4 */
};

struct ctl_request {
	enum ctl_command command;
	char **names;		/* job names, n_names of them (status with none: every job;
				 * start, stop, restart, enable, disable need one at least) */
	size_t n_names;
};

struct ctl_job_status {
	char *name;
	char *state;		/* "running", "stopping", "waiting to restart", ... */
	long pid;		/* 0: no process */
	long long uptime;	/* seconds since it started, 0 when not running */
	unsigned long restarts;
	int exit_code;		/* of the last exit, -1 when none */
	int exit_signal;	/* that killed it last, -1 when none */
	char *command;		/* the cmd line as written */
};

/* The control socket of a user other than root when -s is not given:
 * "$XDG_RUNTIME_DIR/pmtr.sock" in buf. NULL when XDG_RUNTIME_DIR is unset, empty,
 * not an absolute path or too long, with the reason in *why. */
const char *ctl_user_socket(char *buf, size_t len, const char **why);

/* "status" -> CTL_STATUS; -1 when unknown. And back (NULL when out of range). */
int ctl_command_from_name(const char *word);
const char *ctl_command_name(enum ctl_command command);
/* Whether a command changes anything (and so needs a privileged peer). */
bool ctl_command_mutates(enum ctl_command command);

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

/* Whether name follows the configuration's rule for job names: 1 to 128 letters,
 * digits and ".-_@:+". */
bool ctl_valid_job_name(const char *name);

/* The version of a hello line (without its "\n", len bytes): "pmtr-ctl 1" -> 1;
 * -1 when it is not a hello. */
int ctl_parse_hello(const char *line, size_t len);

/* Parse a whole request as received (len bytes; the hello line, then the command
 * line; anything after the command line's newline is an error). On success fills
 * *req (free with ctl_request_free) and returns 0; on failure returns -1 and writes a
 * one-line reason into why (what the server sends after "error usage"). Rejects:
 * missing or wrong hello, unsupported version ("unsupported protocol version 2"),
 * more than CTL_REQUEST_MAX bytes, NUL or control bytes, an unknown command, names on
 * reload, more than CTL_MAX_NAMES names, a name that is not a valid job name, a mutating
 * command without a name. A request without its final newline is incomplete: returns 1
 * (read more); a bad hello or a bad byte is refused as soon as it arrives, and an
 * incomplete request of CTL_REQUEST_MAX bytes or more is too long (-1). */
int ctl_parse_request(const char *buf, size_t len, struct ctl_request *req,
		      char *why, size_t why_len);
void ctl_request_free(struct ctl_request *req);

/* The client's request bytes: hello + command line. malloc'd, NULL on error. */
char *ctl_format_request(enum ctl_command command, char *const *names, size_t n_names);

/* One status body line (with its "\n"), malloc'd; NULL on ENOMEM. */
char *ctl_format_status(const struct ctl_job_status *status);
/* Parse one status body line (without "\n") into *status, in place: the line is
 * cut into fields and unescaped, and the strings of *status point into it, so a
 * client parses a thousand lines without allocating. -1 on a malformed line (its
 * text is then undefined). */
int ctl_parse_status(char *line, struct ctl_job_status *status);

#endif
