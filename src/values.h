/* values.h: the syntaxes of pmtr.conf values: times, CPU lists, ulimits, sizes, percents, UDP and TCP addresses. SPDX-License-Identifier: MIT */
#ifndef PMTR_VALUES_H
#define PMTR_VALUES_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* "N", "Ns", "Nm", "Nh", "Nd", "Nms" to milliseconds (bare N is seconds).
 * 0 or -1 (bad syntax, negative, overflow). */
int parse_duration(const char *text, int64_t *ms);

/* "0,2-4" or "0x8f" to a CPU set; -1 on bad syntax or a CPU >= CPU_SETSIZE. */
int parse_cpus(const char *text, cpu_set_t *set);

/* Ulimit flag letter ('n' for -n) to RLIMIT_*; -1 if unknown. */
int parse_ulimit_flag(char flag);

/* Ulimit value: a decimal number, "infinity" or "unlimited". -1 on bad syntax. */
int parse_ulimit_value(const char *text, rlim_t *value);

/* The parts of "udp://HOST:PORT[@IFACE]"; HOST without the brackets of an IPv6
 * literal. */
struct parse_udp {
	char host[256];
	char port[6];
	char iface[16];
};

/* Split a udp:// address (@IFACE only when allow_iface). NULL when it is valid,
 * else the reason, e.g. "port must be 1 to 65535". */
const char *parse_udp_spec(const char *text, bool allow_iface, struct parse_udp *out);

/* "[HOST:]PORT" of ready tcp: HOST a numeric IPv4 address, an IPv6 one in
 * brackets, or localhost; 127.0.0.1 without one. host gets the numeric address
 * (without brackets). -1 on bad syntax. */
int parse_host_port(const char *text, char *host, size_t host_len, int *port);

/* A cgroup size: digits with an optional K, M, G or T (powers of 1024, either case),
 * at least 1, or "infinity" (UINT64_MAX). -1 on bad syntax or overflow. */
int parse_size(const char *text, uint64_t *bytes);

/* "50%": 1 to 100000; "infinity" is UINT32_MAX. -1 otherwise. */
int parse_percent(const char *text, uint32_t *percent);

/* An umask: up to four octal digits, at most 0777. -1 on bad syntax. */
int parse_umask(const char *text, mode_t *mask);

/* One line of an env file, changed in place: blanks around it dropped, double
 * quotes around the value removed (with \" and \\ inside). *entry is the
 * "VAR=VALUE" left in line, or NULL for a blank or "#" comment line. NULL when
 * the line is valid, else what is wrong with it. */
const char *parse_env_line(char *line, char **entry);

#endif
