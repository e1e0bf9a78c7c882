/* logfile.h: a job's output written by pmtr to its log file: lines buffered and written as they come, rotated by size and time inside a directory opened once, compressed by gzip(1) in the background, failed writes counted and said. SPDX-License-Identifier: MIT */
#ifndef PMTR_LOGFILE_H
#define PMTR_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"

struct logfile;
struct joblog;

/*
 * A job has a log file from its first start with "log file" until the setting
 * goes or the job does; its processes come and go. The file is opened with
 * O_NOFOLLOW relative to its directory, opened once: a job that may write that
 * directory cannot make pmtr write, rename or remove anything outside it.
 * Nothing here blocks on the job: a failed write drops the lines it held,
 * counted, and the next write tries again.
 */

/* Make *lf what conf says (name: the job's, kept: its ring of output lines, for
 * notices of lines not written): open it at the job's start, change its path or
 * its rotation, or close it when conf has no log file. 0, or -1 with why ("log
 * file directory /var/log/app: No such file or directory") when the file could
 * not be opened: the job then does not start. start: at a start (a failure is
 * returned), else an edit (a failure is said, and writing retried later). */
int logfile_configure(struct logfile **lf, const char *name, const struct conf_job *conf,
		      struct joblog **kept, bool start, char *why, size_t why_len);
/* The job's user and group own its file (pmtr as root, a job with user or group). */
void logfile_own(struct logfile *lf, bool set_uid, uid_t uid, bool set_gid, gid_t gid);

/* One line of output (raw bytes, without its newline) that came at wall_ms. */
void logfile_line(struct logfile *lf, const char *line, size_t len, int64_t wall_ms);
/* Write what is buffered (after each read of the job's pipe). */
void logfile_flush(struct logfile *lf);
/* Close and open the file again by its name (pmtrctl reopen: after an external
 * logrotate moved it). */
void logfile_reopen(struct logfile *lf);
void logfile_free(struct logfile *lf);

/* Rotation by time: the CLOCK_MONOTONIC ms of the next rotation (0: none), and
 * the rotation once due. now_*: the three clocks (schedule.h's struct sched_now). */
int64_t logfile_deadline(const struct logfile *lf, int64_t mono, int64_t wall, int64_t boot);
void logfile_tick(struct logfile *lf, int64_t wall, int64_t boot);

/* Lines not written since the file was opened (disk full, file unusable). */
uint64_t logfile_dropped(const struct logfile *lf);

/* A reaped child: true when it was a gzip of a rotated file, finished here. */
bool logfile_reaped(pid_t pid, int status);

/* ---- the re-exec hand-over (doc/state-format.md) ---- */

/* What of a log file the kernel does not keep across execve. */
struct logfile_state {
	int fd, dir_fd;			/* both without FD_CLOEXEC until adopted */
	uint64_t size, dropped;
	int64_t rotate_at;
	bool set_uid, set_gid;
	uid_t uid;
	gid_t gid;
};
/* Write what is buffered and describe lf (NULL: false). */
bool logfile_hand_over(struct logfile *lf, struct logfile_state *out);
/* The log file of job name with conf (its log file and rotation), from the
 * image before. NULL on ENOMEM or without a log file in conf: the descriptors
 * are closed then. */
struct logfile *logfile_take_over(const char *name, const struct conf_job *conf,
				  struct joblog **kept, const struct logfile_state *in);

/* A compression in progress, by the image before: its pid, its own directory
 * descriptor, the number of the file it compresses, the job and the file's name. */
struct logfile_gzip {
	pid_t pid;
	int dir_fd;
	unsigned index;
	char *name, *base;
};
/* The compressions in progress, malloc'd array in *out (NULL when none); their
 * count, or -1 on ENOMEM. The strings point into pmtr's own records. */
long logfile_gzips(struct logfile_gzip **out);
/* Take one over, of lf (the job's log file now, or NULL); false on ENOMEM (its
 * descriptor is closed then). */
bool logfile_adopt_gzip(const struct logfile_gzip *g, const struct logfile *lf);

#endif
