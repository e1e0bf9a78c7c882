/* output.h: a job's stdout/stderr pipe, read without blocking, logged and kept line by line. SPDX-License-Identifier: MIT */
#ifndef PMTR_OUTPUT_H
#define PMTR_OUTPUT_H

#include <stddef.h>
#include <sys/types.h>

#include "loop.h"

/* Longest line logged as one; longer lines are cut into pieces of this size. */
#define OUTPUT_LINE_MAX 1024

struct output;

struct joblog;
struct logfile;

/* Take ownership of the read end fd (non-blocking, close-on-exec) of the pipe of job
 * name running as pid: each line is written to *file (the job's log file) when
 * there is one, else logged, and kept in *kept (the job's ring, made on the first
 * line; they and name must outlive the output). NULL on failure. */
struct output *output_open(struct loop *loop, int fd, const char *name, pid_t pid,
			   struct joblog **kept, struct logfile **file);

/* For a re-exec: the pipe's read end (-1 for none), and the line the job has
 * not ended yet (*line points into out, NULL when there is none). */
int output_fd(const struct output *out);
size_t output_pending(const struct output *out, const char **line);

/* After a re-exec: the line the old image had not logged yet comes first. */
int output_resume(struct output *out, const char *line, size_t len);

/* Log what is still in the pipe, close it and free the output. */
void output_close(struct loop *loop, struct output *out);

/* Pure: turn raw output bytes into one printable log line (non-printable bytes as
 * \xHH, a trailing CR dropped). dst must hold 4 * len + 1 bytes. */
size_t output_sanitize(char *dst, const char *src, size_t len);

#endif
