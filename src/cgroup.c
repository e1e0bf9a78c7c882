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
/* The leaf pmtr moves itself into, beside its base, before it enables controllers:
 * a cgroup that hands controllers down must hold no process itself. */
#define SELF_SUFFIX ".self"

static const char *const controller_names[CGROUP_N_CONTROLLERS] = {
	[CGROUP_MEMORY] = "memory", [CGROUP_PIDS] = "pids", [CGROUP_CPU] = "cpu",
};

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

/* A pmtr that moved itself into its leaf (SELF_SUFFIX, see cgroup_enable) and
 * starts again there: its cgroup is the leaf's parent. */
static void cut_self_leaf(char *path)
{
	char *last = strrchr(path, '/');
	size_t n = strlen(path), suffix = strlen(SELF_SUFFIX);

	if (last && strncmp(last + 1, "pmtr-", 5) == 0 && n > suffix &&
	    strcmp(path + n - suffix, SELF_SUFFIX) == 0)
		*(last == path ? last + 1 : last) = '\0';
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
		cut_self_leaf(path);
		rc = 0;
		break;
	}
	fclose(f);
	if (rc < 0)
		errno = ENOENT;
	return rc;
}

int cgroup_init(struct cgroup_base *cg, const char *conf_path, int inherited)
{
	char mount[PATH_MAX], own[PATH_MAX], self[64];
	uint64_t key = util_hash(UTIL_HASH_INIT, conf_path, strlen(conf_path));
	size_t own_len;

	cg->dir_fd = -1;
	if (find_mount(mount, sizeof(mount)) < 0 || own_cgroup(own, sizeof(own)) < 0) {
		if (inherited >= 0)
			close(inherited);
		return -1;
	}
	/* A re-executed pmtr is in the cgroup it moved itself into. */
	snprintf(self, sizeof(self), "/pmtr-%016llx.self", (unsigned long long)key);
	own_len = strlen(own);
	if (own_len > strlen(self) && strcmp(own + own_len - strlen(self), self) == 0)
		own[own_len - strlen(self)] = '\0';
	if (!own[0])
		strcpy(own, "/");
	cg->mount_len = strlen(mount);
	if (snprintf(cg->path, sizeof(cg->path), "%s%s%spmtr-%016llx", mount,
		     strcmp(own, "/") == 0 ? "" : own, "/", (unsigned long long)key) >=
	    (int)sizeof(cg->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (inherited >= 0) {
		/* it holds the lock: the jobs in there stay ours */
		cg->dir_fd = inherited;
		if (fcntl(inherited, F_SETFD, FD_CLOEXEC) < 0)
			return -1;
		return 0;
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
	/* A description of its own: a dup would share the offset that the last walk
	 * left at the end, and this walk would find nothing. */
	fd = openat(cg->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		log_debug("cgroup %s: %s", cg->path, strerror(errno));
		return;
	}
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
	    snprintf(want, sizeof(want), "0::%s/" JOB_PREFIX "%s\n", cg->path + cg->mount_len, job) >=
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

const char *cgroup_controller_name(enum cgroup_controller c)
{
	return c < CGROUP_N_CONTROLLERS ? controller_names[c] : "?";
}

static ssize_t read_at(int dir_fd, const char *name, char *buf, size_t len);

/* Whether the controllers file at dir_fd/name lists controller c. */
static bool lists(int dir_fd, const char *name, enum cgroup_controller c)
{
	char buf[512], *word, *save;
	bool found = false;

	if (read_at(dir_fd, name, buf, sizeof(buf)) < 0)
		return false;
	for (word = strtok_r(buf, " \n", &save); word && !found; word = strtok_r(NULL, " \n", &save))
		found = strcmp(word, controller_names[c]) == 0;
	return found;
}

static int write_at(int dir_fd, const char *name, const char *text)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	err = errno;
	close(fd);
	errno = err;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Move pmtr itself into <own>/pmtr-KEY.self, so that <own> may hand controllers down. */
static int move_self(struct cgroup_base *cg, int own_fd)
{
	const char *base = strrchr(cg->path, '/') + 1;
	char leaf[300], pid[24];
	int fd, rc;

	snprintf(leaf, sizeof(leaf), "%s" SELF_SUFFIX, base);
	if (mkdirat(own_fd, leaf, 0755) < 0 && errno != EEXIST)
		return -1;
	fd = openat(own_fd, leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	rc = write_at(fd, "cgroup.procs", pid);
	close(fd);
	if (rc == 0)
		log_info("moved pmtr into cgroup %.*s/%s to hand controllers to its jobs",
			 (int)(base - 1 - cg->path - cg->mount_len), cg->path + cg->mount_len, leaf);
	return rc;
}

unsigned cgroup_enable(struct cgroup_base *cg, unsigned want)
{
	char own[PATH_MAX], text[32];
	int own_fd;

	if (cg->dir_fd < 0)
		return 0;
	want &= ~cg->enabled;
	if (!want)
		return cg->enabled;
	snprintf(own, sizeof(own), "%.*s", (int)(strrchr(cg->path, '/') - cg->path), cg->path);
	own_fd = open(own, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (own_fd < 0) {
		for (int c = 0; c < CGROUP_N_CONTROLLERS; c++)
			snprintf(cg->why[c], sizeof(cg->why[c]), "%s: %s", own, strerror(errno));
		return cg->enabled;
	}
	for (int c = 0; c < CGROUP_N_CONTROLLERS; c++) {
		if (!(want & (1u << c)))
			continue;
		snprintf(text, sizeof(text), "+%s", controller_names[c]);
		if (!lists(cg->dir_fd, "cgroup.controllers", c)) {
			if (!lists(own_fd, "cgroup.controllers", c)) {
				snprintf(cg->why[c], sizeof(cg->why[c]), "the %s controller is not available in %s: "
					 "not delegated to pmtr", controller_names[c], own);
				continue;
			}
			if (write_at(own_fd, "cgroup.subtree_control", text) < 0 &&
			    (errno != EBUSY || move_self(cg, own_fd) < 0 ||
			     write_at(own_fd, "cgroup.subtree_control", text) < 0)) {
				snprintf(cg->why[c], sizeof(cg->why[c]), "cannot enable the %s controller in %s: %s",
					 controller_names[c], own, strerror(errno));
				continue;
			}
		}
		if (write_at(cg->dir_fd, "cgroup.subtree_control", text) < 0) {
			snprintf(cg->why[c], sizeof(cg->why[c]), "cannot enable the %s controller in %s: %s",
				 controller_names[c], cg->path, strerror(errno));
			continue;
		}
		cg->enabled |= 1u << c;
	}
	close(own_fd);
	return cg->enabled;
}

static int write_job_file(int job_fd, const char *name, const char *text, char *why,
			  size_t why_len)
{
	if (write_at(job_fd, name, text) == 0)
		return 0;
	snprintf(why, why_len, "%s: %s", name, strerror(errno));
	return -1;
}

static void size_text(uint64_t v, char *buf, size_t len)
{
	if (v == CONF_LIMIT_INFINITY)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

int cgroup_job_set_limits(struct cgroup_base *cg, int job_fd, const struct conf_job *conf,
			  char *why, size_t why_len)
{
	const struct conf_job_more *m = CONF_MORE(conf);
	char text[64];
	int rc = 0;

	if (cg->enabled & (1u << CGROUP_MEMORY)) {
		size_text(m->memory_max ? m->memory_max : CONF_LIMIT_INFINITY, text, sizeof(text));
		rc |= write_job_file(job_fd, "memory.max", text, why, why_len);
		size_text(m->memory_high ? m->memory_high : CONF_LIMIT_INFINITY, text, sizeof(text));
		rc |= write_job_file(job_fd, "memory.high", text, why, why_len);
	}
	if (cg->enabled & (1u << CGROUP_PIDS)) {
		size_text(m->pids_max ? m->pids_max : CONF_LIMIT_INFINITY, text, sizeof(text));
		rc |= write_job_file(job_fd, "pids.max", text, why, why_len);
	}
	if (cg->enabled & (1u << CGROUP_CPU)) {
		if (m->cpu_max_percent && m->cpu_max_percent != CONF_CPU_INFINITY)
			snprintf(text, sizeof(text), "%llu 100000",
				 (unsigned long long)m->cpu_max_percent * 1000);
		else
			snprintf(text, sizeof(text), "max 100000");
		rc |= write_job_file(job_fd, "cpu.max", text, why, why_len);
		snprintf(text, sizeof(text), "%u", m->cpu_weight ? m->cpu_weight : 100);
		rc |= write_job_file(job_fd, "cpu.weight", text, why, why_len);
	}
	return rc;
}

/* A small file of a cgroup, NUL-terminated in buf; its length, or -1. */
static ssize_t read_at(int dir_fd, const char *name, char *buf, size_t len)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The number after "key " in a flat keyed file such as memory.events. */
static int read_key(int job_fd, const char *name, const char *key, uint64_t *out)
{
	char buf[1024], *p;
	size_t klen = strlen(key);

	if (read_at(job_fd, name, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			*out = strtoull(p + klen + 1, NULL, 10);
			return 0;
		}
	}
	return -1;
}

static int read_number(int job_fd, const char *name, uint64_t *out)
{
	char buf[64];

	if (read_at(job_fd, name, buf, sizeof(buf)) < 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	*out = strtoull(buf, NULL, 10);
	return 0;
}

int cgroup_job_oom_kills(struct cgroup_base *cg, const char *job, uint64_t *count)
{
	int fd = cg && cg->enabled & (1u << CGROUP_MEMORY) ? cgroup_job_dir_fd(cg, job) : -1;
	int rc;

	if (fd < 0)
		return -1;
	rc = read_key(fd, "memory.events", "oom_kill", count);
	close(fd);
	return rc;
}

void cgroup_job_usage(struct cgroup_base *cg, const char *job, struct cgroup_usage *usage)
{
	char dir[300];
	int fd;

	usage->has_memory = usage->has_cpu = usage->has_pids = false;
	if (!cg || cg->dir_fd < 0 || job_dir(job, dir, sizeof(dir)) < 0)
		return;
	fd = openat(cg->dir_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	usage->has_memory = read_number(fd, "memory.current", &usage->memory) == 0;
	usage->has_pids = read_number(fd, "pids.current", &usage->pids) == 0;
	usage->has_cpu = read_key(fd, "cpu.stat", "usage_usec", &usage->cpu_usec) == 0;
	close(fd);
}

int cgroup_job_events_path(struct cgroup_base *cg, const char *job, char *buf, size_t len)
{
	char dir[300];

	if (!cg || cg->dir_fd < 0 || !(cg->enabled & (1u << CGROUP_MEMORY)) ||
	    job_dir(job, dir, sizeof(dir)) < 0)
		return -1;
	return snprintf(buf, len, "%s/%s/memory.events", cg->path, dir) < (int)len ? 0 : -1;
}
