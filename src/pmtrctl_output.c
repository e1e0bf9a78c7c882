/* pmtrctl_output.c: what pmtrctl prints: its messages, the table and JSON of status, lines of job output. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "pmtrctl_output.h"
#include "util.h"
#include "ctlstatus.h"

#define DEFAULT_WIDTH 80
/* Narrowest command column, "..." included, whatever the width left. */
#define COMMAND_MIN_WIDTH 10
/* Widest STATUS column: a job's status text is cut to it, "..." included; and the
 * narrowest it becomes when the width is short. */
#define STATUS_MAX_WIDTH 40
#define STATUS_MIN_WIDTH 10

void out_complain(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("pmtrctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- text for people -------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

size_t out_make_printable(char *s, size_t *len)
{
	size_t n = strlen(s), w = 0;

	for (size_t i = 0; i < n; w++) {
		unsigned char *p = (unsigned char *)s + i;
		size_t seq;

		if (*p >= 0x20 && *p < 0x7f) {
			i++;	/* plain ASCII, nearly everything */
			continue;
		}
		seq = utf8_len(p, n - i);
		if (seq == 0 || (seq == 1 && (*p < 0x20 || *p == 0x7f))) {
			*p = '?';
			seq = 1;
		}
		i += seq;
	}
	if (len)
		*len = n;
	return w;
}

char *out_printable(const char *s)
{
	char *copy = util_strdup(s);

	if (copy)
		out_make_printable(copy, NULL);
	return copy;
}

/* Cut a printable string to at most max characters, the last three being "...". */
static void cut(char *s, size_t width, size_t max)
{
	size_t keep, chars = 0;
	char *p = s;

	if (width <= max)
		return;
	keep = max > 3 ? max - 3 : 0;
	while (*p && chars < keep) {
		p++;
		while ((*p & 0xc0) == 0x80)
			p++;
		chars++;
	}
	memcpy(p, "...", 4);
}

/* v in decimal then suffix, into buf of len (24 or more): without printf, for
 * the cells of every row of a table of 1000 jobs. */
static void format_number(unsigned long long v, const char *suffix, char *buf, size_t len)
{
	char digits[24];
	size_t n = 0, k = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n && k + 1 < len)
		buf[k++] = digits[--n];
	while (*suffix && k + 1 < len)
		buf[k++] = *suffix++;
	buf[k] = '\0';
}

/* A duration for the table, in its two largest units: 7s, 2m05s, 1h02m, 3d04h. */
static void format_seconds(unsigned long long s, char *buf, size_t len)
{
	if (s < 60)
		format_number(s, "s", buf, len);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%llud%02lluh", s / 86400, s % 86400 / 3600);
}

static void format_uptime(const struct ctl_job_status *st, char *buf, size_t len)
{
	if (!st->pid)
		snprintf(buf, len, "-");
	else
		format_seconds(st->uptime > 0 ? (unsigned long long)st->uptime : 0, buf, len);
}

static void format_last_exit(const struct ctl_job_status *st, char *buf, size_t len)
{
	if (st->oom_kill)
		snprintf(buf, len, "oom-kill");
	else if (st->exit_signal > 0)
		util_signame(st->exit_signal, buf, len);
	else if (st->exit_code >= 0 && len > 5) {
		memcpy(buf, "exit ", 5);
		format_number((unsigned long long)st->exit_code, "", buf + 5, len - 5);
	}
	else
		snprintf(buf, len, "-");
}

static size_t output_width(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;

	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);

		if (!*end && v > 0 && v < 100000)
			return (size_t)v;
	}
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return DEFAULT_WIDTH;
}

enum {
	C_NAME, C_STATE, C_PID, C_UPTIME, C_RESTARTS, C_EXIT, C_MEMORY, C_CPU, C_PIDS,
	C_NEXT_RUN, C_LAST_RUN, C_STATUS, C_COMMAND, N_COLS
};

static const char *const headers[N_COLS] = {
	"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT", "MEMORY", "CPU", "PIDS",
	"NEXT RUN", "LAST RUN", "STATUS", "COMMAND",
};

struct row {
	char *cell[N_COLS];
	size_t len[N_COLS];	/* bytes */
	size_t width[N_COLS];	/* characters */
	char number[C_PIDS - C_PID + 1][24];
	char state[96];
	char next_run[80], last_run[48];
};

/* 512B, 12.3K, 45.6M, 1.2G */
static void format_bytes(const struct ctl_job_status *st, char *buf, size_t len)
{
	static const char units[] = "KMGTP";
	double v = (double)st->memory_bytes;
	int u = -1;

	if (!st->has_memory) {
		snprintf(buf, len, "-");
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%lluB", st->memory_bytes);
	else
		snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* CPU time: 0.42s, 12.3s, 5m02s, 3h04m */
static void format_cpu(const struct ctl_job_status *st, char *buf, size_t len)
{
	unsigned long long s = st->cpu_usec / 1000000;

	if (!st->has_cpu)
		snprintf(buf, len, "-");
	else if (s < 60)
		snprintf(buf, len, "%.2fs", (double)st->cpu_usec / 1e6);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", s / 60, s % 60);
	else
		snprintf(buf, len, "%lluh%02llum", s / 3600, s % 3600 / 60);
}

/* Time until a restart, rounded up to whole seconds: 7s, 2m05s, 1h02m, 3d04h. */
static void format_wait(unsigned long long ms, char *buf, size_t len)
{
	format_seconds(ms / 1000 + (ms % 1000 != 0), buf, len);
}

/* The STATE cell: the state, and for a running job with a check its health,
 * "running (healthy)" or "running (unhealthy)", or "running (checking)" until the
 * first check of a ready job has ended; for a job waiting to restart, when:
 * "waiting to restart (in 7s)", or where that would cut a command or the table
 * is too wide for the output, "restart in 7s". */
static char *state_cell(const struct ctl_job_status *st, bool narrow, char *buf, size_t len)
{
	const char *health = st->health;
	char wait[32];

	if (st->has_restart_in) {
		format_wait(st->restart_in_ms, wait, sizeof(wait));
		if (narrow)
			snprintf(buf, len, "restart in %s", wait);
		else
			snprintf(buf, len, "%s (in %s)", st->state, wait);
		return buf;
	}
	if (!health || strcmp(st->state, "running") != 0 || st->ready == CTL_READY_NO)
		return st->state;
	snprintf(buf, len, "running (%s)", strcmp(health, "starting") == 0 ? "checking" : health);
	return buf;
}

/* A Unix time in local time, to the minute when it falls on one (as most
 * schedules do), else to the second (a jitter): "2026-12-09 03:00",
 * "2026-12-09 03:04:17". */
static void format_local_time(long long t, char *buf, size_t len)
{
	time_t secs = (time_t)t;
	struct tm tm;

	if (!localtime_r(&secs, &tm) ||
	    !strftime(buf, len, tm.tm_sec ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm))
		snprintf(buf, len, "@%lld", t);
}

/* The NEXT RUN cell of a job with a schedule: "2026-12-09 03:00 (in 5h12m)", or
 * where that would cut a command or the table is too wide, "in 5h12m"; "now" for a
 * run due. "-" for a job without. */
static void format_next_run(const struct ctl_job_status *st, long long now, bool narrow,
			    char *buf, size_t len)
{
	char when[40], wait[32] = "now";

	if (!st->has_next_run) {
		snprintf(buf, len, "-");
		return;
	}
	if (st->next_run > now) {
		memcpy(wait, "in ", 3);
		format_seconds((unsigned long long)(st->next_run - now), wait + 3, sizeof(wait) - 3);
	}
	format_local_time(st->next_run, when, sizeof(when));
	if (narrow)
		snprintf(buf, len, "%s", wait);
	else
		snprintf(buf, len, "%s (%s)", when, wait);
}

/* The LAST RUN cell: when its last run started, "2026-12-08 03:00", or narrow
 * "21h00m ago"; "-" for a job that has not run. */
static void format_last_run(const struct ctl_job_status *st, long long now, bool narrow,
			    char *buf, size_t len)
{
	char ago[32];

	if (!st->has_last_run) {
		snprintf(buf, len, "-");
	} else if (narrow) {
		format_seconds(now > st->last_run ? (unsigned long long)(now - st->last_run) : 0,
			       ago, sizeof(ago));
		snprintf(buf, len, "%s ago", ago);
	} else {
		format_local_time(st->last_run, buf, len);
	}
}

static bool has_note(const struct ctl_job_status *st)
{
	return st->note && *st->note;
}

/* The table leaves in large writes, not in a stdio call per cell. */
struct table_out {
	size_t len;
	char data[65536];
};

static void table_flush(struct table_out *o)
{
	fwrite(o->data, 1, o->len, stdout);
	o->len = 0;
}

static void table_put(struct table_out *o, const char *s, size_t n)
{
	if (o->len + n > sizeof(o->data))
		table_flush(o);
	if (n > sizeof(o->data)) {
		fwrite(s, 1, n, stdout);
		return;
	}
	memcpy(o->data + o->len, s, n);
	o->len += n;
}

static void table_pad(struct table_out *o, size_t width, size_t col_width)
{
	static const char spaces[] = "                                ";

	while (width < col_width) {
		size_t n = col_width - width < sizeof(spaces) - 1 ? col_width - width :
								    sizeof(spaces) - 1;

		table_put(o, spaces, n);
		width += n;
	}
}

static void set_cell(struct row *r, int c, char *text)
{
	r->cell[c] = text;
	r->width[c] = out_make_printable(text, &r->len[c]);
}

/* The cells that have a narrow form: STATE, NEXT RUN and LAST RUN. */
static void fill_narrowable(struct row *r, const struct ctl_job_status *st, long long now,
			    bool narrow)
{
	set_cell(r, C_STATE, state_cell(st, narrow, r->state, sizeof(r->state)));
	format_next_run(st, now, narrow, r->next_run, sizeof(r->next_run));
	set_cell(r, C_NEXT_RUN, r->next_run);
	format_last_run(st, now, narrow, r->last_run, sizeof(r->last_run));
	set_cell(r, C_LAST_RUN, r->last_run);
}

/* Row r from the status of a job, now the client's Unix time. */
static void fill_row(struct row *r, struct ctl_job_status *st, long long now)
{
	static char none[] = "-";
	char (*num)[24] = r->number;	/* column C_PID + k is num[k] */

	if (st->pid > 0)
		format_number((unsigned long long)st->pid, "", num[C_PID - C_PID], sizeof(num[0]));
	else
		strcpy(num[C_PID - C_PID], "-");
	format_uptime(st, num[C_UPTIME - C_PID], sizeof(num[0]));
	format_number(st->restarts, "", num[C_RESTARTS - C_PID], sizeof(num[0]));
	format_last_exit(st, num[C_EXIT - C_PID], sizeof(num[0]));
	format_bytes(st, num[C_MEMORY - C_PID], sizeof(num[0]));
	format_cpu(st, num[C_CPU - C_PID], sizeof(num[0]));
	snprintf(num[C_PIDS - C_PID], sizeof(num[0]), st->has_pids ? "%llu" : "-", st->pids);
	set_cell(r, C_NAME, st->name);
	fill_narrowable(r, st, now, false);
	for (int c = C_PID; c <= C_PIDS; c++)
		set_cell(r, c, num[c - C_PID]);
	set_cell(r, C_STATUS, has_note(st) ? st->note : none);
	if (r->width[C_STATUS] > STATUS_MAX_WIDTH) {
		cut(r->cell[C_STATUS], r->width[C_STATUS], STATUS_MAX_WIDTH);
		set_cell(r, C_STATUS, r->cell[C_STATUS]);
	}
	set_cell(r, C_COMMAND, st->command);
}

/* The rows of a table, rows[0] its header, and how wide each column is. */
struct table {
	struct row *rows;
	size_t n_rows;
	size_t col[N_COLS];
	bool notes;		/* the STATUS column is shown */
	bool usage;		/* the MEMORY, CPU and PIDS columns are shown */
	bool next_runs;		/* the NEXT RUN column is shown */
	bool last_runs;		/* the LAST RUN column is shown */
};

static bool shown_column(const struct table *t, int c)
{
	return (c != C_STATUS || t->notes) && (t->usage || c < C_MEMORY || c > C_PIDS) &&
	       (c != C_NEXT_RUN || t->next_runs) && (c != C_LAST_RUN || t->last_runs);
}

/* Every column as wide as its widest cell, the STATUS column cut on a narrow
 * terminal. Returns the room left for the command; *fits false when the table is
 * wider than the output even with the command cut to its narrowest. */
static size_t lay_out(struct table *t, bool *fits)
{
	size_t used = 0, width = output_width();

	memset(t->col, 0, sizeof(t->col));
	for (size_t i = 0; i < t->n_rows; i++)
		for (int c = 0; c < N_COLS; c++)
			if (t->rows[i].width[c] > t->col[c])
				t->col[c] = t->rows[i].width[c];
	for (int c = 0; c < C_STATUS; c++)
		if (shown_column(t, c))
			used += t->col[c] + 2;
	if (t->notes) {
		/* On a narrow terminal the status texts and the command share what is
		 * left, the texts cut to half of it at most (STATUS_MIN_WIDTH at least). */
		size_t fits = width > used + 2 ? (width - used - 2) / 2 : 0;

		if (t->col[C_STATUS] > fits) {
			t->col[C_STATUS] = fits > STATUS_MIN_WIDTH ? fits : STATUS_MIN_WIDTH;
			for (size_t i = 1; i < t->n_rows; i++) {
				struct row *r = &t->rows[i];

				cut(r->cell[C_STATUS], r->width[C_STATUS], t->col[C_STATUS]);
				set_cell(r, C_STATUS, r->cell[C_STATUS]);
			}
		}
		used += t->col[C_STATUS] + 2;
	}
	*fits = width >= used + COMMAND_MIN_WIDTH;
	return width > used + COMMAND_MIN_WIDTH ? width - used : COMMAND_MIN_WIDTH;
}

static void put_row(struct table_out *out, const struct table *t, struct row *r, size_t room)
{
	for (int c = 0; c < C_COMMAND; c++) {
		if (!shown_column(t, c))
			continue;
		/* numbers to the right, words to the left */
		if (c == C_PID || c == C_RESTARTS || c == C_MEMORY || c == C_CPU || c == C_PIDS) {
			table_pad(out, r->width[c], t->col[c]);
			table_put(out, r->cell[c], r->len[c]);
		} else {
			table_put(out, r->cell[c], r->len[c]);
			table_pad(out, r->width[c], t->col[c]);
		}
		table_put(out, "  ", 2);
	}
	cut(r->cell[C_COMMAND], r->width[C_COMMAND], room);
	table_put(out, r->cell[C_COMMAND], strlen(r->cell[C_COMMAND]));
	table_put(out, "\n", 1);
}

int out_table(struct ctl_job_status *st, size_t n, bool usage)
{
	struct table t = { .rows = calloc(n + 1, sizeof(*t.rows)), .n_rows = n + 1, .usage = usage };
	struct table_out *out = malloc(sizeof(*out));
	long long now = (long long)(util_now_wall_ms() / 1000);
	char header[N_COLS][16];
	size_t room;
	bool fits;

	if (!t.rows || !out) {
		free(t.rows);
		free(out);
		return -1;
	}
	out->len = 0;
	/* The STATUS column only when a job has something to say in it. */
	for (size_t i = 0; i < n && !t.notes; i++)
		t.notes = has_note(&st[i]);
	/* The schedule columns only when a job has a schedule. */
	for (size_t i = 0; i < n; i++) {
		t.next_runs = t.next_runs || st[i].has_next_run;
		t.last_runs = t.last_runs || st[i].has_last_run;
	}
	for (int c = 0; c < N_COLS; c++) {
		snprintf(header[c], sizeof(header[c]), "%s", headers[c]);
		set_cell(&t.rows[0], c, header[c]);
	}
	for (size_t i = 0; i < n; i++)
		fill_row(&t.rows[i + 1], &st[i], now);
	room = lay_out(&t, &fits);
	/* The long forms only where they cost no command its end. */
	if (!fits || room < t.col[C_COMMAND]) {
		for (size_t i = 0; i < n; i++)
			fill_narrowable(&t.rows[i + 1], &st[i], now, true);
		room = lay_out(&t, &fits);
	}
	for (size_t i = 0; i < t.n_rows; i++)
		put_row(out, &t, &t.rows[i], room);
	table_flush(out);
	free(out);
	free(t.rows);
	return 0;
}

/* A JSON string: quotes, backslashes and control bytes escaped, broken UTF-8 replaced
 * by U+FFFD, so that the document is always valid. */
static void json_string(const char *s)
{
	size_t n = strlen(s);

	putchar('"');
	for (size_t i = 0; i < n;) {
		const unsigned char *p = (const unsigned char *)s + i;
		size_t len = utf8_len(p, n - i);

		if (len == 0) {
			fputs("\\ufffd", stdout);
			i++;
		} else if (*p == '"' || *p == '\\') {
			putchar('\\');
			putchar(*p);
			i++;
		} else if (*p < 0x20 || *p == 0x7f) {
			printf("\\u%04x", *p);
			i++;
		} else {
			fwrite(p, 1, len, stdout);
			i += len;
		}
	}
	putchar('"');
}

static void json_int_or_null(long long v, bool present)
{
	if (present)
		printf("%lld", v);
	else
		fputs("null", stdout);
}

static void json_string_or_null(const char *s)
{
	if (s)
		json_string(s);
	else
		fputs("null", stdout);
}

void out_config_errors(const struct out_config *config)
{
	for (size_t i = 0; i < config->n; i++) {
		char *text = out_printable(config->errors[i]);

		fprintf(stderr, "%s\n", text ? text : "?");
		free(text);
	}
}

void out_config_note(const struct out_config *config)
{
	time_t since = (time_t)config->since;
	char stamp[32];
	struct tm tm;

	if (!config->since)
		return;
	if (!localtime_r(&since, &tm) || !strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(stamp, sizeof(stamp), "%lld", config->since);
	/* stdout first: the note comes after the table */
	fflush(stdout);
	out_complain("the configuration on disk cannot be used since %s; the jobs run on "
		     "the one read before:", stamp);
	out_config_errors(config);
}

void out_json(const struct ctl_job_status *st, size_t n, const struct out_config *config)
{
	long long now_ms = (long long)util_now_wall_ms();

	fputs("{\"jobs\":[", stdout);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n" : "\n", stdout);
		fputs("{\"name\":", stdout);
		json_string(st[i].name);
		fputs(",\"state\":", stdout);
		json_string(st[i].state);
		/* false too when not said, by a daemon of version 1 */
		printf(",\"ready\":%s", st[i].ready == CTL_READY_YES ? "true" : "false");
		fputs(",\"health\":", stdout);
		json_string_or_null(st[i].health);
		fputs(",\"status_text\":", stdout);
		json_string_or_null(st[i].note);
		fputs(",\"pid\":", stdout);
		json_int_or_null(st[i].pid, st[i].pid != 0);
		fputs(",\"uptime\":", stdout);
		json_int_or_null(st[i].uptime, st[i].pid != 0);
		printf(",\"restarts\":%lu", st[i].restarts);
		fputs(",\"exit_code\":", stdout);
		json_int_or_null(st[i].exit_code, st[i].exit_code >= 0);
		fputs(",\"exit_signal\":", stdout);
		json_int_or_null(st[i].exit_signal, st[i].exit_signal > 0);
		fputs(",\"command\":", stdout);
		json_string(st[i].command);
		fputs(",\"file\":", stdout);
		json_string_or_null(st[i].file);
		printf(",\"oom_kill\":%s", st[i].oom_kill ? "true" : "false");
		/* Unix seconds by this clock, rounded up as the table's "in 7s" is */
		fputs(",\"restart_at\":", stdout);
		json_int_or_null((now_ms + (long long)st[i].restart_in_ms + 999) / 1000,
				 st[i].has_restart_in);
		fputs(",\"next_run\":", stdout);
		json_int_or_null(st[i].next_run, st[i].has_next_run);
		fputs(",\"last_run\":", stdout);
		json_int_or_null(st[i].last_run, st[i].has_last_run);
		fputs(",\"memory_bytes\":", stdout);
		json_int_or_null((long long)st[i].memory_bytes, st[i].has_memory);
		fputs(",\"cpu_usec\":", stdout);
		json_int_or_null((long long)st[i].cpu_usec, st[i].has_cpu);
		fputs(",\"pids\":", stdout);
		json_int_or_null((long long)st[i].pids, st[i].has_pids);
		putchar('}');
	}
	fputs(n ? "\n]," : "],", stdout);
	fputs("\"config_invalid_since\":", stdout);
	json_int_or_null(config->since, config->since != 0);
	fputs(",\"config_errors\":[", stdout);
	for (size_t i = 0; i < config->n; i++) {
		if (i)
			putchar(',');
		json_string(config->errors[i]);
	}
	fputs("]}\n", stdout);
}

void out_log_line(const struct ctl_log_line *l)
{
	time_t secs = (time_t)(l->time_ms / 1000);
	char stamp[32];
	struct tm tm;

	if (!localtime_r(&secs, &tm) || !strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(stamp, sizeof(stamp), "@%lld", (long long)secs);
	printf("%s.%03lld %s[%ld]: %s\n", stamp, l->time_ms % 1000, l->name, l->pid, l->text);
}

