/* logfile.c: a job's output written by pmtr to its log file: lines buffered and written as they come, rotated by size and time inside a directory opened once, compressed by gzip(1) in the background, failed writes counted and said. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "joblog.h"
#include "log.h"
#include "logfile.h"
#include "util.h"

/* Bytes buffered before a write: a read of the pipe is at most this much. */
#define BUF_SIZE (64 * 1024)
/* Lines not written are said at most this often. */
#define DROPS_SAID_MS 60000
/* How often a file is looked at for having been removed, and an unusable one
 * opened again. */
#define RECHECK_MS 1000
/* "2026-12-07T23:49:48.123+01:00 " */
#define STAMP_LEN 30

struct logfile {
	char *name;		/* the job's */
	char *path;		/* as configured */
	const char *base;	/* its last component, in path */
	struct joblog **kept;	/* the job's ring, for notices */
	int dir_fd, fd;		/* fd -1: not open now */
	uint64_t size;		/* of the file, what is buffered included */
	int64_t rotate_at;	/* wall ms (hourly, daily) or boot ms (every); 0: none */
	uint64_t dropped, dropped_unsaid;
	int64_t dropped_said_ms, checked_ms;	/* CLOCK_MONOTONIC */
	int error;		/* errno of the last failure, said with the drops */
	struct conf_log_rotate rotate;	/* size 0 and period never: none */
	bool timestamps;
	bool open_failure_said;	/* until the file opens again */
	bool set_uid, set_gid;
	uid_t uid;
	gid_t gid;
	char *buf;
	size_t len;
	int64_t stamp_sec;	/* the second stamp_text is for, -1: none */
	char stamp_text[64];
};

/* ---- compression: gzip children, which outlive a log file's changes ---- */

/* A gzip reads and writes by descriptors: the rotations while it runs rename its
 * files (PATH.1 and PATH.1.gz to PATH.2 and PATH.2.gz), and it follows them by
 * their number. */
struct gzip_child {
	struct gzip_child *next;
	pid_t pid;
	int dir_fd;		/* its own copy */
	char *name;		/* the job's, for messages */
	char base[NAME_MAX + 1];	/* the log file's name */
	const struct logfile *lf;	/* whose rotations it follows; NULL once gone */
	unsigned index;		/* it compresses base.index into base.index.gz */
	bool abandoned;		/* its file was rotated out: nothing to do at its end */
};

static struct gzip_child *gzips;

static void rotated_name(char *buf, size_t len, const char *base, unsigned i, bool gz)
{
	snprintf(buf, len, "%s.%u%s", base, i, gz ? ".gz" : "");
}

static const char *gzip_path(void)
{
	static const char *const where[] = { "/usr/bin/gzip", "/bin/gzip" };

	for (size_t i = 0; i < ARRAY_SIZE(where); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

/* The child: the rotated file on stdin, the .gz on stdout, as the job's user. */
static void exec_gzip(const char *path, int in, int out, const struct logfile *lf)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0)
		_exit(126);
	if (geteuid() == 0 && (lf->set_uid || lf->set_gid) &&
	    (setgroups(0, NULL) < 0 || (lf->set_gid && setgid(lf->gid) < 0) ||
	     (lf->set_uid && setuid(lf->uid) < 0)))
		_exit(126);
	execl(path, "gzip", "-c", "-n", (char *)NULL);
	_exit(127);
}

/* A regular file with no other name: what pmtr renamed, not what a job planted. */
static bool single_regular_file(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1)
		return true;
	errno = EPERM;
	return false;
}

/* Compress base.1 of lf into base.1.gz. */
static void start_gzip(struct logfile *lf)
{
	const char *path = gzip_path();
	char src[NAME_MAX + 16], dst[NAME_MAX + 16];
	struct gzip_child *g;
	int in = -1, out = -1;

	rotated_name(src, sizeof(src), lf->base, 1, false);
	rotated_name(dst, sizeof(dst), lf->base, 1, true);
	if (!path) {
		log_warnx("job %s: cannot compress %s: gzip(1) is not installed", lf->name, src);
		return;
	}
	g = calloc(1, sizeof(*g));
	if (!g || !(g->name = util_strdup(lf->name)) ||
	    (in = openat(lf->dir_fd, src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0 ||
	    !single_regular_file(in) ||
	    (out = openat(lf->dir_fd, dst, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
			  O_CLOEXEC | O_NONBLOCK, 0640)) < 0 ||
	    (g->dir_fd = fcntl(lf->dir_fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		log_warn("job %s: cannot compress %s", lf->name, src);
		goto fail;
	}
	if (geteuid() == 0 && (lf->set_uid || lf->set_gid) &&
	    fchown(out, lf->set_uid ? lf->uid : (uid_t)-1, lf->set_gid ? lf->gid : (gid_t)-1) < 0)
		log_warn("job %s: chown %s", lf->name, dst);
	g->pid = fork();
	if (g->pid == 0)
		exec_gzip(path, in, out, lf);
	if (g->pid < 0) {
		log_warn("job %s: cannot compress %s: fork", lf->name, src);
		close(g->dir_fd);
		unlinkat(lf->dir_fd, dst, 0);
		goto fail;
	}
	close(in);
	close(out);
	snprintf(g->base, sizeof(g->base), "%s", lf->base);
	g->index = 1;
	g->lf = lf;
	g->next = gzips;
	gzips = g;
	return;
fail:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (g)
		free(g->name);
	free(g);
}

bool logfile_reaped(pid_t pid, int status)
{
	struct gzip_child **at = &gzips, *g;
	char how[64], src[NAME_MAX + 16], dst[NAME_MAX + 16];

	while (*at && (*at)->pid != pid)
		at = &(*at)->next;
	if (!(g = *at))
		return false;
	*at = g->next;
	rotated_name(src, sizeof(src), g->base, g->index, false);
	rotated_name(dst, sizeof(dst), g->base, g->index, true);
	if (g->abandoned) {
		/* nothing: its files went with the oldest */
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (unlinkat(g->dir_fd, src, 0) < 0 && errno != ENOENT)
			log_warn("job %s: remove %s after compressing it", g->name, src);
	} else {
		log_warnx("job %s: gzip of %s failed (%s): kept uncompressed", g->name, src,
			  util_describe_status(status, how, sizeof(how)));
		unlinkat(g->dir_fd, dst, 0);
	}
	close(g->dir_fd);
	free(g->name);
	free(g);
	return true;
}

/* A rotation moved lf's rotated files up by one: its compressions follow;
 * one whose file was the oldest, removed, stops. */
static void follow_rotation(const struct logfile *lf)
{
	for (struct gzip_child *g = gzips; g; g = g->next) {
		if (g->abandoned || g->lf != lf)
			continue;
		if (g->index < lf->rotate.keep) {
			g->index++;
			continue;
		}
		kill(g->pid, SIGKILL);
		g->abandoned = true;
	}
}

/* ---- opening ---- */

/* The last component of path, and its directory opened as a path. */
static int open_dir(struct logfile *lf, char *why, size_t why_len)
{
	char dir[PATH_MAX];
	size_t n = (size_t)(lf->base - lf->path);

	snprintf(dir, sizeof(dir), "%.*s", (int)(n > 1 ? n - 1 : 1), lf->path);
	lf->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (lf->dir_fd >= 0)
		return 0;
	snprintf(why, why_len, "log file directory %s: %s", dir, strerror(errno));
	return -1;
}

static void set_owner(struct logfile *lf)
{
	uid_t uid = lf->set_uid ? lf->uid : (uid_t)-1;
	gid_t gid = lf->set_gid ? lf->gid : (gid_t)-1;

	if (lf->fd >= 0 && geteuid() == 0 && (lf->set_uid || lf->set_gid) && fchown(lf->fd, uid, gid) < 0)
		log_warn("job %s: chown %s", lf->name, lf->path);
}

/* Open the file in its directory; a symlink, a FIFO or a directory there is
 * refused. */
static int open_file(struct logfile *lf, char *why, size_t why_len)
{
	struct stat st;

	lf->fd = openat(lf->dir_fd, lf->base, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
			O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0640);
	if (lf->fd < 0) {
		snprintf(why, why_len, "log file %s: %s", lf->path,
			 errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return -1;
	}
	/* a hard link planted by a job that owns the directory could name any file
	 * of the file system (without fs.protected_hardlinks) */
	if (fstat(lf->fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink > 1) {
		snprintf(why, why_len, "log file %s: %s", lf->path,
			 S_ISREG(st.st_mode) ? "it has other hard links" : "not a regular file");
		close(lf->fd);
		lf->fd = -1;
		return -1;
	}
	lf->size = (uint64_t)st.st_size;
	set_owner(lf);
	return 0;
}

/* The directory (when it could not be opened before), then the file. */
static int open_all(struct logfile *lf, char *why, size_t why_len)
{
	if (lf->dir_fd < 0 && open_dir(lf, why, why_len) < 0)
		return -1;
	return open_file(lf, why, why_len);
}

/* An edit's or a rotation's failure to open: said, and writing retried later. */
static void open_or_say(struct logfile *lf)
{
	char why[PATH_MAX + 64];

	if (open_all(lf, why, sizeof(why)) == 0) {
		lf->open_failure_said = false;
		return;
	}
	lf->error = errno;
	if (!lf->open_failure_said)
		log_warnx("job %s: %s: its lines are counted, not written, until it can be opened",
			  lf->name, why);
	lf->open_failure_said = true;
}

static void close_file(struct logfile *lf)
{
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
}

/* ---- time ---- */

/* The next end of the rotation period after now, in its clock; 0: none. */
static int64_t next_rotation(const struct logfile *lf, int64_t wall, int64_t boot)
{
	time_t t = (time_t)(wall / 1000);
	struct tm tm;

	switch (lf->rotate.period) {
	case CONF_ROTATE_EVERY:
		return boot + lf->rotate.every_ms;
	case CONF_ROTATE_HOURLY:
	case CONF_ROTATE_DAILY:
		if (!localtime_r(&t, &tm))
			return 0;
		tm.tm_sec = tm.tm_min = 0;
		if (lf->rotate.period == CONF_ROTATE_DAILY) {
			tm.tm_hour = 0;
			tm.tm_mday++;
		} else {
			tm.tm_hour++;
		}
		tm.tm_isdst = -1;
		t = mktime(&tm);
		return t == (time_t)-1 ? 0 : (int64_t)t * 1000;
	default:
		return 0;
	}
}

static int64_t clock_of(const struct logfile *lf, int64_t wall, int64_t boot)
{
	return lf->rotate.period == CONF_ROTATE_EVERY ? boot : wall;
}

int64_t logfile_deadline(const struct logfile *lf, int64_t mono, int64_t wall, int64_t boot)
{
	int64_t left;

	if (!lf || !lf->rotate_at)
		return 0;
	left = lf->rotate_at - clock_of(lf, wall, boot);
	return left > 0 ? mono + left : mono ? mono : 1;
}

/* ---- rotation ---- */

/* PATH.N-1 to PATH.N ... PATH to PATH.1, both forms of each; the oldest goes. */
static void shift_files(struct logfile *lf)
{
	char from[NAME_MAX + 16], to[NAME_MAX + 16];

	for (unsigned i = lf->rotate.keep; i >= 1; i--) {
		for (int gz = 0; gz <= 1; gz++) {
			rotated_name(to, sizeof(to), lf->base, i, gz);
			if (i == lf->rotate.keep) {
				if (unlinkat(lf->dir_fd, to, 0) < 0 && errno != ENOENT)
					log_warn("job %s: remove %s", lf->name, to);
				continue;
			}
			rotated_name(from, sizeof(from), lf->base, i, gz);
			rotated_name(to, sizeof(to), lf->base, i + 1, gz);
			if (renameat(lf->dir_fd, from, lf->dir_fd, to) < 0 && errno != ENOENT)
				log_warn("job %s: rename %s to %s", lf->name, from, to);
		}
	}
}

static void rotate(struct logfile *lf)
{
	char first[NAME_MAX + 16];

	logfile_flush(lf);
	if (lf->fd < 0)
		return;
	shift_files(lf);
	follow_rotation(lf);
	rotated_name(first, sizeof(first), lf->base, 1, false);
	if (renameat(lf->dir_fd, lf->base, lf->dir_fd, first) < 0) {
		/* the file is gone or cannot move: go on writing where it is */
		log_warn("job %s: rotate %s", lf->name, lf->path);
		return;
	}
	close_file(lf);
	open_or_say(lf);
	if (lf->fd >= 0)
		lf->size = 0;
	if (lf->rotate.compress)
		start_gzip(lf);
}

void logfile_tick(struct logfile *lf, int64_t wall, int64_t boot)
{
	if (!lf || !lf->rotate_at || clock_of(lf, wall, boot) < lf->rotate_at)
		return;
	/* an empty file is not rotated: no empty PATH.1 */
	if (lf->size > 0)
		rotate(lf);
	lf->rotate_at = next_rotation(lf, wall, boot);
}

/* ---- writing ---- */

/* "2026-12-07T23:49:48.123+01:00 ": the date part made once a second. */
static size_t stamp(struct logfile *lf, int64_t wall_ms, char *out)
{
	int64_t sec = wall_ms / 1000;

	if (sec != lf->stamp_sec) {
		time_t t = (time_t)sec;
		struct tm tm;
		char date[24], zone[8];

		if (!localtime_r(&t, &tm) || strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) != 19 ||
		    !strftime(zone, sizeof(zone), "%z", &tm) || strlen(zone) != 5)
			return 0;
		snprintf(lf->stamp_text, sizeof(lf->stamp_text), "%s.000%.3s:%s ", date, zone,
			 zone + 3);
		lf->stamp_sec = sec;
	}
	memcpy(out, lf->stamp_text, STAMP_LEN);
	out[20] = (char)('0' + wall_ms % 1000 / 100);
	out[21] = (char)('0' + wall_ms % 100 / 10);
	out[22] = (char)('0' + wall_ms % 10);
	return STAMP_LEN;
}

static void count_dropped(struct logfile *lf, const char *text, size_t len, int error)
{
	uint64_t lines = 0;

	for (const char *p = text; (p = memchr(p, '\n', (size_t)(text + len - p))); p++)
		lines++;
	lf->dropped += lines;
	lf->dropped_unsaid += lines;
	lf->error = error;
}

/* At most once a minute: how many lines were not written, in pmtr's log and
 * among the job's lines (pmtrctl logs). */
static void say_dropped(struct logfile *lf, int64_t now)
{
	char text[PATH_MAX + 160];

	if (!lf->dropped_unsaid || (lf->dropped_said_ms && now - lf->dropped_said_ms < DROPS_SAID_MS))
		return;
	snprintf(text, sizeof(text), "pmtr: %llu line%s not written to %s: %s",
		 (unsigned long long)lf->dropped_unsaid, lf->dropped_unsaid == 1 ? "" : "s",
		 lf->path, strerror(lf->error));
	log_warnx("job %s: %s", lf->name, text + 6);
	joblog_add(lf->kept, 0, util_now_wall_ms(), text, strlen(text));
	lf->dropped_unsaid = 0;
	lf->dropped_said_ms = now;
}

/* A file removed under pmtr (rm, a logrotate without reopen) is made again;
 * one that could not be opened is tried again. */
static void recheck(struct logfile *lf, int64_t now)
{
	struct stat st;

	if (now - lf->checked_ms < RECHECK_MS)
		return;
	lf->checked_ms = now;
	if (lf->fd >= 0 && fstat(lf->fd, &st) == 0 && st.st_nlink > 0)
		return;
	close_file(lf);
	/* the directory removed (and maybe made again): by its path once more */
	if (lf->dir_fd >= 0 && fstat(lf->dir_fd, &st) == 0 && st.st_nlink == 0) {
		close(lf->dir_fd);
		lf->dir_fd = -1;
	}
	open_or_say(lf);
}

void logfile_flush(struct logfile *lf)
{
	int64_t now;
	size_t done = 0;

	if (!lf)
		return;
	now = util_now_ms();
	recheck(lf, now);
	while (done < lf->len) {
		ssize_t n = lf->fd >= 0 ? write(lf->fd, lf->buf + done, lf->len - done) : -1;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int error = lf->fd < 0 ? lf->error : n < 0 ? errno : ENOSPC;

			count_dropped(lf, lf->buf + done, lf->len - done, error);
			lf->size -= lf->len - done;
			break;
		}
		done += (size_t)n;
	}
	lf->len = 0;
	say_dropped(lf, now);
}

void logfile_line(struct logfile *lf, const char *line, size_t len, int64_t wall_ms)
{
	size_t need = len + 1 + (lf->timestamps ? STAMP_LEN : 0);

	if (lf->rotate.size && lf->size > 0 && lf->size + need > lf->rotate.size)
		rotate(lf);
	if (!lf->buf && !(lf->buf = malloc(BUF_SIZE))) {
		count_dropped(lf, "\n", 1, ENOMEM);
		return;
	}
	if (lf->len + need > BUF_SIZE)
		logfile_flush(lf);
	if (need > BUF_SIZE) {
		count_dropped(lf, "\n", 1, EFBIG);
		return;
	}
	if (lf->timestamps)
		lf->len += stamp(lf, wall_ms, lf->buf + lf->len);
	memcpy(lf->buf + lf->len, line, len);
	lf->len += len;
	lf->buf[lf->len++] = '\n';
	lf->size += need;
}

/* ---- the life of one ---- */

void logfile_free(struct logfile *lf)
{
	if (!lf)
		return;
	logfile_flush(lf);
	close_file(lf);
	if (lf->dir_fd >= 0)
		close(lf->dir_fd);
	for (struct gzip_child *g = gzips; g; g = g->next)
		if (g->lf == lf)
			g->lf = NULL;
	free(lf->buf);
	free(lf->path);
	free(lf->name);
	free(lf);
}

void logfile_reopen(struct logfile *lf)
{
	if (!lf)
		return;
	logfile_flush(lf);
	close_file(lf);
	open_or_say(lf);
}

static struct logfile *logfile_new(const char *name, const char *path, struct joblog **kept)
{
	struct logfile *lf = calloc(1, sizeof(*lf));

	if (!lf)
		return NULL;
	lf->dir_fd = lf->fd = -1;
	lf->stamp_sec = -1;
	lf->kept = kept;
	lf->name = util_strdup(name);
	lf->path = util_strdup(path);
	if (!lf->name || !lf->path) {
		free(lf->name);
		free(lf->path);
		free(lf);
		return NULL;
	}
	lf->base = strrchr(lf->path, '/') + 1;
	return lf;
}

/* Rotation and stamps as conf says; a new period counts from now. */
static void take_settings(struct logfile *lf, const struct conf_job_more *more)
{
	struct conf_log_rotate none = { .keep = CONF_DEFAULT_LOG_KEEP };
	const struct conf_log_rotate *r = more->log_rotate ? more->log_rotate : &none;
	bool new_period = r->period != lf->rotate.period || r->every_ms != lf->rotate.every_ms;
	struct timespec w, b;

	lf->rotate = *r;
	lf->timestamps = more->log_timestamps;
	if (new_period || (!lf->rotate_at && r->period != CONF_ROTATE_NEVER)) {
		clock_gettime(CLOCK_REALTIME, &w);
		clock_gettime(CLOCK_BOOTTIME, &b);
		lf->rotate_at = next_rotation(lf, (int64_t)w.tv_sec * 1000 + w.tv_nsec / 1000000,
					      (int64_t)b.tv_sec * 1000 + b.tv_nsec / 1000000);
	}
}

/* The job's user and group by name or number, for a log file an edit gives a
 * running job (at a start, the spawn says them: logfile_own). */
static void find_owner(const struct conf_job *conf, struct logfile *owner)
{
	struct passwd *pw = NULL;
	struct group *gr = NULL;
	char *end;
	unsigned long id;

	if (conf->user) {
		id = strtoul(conf->user, &end, 10);
		pw = *end || !*conf->user ? getpwnam(conf->user) : getpwuid((uid_t)id);
	}
	if (conf->group) {
		id = strtoul(conf->group, &end, 10);
		gr = *end || !*conf->group ? getgrnam(conf->group) : getgrgid((gid_t)id);
	}
	owner->set_uid = pw != NULL;
	owner->uid = pw ? pw->pw_uid : 0;
	owner->set_gid = gr || pw;
	owner->gid = gr ? gr->gr_gid : pw ? pw->pw_gid : 0;
}

int logfile_configure(struct logfile **plf, const char *name, const struct conf_job *conf,
		      struct joblog **kept, bool start, char *why, size_t why_len)
{
	const char *path = CONF_MORE(conf)->log_file;
	struct logfile *lf = *plf;

	struct logfile owner = { .set_uid = false };

	if (lf && (!path || strcmp(path, lf->path) != 0)) {
		owner = *lf;
		logfile_free(lf);
		*plf = lf = NULL;
	} else if (!lf && !start) {
		find_owner(conf, &owner);
	}
	if (!path)
		return 0;
	if (!lf) {
		if (!(lf = logfile_new(name, path, kept))) {
			snprintf(why, why_len, "log file %s: %s", path, strerror(ENOMEM));
			return -1;
		}
		*plf = lf;
		lf->set_uid = owner.set_uid;
		lf->uid = owner.uid;
		lf->set_gid = owner.set_gid;
		lf->gid = owner.gid;
	}
	take_settings(lf, CONF_MORE(conf));
	if (lf->fd >= 0 || open_all(lf, why, why_len) == 0)
		return 0;
	lf->error = errno;
	if (start)
		return -1;
	if (!lf->open_failure_said)
		log_warnx("job %s: %s: its lines are counted, not written, until it can be opened",
			  name, why);
	lf->open_failure_said = true;
	return 0;
}

void logfile_own(struct logfile *lf, bool set_uid, uid_t uid, bool set_gid, gid_t gid)
{
	if (!lf)
		return;
	lf->set_uid = set_uid;
	lf->uid = uid;
	lf->set_gid = set_gid;
	lf->gid = gid;
	set_owner(lf);
}

uint64_t logfile_dropped(const struct logfile *lf)
{
	return lf ? lf->dropped : 0;
}

/* ---- the re-exec hand-over ---- */

COLD bool logfile_hand_over(struct logfile *lf, struct logfile_state *out)
{
	if (!lf)
		return false;
	logfile_flush(lf);
	*out = (struct logfile_state){
		.fd = lf->fd, .dir_fd = lf->dir_fd, .size = lf->size, .dropped = lf->dropped,
		.rotate_at = lf->rotate_at, .set_uid = lf->set_uid, .set_gid = lf->set_gid,
		.uid = lf->uid, .gid = lf->gid,
	};
	return true;
}

COLD struct logfile *logfile_take_over(const char *name, const struct conf_job *conf,
				       struct joblog **kept, const struct logfile_state *in)
{
	const char *path = CONF_MORE(conf)->log_file;
	struct logfile *lf = path ? logfile_new(name, path, kept) : NULL;

	if (!lf) {
		if (in->fd >= 0)
			close(in->fd);
		if (in->dir_fd >= 0)
			close(in->dir_fd);
		return NULL;
	}
	take_settings(lf, CONF_MORE(conf));
	lf->fd = in->fd;
	lf->dir_fd = in->dir_fd;
	lf->size = in->size;
	lf->dropped = in->dropped;
	if (in->rotate_at)
		lf->rotate_at = in->rotate_at;
	lf->set_uid = in->set_uid;
	lf->set_gid = in->set_gid;
	lf->uid = in->uid;
	lf->gid = in->gid;
	return lf;
}

COLD long logfile_gzips(struct logfile_gzip **out)
{
	long n = 0;

	*out = NULL;
	for (struct gzip_child *g = gzips; g; g = g->next)
		n++;
	if (!n)
		return 0;
	if (!(*out = calloc((size_t)n, sizeof(**out))))
		return -1;
	n = 0;
	for (struct gzip_child *g = gzips; g; g = g->next)
		if (!g->abandoned)
			(*out)[n++] = (struct logfile_gzip){ .pid = g->pid, .dir_fd = g->dir_fd,
							     .index = g->index, .name = g->name,
							     .base = g->base };
	return n;
}

COLD bool logfile_adopt_gzip(const struct logfile_gzip *in, const struct logfile *lf)
{
	struct gzip_child *g = calloc(1, sizeof(*g));

	if (!g || !(g->name = util_strdup(in->name)) || strlen(in->base) >= sizeof(g->base)) {
		if (g)
			free(g->name);
		free(g);
		close(in->dir_fd);
		return false;
	}
	g->pid = in->pid;
	g->dir_fd = in->dir_fd;
	g->index = in->index;
	snprintf(g->base, sizeof(g->base), "%s", in->base);
	/* it follows the rotations of the job's log file when that is still its file */
	g->lf = lf && strcmp(lf->base, in->base) == 0 ? lf : NULL;
	g->next = gzips;
	gzips = g;
	return true;
}
