/* udp.h: the original program's UDP status reports ("report to") and enable/disable control ("listen on"). SPDX-License-Identifier: MIT */
#ifndef PMTR_UDP_H
#define PMTR_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"
#include "jobs.h"
#include "loop.h"

#define UDP_REPORT_INTERVAL_MS 10000
#define UDP_REPORT_FIRST_MS 1000	/* the first report, after start-up */
#define UDP_DATAGRAM_MAX 1472		/* fits an Ethernet frame unfragmented */
#define UDP_CONTROL_MAX 1024		/* a longer control datagram is refused */
#define UDP_LOG_BURST 5			/* complaints logged per interval, then counted */

/* One job's line of a report. */
struct udp_report_line {
	const char *name;
	bool enabled;
	long long seconds;	/* since it started, 0 when not running */
	long pid;		/* 0 when not running */
	const char *command;
};

/* Pure: the report as datagrams of at most max bytes, each starting with the header
 * "report HOST[ ADDR]\n" and holding whole job lines (a line too long for one
 * datagram is cut, still ending in "\n"). emit is called once per datagram; returns
 * the number of datagrams. */
size_t udp_format_report(const char *host, const char *iface_addr,
			 const struct udp_report_line *lines, size_t n, size_t max,
			 void (*emit)(const char *buf, size_t len, void *arg), void *arg);

/* Pure: parse "enable JOB..." or "disable JOB..." (words separated by blanks, an
 * optional final newline). Fills *enable and up to max_names pointers into buf
 * (which is modified). 0, or -1 with a reason in why. */
int udp_parse_control(char *buf, size_t len, bool *enable, char **names, size_t *n_names,
		      size_t max_names, char *why, size_t why_len);

struct udp {
	struct loop *loop;
	struct jobs *jobs;
	/* report to */
	char *report_spec;
	int report_fd;
	struct sockaddr_storage report_addr;
	socklen_t report_addr_len;
	char report_host[256], report_iface_addr[64];
	int64_t report_due;
	/* listen on */
	char *listen_spec;
	struct loop_watcher listener;
	int64_t log_window;		/* start of the current rate-limit interval */
	unsigned logged, suppressed;
};

void udp_init(struct udp *udp, struct loop *loop, struct jobs *jobs);
/* Close both sockets. */
void udp_exit(struct udp *udp);

/* After a re-exec: the "listen on" socket the old image opened for spec; the next
 * udp_apply keeps it while the file still says spec. 0, or -1 (logged by the
 * caller; fd is closed). */
int udp_adopt_listener(struct udp *udp, int fd, const char *spec);

/* Make the sockets match conf: resolve names, open, reopen or close. Nothing changes
 * when it fails: -1 with "FILE:LINE: message" in why (file is the name for messages). */
int udp_apply(struct udp *udp, const struct conf *conf, const char *file, char *why,
	      size_t why_len);

/* Send a report when one is due; returns the next deadline, 0 if none. */
int64_t udp_tick(struct udp *udp);

#endif
