/* preflight.h: what pmtr -t can tell of a valid configuration before a job runs: programs, directories, users and groups that are not there (yet). SPDX-License-Identifier: MIT */
#ifndef PMTR_PREFLIGHT_H
#define PMTR_PREFLIGHT_H

#include <stddef.h>
#include <time.h>

#include "conf.h"

/* Look at each job's cmd (an executable regular file), dir (a directory), user
 * and group (known to the system) and call warn with one line for each that is
 * not, "FILE:LINE: warning: job web: cmd /srv/web/bin/server: No such file or
 * directory", FILE the job's file or main_file; and a control socket group that
 * is unknown. Only warnings: the program may
 * be installed, the user made, later. Returns how many. */
size_t preflight_check(const struct conf *conf, const char *main_file,
		       void (*warn)(const char *line));

/* For pmtr -t -v: "job backup: next runs 2026-12-09 03:00 +0100, ..." (its next
 * three due times after now), or "job purge: runs 15 min after it is added, then
 * every 15 min", one line per job with a schedule. */
void preflight_schedules(const struct conf *conf, time_t now, void (*say)(const char *line));

#endif
