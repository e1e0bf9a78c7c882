/* ctlstatus.c: a job's status line of the control protocol (doc/protocol.md): written by pmtr, read by pmtrctl. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "ctlstatus.h"
#include "util.h"

/* ---- status lines ----------------------------------------------------------- */

static const char *const health_words[] = { "starting", "healthy", "unhealthy" };

static bool is_health(const char *word)
{
	for (size_t i = 0; i < ARRAY_SIZE(health_words); i++)
		if (strcmp(health_words[i], word) == 0)
			return true;
	return false;
}

/* " KEY=VALUE", the value escaped; returns its length. */
/* The writers of a status line: no printf, which was half of status's time
 * with 1000 jobs. Each returns the length it wrote. */
static size_t put_text(char *dst, const char *text)
{
	size_t n = strlen(text);

	memcpy(dst, text, n);
	return n;
}

static size_t put_unsigned(char *dst, unsigned long long v)
{
	char digits[24];
	size_t n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (size_t i = 0; i < n; i++)
		dst[i] = digits[n - 1 - i];
	return n;
}

static size_t put_signed(char *dst, long long v)
{
	if (v >= 0)
		return put_unsigned(dst, (unsigned long long)v);
	dst[0] = '-';
	return 1 + put_unsigned(dst + 1, 0ull - (unsigned long long)v);
}

/* " KEY=VALUE", the value escaped. */
static size_t put_attribute(char *dst, const char *key, const char *value)
{
	size_t n = 1 + put_text(dst + 1, key);

	dst[0] = ' ';
	dst[n++] = '=';
	return n + ctl_escape_into(dst + n, value, strlen(value));
}

/* " KEY=NUMBER". */
static size_t put_number_attribute(char *dst, const char *key, unsigned long long value)
{
	size_t n = 1 + put_text(dst + 1, key);

	dst[0] = ' ';
	dst[n++] = '=';
	return n + put_unsigned(dst + n, value);
}

/* " N" for a number that is not negative, else " -". */
static size_t put_or_dash(char *dst, long long v)
{
	dst[0] = ' ';
	if (v < 0) {
		dst[1] = '-';
		return 2;
	}
	return 1 + put_signed(dst + 1, v);
}

/* Room for a field escaped, its space or " KEY=" included. */
static size_t field_room(const char *field)
{
	return field ? CTL_ESCAPED_MAX(strlen(field)) + 16 : 0;
}

char *ctl_format_status(const struct ctl_job_status *status, int version)
{
	const char *name = status->name ? status->name : "";
	const char *state = status->state ? status->state : "";
	const char *command = status->command ? status->command : "";
	const char *ready = NULL;
	char *line;
	size_t len;

	if (status->ready == CTL_READY_YES)
		ready = "yes";
	else if (status->ready == CTL_READY_NO)
		ready = "no";
	if ((!ready && status->ready != CTL_READY_ABSENT) ||
	    (status->health && !is_health(status->health)) ||
	    (status->has_next_run && status->next_run < 0) ||
	    (status->has_last_run && status->last_run < 0)) {
		errno = EINVAL;
		return NULL;
	}
	/* "job", the numbers, the times, the usage and their spaces take far less than
	 * 256 bytes. */
	line = malloc(256 + field_room(name) + field_room(state) + field_room(command) +
		      field_room(status->file) + field_room(ready) + field_room(status->health) +
		      field_room(status->note));
	if (!line)
		return NULL;
	len = put_text(line, "job ");
	len += ctl_escape_into(line + len, name, strlen(name));
	line[len++] = ' ';
	len += ctl_escape_into(line + len, state, strlen(state));
	line[len++] = ' ';
	len += put_signed(line + len, status->pid);
	line[len++] = ' ';
	len += put_signed(line + len, status->uptime);
	line[len++] = ' ';
	len += put_unsigned(line + len, status->restarts);
	len += put_or_dash(line + len, status->exit_code);
	len += put_or_dash(line + len, status->exit_signal);
	line[len++] = ' ';
	len += ctl_escape_into(line + len, command, strlen(command));
	if (version >= 2) {
		if (status->file)
			len += put_attribute(line + len, "file", status->file);
		if (ready)
			len += put_attribute(line + len, "ready", ready);
		if (status->health)
			len += put_attribute(line + len, "health", status->health);
		if (status->note)
			len += put_attribute(line + len, "note", status->note);
		if (status->oom_kill)
			len += put_attribute(line + len, "oom_kill", "yes");
		if (status->has_restart_in)
			len += put_number_attribute(line + len, "restart_in", status->restart_in_ms);
		if (status->has_next_run)
			len += put_number_attribute(line + len, "next_run",
						    (unsigned long long)status->next_run);
		if (status->has_last_run)
			len += put_number_attribute(line + len, "last_run",
						    (unsigned long long)status->last_run);
		if (status->has_memory)
			len += put_number_attribute(line + len, "memory", status->memory_bytes);
		if (status->has_cpu)
			len += put_number_attribute(line + len, "cpu_usec", status->cpu_usec);
		if (status->has_pids)
			len += put_number_attribute(line + len, "pids", status->pids);
	}
	memcpy(line + len, "\n", 2);
	return line;
}


/* "-" for none (-1), else a number from min to max. */
static int parse_optional(const char *s, unsigned long long min, unsigned long long max, int *out)
{
	unsigned long long v;

	if (strcmp(s, "-") == 0) {
		*out = -1;
		return 0;
	}
	if (ctl_parse_decimal(s, max, &v) < 0 || v < min)
		return -1;
	*out = (int)v;
	return 0;
}

/* Unix seconds, not before 1970. */
static int parse_time(const char *s, long long *out)
{
	unsigned long long v;

	if (ctl_parse_decimal(s, LLONG_MAX, &v) < 0)
		return -1;
	*out = (long long)v;
	return 0;
}

/* "KEY=VALUE KEY=VALUE...", values escaped; keys this client does not know are
 * skipped, for newer daemons. */
static int parse_attributes(char *p, struct ctl_job_status *status)
{
	while (p) {
		char *field = p, *eq, *value;

		p = strchr(p, ' ');
		if (p)
			*p++ = '\0';
		eq = strchr(field, '=');
		if (!eq || eq == field || ctl_unescape(eq + 1) < 0)
			return -1;
		*eq = '\0';
		value = eq + 1;
		if (strcmp(field, "file") == 0) {
			status->file = value;
		} else if (strcmp(field, "ready") == 0) {
			if (strcmp(value, "yes") == 0)
				status->ready = CTL_READY_YES;
			else if (strcmp(value, "no") == 0)
				status->ready = CTL_READY_NO;
			else
				return -1;
		} else if (strcmp(field, "health") == 0) {
			if (!is_health(value))
				return -1;
			status->health = value;
		} else if (strcmp(field, "note") == 0) {
			status->note = value;
		} else if (strcmp(field, "oom_kill") == 0) {
			if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
				return -1;
			status->oom_kill = strcmp(value, "yes") == 0;
		} else if (strcmp(field, "restart_in") == 0) {
			if (ctl_parse_decimal(value, ULLONG_MAX, &status->restart_in_ms) < 0)
				return -1;
			status->has_restart_in = true;
		} else if (strcmp(field, "next_run") == 0) {
			if (parse_time(value, &status->next_run) < 0)
				return -1;
			status->has_next_run = true;
		} else if (strcmp(field, "last_run") == 0) {
			if (parse_time(value, &status->last_run) < 0)
				return -1;
			status->has_last_run = true;
		} else if (strcmp(field, "memory") == 0) {
			if (ctl_parse_decimal(value, ULLONG_MAX, &status->memory_bytes) < 0)
				return -1;
			status->has_memory = true;
		} else if (strcmp(field, "cpu_usec") == 0) {
			if (ctl_parse_decimal(value, ULLONG_MAX, &status->cpu_usec) < 0)
				return -1;
			status->has_cpu = true;
		} else if (strcmp(field, "pids") == 0) {
			if (ctl_parse_decimal(value, ULLONG_MAX, &status->pids) < 0)
				return -1;
			status->has_pids = true;
		}
	}
	return 0;
}

enum { F_JOB, F_NAME, F_STATE, F_PID, F_UPTIME, F_RESTARTS, F_EXIT, F_SIGNAL, F_COMMAND, N_FIELDS };

int ctl_parse_status(char *line, struct ctl_job_status *status)
{
	char *f[N_FIELDS], *p;
	unsigned long long v;
	size_t n = 0;

	memset(status, 0, sizeof(*status));
	status->exit_code = -1;
	status->exit_signal = -1;
	if (!line)
		return -1;
	/* Exactly one space between fields: an empty field is malformed. */
	for (p = line; n < N_FIELDS; n++) {
		f[n] = p;
		p = n + 1 < N_FIELDS ? strchr(p, ' ') : NULL;
		if (!p)
			break;
		*p++ = '\0';
	}
	if (n != N_FIELDS - 1 || strcmp(f[F_JOB], "job") != 0)
		goto bad;
	/* Version 2: KEY=VALUE fields after the command. */
	p = strchr(f[F_COMMAND], ' ');
	if (p) {
		*p++ = '\0';
		if (parse_attributes(p, status) < 0)
			goto bad;
	}
	if (ctl_unescape(f[F_NAME]) < 0 || !*f[F_NAME] ||
	    ctl_unescape(f[F_STATE]) < 0 || !*f[F_STATE] ||
	    ctl_unescape(f[F_COMMAND]) < 0)
		goto bad;
	if (ctl_parse_decimal(f[F_PID], LONG_MAX, &v) < 0)
		goto bad;
	status->pid = (long)v;
	if (ctl_parse_decimal(f[F_UPTIME], LLONG_MAX, &v) < 0)
		goto bad;
	status->uptime = (long long)v;
	if (ctl_parse_decimal(f[F_RESTARTS], ULONG_MAX, &v) < 0)
		goto bad;
	status->restarts = (unsigned long)v;
	if (parse_optional(f[F_EXIT], 0, 255, &status->exit_code) < 0 ||
	    parse_optional(f[F_SIGNAL], 1, 127, &status->exit_signal) < 0)
		goto bad;
	status->name = f[F_NAME];
	status->state = f[F_STATE];
	status->command = f[F_COMMAND];
	return 0;
bad:
	memset(status, 0, sizeof(*status));
	status->exit_code = -1;
	status->exit_signal = -1;
	errno = EINVAL;
	return -1;
}

