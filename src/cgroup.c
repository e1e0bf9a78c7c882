/* cgroup.c: one cgroup v2 per job where pmtr may create them, so that a stop reaches every descendant. SPDX-License-Identifier: MIT */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"
#include "util.h"

#define JOB_PREFIX "job-"

/* The mount point of the cgroup2 hierarchy, from /proc/self/mountinfo. */
static int find_mount(char *mount, size_t len)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char point[PATH_MAX];
		const char *sep = strstr(line, " - ");

		/* fields: id parent major:minor root mount-point ... - fstype ... */
		if (!sep || strncmp(sep, " - cgroup2 ", 11) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		snprintf(mount, len, "%s", point);
		rc = 0;
		break;
	}
	fclose(f);
	if (rc < 0)
		errno = ENOENT;
	return rc;
}

/* pmtr's own cgroup v2 path, from the "0::" line of /proc/self/cgroup. */
static int own_cgroup(char *path, size_t len)
{
	char line[4096];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, len, "%s", line + 3);
		rc = 0;
		break;
	}
	fclose(f);
	if (rc < 0)
		errno = ENOENT;
	return rc;
}

int cgroup_init(struct cgroup_base *cg, const char *conf_path)
{
	char mount[PATH_MAX], own[PATH_MAX];
	uint64_t key = util_hash(UTIL_HASH_INIT, conf_path, strlen(conf_path));

	cg->dir_fd = -1;
	if (find_mount(mount, sizeof(mount)) < 0 || own_cgroup(own, sizeof(own)) < 0)
		return -1;
	cg->mount_len = strlen(mount);
	if (snprintf(cg->path, sizeof(cg->path), "%s%s%spmtr-%016llx", mount,
		     strcmp(own, "/") == 0 ? "" : own, "/", (unsigned long long)key) >=
	    (int)sizeof(cg->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(cg->path, 0755) < 0 && errno != EEXIST)
		return -1;
	cg->dir_fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->dir_fd < 0)
		return -1;
	/* Held for pmtr's life, and gone with it even after SIGKILL: a second pmtr on
	 * the same file must not take the first one's jobs for leftovers. */
	if (flock(cg->dir_fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno == EWOULDBLOCK ? EBUSY : errno;

		close(cg->dir_fd);
		cg->dir_fd = -1;
		errno = err;
		return -1;
	}
	return 0;
}

static int job_dir(const char *job, char *buf, size_t len)
{
	return snprintf(buf, len, JOB_PREFIX "%s", job) < (int)len ? 0 : -1;
}

void cgroup_job_create(struct cgroup_base *cg, const char *job)
{
	char dir[300];

	if (cg->dir_fd < 0 || job_dir(job, dir, sizeof(dir)) < 0)
		return;
	if (mkdirat(cg->dir_fd, dir, 0755) < 0 && errno != EEXIST)
		log_debug("cgroup %s/%s: %s", cg->path, dir, strerror(errno));
}

int cgroup_job_dir_fd(struct cgroup_base *cg, const char *job)
{
	char dir[300];
	int fd;

	if (cg->dir_fd < 0 || job_dir(job, dir, sizeof(dir)) < 0)
		return -1;
	fd = openat(cg->dir_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Made when the job was added, unless something removed it since. */
	if (fd < 0 && errno == ENOENT) {
		cgroup_job_create(cg, job);
		fd = openat(cg->dir_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		log_debug("cgroup %s/%s: %s", cg->path, dir, strerror(errno));
	return fd;
}

/* Calls fn for each pid in the job's cgroup.procs; returns how many, -1 if none. */
static int each_pid(struct cgroup_base *cg, const char *job, void (*fn)(pid_t pid, int arg),
		    int arg)
{
	char dir[300], procs[320];
	FILE *f;
	long pid;
	int fd, count = 0;

	if (cg->dir_fd < 0 || job_dir(job, dir, sizeof(dir)) < 0)
		return -1;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	fd = openat(cg->dir_fd, procs, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -1;
	}
	while (fscanf(f, "%ld", &pid) == 1) {
		if (fn)
			fn((pid_t)pid, arg);
		count++;
	}
	fclose(f);
	return count;
}

bool cgroup_job_populated(struct cgroup_base *cg, const char *job)
{
	return each_pid(cg, job, NULL, 0) > 0;
}

static void send_signal(pid_t pid, int sig)
{
	if (kill(pid, sig) < 0 && errno != ESRCH)
		log_warn("kill %d", (int)pid);
}

int cgroup_job_signal(struct cgroup_base *cg, const char *job, int sig)
{
	int count = each_pid(cg, job, send_signal, sig);

	return count < 0 ? 0 : count;
}

void cgroup_job_remove(struct cgroup_base *cg, const char *job)
{
	char dir[300];

	if (cg->dir_fd < 0 || job_dir(job, dir, sizeof(dir)) < 0)
		return;
	if (unlinkat(cg->dir_fd, dir, AT_REMOVEDIR) < 0 && errno != ENOENT && errno != EBUSY)
		log_debug("cgroup %s/%s: %s", cg->path, dir, strerror(errno));
}

/* Calls fn with the job name of each job cgroup under the base. */
static void each_job(struct cgroup_base *cg, void (*fn)(struct cgroup_base *cg, const char *job,
							 void *arg), void *arg)
{
	int fd;
	DIR *d;
	struct dirent *e;

	if (cg->dir_fd < 0)
		return;
	fd = dup(cg->dir_fd);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && strncmp(e->d_name, JOB_PREFIX, strlen(JOB_PREFIX)) == 0)
			fn(cg, e->d_name + strlen(JOB_PREFIX), arg);
	closedir(d);
}

struct sweep {
	void (*report)(const char *job, int count);
};

static void sweep_one(struct cgroup_base *cg, const char *job, void *arg)
{
	struct sweep *sweep = arg;
	int count = cgroup_job_signal(cg, job, SIGKILL);

	if (count > 0)
		sweep->report(job, count);
	cgroup_job_remove(cg, job);
}

void cgroup_sweep(struct cgroup_base *cg, void (*report)(const char *job, int count))
{
	struct sweep sweep = { report };

	each_job(cg, sweep_one, &sweep);
}

static void remove_one(struct cgroup_base *cg, const char *job, void *arg)
{
	(void)arg;
	cgroup_job_remove(cg, job);
}

void cgroup_exit(struct cgroup_base *cg)
{
	if (cg->dir_fd < 0)
		return;
	each_job(cg, remove_one, NULL);
	close(cg->dir_fd);
	cg->dir_fd = -1;
	if (rmdir(cg->path) < 0 && errno != EBUSY && errno != ENOENT)
		log_debug("cgroup %s: %s", cg->path, strerror(errno));
}

bool cgroup_job_holds(struct cgroup_base *cg, const char *job, pid_t pid)
{
	char path[64], want[PATH_MAX + 8], line[PATH_MAX + 8];
	bool holds = false;
	FILE *f;

	if (!cg || cg->dir_fd < 0 ||
	    snprintf(want, sizeof(want), "0::%s/%s\n", cg->path + cg->mount_len, job) >=
	    (int)sizeof(want))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!holds && fgets(line, sizeof(line), f))
		holds = strcmp(line, want) == 0;
	fclose(f);
	return holds;
}
