/* pmtrctl_output.h: what pmtrctl prints: its messages, the table and JSON of status, lines of job output. SPDX-License-Identifier: MIT */
#ifndef PMTR_PMTRCTL_OUTPUT_H
#define PMTR_PMTRCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "ctlproto.h"
#include "ctlstatus.h"

/* The one line on standard error that every failure prints, "pmtrctl: ..."; also
 * the notes among the lines of logs, in their place (stdout is flushed first). */
void out_complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Make s safe for a terminal, in place: control bytes and broken UTF-8 become "?"
 * (one byte for one). Returns its width in characters (one column each, near
 * enough for a table) and its length in bytes in *len (len may be NULL). */
size_t out_make_printable(char *s, size_t *len);
/* A copy of s made printable; NULL on ENOMEM. */
char *out_printable(const char *s);

/* An aligned table of n jobs: every column as wide as its widest cell, the command
 * cut so that a line fits the output width ($COLUMNS, the terminal's, or 80); usage
 * adds MEMORY, CPU and PIDS; NEXT RUN and LAST RUN (local time) come when a job has
 * a schedule. The strings of st are changed: made printable, the command cut. -1 on
 * ENOMEM. */
int out_table(struct ctl_job_status *st, size_t n, bool usage);
/* What pmtr said of its configuration file: the Unix time since which the file
 * on disk cannot be used (the jobs run on the one read before), 0 when it is what
 * runs; and the errors of its last reading. */
struct out_config {
	long long since;
	char **errors;
	size_t n, cap;
};

/* {"jobs":[...],"config_invalid_since":...,"config_errors":[...]}: every field of
 * every job, and what pmtr said of its configuration file (null and [] when it is
 * what runs), a valid document whatever the bytes. */
void out_json(const struct ctl_job_status *st, size_t n, const struct out_config *config);
/* After the table, on stderr, when the file cannot be used: since when, and each
 * error of its last reading as pmtr -t prints it. */
void out_config_note(const struct out_config *config);
/* Each error as pmtr -t prints it, on stderr. */
void out_config_errors(const struct out_config *config);
/* "2026-12-02 16:31:18.123 web[2199]: text", the time local. */
void out_log_line(const struct ctl_log_line *l);

#endif
