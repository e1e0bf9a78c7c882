/* watch.h: inotify on the directories that decide what the config and dependency paths name. SPDX-License-Identifier: MIT */
#ifndef PMTR_WATCH_H
#define PMTR_WATCH_H

#include <stddef.h>

#include "loop.h"

/* A watched directory and the names in it that matter; events on other names (an
 * editor's swap file, a temporary file) are ignored. */
struct watch_dir {
	int wd;
	char *path;
	char **names;
	size_t n_names;
	char **patterns;	/* of names (fnmatch) */
	size_t n_patterns;
};

struct watch {
	struct loop_watcher w;	/* the inotify descriptor */
	struct loop *loop;
	struct watch_dir *dirs;
	size_t n_dirs;
	void (*changed_cb)(void *arg);
	void *arg;
};

/* changed_cb runs once after each batch of relevant events; it re-reads whatever it
 * cares about (content hashes decide whether anything really changed). */
int watch_init(struct watch *watch, struct loop *loop, void (*changed_cb)(void *arg), void *arg);
void watch_exit(struct watch *watch);

/* Watch exactly what these paths depend on: each path's name in its directory, every
 * symlink met on the way to the file (a ConfigMap's "..data" swap), and for a
 * directory that does not exist yet, its first missing component in the nearest
 * existing ancestor. Patterns (absolute, wildcards in the last component only) are
 * watched the same way, for every name in their directory that they match. Call
 * again whenever the paths or the links may have changed. Returns how many
 * directories are watched now that were not before: what happened in them until
 * now was not seen. */
size_t watch_paths(struct watch *watch, const char *const *paths, size_t n,
		   const char *const *patterns, size_t n_patterns);

#endif
