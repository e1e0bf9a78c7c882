/* daemon.c: pmtr's own process: its standard descriptors, detaching, its pidfile, its open-file limit, and the processes jobs leave to it. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "spawn.h"
#include "util.h"

/* Jobs get exactly 0, 1 and 2, and pipes must never land there. */
void daemon_ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int null = open("/dev/null", O_RDWR);

		if (null >= 0 && null != fd) {
			dup2(null, fd);
			close(null);
		}
	}
}

int daemon_detach(void)
{
	pid_t pid = fork();
	int null;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if (chdir("/") < 0)
		return -1;
	null = open("/dev/null", O_RDWR);
	if (null < 0)
		return -1;
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);
	return 0;
}

int daemon_write_pidfile(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -1;
	fprintf(f, "%d\n", (int)getpid());
	return fclose(f);
}

/* The directories of path, made 0755 where missing (a source build's
 * /usr/local/var/run). */
void daemon_make_parents(const char *path, mode_t mode, const char *what)
{
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return;
	for (char *slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, mode) == 0) {
			/* the mode meant, whatever pmtr's umask */
			if (chmod(dir, mode) < 0)
				log_warn("cannot set the mode of %s", dir);
			log_info("made %s for %s", dir, what);
		} else if (errno != EEXIST) {
			log_warn("cannot make %s", dir);
		}
		*slash = '/';
	}
}

/* With 1000 jobs, pmtr holds a few thousand descriptors: it takes its hard limit,
 * and gives jobs back the soft limit it was started with. */
void daemon_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rlim_t soft = rl.rlim_cur;

	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("cannot raise the open-file limit");
		return;
	}
	spawn_set_nofile_soft(soft);
}

/* Send sig to every child of pmtr that is not a job: what jobs left behind and
 * the kernel handed to pmtr as their subreaper (or as process 1). Returns how many. */
static size_t signal_children(int sig)
{
	char path[64];
	FILE *f;
	long pid;
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fscanf(f, "%ld", &pid) == 1) {
		if (sig && kill((pid_t)pid, sig) < 0 && errno != ESRCH)
			log_warn("kill %ld", pid);
		n++;
	}
	fclose(f);
	return n;
}

int64_t daemon_stop_orphans(int64_t *deadline)
{
	int64_t now = util_now_ms();
	size_t n;

	if (!*deadline) {
		n = signal_children(SIGTERM);
		if (n == 0)
			return -1;
		log_info("pmtr: stopping %zu process%s left by jobs", n, n == 1 ? "" : "es");
		*deadline = now + CONF_DEFAULT_STOP_TIMEOUT_MS;
		return *deadline;
	}
	if (now < *deadline)
		return signal_children(0) ? *deadline : -1;
	n = signal_children(SIGKILL);
	if (n == 0)
		return -1;
	/* A killed process's own children come to pmtr next: look again soon. */
	return now + 100;
}
