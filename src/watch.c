/* watch.c: inotify on the directories that decide what the config and dependency paths name. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
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
#include "watch.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | \
		    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define WATCH_MAX_LINKS 16

struct dir_list {
	char **v;
	size_t n, cap;
};

static const char *dir_of(const struct watch *watch, int wd)
{
	for (size_t i = 0; i < watch->n_dirs; i++)
		if (watch->dirs[i].wd == wd)
			return watch->dirs[i].path;
	return NULL;
}

/* A regular file's creation is followed by its close-after-write: waiting for that
 * avoids reading a file that is still empty. */
static bool relevant(const struct watch *watch, const struct inotify_event *ev)
{
	char path[PATH_MAX];
	const char *dir;
	struct stat st;

	if (!(ev->mask & IN_CREATE) || !ev->len)
		return true;
	dir = dir_of(watch, ev->wd);
	if (!dir || snprintf(path, sizeof(path), "%s/%s", dir, ev->name) >= (int)sizeof(path))
		return true;
	return lstat(path, &st) < 0 || !S_ISREG(st.st_mode);
}

static void inotify_cb(struct loop_watcher *w, uint32_t events)
{
	struct watch *watch = (struct watch *)w;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;

	(void)events;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			/* An overflow may hide anything; a watch that went away changes what
			 * must be watched. */
			if ((ev->mask & (IN_Q_OVERFLOW | IN_IGNORED)) || relevant(watch, ev))
				changed = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		log_warn("inotify read");
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

void watch_exit(struct watch *watch)
{
	for (size_t i = 0; i < watch->n_dirs; i++)
		free(watch->dirs[i].path);
	free(watch->dirs);
	watch->dirs = NULL;
	watch->n_dirs = 0;
	if (watch->w.fd >= 0) {
		loop_del(watch->loop, &watch->w);
		close(watch->w.fd);
		watch->w.fd = -1;
	}
}

static void list_add(struct dir_list *list, const char *dir)
{
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->v[i], dir) == 0)
			return;
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;
		char **bigger = realloc(list->v, cap * sizeof(*bigger));

		if (!bigger)
			return;
		list->v = bigger;
		list->cap = cap;
	}
	list->v[list->n] = strdup(dir);
	if (list->v[list->n])
		list->n++;
}

static void parent_dir(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* The directory of path, and of each symlink on the way from path to its file. */
static void dirs_of(struct dir_list *list, const char *path)
{
	char cur[PATH_MAX], dir[PATH_MAX], target[PATH_MAX], resolved[PATH_MAX];

	snprintf(cur, sizeof(cur), "%s", path);
	for (int hop = 0; hop < WATCH_MAX_LINKS; hop++) {
		ssize_t n;

		parent_dir(cur, dir, sizeof(dir));
		list_add(list, dir);
		n = readlink(cur, target, sizeof(target) - 1);
		if (n < 0)
			break;
		target[n] = '\0';
		if (target[0] == '/')
			snprintf(cur, sizeof(cur), "%s", target);
		else if (snprintf(cur, sizeof(cur), "%s/%s", dir, target) >= (int)sizeof(cur))
			break;
	}
	if (realpath(path, resolved)) {
		parent_dir(resolved, dir, sizeof(dir));
		list_add(list, dir);
	}
}

/* Watch dir, or when it does not exist, its nearest existing ancestor. */
static int add_watch(struct watch *watch, const char *dir, char *watched, size_t len)
{
	snprintf(watched, len, "%s", dir);
	for (;;) {
		int wd = inotify_add_watch(watch->w.fd, watched, WATCH_MASK);

		if (wd >= 0)
			return wd;
		if ((errno != ENOENT && errno != ENOTDIR) || strcmp(watched, "/") == 0) {
			log_warn("cannot watch %s", watched);
			return -1;
		}
		char parent[PATH_MAX];

		parent_dir(watched, parent, sizeof(parent));
		snprintf(watched, len, "%s", parent);
	}
}

void watch_paths(struct watch *watch, const char *const *paths, size_t n)
{
	struct dir_list want = { 0 };
	struct watch_dir *dirs;
	size_t n_dirs = 0;

	for (size_t i = 0; i < n; i++)
		dirs_of(&want, paths[i]);
	dirs = calloc(want.n ? want.n : 1, sizeof(*dirs));
	if (!dirs) {
		log_warn("watch list");
		goto done;
	}
	for (size_t i = 0; i < want.n; i++) {
		char watched[PATH_MAX];
		int wd = add_watch(watch, want.v[i], watched, sizeof(watched));
		bool dup = false;

		if (wd < 0)
			continue;
		for (size_t j = 0; j < n_dirs; j++)
			dup = dup || dirs[j].wd == wd;
		if (dup)
			continue;
		dirs[n_dirs].wd = wd;
		dirs[n_dirs].path = strdup(watched);
		if (dirs[n_dirs].path)
			n_dirs++;
	}
	/* Drop the watches nothing needs any more. */
	for (size_t i = 0; i < watch->n_dirs; i++) {
		bool still = false;

		for (size_t j = 0; j < n_dirs; j++)
			still = still || dirs[j].wd == watch->dirs[i].wd;
		if (!still)
			inotify_rm_watch(watch->w.fd, watch->dirs[i].wd);
		free(watch->dirs[i].path);
	}
	free(watch->dirs);
	watch->dirs = dirs;
	watch->n_dirs = n_dirs;
done:
	for (size_t i = 0; i < want.n; i++)
		free(want.v[i]);
	free(want.v);
}
