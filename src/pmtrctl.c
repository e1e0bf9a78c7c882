/* pmtrctl.c: the pmtr control client: show the jobs and act on them through pmtr's control socket. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "ctlproto.h"
#include "util.h"

/* Exit statuses (pmtrctl(8)); 1, 3 and 4 also come from the daemon's error kinds. */
#define EXIT_OK 0
#define EXIT_USAGE 1
#define EXIT_UNREACHABLE 2
#define EXIT_NOT_READY 5	/* wait: not every job was ready in time */
/* Not an exit status: the daemon speaks only version 1; ask again in it. */
#define RETRY_V1 (-1)
/* Internal results of one exchange: closed with not a byte of answer (pmtr was
 * executing itself anew and had not read the request); nobody listens any more. */
#define UNANSWERED (-2)
#define DAEMON_GONE (-3)

/* The whole exchange, connect included, must end within this. */
#define ANSWER_TIMEOUT_S 10
/* Larger than any status of a real table (1000 jobs take about 100 KB). */
#define REPLY_MAX (64u << 20)
#define DEFAULT_WIDTH 80
/* Lines of output that logs shows without -n. */
#define DEFAULT_LINES 20
/* Narrowest command column, "..." included, whatever the width left. */
#define COMMAND_MIN_WIDTH 10
/* Widest STATUS column: a job's status text is cut to it, "..." included; and the
 * narrowest it becomes when the width is short. */
#define STATUS_MAX_WIDTH 40
#define STATUS_MIN_WIDTH 10
/* wait: how long without -t, the most -t may say, and how often it asks. */
#define WAIT_DEFAULT_MS 60000
#define WAIT_MAX_MS (7 * 86400000LL)
#define WAIT_POLL_MS 100
/* wait: the jobs that its message names at most, the others counted. */
#define WAIT_SHOWN_MAX 10

struct buf {
	char *data;
	size_t len, cap;
};

static void usage(FILE *to)
{
	fprintf(to,
		"usage: pmtrctl [-s SOCKET] COMMAND [JOB...]\n"
		"commands:\n"
		"  status [-l] [--json] [JOB...]  show every job, or the named ones;\n"
		"                            -l: with memory, CPU time and processes\n"
		"  start JOB...              start jobs now\n"
		"  stop JOB...               stop jobs; they stay stopped until started\n"
		"  restart JOB...            stop jobs and start them again\n"
		"  enable JOB...             the same as start\n"
		"  disable JOB...            the same as stop\n"
		"  reload                    read the configuration file now\n"
		"  reexec                    run pmtr's binary as it is on disk now, keeping every job\n"
		"  logs [-f] [-n N] JOB...   the last N (20) lines of output of jobs;\n"
		"                            -f: then follow new lines until Ctrl-C\n"
		"  signal SIG JOB...         send SIG (HUP, SIGHUP, 1) to each job's process\n"
		"  wait [-t TIME] [JOB...]   wait until the jobs (default: all but the disabled\n"
		"                            and done) run and are ready and not unhealthy;\n"
		"                            TIME 60s unless given (500ms, 10s, 2m); -t 0: ask once\n"
		"options:\n"
		"  -s SOCKET  control socket of pmtr (default %s; not as root,\n"
		"             $XDG_RUNTIME_DIR/pmtr.sock first when it exists)\n"
		"  -h         this help\n"
		"  -V         version\n"
		"exit status: 0 done, 1 usage, 2 daemon unreachable, 3 unknown job, 4 refused,\n"
		"             5 not ready in time (wait)\n",
		PMTR_SOCKET);
}

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Root talks to the system's pmtr. Another user talks to a pmtr of their own at
 * $XDG_RUNTIME_DIR/pmtr.sock when there is one, else to the system's (as a member
 * of its group, status works). */
static const char *default_socket(char *buf, size_t len)
{
	const char *why, *own;
	struct stat st;

	if (geteuid() == 0)
		return PMTR_SOCKET;
	own = ctl_user_socket(buf, len, &why);
	if (own && stat(own, &st) == 0 && S_ISSOCK(st.st_mode))
		return own;
	return PMTR_SOCKET;
}

/* The one line on standard error that every failure prints; also the notes among
 * the lines of logs, in their place (stdout is flushed first). */
static void complain(const char *fmt, ...)
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

/* Make s safe for a terminal, in place: control bytes and broken UTF-8 become "?"
 * (one byte for one). Returns its width in characters (one column each, near
 * enough for a table) and its length in bytes in *len. */
static size_t make_printable(char *s, size_t *len)
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

/* A copy of s made printable; NULL on ENOMEM. */
static char *printable(const char *s)
{
	char *copy = util_strdup(s);

	if (copy)
		make_printable(copy, NULL);
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

static void format_uptime(const struct ctl_job_status *st, char *buf, size_t len)
{
	long long s = st->uptime;

	if (!st->pid)
		snprintf(buf, len, "-");
	else if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

static void format_last_exit(const struct ctl_job_status *st, char *buf, size_t len)
{
	if (st->oom_kill)
		snprintf(buf, len, "oom-kill");
	else if (st->exit_signal > 0)
		util_signame(st->exit_signal, buf, len);
	else if (st->exit_code >= 0)
		snprintf(buf, len, "exit %d", st->exit_code);
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
	C_NAME, C_STATE, C_PID, C_UPTIME, C_RESTARTS, C_EXIT, C_MEMORY, C_CPU, C_PIDS, C_STATUS,
	C_COMMAND, N_COLS
};

static const char *const headers[N_COLS] = {
	"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT", "MEMORY", "CPU", "PIDS",
	"STATUS", "COMMAND",
};

struct row {
	char *cell[N_COLS];
	size_t len[N_COLS];	/* bytes */
	size_t width[N_COLS];	/* characters */
	char number[C_PIDS - C_PID + 1][24];
	char state[32];
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

/* The STATE cell: the state, and for a running job with a check its health,
 * "running (healthy)" or "running (unhealthy)", or "running (checking)" until the
 * first check of a ready job has ended. */
static char *state_cell(const struct ctl_job_status *st, char *buf, size_t len)
{
	const char *health = st->health;

	if (!health || strcmp(st->state, "running") != 0 || st->ready == CTL_READY_NO)
		return st->state;
	snprintf(buf, len, "running (%s)", strcmp(health, "starting") == 0 ? "checking" : health);
	return buf;
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

static void out_flush(struct table_out *o)
{
	fwrite(o->data, 1, o->len, stdout);
	o->len = 0;
}

static void out_put(struct table_out *o, const char *s, size_t n)
{
	if (o->len + n > sizeof(o->data))
		out_flush(o);
	if (n > sizeof(o->data)) {
		fwrite(s, 1, n, stdout);
		return;
	}
	memcpy(o->data + o->len, s, n);
	o->len += n;
}

static void out_pad(struct table_out *o, size_t width, size_t col_width)
{
	static const char spaces[] = "                                ";

	while (width < col_width) {
		size_t n = col_width - width < sizeof(spaces) - 1 ? col_width - width :
								    sizeof(spaces) - 1;

		out_put(o, spaces, n);
		width += n;
	}
}

static void set_cell(struct row *r, int c, char *text)
{
	r->cell[c] = text;
	r->width[c] = make_printable(text, &r->len[c]);
}

/* An aligned table: every column as wide as its widest cell, the command cut so that
 * a line fits the output width. The strings of st are changed: made printable, the
 * command cut. */
static int print_table(struct ctl_job_status *st, size_t n, bool usage)
{
	static char none[] = "-";
	struct row *rows = calloc(n + 1, sizeof(*rows));
	char header[N_COLS][16];
	size_t col[N_COLS] = { 0 }, used = 0, room;
	struct table_out *out;
	bool notes = false;

	out = malloc(sizeof(*out));
	if (!rows || !out) {
		free(rows);
		free(out);
		return -1;
	}
	out->len = 0;
	/* The STATUS column only when a job has something to say in it. */
	for (size_t i = 0; i < n && !notes; i++)
		notes = has_note(&st[i]);
	for (int c = 0; c < N_COLS; c++) {
		snprintf(header[c], sizeof(header[c]), "%s", headers[c]);
		set_cell(&rows[0], c, header[c]);
	}
	for (size_t i = 0; i < n; i++) {
		struct row *r = &rows[i + 1];
		char (*num)[24] = r->number;	/* column C_PID + k is num[k] */

		snprintf(num[C_PID - C_PID], sizeof(num[0]), st[i].pid ? "%ld" : "-", st[i].pid);
		format_uptime(&st[i], num[C_UPTIME - C_PID], sizeof(num[0]));
		snprintf(num[C_RESTARTS - C_PID], sizeof(num[0]), "%lu", st[i].restarts);
		format_last_exit(&st[i], num[C_EXIT - C_PID], sizeof(num[0]));
		format_bytes(&st[i], num[C_MEMORY - C_PID], sizeof(num[0]));
		format_cpu(&st[i], num[C_CPU - C_PID], sizeof(num[0]));
		snprintf(num[C_PIDS - C_PID], sizeof(num[0]), st[i].has_pids ? "%llu" : "-", st[i].pids);
		set_cell(r, C_NAME, st[i].name);
		set_cell(r, C_STATE, state_cell(&st[i], r->state, sizeof(r->state)));
		for (int c = C_PID; c <= C_PIDS; c++)
			set_cell(r, c, num[c - C_PID]);
		set_cell(r, C_STATUS, has_note(&st[i]) ? st[i].note : none);
		if (r->width[C_STATUS] > STATUS_MAX_WIDTH) {
			cut(r->cell[C_STATUS], r->width[C_STATUS], STATUS_MAX_WIDTH);
			set_cell(r, C_STATUS, r->cell[C_STATUS]);
		}
		set_cell(r, C_COMMAND, st[i].command);
	}
	for (size_t i = 0; i <= n; i++)
		for (int c = 0; c < N_COLS; c++)
			if (rows[i].width[c] > col[c])
				col[c] = rows[i].width[c];
	for (int c = 0; c < C_STATUS; c++)
		if (usage || c < C_MEMORY || c > C_PIDS)
			used += col[c] + 2;
	if (notes) {
		/* On a narrow terminal the status texts and the command share what is
		 * left, the texts cut to half of it at most (STATUS_MIN_WIDTH at least). */
		size_t fits = output_width() > used + 2 ? (output_width() - used - 2) / 2 : 0;

		if (col[C_STATUS] > fits) {
			col[C_STATUS] = fits > STATUS_MIN_WIDTH ? fits : STATUS_MIN_WIDTH;
			for (size_t i = 1; i <= n; i++) {
				cut(rows[i].cell[C_STATUS], rows[i].width[C_STATUS], col[C_STATUS]);
				set_cell(&rows[i], C_STATUS, rows[i].cell[C_STATUS]);
			}
		}
		used += col[C_STATUS] + 2;
	}
	room = output_width() > used + COMMAND_MIN_WIDTH ? output_width() - used :
							  COMMAND_MIN_WIDTH;
	for (size_t i = 0; i <= n; i++) {
		struct row *r = &rows[i];

		for (int c = 0; c < C_COMMAND; c++) {
			if ((c == C_STATUS && !notes) || (!usage && c >= C_MEMORY && c <= C_PIDS))
				continue;
			/* numbers to the right, words to the left */
			if (c == C_PID || c == C_RESTARTS || c == C_MEMORY || c == C_CPU ||
			    c == C_PIDS) {
				out_pad(out, r->width[c], col[c]);
				out_put(out, r->cell[c], r->len[c]);
			} else {
				out_put(out, r->cell[c], r->len[c]);
				out_pad(out, r->width[c], col[c]);
			}
			out_put(out, "  ", 2);
		}
		cut(r->cell[C_COMMAND], r->width[C_COMMAND], room);
		out_put(out, r->cell[C_COMMAND], strlen(r->cell[C_COMMAND]));
		out_put(out, "\n", 1);
	}
	out_flush(out);
	free(out);
	free(rows);
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

static void print_json(const struct ctl_job_status *st, size_t n)
{
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
		fputs(",\"memory_bytes\":", stdout);
		json_int_or_null((long long)st[i].memory_bytes, st[i].has_memory);
		fputs(",\"cpu_usec\":", stdout);
		json_int_or_null((long long)st[i].cpu_usec, st[i].has_cpu);
		fputs(",\"pids\":", stdout);
		json_int_or_null((long long)st[i].pids, st[i].has_pids);
		putchar('}');
	}
	fputs(n ? "\n]}\n" : "]}\n", stdout);
}

/* ---- the exchange ----------------------------------------------------------- */

static int remaining_ms(int64_t deadline)
{
	int64_t left = deadline - util_now_ms();

	return left > 0 ? (int)left : 0;
}

static int buf_reserve(struct buf *b, size_t more)
{
	size_t cap;
	char *bigger;

	if (b->len + more + 1 <= b->cap)
		return 0;
	if (b->len + more + 1 > REPLY_MAX) {
		errno = EFBIG;
		return -1;
	}
	cap = b->cap ? b->cap : 16384;
	while (cap < b->len + more + 1)
		cap *= 2;
	bigger = realloc(b->data, cap);
	if (!bigger)
		return -1;
	b->data = bigger;
	b->cap = cap;
	return 0;
}

/* Whether Ctrl-C (or SIGTERM) asked a follower to stop. */
static volatile sig_atomic_t interrupted;

static void interrupt_cb(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* An answer taken line by line as it arrives (logs, follow), instead of whole. */
struct stream {
	/* Called with each line, its "\n" cut; returns EXIT_OK to go on, else the
	 * exit status to end with. */
	int (*line_cb)(struct stream *st, char *line);
	const char *path;
	int version;		/* of the daemon's hello, 0 before it */
	bool ok;		/* the "ok" line came */
	bool endless;		/* from now on the answer may take as long as it likes */
	bool retry_v1;		/* the daemon speaks only version 1 */
	enum ctl_command command;
	struct ctl_request *req;	/* follow: the names left as their jobs end */
	/* A follow asked again after pmtr executed itself anew (pmtrctl reexec)
	 * prints from the line after the last one shown: lines come in the order
	 * they were written, so that is the first line after shown_ms but the
	 * shown_at_ms lines already printed with that time (skip_at_ms counts
	 * them down while skipping). */
	bool resumed, skipping;
	long long shown_ms;
	unsigned long shown_at_ms, skip_at_ms;
};

/* Ready to ask again for the same stream: no hello yet. */
static void stream_restart(struct stream *st)
{
	st->version = 0;
	st->ok = st->endless = st->retry_v1 = false;
}

/* Hand the complete lines of reply to the stream, keeping a partial one. */
static int stream_lines(struct stream *st, struct buf *reply)
{
	char *start = reply->data, *end = reply->data + reply->len, *nl;
	int rc = EXIT_OK;

	while (rc == EXIT_OK && (nl = memchr(start, '\n', (size_t)(end - start)))) {
		*nl = '\0';
		if (memchr(start, '\0', (size_t)(nl - start))) {
			complain("%s: malformed answer from the daemon", st->path);
			return EXIT_UNREACHABLE;
		}
		rc = st->line_cb(st, start);
		start = nl + 1;
	}
	reply->len = (size_t)(end - start);
	memmove(reply->data, start, reply->len);
	if (st->endless && fflush(stdout) != 0)
		rc = EXIT_USAGE;
	return rc;
}

/* Send the request and read the whole reply, or hand it to stream as it arrives.
 * EXIT_OK, or the exit status after the message saying why not. */
static int exchange(const char *path, const char *request, struct buf *reply,
		    struct stream *stream)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = ANSWER_TIMEOUT_S };
	int64_t deadline = util_now_ms() + ANSWER_TIMEOUT_S * 1000;
	size_t sent = 0, len = strlen(request);
	bool writing = true, answered = false;
	int fd, rc = EXIT_UNREACHABLE;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		complain("cannot connect to %s: %s", path, strerror(ENAMETOOLONG));
		return EXIT_UNREACHABLE;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		complain("socket: %s", strerror(errno));
		return EXIT_UNREACHABLE;
	}
	/* A daemon whose backlog is full makes connect wait: at most the time limit. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (stream && stream->resumed && (errno == ECONNREFUSED || errno == ENOENT))
			rc = DAEMON_GONE;	/* pmtr stopped: the follow ends as it would have */
		else if (errno == EAGAIN || errno == EINPROGRESS)
			complain("no answer from %s within %d s", path, ANSWER_TIMEOUT_S);
		else
			complain("cannot connect to %s: %s", path, strerror(errno));
		goto out;
	}
	if (util_set_nonblock(fd) < 0) {
		complain("%s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN | (writing ? POLLOUT : 0) };
		bool endless = stream && stream->endless;
		int n = poll(&pfd, 1, endless ? -1 : remaining_ms(deadline));

		if (interrupted) {
			rc = EXIT_OK;
			goto out;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			complain("poll: %s", strerror(errno));
			goto out;
		}
		if (n == 0) {
			complain("no answer from %s within %d s", path, ANSWER_TIMEOUT_S);
			goto out;
		}
		if (writing && (pfd.revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = send(fd, request + sent, len - sent, MSG_NOSIGNAL);

			if (w >= 0)
				sent += (size_t)w;
			else if (errno != EAGAIN && errno != EINTR)
				sent = len;	/* the daemon stopped reading: its answer says why */
			if (sent == len) {
				writing = false;
				shutdown(fd, SHUT_WR);
			}
		}
		if (pfd.revents & (POLLIN | POLLERR | POLLHUP)) {
			ssize_t r;

			if (buf_reserve(reply, 65536) < 0) {
				complain("%s: reply too large: %s", path, strerror(errno));
				goto out;
			}
			r = recv(fd, reply->data + reply->len, reply->cap - reply->len - 1, 0);
			if (r > 0) {
				answered = true;
				reply->len += (size_t)r;
				reply->data[reply->len] = '\0';
				if (stream && (rc = stream_lines(stream, reply)) != EXIT_OK)
					goto out;
				rc = EXIT_UNREACHABLE;
				continue;
			}
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			/* A reset after the answer (our request unread when it closed) ends it too. */
			if (r == 0 || errno == ECONNRESET || errno == EPIPE) {
				rc = answered ? EXIT_OK : UNANSWERED;
				if (stream && reply->len) {
					complain("%s: incomplete or malformed answer", path);
					rc = EXIT_UNREACHABLE;
				}
				goto out;
			}
			complain("cannot read from %s: %s", path, strerror(errno));
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

/* Next line of the reply (its "\n" replaced by NUL), or NULL at the end. */
static char *next_line(char **pos, char *end)
{
	char *line = *pos, *nl;

	if (line >= end)
		return NULL;
	nl = memchr(line, '\n', (size_t)(end - line));
	if (!nl)
		return NULL;
	*nl = '\0';
	*pos = nl + 1;
	return line;
}

static int server_error(const char *path, char *rest)
{
	char *msg = strchr(rest, ' '), *text;
	int kind, status;

	if (msg)
		*msg++ = '\0';
	kind = ctl_error_from_name(rest);
	/* A kind this client does not know: the daemon could not do it. */
	status = kind < 0 ? ctl_error_exit_status(CTL_ERR_REFUSED) :
			    ctl_error_exit_status((enum ctl_error)kind);
	text = printable(msg && *msg ? msg : rest);
	if (!text) {
		complain("%s: %s", path, strerror(errno));
		return status;
	}
	if (msg && *msg)
		complain("%s", text);
	else
		complain("%s: the daemon gave a \"%s\" error", path, text);
	free(text);
	return status;
}

/* A daemon of version 1 refusing our hello. */
static bool is_version_refusal(const char *line)
{
	return strncmp(line, "error usage unsupported protocol version ", 41) == 0;
}

/* The job lines of an answer to status, parsed; their strings point into the reply. */
struct job_list {
	struct ctl_job_status *v;
	size_t n, cap;
};

/* Read the reply: hello, "ok" or "error KIND message", the body, whose job lines go
 * into *jobs; nothing is printed but a failure. Returns the exit status, or
 * RETRY_V1. */
static int read_answer(const char *path, int asked, enum ctl_command command,
		       struct buf *reply, struct job_list *jobs)
{
	char *pos = reply->data, *end = reply->data + reply->len, *line;
	int version;

	jobs->n = 0;
	if (!reply->len) {
		complain("%s: the daemon closed the connection without an answer", path);
		return EXIT_UNREACHABLE;
	}
	if (reply->data[reply->len - 1] != '\n' || memchr(reply->data, '\0', reply->len)) {
		complain("%s: incomplete or malformed answer", path);
		return EXIT_UNREACHABLE;
	}
	line = next_line(&pos, end);
	version = ctl_parse_hello(line, strlen(line));
	if (version < 0) {
		complain("%s: not a pmtr control socket (no hello)", path);
		return EXIT_UNREACHABLE;
	}
	line = next_line(&pos, end);
	if (version == 1 && line && is_version_refusal(line))
		return RETRY_V1;
	if (line && strncmp(line, "error ", 6) == 0)
		return server_error(path, line + 6);
	if (version != asked) {
		complain("%s: the daemon speaks protocol version %d, not %d", path, version,
			 asked);
		return EXIT_UNREACHABLE;
	}
	if (!line || strcmp(line, "ok") != 0) {
		complain("%s: malformed answer from the daemon", path);
		return EXIT_UNREACHABLE;
	}
	if (command == CTL_REEXEC) {
		/* the new pmtr says what it is */
		while ((line = next_line(&pos, end)))
			if (strncmp(line, "version ", 8) == 0)
				printf("%s\n", line + 8);
		return EXIT_OK;
	}
	if (command != CTL_STATUS && command != CTL_DETAILS)
		return EXIT_OK;
	/* Body lines of a kind this client does not know are for newer clients. */
	while ((line = next_line(&pos, end))) {
		if (strncmp(line, "job ", 4) != 0)
			continue;
		if (jobs->n == jobs->cap) {
			size_t bigger_cap = jobs->cap ? jobs->cap * 2 : 64;
			struct ctl_job_status *bigger = realloc(jobs->v, bigger_cap * sizeof(*bigger));

			if (!bigger) {
				complain("%s", strerror(errno));
				return EXIT_UNREACHABLE;
			}
			jobs->v = bigger;
			jobs->cap = bigger_cap;
		}
		if (ctl_parse_status(line, &jobs->v[jobs->n]) < 0) {
			complain("%s: malformed status line from the daemon", path);
			return EXIT_UNREACHABLE;
		}
		jobs->n++;
	}
	return EXIT_OK;
}

/* ---- logs and follow ---------------------------------------------------------- */

/* "2026-12-02 16:31:18.123 web[2199]: text", the time local. */
static void print_log_line(const struct ctl_log_line *l)
{
	time_t secs = (time_t)(l->time_ms / 1000);
	char stamp[32];
	struct tm tm;

	if (!localtime_r(&secs, &tm) || !strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(stamp, sizeof(stamp), "@%lld", (long long)secs);
	printf("%s.%03lld %s[%ld]: %s\n", stamp, l->time_ms % 1000, l->name, l->pid, l->text);
}

/* The body lines other than "line": missed, output and end. */
static int log_notice(struct stream *st, char *line)
{
	char *word[4] = { NULL }, *p = line;
	size_t n = 0;

	while (p && n < ARRAY_SIZE(word)) {
		word[n++] = p;
		p = strchr(p, ' ');
		if (p)
			*p++ = '\0';
	}
	if (n == 3 && strcmp(word[0], "missed") == 0 && ctl_valid_job_name(word[1])) {
		complain("missed %s lines of job %s: reading too slowly", word[2], word[1]);
	} else if (n == 4 && strcmp(word[0], "output") == 0 && ctl_valid_job_name(word[1]) &&
		   ctl_unescape(word[3]) == 0) {
		make_printable(word[3], NULL);
		complain("job %s writes its standard %s to %s, not to pmtr", word[1],
		     strcmp(word[2], "err") == 0 ? "error" : "output", word[3]);
	} else if (n == 2 && strcmp(word[0], "end") == 0 && ctl_valid_job_name(word[1])) {
		if (st->command == CTL_FOLLOW)
			complain("job %s left the configuration", word[1]);
		for (size_t i = 0; st->req && i < st->req->n_names;) {
			if (strcmp(st->req->names[i], word[1]) == 0)
				st->req->names[i] = st->req->names[--st->req->n_names];
			else
				i++;
		}
	}
	/* Anything else is for newer clients. */
	return EXIT_OK;
}

static int log_line_cb(struct stream *st, char *line)
{
	struct ctl_log_line l;

	if (!st->version) {
		st->version = ctl_parse_hello(line, strlen(line));
		if (st->version < 0) {
			complain("%s: not a pmtr control socket (no hello)", st->path);
			return EXIT_UNREACHABLE;
		}
		return EXIT_OK;
	}
	if (!st->ok) {
		if (st->version == 1 && is_version_refusal(line)) {
			st->retry_v1 = true;
			return RETRY_V1;
		}
		if (strncmp(line, "error ", 6) == 0)
			return server_error(st->path, line + 6);
		if (st->version != CTL_VERSION || strcmp(line, "ok") != 0) {
			complain("%s: malformed answer from the daemon", st->path);
			return EXIT_UNREACHABLE;
		}
		st->ok = true;
		st->endless = st->command == CTL_FOLLOW;
		return EXIT_OK;
	}
	if (strncmp(line, "line ", 5) != 0)
		return log_notice(st, line);
	if (ctl_parse_log_line(line, &l) < 0) {
		complain("%s: malformed line of output from the daemon", st->path);
		return EXIT_UNREACHABLE;
	}
	if (st->skipping) {
		if (l.time_ms < st->shown_ms)
			return EXIT_OK;
		if (l.time_ms == st->shown_ms && st->skip_at_ms > 0) {
			st->skip_at_ms--;
			return EXIT_OK;
		}
		st->skipping = false;
	}
	print_log_line(&l);
	if (l.time_ms != st->shown_ms)
		st->shown_at_ms = 0;
	st->shown_ms = l.time_ms;
	st->shown_at_ms++;
	return EXIT_OK;
}

/* Ctrl-C ends a follower well: exit status 0. */
static void catch_interrupts(void)
{
	struct sigaction sa = { .sa_handler = interrupt_cb };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

#define REEXEC_RETRIES 40
#define REEXEC_RETRY_NS (50 * 1000 * 1000L)

/* Send req and read its answer: whole into reply, the job lines of status into
 * *jobs; or line by line through stream. A daemon that speaks only version 1 is
 * asked again in it, and req->version stays 1. Returns the exit status. */
static int request(const char *path, struct ctl_request *req, struct buf *reply,
		   struct stream *stream, struct job_list *jobs)
{
	struct ctl_request check;
	char *text, why[256];
	int rc;

	for (;;) {
		text = ctl_format_request(req);
		if (!text) {
			complain("%s", strerror(errno));
			return EXIT_USAGE;
		}
		/* The daemon's own rules, checked here first: a bad request never leaves
		 * this host. */
		if (ctl_parse_request(text, strlen(text), &check, why, sizeof(why)) != 0) {
			char *shown = printable(why);

			complain("%s", shown ? shown : why);
			free(shown);
			free(text);
			return EXIT_USAGE;
		}
		ctl_request_free(&check);
		reply->len = 0;
		rc = exchange(path, text, reply, stream);
		/* A request that changes nothing is sent again. */
		for (int tries = 0; rc == UNANSWERED && !ctl_command_mutates(req->command) &&
		     tries < REEXEC_RETRIES; tries++) {
			nanosleep(&(struct timespec){ 0, REEXEC_RETRY_NS }, NULL);
			reply->len = 0;
			if (stream)
				stream_restart(stream);
			rc = exchange(path, text, reply, stream);
		}
		if (rc == UNANSWERED) {
			complain("%s: the daemon closed the connection without an answer", path);
			rc = EXIT_UNREACHABLE;
		}
		free(text);
		if (rc == EXIT_OK && !stream)
			rc = read_answer(path, req->version, req->command, reply, jobs);
		if (rc != RETRY_V1)
			return rc;
		/* A pmtr from before version 2 still answers what version 1 has;
		 * details is status there, without the usage. */
		if (req->command == CTL_DETAILS)
			req->command = CTL_STATUS;
		if (req->command > CTL_RELOAD) {
			complain("%s: this pmtr is older than pmtrctl (protocol version 1) and has no %s command",
				 path, ctl_command_name(req->command));
			return ctl_error_exit_status(CTL_ERR_REFUSED);
		}
		req->version = 1;
	}
}

/* Send one request and show its answer; returns the exit status. */
static int ask(const char *path, struct ctl_request *req, bool json, bool usage)
{
	struct stream stream = { .line_cb = log_line_cb, .path = path, .command = req->command };
	bool streamed = req->command == CTL_LOGS || req->command == CTL_FOLLOW;
	struct job_list jobs = { 0 };
	struct buf reply = { 0 };
	int rc;

	if (req->command == CTL_FOLLOW) {
		struct timespec now;

		catch_interrupts();
		stream.req = req;
		/* nothing shown yet: what a follow asked again has to show starts now */
		if (clock_gettime(CLOCK_REALTIME, &now) == 0)
			stream.shown_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	}
	rc = request(path, req, &reply, streamed ? &stream : NULL, &jobs);
	/* A follow closed before every job named left: pmtr executed itself anew
	 * (pmtrctl reexec), which hands its kept lines over; follow on from there. */
	while (rc == EXIT_OK && req->command == CTL_FOLLOW && stream.ok && req->n_names > 0 &&
	       !interrupted) {
		/* not at once: a pmtr that keeps closing follows is not asked in a busy loop */
		nanosleep(&(struct timespec){ 0, REEXEC_RETRY_NS }, NULL);
		stream_restart(&stream);
		stream.resumed = stream.skipping = true;
		stream.skip_at_ms = stream.shown_at_ms;
		req->arg = CTL_LINES_MAX;
		rc = request(path, req, &reply, &stream, &jobs);
		if (rc == DAEMON_GONE)
			rc = EXIT_OK;
	}
	if (rc == EXIT_OK && (req->command == CTL_STATUS || req->command == CTL_DETAILS)) {
		if (json) {
			print_json(jobs.v, jobs.n);
		} else if (print_table(jobs.v, jobs.n, usage) < 0) {
			complain("%s", strerror(ENOMEM));
			rc = EXIT_USAGE;
		}
	}
	free(jobs.v);
	free(reply.data);
	return rc;
}

/* ---- wait ----------------------------------------------------------------------- */

/* Why a job does not count as ready yet (its state, "not ready" or "unhealthy"), or
 * NULL when it does: it runs, is ready and is not unhealthy. A daemon of version 1
 * says nothing of readiness: there a running job is ready. */
static const char *not_ready(const struct ctl_job_status *st)
{
	if (strcmp(st->state, "running") != 0)
		return st->state;
	if (st->ready == CTL_READY_NO)
		return "not ready";
	if (st->health && strcmp(st->health, "unhealthy") == 0)
		return "unhealthy";
	return NULL;
}

/* Without names, wait leaves out the jobs that are not meant to run. */
static bool waited_for(const struct ctl_job_status *st, bool named)
{
	return named || (strcmp(st->state, "disabled") != 0 && strcmp(st->state, "done") != 0);
}

/* "not ready after 60 s: web (starting), db (unhealthy)", the first few jobs named
 * and the others counted. */
static void say_not_ready(const struct job_list *jobs, bool named, int64_t timeout_ms)
{
	size_t size = 0, shown = 0, more = 0;
	char *msg = NULL;
	FILE *m = open_memstream(&msg, &size);

	if (!m) {
		complain("not ready");
		return;
	}
	if (timeout_ms == 0)
		fputs("not ready:", m);
	else if (timeout_ms % 1000)
		fprintf(m, "not ready after %lld ms:", (long long)timeout_ms);
	else
		fprintf(m, "not ready after %lld s:", (long long)(timeout_ms / 1000));
	for (size_t i = 0; i < jobs->n; i++) {
		struct ctl_job_status *st = &jobs->v[i];
		const char *why;

		/* The daemon's words, made safe for a terminal in place. */
		make_printable(st->name, NULL);
		make_printable(st->state, NULL);
		why = waited_for(st, named) ? not_ready(st) : NULL;
		if (!why)
			continue;
		if (shown == WAIT_SHOWN_MAX) {
			more++;
			continue;
		}
		fprintf(m, "%s %s (%s)", shown ? "," : "", st->name, why);
		shown++;
	}
	if (more)
		fprintf(m, " and %zu more", more);
	if (fclose(m) == 0 && msg)
		complain("%s", msg);
	else
		complain("not ready");
	free(msg);
}

/* pmtrctl wait: ask for the status every WAIT_POLL_MS until every job waited for is
 * ready, or timeout_ms is over (0: ask once). Returns the exit status. */
static int wait_ready(const char *path, struct ctl_request *req, int64_t timeout_ms)
{
	int64_t deadline = util_now_ms() + timeout_ms;
	bool named = req->n_names > 0;
	struct job_list jobs = { 0 };
	struct buf reply = { 0 };
	int rc;

	for (;;) {
		bool all_ready = true;

		rc = request(path, req, &reply, NULL, &jobs);
		if (rc != EXIT_OK)
			break;
		for (size_t i = 0; i < jobs.n && all_ready; i++)
			all_ready = !waited_for(&jobs.v[i], named) || !not_ready(&jobs.v[i]);
		if (all_ready)
			break;
		if (util_now_ms() >= deadline) {
			say_not_ready(&jobs, named, timeout_ms);
			rc = EXIT_NOT_READY;
			break;
		}
		/* The last question comes at the deadline, not a poll interval before it. */
		poll(NULL, 0, remaining_ms(deadline) < WAIT_POLL_MS ? remaining_ms(deadline) :
								     WAIT_POLL_MS);
	}
	free(jobs.v);
	free(reply.data);
	return rc;
}

/* -t's value: digits, then "ms", "s", "m", "h", "d" or nothing (seconds), as
 * pmtr.conf writes times. */
static int parse_wait_time(const char *text, int64_t *ms)
{
	char *shown;

	if (util_parse_duration(text, WAIT_MAX_MS, ms) == 0)
		return 0;
	shown = printable(text);
	complain("bad time \"%s\": a number of seconds, or with ms, s, m, h or d (500ms, 10s, 2m), at most 7d",
		 shown ? shown : "?");
	free(shown);
	return -1;
}

/* -n's value: a count of lines. */
static int parse_lines(const char *text, long *lines)
{
	uint64_t v;

	if (util_parse_u64(text, CTL_LINES_MAX, &v) < 0) {
		char *shown = printable(text);

		complain("bad number of lines \"%s\": 0 to %d", shown ? shown : "?", CTL_LINES_MAX);
		free(shown);
		return -1;
	}
	*lines = (long)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char out_buf[1 << 16];
	const char *path = NULL;
	char user_socket[PATH_MAX];
	struct ctl_request req = { .arg = DEFAULT_LINES };
	char **names = NULL;
	size_t n_names = 0;
	bool json = false, options = true, follow = false, have_signal = false, wait_cmd;
	bool long_view = false;
	int64_t timeout_ms = WAIT_DEFAULT_MS;
	int c, command, rc;

	/* A table of 1000 jobs goes out in a few writes, not one per line. */
	setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
	opterr = 0;
	/* "+": stop at the command, so that a job name may start with "-". */
	while ((c = getopt_long(argc, argv, "+:s:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("pmtrctl %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		case ':':
			complain("option -%c needs an argument (see pmtrctl -h)", optopt);
			return EXIT_USAGE;
		default:
			if (optopt)
				complain("unknown option -%c (see pmtrctl -h)", optopt);
			else
				complain("unknown option %s (see pmtrctl -h)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (!path)
		path = default_socket(user_socket, sizeof(user_socket));
	if (!*path) {
		complain("-s needs a socket path");
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		complain("no command given (see pmtrctl -h)");
		return EXIT_USAGE;
	}
	/* wait is pmtrctl's own: status asked again and again. */
	wait_cmd = strcmp(argv[optind], "wait") == 0;
	command = wait_cmd ? CTL_STATUS : ctl_command_from_name(argv[optind]);
	if (command < 0 || command == CTL_FOLLOW || command == CTL_DETAILS) {
		char *shown = printable(argv[optind]);

		complain("unknown command \"%s\" (see pmtrctl -h)", shown ? shown : "?");
		free(shown);
		return EXIT_USAGE;
	}
	names = calloc((size_t)argc, sizeof(*names));
	if (!names) {
		complain("%s", strerror(errno));
		return EXIT_USAGE;
	}
	for (int i = optind + 1; i < argc; i++) {
		const char *arg = argv[i];

		if (options && strcmp(arg, "--") == 0) {
			options = false;
		} else if (options && command == CTL_STATUS && !wait_cmd && strcmp(arg, "--json") == 0) {
			json = true;
		} else if (options && command == CTL_STATUS && !wait_cmd &&
			   (strcmp(arg, "-l") == 0 || strcmp(arg, "--long") == 0)) {
			long_view = true;
		} else if (options && wait_cmd && (strcmp(arg, "-t") == 0 || strcmp(arg, "--timeout") == 0)) {
			if (i + 1 == argc) {
				complain("%s needs a time (10s, 500ms)", arg);
				goto usage;
			}
			if (parse_wait_time(argv[++i], &timeout_ms) < 0)
				goto usage;
		} else if (options && wait_cmd && strncmp(arg, "--timeout=", 10) == 0) {
			if (parse_wait_time(arg + 10, &timeout_ms) < 0)
				goto usage;
		} else if (options && wait_cmd && strncmp(arg, "-t", 2) == 0) {
			if (parse_wait_time(arg + 2, &timeout_ms) < 0)
				goto usage;
		} else if (options && command == CTL_LOGS &&
			   (strcmp(arg, "-f") == 0 || strcmp(arg, "--follow") == 0)) {
			follow = true;
		} else if (options && command == CTL_LOGS &&
			   (strcmp(arg, "-n") == 0 || strcmp(arg, "--lines") == 0)) {
			if (i + 1 == argc) {
				complain("%s needs a number of lines", arg);
				goto usage;
			}
			if (parse_lines(argv[++i], &req.arg) < 0)
				goto usage;
		} else if (options && command == CTL_LOGS && strncmp(arg, "-n", 2) == 0) {
			if (parse_lines(arg + 2, &req.arg) < 0)
				goto usage;
		} else if (command == CTL_SIGNAL && !have_signal) {
			/* "-HUP" as kill(1) writes it, too. */
			int sig = util_parse_signal(arg[0] == '-' && arg[1] ? arg + 1 : arg);

			if (sig <= 0 || sig > 64) {
				char *shown = printable(arg);

				complain("bad signal \"%s\": a name such as HUP or SIGHUP, or a number",
					 shown ? shown : "?");
				free(shown);
				goto usage;
			}
			req.arg = sig;
			have_signal = true;
		} else if (options && arg[0] == '-' && arg[1]) {
			char *shown = printable(arg);

			complain("unknown option \"%s\" for %s (a job name starting with \"-\" goes after \"--\")",
				 shown ? shown : "?", argv[optind]);
			free(shown);
			goto usage;
		} else if (!ctl_valid_job_name(arg)) {
			char *shown = printable(arg);

			complain("bad job name \"%s\": 1 to 128 letters, digits or .-_@:+",
				 shown ? shown : "?");
			free(shown);
			goto usage;
		} else {
			names[n_names++] = argv[i];
		}
	}
	if (command == CTL_SIGNAL && !have_signal) {
		complain("signal needs a signal and a job (pmtrctl signal HUP web)");
		goto usage;
	}
	req.version = CTL_VERSION;
	req.command = follow ? CTL_FOLLOW : (enum ctl_command)command;
	req.names = names;
	req.n_names = n_names;
	/* What the jobs use is read from their cgroups: only when asked for. */
	if (req.command == CTL_STATUS && (json || long_view))
		req.command = CTL_DETAILS;
	rc = wait_cmd ? wait_ready(path, &req, timeout_ms) : ask(path, &req, json, long_view);
	free(names);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		complain("cannot write the output: %s", strerror(errno));
		if (rc == EXIT_OK)
			rc = EXIT_USAGE;
	}
	return rc;
usage:
	free(names);
	return EXIT_USAGE;
}
