/* parse.h: the pmtr.conf language: file to struct conf, and its value syntaxes. SPDX-License-Identifier: MIT */
#ifndef PMTR_PARSE_H
#define PMTR_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "conf.h"

/* Errors found while parsing, each already formatted as "FILE:LINE: message". */
struct parse_errors {
	char **msgs;
	size_t n;
};

void parse_errors_free(struct parse_errors *errs);

/* Parse a configuration held in memory (len bytes, NULs allowed and reported as
 * errors). name is the file name used in messages. Returns a new struct conf when
 * there was no error; NULL when there was at least one, with every error in errs
 * (or NULL and errno ENOMEM). trace: when nonzero, each statement is reported
 * through the trace callback (pmtr -vv). */
struct conf *parse_conf(const char *buf, size_t len, const char *name,
			struct parse_errors *errs,
			void (*trace)(const char *fmt, ...));

/* Read and parse a file; an unreadable file is one error "FILE: reason". */
struct conf *parse_conf_file(const char *path, struct parse_errors *errs,
			     void (*trace)(const char *fmt, ...));

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

#endif
