/* values.c: the syntaxes of pmtr.conf values: times, CPU lists, ulimits, sizes, percents, UDP and TCP addresses. SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "util.h"
#include "values.h"

#define PARSE_MAX_DURATION_MS (36500LL * 86400 * 1000)	/* 100 years */

int parse_duration(const char *text, int64_t *ms)
{
	return util_parse_duration(text, PARSE_MAX_DURATION_MS, ms);
}

/* A CPU number: decimal, below CPU_SETSIZE. Advances *s. */
static int cpu_number(const char **s, unsigned *cpu)
{
	unsigned v = 0;
	const char *p = *s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v >= CPU_SETSIZE)
			return -1;
	}
	*s = p;
	*cpu = v;
	return 0;
}

int parse_cpus(const char *text, cpu_set_t *set)
{
	const char *s = text;
	cpu_set_t cpus;

	if (!text)
		return -1;
	CPU_ZERO(&cpus);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		size_t n = strlen(s + 2), bit = 0;

		if (n == 0)
			return -1;
		/* the last digit holds CPUs 0-3 */
		for (size_t i = n; i-- > 0; bit += 4) {
			int d = util_hex_value(s[2 + i]);

			if (d < 0)
				return -1;
			for (int b = 0; b < 4; b++) {
				if (!(d & (1 << b)))
					continue;
				if (bit + (size_t)b >= CPU_SETSIZE)
					return -1;
				CPU_SET(bit + (size_t)b, &cpus);
			}
		}
	} else {
		for (;;) {
			unsigned lo, hi;

			if (cpu_number(&s, &lo) < 0)
				return -1;
			hi = lo;
			if (*s == '-') {
				s++;
				if (cpu_number(&s, &hi) < 0 || hi < lo)
					return -1;
			}
			for (unsigned c = lo; c <= hi; c++)
				CPU_SET(c, &cpus);
			if (*s == '\0')
				break;
			if (*s++ != ',')
				return -1;
		}
	}
	if (CPU_COUNT(&cpus) == 0)
		return -1;	/* an empty affinity could never be applied */
	*set = cpus;
	return 0;
}

int parse_ulimit_flag(char flag)
{
	switch (flag) {
	case 'c': return RLIMIT_CORE;
	case 'd': return RLIMIT_DATA;
	case 'e': return RLIMIT_NICE;
	case 'f': return RLIMIT_FSIZE;
	case 'i': return RLIMIT_SIGPENDING;
	case 'l': return RLIMIT_MEMLOCK;
	case 'm': return RLIMIT_RSS;
	case 'n': return RLIMIT_NOFILE;
	case 'q': return RLIMIT_MSGQUEUE;
	case 'r': return RLIMIT_RTPRIO;
	case 's': return RLIMIT_STACK;
	case 't': return RLIMIT_CPU;
	case 'u': return RLIMIT_NPROC;
	case 'v': return RLIMIT_AS;
	default: return -1;
	}
}

int parse_ulimit_value(const char *text, rlim_t *value)
{
	uint64_t v;

	if (!text)
		return -1;
	if (strcmp(text, "infinity") == 0 || strcmp(text, "unlimited") == 0) {
		*value = RLIM_INFINITY;
		return 0;
	}
	if (util_parse_u64(text, (uint64_t)(rlim_t)-1, &v) < 0)
		return -1;
	*value = (rlim_t)v;
	return 0;
}

/* udp://HOST:PORT[@IFACE]; NULL when the shape is right, else what is wrong. */
const char *parse_udp_spec(const char *s, bool allow_iface, struct parse_udp *out)
{
	const char *h, *h_end, *p;
	uint64_t port = 0;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (strncmp(s, "udp://", 6) != 0)
		return "it must start with udp://";
	h = s + 6;
	if (*h == '[') {
		for (p = h + 1; *p && *p != ']'; p++)
			if (!isalnum((unsigned char)*p) && !strchr(":.%", *p))
				return "bad character in the host";
		if (*p != ']')
			return "missing \"]\" after the host";
		if (p == h + 1)
			return "missing host";
		h_end = p++;
		h++;
	} else {
		for (p = h; *p && *p != ':' && *p != '@'; p++)
			if (!isalnum((unsigned char)*p) && !strchr(".-_", *p))
				return "bad character in the host";
		if (p == h)
			return "missing host";
		h_end = p;
	}
	if ((size_t)(h_end - h) >= sizeof(out->host))
		return "host name too long";
	memcpy(out->host, h, (size_t)(h_end - h));
	if (*p != ':')
		return "missing port";
	p++;
	for (n = 0; p[n] >= '0' && p[n] <= '9'; n++)
		if (n < 6)
			port = port * 10 + (uint64_t)(p[n] - '0');
	if (n == 0)
		return "missing port";
	if (n > 5 || port < 1 || port > 65535)
		return "port must be 1 to 65535";
	snprintf(out->port, sizeof(out->port), "%u", (unsigned)port);
	p += n;
	if (*p == '@') {
		if (!allow_iface)
			return "@IFACE is only allowed for report to";
		p++;
		n = strlen(p);
		if (n == 0 || n >= sizeof(out->iface))
			return "bad interface name";
		for (const char *c = p; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr(".-_", *c))
				return "bad interface name";
		memcpy(out->iface, p, n);
	} else if (*p) {
		return "unexpected text after the port";
	}
	return NULL;
}

int parse_host_port(const char *text, char *host, size_t host_len, int *port)
{
	const char *colon = strrchr(text, ':'), *port_text = colon ? colon + 1 : text;
	unsigned char addr[sizeof(struct in6_addr)];
	size_t len = colon ? (size_t)(colon - text) : 0;
	uint64_t v;
	int family = AF_INET;

	if (util_parse_u64(port_text, 65535, &v) < 0 || v == 0 || (port_text[0] == '0'))
		return -1;
	*port = (int)v;
	if (!colon) {
		snprintf(host, host_len, "127.0.0.1");
		return 0;
	}
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		text++;
		len -= 2;
		family = AF_INET6;
	}
	if (len == 0 || len >= host_len)
		return -1;
	memcpy(host, text, len);
	host[len] = '\0';
	if (family == AF_INET && strcmp(host, "localhost") == 0)
		snprintf(host, host_len, "127.0.0.1");
	return inet_pton(family, host, addr) == 1 ? 0 : -1;
}

int parse_size(const char *text, uint64_t *bytes)
{
	static const char units[] = "kmgt";
	char digits[24];
	size_t n = strlen(text);
	unsigned shift = 0;
	const char *u;
	uint64_t v;

	if (strcmp(text, "infinity") == 0) {
		*bytes = UINT64_MAX;
		return 0;
	}
	if (n > 0 && (u = strchr(units, tolower((unsigned char)text[n - 1]))) && *u) {
		shift = 10 * (unsigned)(u - units + 1);
		n--;
	}
	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, text, n);
	digits[n] = '\0';
	if (util_parse_u64(digits, (UINT64_MAX - 1) >> shift, &v) < 0 || v == 0)
		return -1;
	*bytes = v << shift;
	return 0;
}

int parse_percent(const char *text, uint32_t *percent)
{
	char digits[16];
	size_t n = strlen(text);
	uint64_t v;

	if (strcmp(text, "infinity") == 0) {
		*percent = UINT32_MAX;
		return 0;
	}
	if (n < 2 || text[n - 1] != '%' || n - 1 >= sizeof(digits))
		return -1;
	memcpy(digits, text, n - 1);
	digits[n - 1] = '\0';
	if (util_parse_u64(digits, 100000, &v) < 0 || v == 0)
		return -1;
	*percent = (uint32_t)v;
	return 0;
}

int parse_umask(const char *text, mode_t *mask)
{
	unsigned v = 0;
	size_t n = 0;

	if (!text)
		return -1;
	for (; text[n]; n++) {
		if (text[n] < '0' || text[n] > '7' || n >= 4)
			return -1;
		v = v * 8 + (unsigned)(text[n] - '0');
	}
	if (n == 0 || v > 0777)
		return -1;
	*mask = (mode_t)v;
	return 0;
}

static bool env_name_char(char c, bool first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

const char *parse_env_line(char *line, char **entry)
{
	char *s = line, *value, *end;
	size_t len;

	*entry = NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
	if (!*s || *s == '#')
		return NULL;
	if (!env_name_char(*s, true))
		return "expected VAR=VALUE";
	for (value = s + 1; env_name_char(*value, false); value++)
		;
	if (*value != '=')
		return *value ? "expected VAR=VALUE: bad character in the name" :
				"expected VAR=VALUE";
	value++;
	end = s + len;
	if (*value == '"') {
		char *o = value;

		if (end - value < 2 || end[-1] != '"')
			return "unterminated quote";
		for (char *i = value + 1; i < end - 1; i++) {
			if (*i == '\\' && i + 1 < end - 1 && (i[1] == '"' || i[1] == '\\'))
				i++;
			else if (*i == '"')
				return "unescaped quote inside the value";
			*o++ = *i;
		}
		*o = '\0';
	}
	*entry = s;
	return NULL;
}
