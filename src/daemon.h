/* daemon.h: pmtr's own process: its standard descriptors, detaching, its pidfile, its open-file limit, and the processes jobs leave to it. SPDX-License-Identifier: MIT */
#ifndef PMTR_DAEMON_H
#define PMTR_DAEMON_H

#include <stdint.h>
#include <sys/types.h>

/* Descriptors 0, 1 and 2 open (on /dev/null where they were closed): jobs get
 * exactly these, and pipes must never land there. */
void daemon_ensure_std_fds(void);

/* Into the background: fork (the parent exits 0), a new session, "/" as working
 * directory, /dev/null as 0, 1 and 2. -1 with errno when a step failed. */
int daemon_detach(void);

/* path holds pmtr's pid; -1 with errno when it cannot be written. */
int daemon_write_pidfile(const char *path);

/* The directories of path, made with mode (whatever the umask) where missing: a
 * source build's /usr/local/var/run, a user's ~/.config/pmtr; each logged as
 * "made DIR for WHAT". */
void daemon_make_parents(const char *path, mode_t mode, const char *what);

/* pmtr takes its hard open-file limit (1000 jobs hold a few thousand
 * descriptors); jobs get the soft limit it was started with (spawn). */
void daemon_raise_fd_limit(void);

/* Once every job is stopped, pmtr still waits for the processes they left behind
 * (without cgroups a descendant that left its job's process group is not stopped
 * with it): SIGTERM, then SIGKILL after the default stop timeout, *deadline
 * keeping when (0 at first). Returns the time to wake up at, or -1 when nothing
 * is left and pmtr may exit. */
int64_t daemon_stop_orphans(int64_t *deadline);

#endif
