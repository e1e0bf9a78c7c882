/* util.h: small helpers shared by pmtr, its client programs and the tests. SPDX-License-Identifier: MIT */
#ifndef PMTR_UTIL_H
#define PMTR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Code that runs rarely (a re-exec): the compiler keeps it apart from the code
 * every start runs, so that pmtr touches fewer pages of its own text. */
#define COLD __attribute__((cold))
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Milliseconds on CLOCK_MONOTONIC: every time that decides behaviour. */
int64_t util_now_ms(void);
/* The wall-clock time now in local time, as ISO 8601 with milliseconds and the
 * offset from UTC: "2026-12-07T23:49:48.123+01:00". Returns buf. */
const char *util_local_time_text(char *buf, size_t len);
/* A time as pmtr.conf and pmtrctl write it: digits, then nothing (seconds), ms,
 * s, m, h or d; at most max_ms. 0, or -1 on bad syntax or too long. */
int util_parse_duration(const char *text, int64_t max_ms, int64_t *ms);

/* Milliseconds since the epoch: only for what people read. */
int64_t util_now_wall_ms(void);

/* 64-bit FNV-1a, continued from a previous value (start with UTIL_HASH_INIT). */
#define UTIL_HASH_INIT 0xcbf29ce484222325ULL
uint64_t util_hash(uint64_t h, const void *buf, size_t len);

/* Hash of a whole file's content; -1 with errno set when it cannot be read. */
int util_hash_file(const char *path, uint64_t *hash);

/* Read a whole regular file into a NUL-terminated buffer (the file may hold NULs:
 * *len is the real length). Refuses files larger than max bytes with EFBIG. */
char *util_read_file(const char *path, size_t max, size_t *len);

/* The value of a hexadecimal digit, or -1. */
int util_hex_value(char c);

/* Decimal digits only (no sign, no blanks), at most max: 0, or -1 on anything else. */
int util_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* Duplicate a string, or NULL and errno on failure; NULL in gives NULL out. */
char *util_strdup(const char *s);

/* Set O_NONBLOCK on fd; 0 or -1 with errno. */
int util_set_nonblock(int fd);

/* Name of a signal ("SIGTERM"), or "signal N" when it has none. */
const char *util_signame(int sig, char *buf, size_t len);

/* A signal written as a name with or without "SIG", in any case ("TERM",
 * "sigquit", "RTMIN+2"), or a number from 1; its number, or -1. */
int util_parse_signal(const char *text);

/* Human text for a duration: "500 ms", "10 sec", "1 min 30 sec", "15 min", "2 h",
 * "1 h 30 min". */
const char *util_describe_ms(int64_t ms, char *buf, size_t len);

/* Human text for a wait(2) status: "exit status 3" or "signal SIGKILL". */
const char *util_describe_status(int status, char *buf, size_t len);

struct inotify_event;
/* Read every event waiting on the inotify descriptor fd (non-blocking): true when
 * match(arg, event) held for one of them. A failed read (not EAGAIN or EINTR)
 * leaves its errno in *error, else 0. */
bool util_inotify_any(int fd, bool (*match)(const void *arg, const struct inotify_event *ev),
		      const void *arg, int *error);

#endif
