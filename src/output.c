/* output.c: a job's stdout/stderr pipe, read without blocking, logged and kept line by line. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "joblog.h"
#include "log.h"
#include "logfile.h"
#include "output.h"
#include "util.h"

/* One per running job: 64 bytes, malloc's 64-byte class (with its header). */
struct output {
	struct loop_watcher w;	/* first: the loop hands back this pointer */
	struct loop *loop;
	const char *name;
	struct joblog **kept;	/* the job's ring, which outlives this process */
	struct logfile **file;	/* the job's log file, which an edit may change */
	char *partial;		/* a line not yet ended, allocated on first need */
	pid_t pid;
	uint16_t len;		/* of partial, at most OUTPUT_LINE_MAX */
	bool cut : 1;		/* a full-length piece was just logged: a newline next ends it */
	bool unkept : 1;	/* said once that its lines are not kept */
};
_Static_assert(OUTPUT_LINE_MAX <= UINT16_MAX, "struct output's len holds a line's length");

static bool printable(unsigned char c)
{
	return (c >= 0x20 && c != 0x7f) || c == '\t';
}

size_t output_sanitize(char *dst, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char *start = dst;
	size_t i = 0;

	if (len > 0 && src[len - 1] == '\r')
		len--;
	/* eight bytes at a time while none is below 0x20 or 0x7f (tab goes the slow way) */
	for (; i + 8 <= len; i += 8) {
		uint64_t x;

		memcpy(&x, src + i, 8);
		uint64_t low = (x - 0x2020202020202020ull) & ~x;
		uint64_t del = x ^ 0x7f7f7f7f7f7f7f7full;

		del = (del - 0x0101010101010101ull) & ~del;
		if ((low | del) & 0x8080808080808080ull)
			break;
	}
	while (i < len && printable((unsigned char)src[i]))
		i++;
	memcpy(dst, src, i);
	dst += i;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if ((c >= 0x20 && c < 0x7f) || c == '\t' || c >= 0x80) {
			/* Bytes above 0x7f pass: they are most likely UTF-8 text. */
			*dst++ = (char)c;
		} else {
			*dst++ = '\\';
			*dst++ = 'x';
			*dst++ = hex[c >> 4];
			*dst++ = hex[c & 15];
		}
	}
	*dst = '\0';
	return (size_t)(dst - start);
}

static void emit_line(struct output *out, const char *text, size_t len, int64_t now)
{
	char clean[4 * OUTPUT_LINE_MAX + 1];
	size_t clean_len = output_sanitize(clean, text, len);

	/* a log file takes the bytes as they came; pmtr's log and the ring, text */
	if (*out->file)
		logfile_line(*out->file, text, len, now);
	else
		log_job_line(out->name, (int)out->pid, clean);
	if (joblog_add(out->kept, out->pid, now, clean, clean_len) < 0 &&
	    !out->unkept) {
		log_warnx("job %s [%d]: its output is not kept for pmtrctl logs: %s",
			  out->name, (int)out->pid, "the memory for job output is used up");
		out->unkept = true;
	}
}

/* Append bytes to the pending line, logging each complete or over-long line. */
static void take_bytes(struct output *out, const char *buf, size_t n)
{
	int64_t now = util_now_wall_ms();

	if (out->cut && n > 0 && *buf == '\n') {
		buf++;
		n--;
	}
	out->cut = false;
	while (n > 0) {
		const char *nl = memchr(buf, '\n', n);
		size_t chunk = nl ? (size_t)(nl - buf) : n;
		size_t room = OUTPUT_LINE_MAX - out->len;

		if (out->len == 0 && nl && chunk <= OUTPUT_LINE_MAX) {
			emit_line(out, buf, chunk, now);	/* the common case: no copy */
			buf += chunk + 1;
			n -= chunk + 1;
			continue;
		}
		if (!out->partial) {
			out->partial = malloc(OUTPUT_LINE_MAX);
			if (!out->partial) {
				log_warn("job %s [%d]: output dropped", out->name, (int)out->pid);
				return;
			}
		}
		if (chunk > room)
			chunk = room;
		memcpy(out->partial + out->len, buf, chunk);
		out->len = (uint16_t)(out->len + chunk);
		buf += chunk;
		n -= chunk;
		if (out->len == OUTPUT_LINE_MAX || (n > 0 && *buf == '\n')) {
			emit_line(out, out->partial, out->len, now);
			out->len = 0;
			if (n > 0 && *buf == '\n') {
				buf++;
				n--;
			} else if (n == 0) {
				out->cut = true;
			}
		}
	}
}

static void flush_partial(struct output *out)
{
	if (out->len > 0)
		emit_line(out, out->partial, out->len, util_now_wall_ms());
	out->len = 0;
}

static void detach(struct loop *loop, struct output *out)
{
	if (out->w.fd < 0)
		return;
	loop_del(loop, &out->w);
	close(out->w.fd);
	out->w.fd = -1;
}

/* Returns bytes read, 0 at end of file, -1 when nothing is there now. A job
 * with a log file is read in bigger pieces: fewer reads and writes per GB. */
static ssize_t read_some(struct output *out)
{
	static char buf[64 * 1024];
	ssize_t n = read(out->w.fd, buf, *out->file ? sizeof(buf) : 4096);

	if (n > 0)
		take_bytes(out, buf, (size_t)n);
	if (*out->file)
		logfile_flush(*out->file);
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		log_warn("job %s [%d]: output read", out->name, (int)out->pid);
	return n;
}

static void output_cb(struct loop_watcher *w, uint32_t events)
{
	struct output *out = (struct output *)w;

	(void)events;
	/* One read per wake-up keeps a chatty job from starving the others. */
	if (read_some(out) == 0) {
		flush_partial(out);
		detach(out->loop, out);
	}
}

struct output *output_open(struct loop *loop, int fd, const char *name, pid_t pid,
			   struct joblog **kept, struct logfile **file)
{
	struct output *out = calloc(1, sizeof(*out));

	if (!out)
		return NULL;
	out->w.fd = fd;
	out->w.quiet = true;	/* lines go to the log and the ring, never to a job's state */
	out->w.cb = output_cb;
	out->loop = loop;
	out->name = name;
	out->pid = pid;
	out->kept = kept;
	out->file = file;
	if (loop_add(loop, &out->w, EPOLLIN) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

int output_fd(const struct output *out)
{
	return out ? out->w.fd : -1;
}

size_t output_pending(const struct output *out, const char **line)
{
	*line = out && out->len ? out->partial : NULL;
	return out ? out->len : 0;
}

COLD int output_resume(struct output *out, const char *line, size_t len)
{
	if (!len)
		return 0;
	if (len > OUTPUT_LINE_MAX || !(out->partial = malloc(OUTPUT_LINE_MAX)))
		return -1;
	memcpy(out->partial, line, len);
	out->len = (uint16_t)len;
	return 0;
}

void output_close(struct loop *loop, struct output *out)
{
	if (!out)
		return;
	/* The job has exited: what it wrote last is in the pipe; bounded so that a
	 * descendant still writing cannot keep us here. */
	for (int i = 0; i < 64 && out->w.fd >= 0; i++)
		if (read_some(out) <= 0)
			break;
	flush_partial(out);
	detach(loop, out);
	free(out->partial);
	out->partial = NULL;
	loop_free_later(loop, out);
}
