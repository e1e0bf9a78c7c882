/* watch.c: inotify on the directories that decide what the config and dependency paths name. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "watch.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | \
		    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define WATCH_MAX_LINKS 16

/* What to watch: a name in a directory, or the names a pattern matches there. */
struct target {
	char *dir;
	char *name;
	bool pattern;
};

struct target_list {
	struct target *v;
	size_t n, cap;
};

static const struct watch_dir *dir_of(const struct watch *watch, int wd)
{
	for (size_t i = 0; i < watch->n_dirs; i++)
		if (watch->dirs[i].wd == wd)
			return &watch->dirs[i];
	return NULL;
}

static bool names_has(char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static bool patterns_match(const struct watch_dir *dir, const char *name)
{
	for (size_t i = 0; i < dir->n_patterns; i++)
		if (fnmatch(dir->patterns[i], name, FNM_PERIOD) == 0)
			return true;
	return false;
}

/* An event matters when it names a watched file, or is about the directory itself.
 * A regular file's creation is followed by its close-after-write: waiting for that
 * avoids reading a file that is still empty. */
static bool relevant(const struct watch *watch, const struct inotify_event *ev)
{
	const struct watch_dir *dir;
	char path[PATH_MAX];
	struct stat st;

	if (ev->mask & (IN_Q_OVERFLOW | IN_IGNORED))
		return true;	/* anything may be hidden; a watch went away */
	if (!ev->len)
		return true;
	dir = dir_of(watch, ev->wd);
	if (!dir || (!names_has(dir->names, dir->n_names, ev->name) &&
		     !patterns_match(dir, ev->name)))
		return false;
	if (!(ev->mask & IN_CREATE))
		return true;
	if (snprintf(path, sizeof(path), "%s/%s", dir->path, ev->name) >= (int)sizeof(path))
		return true;
	return lstat(path, &st) < 0 || !S_ISREG(st.st_mode);
}

static bool relevant_event(const void *watch, const struct inotify_event *ev)
{
	return relevant(watch, ev);
}

static void inotify_cb(struct loop_watcher *w, uint32_t events)
{
	struct watch *watch = (struct watch *)w;
	int error;
	bool changed = util_inotify_any(w->fd, relevant_event, watch, &error);

	(void)events;
	if (error) {
		errno = error;
		log_warn("inotify read");
	}
	if (changed)
		watch->changed_cb(watch->arg);
}

int watch_init(struct watch *watch, struct loop *loop, void (*changed_cb)(void *arg), void *arg)
{
	memset(watch, 0, sizeof(*watch));
	watch->loop = loop;
	watch->changed_cb = changed_cb;
	watch->arg = arg;
	watch->w.cb = inotify_cb;
	watch->w.fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (watch->w.fd < 0)
		return -1;
	if (loop_add(loop, &watch->w, EPOLLIN) < 0) {
		close(watch->w.fd);
		watch->w.fd = -1;
		return -1;
	}
	return 0;
}

static void free_dirs(struct watch_dir *dirs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < dirs[i].n_names; j++)
			free(dirs[i].names[j]);
		free(dirs[i].names);
		for (size_t j = 0; j < dirs[i].n_patterns; j++)
			free(dirs[i].patterns[j]);
		free(dirs[i].patterns);
		free(dirs[i].path);
	}
	free(dirs);
}

void watch_exit(struct watch *watch)
{
	free_dirs(watch->dirs, watch->n_dirs);
	watch->dirs = NULL;
	watch->n_dirs = 0;
	if (watch->w.fd >= 0) {
		loop_del(watch->loop, &watch->w);
		close(watch->w.fd);
		watch->w.fd = -1;
	}
}

static void split_path(const char *path, char *dir, size_t len, const char **name)
{
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
	*name = slash ? slash + 1 : path;
}

static void add_target(struct target_list *list, const char *path, bool pattern)
{
	char dir[PATH_MAX];
	const char *name;

	split_path(path, dir, sizeof(dir), &name);
	if (!*name)
		return;
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->v[i].dir, dir) == 0 && strcmp(list->v[i].name, name) == 0 &&
		    list->v[i].pattern == pattern)
			return;
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;
		struct target *bigger = realloc(list->v, cap * sizeof(*bigger));

		if (!bigger)
			return;
		list->v = bigger;
		list->cap = cap;
	}
	list->v[list->n].dir = strdup(dir);
	list->v[list->n].name = strdup(name);
	list->v[list->n].pattern = pattern;
	if (list->v[list->n].dir && list->v[list->n].name) {
		list->n++;
	} else {
		free(list->v[list->n].dir);
		free(list->v[list->n].name);
	}
}

/* Each directory on the way to path that is a symlink: replacing it (a ConfigMap's
 * "..data") changes what path names. */
static void add_linked_dirs(struct target_list *list, const char *path)
{
	char prefix[PATH_MAX];
	struct stat st;

	for (const char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		if ((size_t)(p - path) >= sizeof(prefix))
			return;
		memcpy(prefix, path, (size_t)(p - path));
		prefix[p - path] = '\0';
		if (lstat(prefix, &st) == 0 && S_ISLNK(st.st_mode))
			add_target(list, prefix, false);
	}
}

/* The path itself, and every link met on the way from it to its file. */
static void targets_of(struct target_list *list, const char *path)
{
	char cur[PATH_MAX], target[PATH_MAX], dir[PATH_MAX], resolved[PATH_MAX];
	const char *name;

	snprintf(cur, sizeof(cur), "%s", path);
	for (int hop = 0; hop < WATCH_MAX_LINKS; hop++) {
		ssize_t n;

		add_linked_dirs(list, cur);
		add_target(list, cur, false);
		n = readlink(cur, target, sizeof(target) - 1);
		if (n < 0)
			break;
		target[n] = '\0';
		split_path(cur, dir, sizeof(dir), &name);
		if (target[0] == '/')
			snprintf(cur, sizeof(cur), "%s", target);
		else if (snprintf(cur, sizeof(cur), "%s/%s", dir, target) >= (int)sizeof(cur))
			break;
	}
	if (realpath(path, resolved))
		add_target(list, resolved, false);
}

/* Watch dir; when it does not exist, watch its nearest existing ancestor for the
 * first missing component instead. *name is updated to what to look for there. */
static int add_watch(struct watch *watch, const char *dir, const char **name,
		     char *watched, size_t len, char *missing, size_t missing_len)
{
	char parent[PATH_MAX];
	const char *base;

	snprintf(watched, len, "%s", dir);
	for (;;) {
		int wd = inotify_add_watch(watch->w.fd, watched, WATCH_MASK);

		if (wd >= 0)
			return wd;
		if ((errno != ENOENT && errno != ENOTDIR) || strcmp(watched, "/") == 0) {
			log_warn("cannot watch %s", watched);
			return -1;
		}
		split_path(watched, parent, sizeof(parent), &base);
		snprintf(missing, missing_len, "%s", base);
		*name = missing;
		snprintf(watched, len, "%s", parent);
	}
}

static struct watch_dir *find_dir(struct watch_dir *dirs, size_t n, int wd)
{
	for (size_t i = 0; i < n; i++)
		if (dirs[i].wd == wd)
			return &dirs[i];
	return NULL;
}

static void add_name(char ***names, size_t *n, const char *name)
{
	char **bigger;

	if (names_has(*names, *n, name))
		return;
	bigger = realloc(*names, (*n + 1) * sizeof(*bigger));
	if (!bigger)
		return;
	*names = bigger;
	(*names)[*n] = strdup(name);
	if ((*names)[*n])
		(*n)++;
}

size_t watch_paths(struct watch *watch, const char *const *paths, size_t n,
		   const char *const *patterns, size_t n_patterns)
{
	struct target_list want = { 0 };
	struct watch_dir *dirs;
	size_t n_dirs = 0, added = 0;

	for (size_t i = 0; i < n; i++)
		targets_of(&want, paths[i]);
	for (size_t i = 0; i < n_patterns; i++) {
		/* the directory's own name matters too when it or a directory above
		 * it is a link that can be swapped */
		add_linked_dirs(&want, patterns[i]);
		add_target(&want, patterns[i], true);
	}
	dirs = calloc(want.n ? want.n : 1, sizeof(*dirs));
	if (!dirs) {
		log_warn("watch list");
		goto done;
	}
	for (size_t i = 0; i < want.n; i++) {
		char watched[PATH_MAX], missing[NAME_MAX + 1];
		const char *name = want.v[i].name;
		int wd = add_watch(watch, want.v[i].dir, &name, watched, sizeof(watched),
				   missing, sizeof(missing));
		struct watch_dir *dir;

		if (wd < 0)
			continue;
		dir = find_dir(dirs, n_dirs, wd);
		if (!dir) {
			dir = &dirs[n_dirs];
			dir->wd = wd;
			dir->path = strdup(watched);
			if (!dir->path)
				continue;
			n_dirs++;
			if (!find_dir(watch->dirs, watch->n_dirs, wd))
				added++;
		}
		if (want.v[i].pattern && name == want.v[i].name)
			add_name(&dir->patterns, &dir->n_patterns, name);
		else
			add_name(&dir->names, &dir->n_names, name);
	}
	/* Drop the watches nothing needs any more. */
	for (size_t i = 0; i < watch->n_dirs; i++)
		if (!find_dir(dirs, n_dirs, watch->dirs[i].wd))
			inotify_rm_watch(watch->w.fd, watch->dirs[i].wd);
	free_dirs(watch->dirs, watch->n_dirs);
	watch->dirs = dirs;
	watch->n_dirs = n_dirs;
done:
	for (size_t i = 0; i < want.n; i++) {
		free(want.v[i].dir);
		free(want.v[i].name);
	}
	free(want.v);
	return added;
}
