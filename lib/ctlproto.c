/* ctlproto.c: the control socket's wire protocol: requests, replies and field escaping, without I/O. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "ctlproto.h"
#include "util.h"

/* The configuration's rule for a job name (src/parse.c says the same). */
#define JOB_NAME_MAX 128
#define JOB_NAME_CHARS ".-_@:+"

#define HELLO_WORD "pmtr-ctl "
#define HELLO_WORD_LEN (sizeof(HELLO_WORD) - 1)
/* Digits of a version number we bother to read: more is not a version. */
#define VERSION_DIGITS_MAX 9

static const char *const error_names[] = {
	[CTL_ERR_USAGE] = "usage",
	[CTL_ERR_UNKNOWN] = "unknown",
	[CTL_ERR_REFUSED] = "refused",
};

static const int error_exit_status[] = {
	[CTL_ERR_USAGE] = 1,
	[CTL_ERR_UNKNOWN] = 3,
	[CTL_ERR_REFUSED] = 4,
};

const char *ctl_error_name(enum ctl_error kind)
{
	if ((unsigned)kind >= ARRAY_SIZE(error_names))
		return NULL;
	return error_names[kind];
}

int ctl_error_from_name(const char *word)
{
	if (!word)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(error_names); i++)
		if (strcmp(error_names[i], word) == 0)
			return (int)i;
	return -1;
}

int ctl_error_exit_status(enum ctl_error kind)
{
	if ((unsigned)kind >= ARRAY_SIZE(error_exit_status))
		return 4;
	return error_exit_status[kind];
}

/* ---- fields ----------------------------------------------------------------- */

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

size_t ctl_escape_into(char *dst, const char *field, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)field;
	char *o = dst;

	if (len == 0) {
		memcpy(dst, "\\e", 3);
		return 2;
	}
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case ' ': *o++ = '\\'; *o++ = 's'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		default:
			if (is_control(s[i])) {
				*o++ = '\\';
				*o++ = 'x';
				*o++ = hex[s[i] >> 4];
				*o++ = hex[s[i] & 0xf];
			} else {
				*o++ = (char)s[i];
			}
		}
	}
	*o = '\0';
	return (size_t)(o - dst);
}

char *ctl_escape(const char *field)
{
	char *out;

	if (!field) {
		errno = EINVAL;
		return NULL;
	}
	out = malloc(CTL_ESCAPED_MAX(strlen(field)));
	if (out)
		ctl_escape_into(out, field, strlen(field));
	return out;
}

int ctl_unescape(char *field)
{
	char *in, *out;

	if (!field || !*field)
		return -1;
	if (strcmp(field, "\\e") == 0) {
		field[0] = '\0';
		return 0;
	}
	for (in = out = field; *in; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == ' ' || is_control(c))
			return -1;
		if (c != '\\') {
			*out++ = (char)c;
			continue;
		}
		switch (*++in) {
		case 's': *out++ = ' '; break;
		case 't': *out++ = '\t'; break;
		case 'n': *out++ = '\n'; break;
		case '\\': *out++ = '\\'; break;
		case 'x': {
			int hi = util_hex_value(in[1]), lo = hi < 0 ? -1 : util_hex_value(in[2]);

			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return -1;	/* a NUL would cut the field short */
			*out++ = (char)(hi << 4 | lo);
			in += 2;
			break;
		}
		default:
			return -1;	/* "\e" alone, an unknown escape, or a lone "\" at the end */
		}
	}
	*out = '\0';
	return 0;
}

/* ---- requests --------------------------------------------------------------- */

static bool valid_job_name(const char *s, size_t len)
{
	if (len == 0 || len > JOB_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
		    (c == '\0' || !strchr(JOB_NAME_CHARS, c)))
			return false;
	}
	return true;
}

bool ctl_valid_job_name(const char *name)
{
	return name && valid_job_name(name, strlen(name));
}

static bool is_pmtr_log(const char *s, size_t len)
{
	return len == strlen(CTL_PMTR_LOG) && memcmp(s, CTL_PMTR_LOG, len) == 0;
}

bool ctl_is_pmtr_log(const char *name)
{
	return name && is_pmtr_log(name, strlen(name));
}

static void say_why(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say_why(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !why_len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

/* A word of the request quoted for a message: cut short, so that the reason stays one
 * short line whatever the client sent. */
static const char *shown(const char *s, size_t len, char *buf, size_t buf_len)
{
	size_t max = buf_len - 4;

	if (len <= max) {
		memcpy(buf, s, len);
		buf[len] = '\0';
	} else {
		memcpy(buf, s, max);
		memcpy(buf + max, "...", 4);
	}
	return buf;
}

int ctl_parse_hello(const char *line, size_t len)
{
	int version = 0;
	size_t digits;

	if (!line || len <= HELLO_WORD_LEN || memcmp(line, HELLO_WORD, HELLO_WORD_LEN) != 0)
		return -1;
	digits = len - HELLO_WORD_LEN;
	if (digits > VERSION_DIGITS_MAX || (digits > 1 && line[HELLO_WORD_LEN] == '0'))
		return -1;
	for (size_t i = HELLO_WORD_LEN; i < len; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -1;
		version = version * 10 + (line[i] - '0');
	}
	return version;
}

/* The first line, which may still be arriving: 0 complete and good, 1 incomplete but
 * good so far, -1 bad. A bad prefix is refused at once, so that a client speaking
 * anything else is answered without waiting for the size limit. */
static int check_hello(const char *buf, size_t len, size_t *line_len, int *version_out,
		       char *why, size_t why_len)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n = nl ? (size_t)(nl - buf) : len, cmp = n < HELLO_WORD_LEN ? n : HELLO_WORD_LEN;
	int version;

	*line_len = n;
	if (memcmp(buf, HELLO_WORD, cmp) != 0)
		goto bad;
	for (size_t i = HELLO_WORD_LEN; i < n; i++)
		if (buf[i] < '0' || buf[i] > '9')
			goto bad;
	if (!nl) {
		if (n <= HELLO_WORD_LEN + VERSION_DIGITS_MAX)
			return 1;
		goto bad;
	}
	version = ctl_parse_hello(buf, n);
	if (version < 0)
		goto bad;
	if (version < CTL_VERSION_MIN || version > CTL_VERSION) {
		say_why(why, why_len, "unsupported protocol version %d", version);
		return -1;
	}
	*version_out = version;
	return 0;
bad:
	say_why(why, why_len, "bad hello: expected \"%s\"", CTL_HELLO);
	return -1;
}

static int add_name(struct ctl_request *req, const char *word, size_t len)
{
	char *name = malloc(len + 1);

	if (!name)
		return -1;
	memcpy(name, word, len);
	name[len] = '\0';
	req->names[req->n_names++] = name;
	return 0;
}

/* The next word of [*p, end) separated by spaces, *p left just after it; NULL at
 * the end. */
static const char *next_word(const char **p, const char *end)
{
	const char *w;

	while (*p < end && **p == ' ')
		(*p)++;
	if (*p == end)
		return NULL;
	w = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	return w;
}

static bool takes_arg(int command)
{
	const struct ctl_command_info *info = ctl_command_info((enum ctl_command)command);

	return info && info->number != CTL_NUMBER_NONE;
}

/* The number after the command: decimal, no sign, no leading zero, within the
 * bounds of its kind. */
static int parse_arg(const struct ctl_command_info *info, const char *w, size_t len,
		     long *arg, char *why, size_t why_len)
{
	const char *what = "number";
	char shown_buf[48];
	long min = 0, max = 0, v = 0;
	size_t i;

	ctl_number_bounds(info->number, &min, &max, &what);
	for (i = 0; i < len && i < 7; i++) {
		if (w[i] < '0' || w[i] > '9' || (i == 0 && w[i] == '0' && len > 1))
			break;
		v = v * 10 + (w[i] - '0');
	}
	if (i != len || v < min || v > max) {
		say_why(why, why_len, "bad %s \"%s\": a number from %ld to %ld", what,
			shown(w, len, shown_buf, sizeof(shown_buf)), min, max);
		return -1;
	}
	*arg = v;
	return 0;
}

/* Whether the words after the command are what its row says: its number, then as
 * many job names as it takes. */
static int check_words(const struct ctl_command_info *info, size_t n_words, char *why,
		       size_t why_len)
{
	long min, max;
	const char *what;

	if (ctl_number_bounds(info->number, &min, &max, &what)) {
		if (n_words == 0) {
			say_why(why, why_len, "%s needs a %s", info->name, what);
			return -1;
		}
		n_words--;
	}
	if (info->names == CTL_NAMES_NONE && n_words) {
		say_why(why, why_len, "%s takes no job names", info->name);
		return -1;
	}
	if (info->names == CTL_NAMES_SOME && !n_words) {
		say_why(why, why_len, "%s needs at least one job name", info->name);
		return -1;
	}
	if (n_words > CTL_MAX_NAMES) {
		say_why(why, why_len, "more than %d job names", CTL_MAX_NAMES);
		return -1;
	}
	return 0;
}

/* The command word of a request line; NULL, and why, when no request is called so. */
static const struct ctl_command_info *command_word(const char *w, size_t len, char *why,
						   size_t why_len)
{
	const struct ctl_command_info *info = NULL;
	char word[16], shown_buf[48];

	if (len < sizeof(word)) {
		memcpy(word, w, len);
		word[len] = '\0';
		info = ctl_command_find(word, CTL_ON_WIRE);
	}
	if (!info)
		say_why(why, why_len, "unknown command \"%s\"",
			shown(w, len, shown_buf, sizeof(shown_buf)));
	return info;
}

/* The command line [line, end): words separated by spaces, the command, its number
 * when its row says it has one, then job names. Fills req; 0, or -1 and why. */
static int parse_command_line(const char *line, const char *end, struct ctl_request *req,
			      char *why, size_t why_len)
{
	const struct ctl_command_info *info = NULL;
	const char *p, *w;
	size_t n_words = 0, first_name;
	char shown_buf[48];

	for (p = line; (w = next_word(&p, end));) {
		size_t len = (size_t)(p - w);

		if (n_words++ == 0) {
			info = command_word(w, len, why, why_len);
			if (!info)
				return -1;
		} else if (n_words == 2 && info->number != CTL_NUMBER_NONE) {
			if (parse_arg(info, w, len, &req->arg, why, why_len) < 0)
				return -1;
		} else if (!valid_job_name(w, len) &&
			   !(info->number == CTL_NUMBER_LINES && is_pmtr_log(w, len))) {
			say_why(why, why_len, "bad job name \"%s\": 1 to %d letters, digits or %s",
				shown(w, len, shown_buf, sizeof(shown_buf)), JOB_NAME_MAX,
				JOB_NAME_CHARS);
			return -1;
		}
	}
	if (n_words == 0) {
		say_why(why, why_len, "no command");
		return -1;
	}
	if (check_words(info, n_words - 1, why, why_len) < 0)
		return -1;
	req->command = info->wire;
	first_name = info->number != CTL_NUMBER_NONE ? 2 : 1;
	if (n_words > first_name) {
		req->names = calloc(n_words - first_name, sizeof(*req->names));
		if (!req->names)
			goto nomem;
	}
	/* Second pass: the words are known to be good, keep the names. */
	for (p = line, n_words = 0; (w = next_word(&p, end));) {
		if (n_words++ >= first_name && add_name(req, w, (size_t)(p - w)) < 0)
			goto nomem;
	}
	return 0;
nomem:
	ctl_request_free(req);
	say_why(why, why_len, "out of memory");
	errno = ENOMEM;
	return -1;
}

int ctl_parse_request(const char *buf, size_t len, struct ctl_request *req,
		      char *why, size_t why_len)
{
	const char *line, *end, *p, *nl;
	size_t hello_len;
	int version = 0, rc;

	memset(req, 0, sizeof(*req));
	if (why && why_len)
		why[0] = '\0';
	if (len > CTL_REQUEST_MAX) {
		say_why(why, why_len, "request longer than %d bytes", CTL_REQUEST_MAX);
		return -1;
	}
	if (!buf || len == 0)
		return 1;
	rc = check_hello(buf, len, &hello_len, &version, why, why_len);
	if (rc < 0)
		return -1;
	if (rc > 0)
		goto incomplete;

	line = buf + hello_len + 1;
	nl = memchr(line, '\n', len - hello_len - 1);
	end = nl ? nl : buf + len;
	for (p = line; p < end; p++) {
		if (*p == '\0' || is_control((unsigned char)*p)) {
			say_why(why, why_len, "%s byte in the request",
				*p ? "control" : "NUL");
			return -1;
		}
	}
	if (!nl)
		goto incomplete;
	if ((size_t)(nl + 1 - buf) != len) {
		say_why(why, why_len, "data after the command line");
		return -1;
	}
	req->version = version;
	if (parse_command_line(line, end, req, why, why_len) < 0) {
		int saved = errno;

		ctl_request_free(req);
		memset(req, 0, sizeof(*req));
		errno = saved;
		return -1;
	}
	return 0;

incomplete:
	/* Nothing that still lacks its newline can end within the limit. */
	if (len >= CTL_REQUEST_MAX) {
		say_why(why, why_len, "request longer than %d bytes", CTL_REQUEST_MAX);
		return -1;
	}
	return 1;
}

void ctl_request_free(struct ctl_request *req)
{
	if (!req)
		return;
	for (size_t i = 0; i < req->n_names; i++)
		free(req->names[i]);
	free(req->names);
	req->names = NULL;
	req->n_names = 0;
}

char *ctl_format_request(const struct ctl_request *req)
{
	const char *word = ctl_command_name(req->command);
	char head[64];
	size_t len, i;
	char *out, *o;

	if (!word || (req->n_names && !req->names)) {
		errno = EINVAL;
		return NULL;
	}
	if (takes_arg((int)req->command))
		snprintf(head, sizeof(head), "pmtr-ctl %d\n%s %ld", req->version, word, req->arg);
	else
		snprintf(head, sizeof(head), "pmtr-ctl %d\n%s", req->version, word);
	len = strlen(head) + 1;
	for (i = 0; i < req->n_names; i++) {
		if (!req->names[i]) {
			errno = EINVAL;
			return NULL;
		}
		len += 1 + strlen(req->names[i]);
	}
	out = malloc(len + 1);
	if (!out)
		return NULL;
	o = out + sprintf(out, "%s", head);
	for (i = 0; i < req->n_names; i++)
		o += sprintf(o, " %s", req->names[i]);
	strcpy(o, "\n");
	return out;
}

int ctl_parse_decimal(const char *s, unsigned long long max, unsigned long long *out)
{
	uint64_t v;

	if (s[0] == '0' && s[1])
		return -1;
	if (util_parse_u64(s, max, &v) < 0)
		return -1;
	*out = v;
	return 0;
}

/* ---- log lines -------------------------------------------------------------- */

size_t ctl_format_log_line(char *dst, size_t cap, const struct ctl_log_line *line)
{
	size_t name_len = strlen(line->name), text_len = strlen(line->text);
	int head;

	if (cap < CTL_LOG_LINE_MAX(name_len, text_len))
		return 0;
	head = snprintf(dst, cap, "line %s %ld %lld ", line->name, line->pid, line->time_ms);
	if (head < 0)
		return 0;
	head += (int)ctl_escape_into(dst + head, line->text, text_len);
	dst[head++] = '\n';
	dst[head] = '\0';
	return (size_t)head;
}

enum { L_KIND, L_NAME, L_PID, L_TIME, L_TEXT, N_LOG_FIELDS };

int ctl_parse_log_line(char *line, struct ctl_log_line *out)
{
	char *f[N_LOG_FIELDS], *p = line;
	unsigned long long v;
	size_t n;

	memset(out, 0, sizeof(*out));
	for (n = 0; n < N_LOG_FIELDS && p; n++) {
		f[n] = p;
		p = strchr(p, ' ');
		if (p)
			*p++ = '\0';
	}
	if (n != N_LOG_FIELDS || p || strcmp(f[L_KIND], "line") != 0 ||
	    (!valid_job_name(f[L_NAME], strlen(f[L_NAME])) && !ctl_is_pmtr_log(f[L_NAME])) ||
	    ctl_parse_decimal(f[L_PID], LONG_MAX, &v) < 0)
		goto bad;
	out->pid = (long)v;
	if (ctl_parse_decimal(f[L_TIME], LLONG_MAX, &v) < 0 || ctl_unescape(f[L_TEXT]) < 0)
		goto bad;
	out->time_ms = (long long)v;
	out->name = f[L_NAME];
	out->text = f[L_TEXT];
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	errno = EINVAL;
	return -1;
}

const char *ctl_user_socket(char *buf, size_t len, const char **why)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");

	if (!dir || !*dir) {
		*why = "XDG_RUNTIME_DIR is not set";
		return NULL;
	}
	if (dir[0] != '/') {
		*why = "XDG_RUNTIME_DIR is not an absolute path";
		return NULL;
	}
	if ((size_t)snprintf(buf, len, "%s/pmtr.sock", dir) >= len ||
	    strlen(buf) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		*why = "XDG_RUNTIME_DIR is too long for a socket path";
		return NULL;
	}
	return buf;
}

char *ctl_format_config_error(long long since, const char *text)
{
	char *escaped = ctl_escape(text), *line = NULL;

	if (escaped && asprintf(&line, "config-error %lld %s\n", since, escaped) < 0)
		line = NULL;
	free(escaped);
	return line;
}

int ctl_parse_config_error(char *line, long long *since, char **text)
{
	char *number, *end;

	if (strncmp(line, "config-error ", 13) != 0)
		return -1;
	number = line + 13;
	*text = strchr(number, ' ');
	if (!*text || *text == number || strchr(*text + 1, ' '))
		return -1;
	*(*text)++ = '\0';
	errno = 0;
	*since = strtoll(number, &end, 10);
	if (errno || *end || *since < 0 || ctl_unescape(*text) < 0)
		return -1;
	return 0;
}
