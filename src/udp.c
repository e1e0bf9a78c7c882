/* udp.c: the original program's UDP status reports ("report to") and enable/disable control ("listen on"). SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "ctlproto.h"
#include "log.h"
#include "parse.h"
#include "udp.h"
#include "util.h"

#define UDP_LOG_INTERVAL_MS 10000
#define UDP_MAX_NAMES 128
#define UDP_BATCH 64			/* datagrams read per wake-up */

size_t udp_format_report(const char *host, const char *iface_addr,
			 const struct udp_report_line *lines, size_t n, size_t max,
			 void (*emit)(const char *buf, size_t len, void *arg), void *arg)
{
	char buf[UDP_DATAGRAM_MAX + 1], line[UDP_DATAGRAM_MAX + 1];
	size_t header, len, sent = 0;
	int w;

	if (max > UDP_DATAGRAM_MAX)
		max = UDP_DATAGRAM_MAX;
	w = snprintf(buf, sizeof(buf), "report %s%s%s\n", host, iface_addr && *iface_addr ? " " : "",
		     iface_addr ? iface_addr : "");
	header = w < 0 ? 0 : (size_t)w;
	if (header >= max)
		return 0;	/* cannot happen with a host name of at most 255 bytes */
	len = header;
	for (size_t i = 0; i < n; i++) {
		size_t room = max - header, line_len;

		w = snprintf(line, sizeof(line), "%s %c %lld %ld %s", lines[i].name,
			     lines[i].enabled ? 'e' : 'd', lines[i].seconds, lines[i].pid,
			     lines[i].command);
		line_len = w < 0 ? 0 : (size_t)w;
		if (line_len >= sizeof(line))
			line_len = sizeof(line) - 1;
		if (line_len + 1 > room)
			line_len = room - 1;	/* cut, but still a whole line */
		line[line_len++] = '\n';
		if (len + line_len > max) {
			emit(buf, len, arg);
			sent++;
			len = header;
		}
		memcpy(buf + len, line, line_len);
		len += line_len;
	}
	if (len > header || sent == 0) {
		emit(buf, len, arg);
		sent++;
	}
	return sent;
}

int udp_parse_control(char *buf, size_t len, bool *enable, char **names, size_t *n_names,
		      size_t max_names, char *why, size_t why_len)
{
	char *word, *save = NULL;

	*n_names = 0;
	if (len > UDP_CONTROL_MAX) {
		snprintf(why, why_len, "datagram of %zu bytes, more than %d", len, UDP_CONTROL_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c >= 0x7f) {
			snprintf(why, why_len, "binary byte 0x%02x at offset %zu", c, i);
			return -1;
		}
	}
	buf[len] = '\0';
	word = strtok_r(buf, " \t\r\n", &save);
	if (!word) {
		snprintf(why, why_len, "empty datagram");
		return -1;
	}
	if (strcmp(word, "enable") == 0) {
		*enable = true;
	} else if (strcmp(word, "disable") == 0) {
		*enable = false;
	} else {
		snprintf(why, why_len, "unknown command \"%.32s\": expected enable or disable", word);
		return -1;
	}
	while ((word = strtok_r(NULL, " \t\r\n", &save))) {
		if (!ctl_valid_job_name(word)) {
			snprintf(why, why_len, "bad job name \"%.64s\"", word);
			return -1;
		}
		if (*n_names == max_names) {
			snprintf(why, why_len, "more than %zu job names", max_names);
			return -1;
		}
		names[(*n_names)++] = word;
	}
	if (*n_names == 0) {
		snprintf(why, why_len, "%s needs at least one job name", *enable ? "enable" : "disable");
		return -1;
	}
	return 0;
}

/* At most UDP_LOG_BURST complaints per interval, so that a flood cannot fill a disk. */
static void complain(struct udp *udp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void complain(struct udp *udp, const char *fmt, ...)
{
	int64_t now = util_now_ms();
	char msg[512];
	va_list ap;

	if (now - udp->log_window >= UDP_LOG_INTERVAL_MS) {
		if (udp->suppressed)
			log_warnx("udp: %u more messages suppressed", udp->suppressed);
		udp->log_window = now;
		udp->logged = udp->suppressed = 0;
	}
	if (udp->logged >= UDP_LOG_BURST) {
		udp->suppressed++;
		return;
	}
	udp->logged++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s", msg);
}

static const char *peer_text(const struct sockaddr_storage *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";

	getnameinfo((const struct sockaddr *)sa, sizeof(*sa), host, sizeof(host), port,
		    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(buf, len, "%s:%s", host, port);
	return buf;
}


static void control_datagram(struct udp *udp, char *buf, size_t len,
			     const struct sockaddr_storage *from)
{
	char *names[UDP_MAX_NAMES], why[160], peer[80];
	size_t n_names;
	bool enable;

	if (udp_parse_control(buf, len, &enable, names, &n_names, UDP_MAX_NAMES, why,
			      sizeof(why)) < 0) {
		complain(udp, "udp control from %s: ignored: %s",
			 peer_text(from, peer, sizeof(peer)), why);
		return;
	}
	for (size_t i = 0; i < n_names; i++) {
		struct job *job = jobs_find(udp->jobs, names[i], false);

		if (!job) {
			complain(udp, "udp control from %s: no such job \"%s\"",
				 peer_text(from, peer, sizeof(peer)), names[i]);
			continue;
		}
		complain(udp, "udp control from %s: %s job %s", peer_text(from, peer, sizeof(peer)),
			 enable ? "enable" : "disable", names[i]);
		jobs_override(udp->jobs, job, enable);
	}
}

static void listener_cb(struct loop_watcher *w, uint32_t events)
{
	struct udp *udp = container_of(w, struct udp, listener);
	char buf[UDP_CONTROL_MAX + 1];

	(void)events;
	for (int i = 0; i < UDP_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t from_len = sizeof(from);
		/* MSG_TRUNC: the real length, so an oversized datagram is known as such. */
		ssize_t n = recvfrom(w->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &from_len);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				complain(udp, "udp control: recvfrom: %s", strerror(errno));
			return;
		}
		if ((size_t)n > sizeof(buf) - 1) {
			char peer[80];

			complain(udp, "udp control from %s: ignored: datagram of %zd bytes, more than %d",
				 peer_text(&from, peer, sizeof(peer)), n, UDP_CONTROL_MAX);
			continue;
		}
		control_datagram(udp, buf, (size_t)n, &from);
	}
}

void udp_init(struct udp *udp, struct loop *loop, struct jobs *jobs)
{
	memset(udp, 0, sizeof(*udp));
	udp->loop = loop;
	udp->jobs = jobs;
	udp->report_fd = -1;
	udp->listener.fd = -1;
	udp->listener.cb = listener_cb;
}

COLD int udp_adopt_listener(struct udp *udp, int fd, const char *spec)
{
	udp->listener.fd = fd;
	udp->listen_spec = strdup(spec);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || !udp->listen_spec ||
	    loop_add(udp->loop, &udp->listener, EPOLLIN) < 0) {
		free(udp->listen_spec);
		udp->listen_spec = NULL;
		udp->listener.fd = -1;
		close(fd);
		return -1;
	}
	return 0;
}

static void close_report(struct udp *udp)
{
	if (udp->report_fd >= 0)
		close(udp->report_fd);
	udp->report_fd = -1;
	free(udp->report_spec);
	udp->report_spec = NULL;
	udp->report_due = 0;
}

static void close_listener(struct udp *udp)
{
	if (udp->listener.fd >= 0) {
		loop_del(udp->loop, &udp->listener);
		close(udp->listener.fd);
	}
	udp->listener.fd = -1;
	free(udp->listen_spec);
	udp->listen_spec = NULL;
}

void udp_exit(struct udp *udp)
{
	close_report(udp);
	close_listener(udp);
}

static bool same_spec(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* What a new "report to" needs, prepared before anything is swapped in. */
struct report_plan {
	int fd;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char iface_addr[64];
};

static int resolve(const struct parse_udp *spec, bool passive, struct sockaddr_storage *addr,
		   socklen_t *addr_len, char *why, size_t why_len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0) };
	struct addrinfo *res;
	int rc = getaddrinfo(spec->host, spec->port, &hints, &res);

	if (rc != 0) {
		snprintf(why, why_len, "cannot resolve %s: %s", spec->host,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void iface_ipv4(const char *iface, char *buf, size_t len)
{
	struct ifaddrs *all;

	buf[0] = '\0';
	if (getifaddrs(&all) < 0)
		return;
	for (struct ifaddrs *i = all; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && strcmp(i->ifa_name, iface) == 0) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf,
				  (socklen_t)len);
			break;
		}
	}
	freeifaddrs(all);
}

static int prepare_report(const char *text, struct report_plan *plan, char *why, size_t why_len)
{
	struct parse_udp spec;
	const char *bad = parse_udp_spec(text, true, &spec);
	int family;

	plan->fd = -1;
	plan->iface_addr[0] = '\0';
	if (bad) {
		snprintf(why, why_len, "%s", bad);
		return -1;
	}
	if (resolve(&spec, false, &plan->addr, &plan->addr_len, why, why_len) < 0)
		return -1;
	family = plan->addr.ss_family;
	plan->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (plan->fd < 0) {
		snprintf(why, why_len, "socket: %s", strerror(errno));
		return -1;
	}
	if (spec.iface[0]) {
		unsigned index = if_nametoindex(spec.iface);
		int rc;

		if (!index) {
			snprintf(why, why_len, "no network interface %s", spec.iface);
			goto fail;
		}
		if (family == AF_INET) {
			struct ip_mreqn mreq = { .imr_ifindex = (int)index };

			rc = setsockopt(plan->fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq));
		} else {
			rc = setsockopt(plan->fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof(index));
		}
		if (rc < 0) {
			snprintf(why, why_len, "multicast interface %s: %s", spec.iface, strerror(errno));
			goto fail;
		}
		iface_ipv4(spec.iface, plan->iface_addr, sizeof(plan->iface_addr));
	}
	return 0;
fail:
	close(plan->fd);
	plan->fd = -1;
	return -1;
}

static int prepare_listener(const char *text, int *fd, char *why, size_t why_len)
{
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct parse_udp spec;
	const char *bad = parse_udp_spec(text, false, &spec);
	int one = 1;

	*fd = -1;
	if (bad) {
		snprintf(why, why_len, "%s", bad);
		return -1;
	}
	if (resolve(&spec, true, &addr, &addr_len, why, why_len) < 0)
		return -1;
	*fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0) {
		snprintf(why, why_len, "socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(*fd, (struct sockaddr *)&addr, addr_len) < 0) {
		snprintf(why, why_len, "bind %s:%s: %s", spec.host, spec.port, strerror(errno));
		close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

int udp_apply(struct udp *udp, const struct conf *conf, const char *file, char *why,
	      size_t why_len)
{
	bool report_changes = !same_spec(udp->report_spec, conf->report_to);
	bool listen_changes = !same_spec(udp->listen_spec, conf->listen_on);
	struct report_plan plan = { .fd = -1 };
	char reason[512];
	int listen_fd = -1;
	char *report_spec = NULL, *listen_spec = NULL;

	if (report_changes && conf->report_to) {
		if (prepare_report(conf->report_to, &plan, reason, sizeof(reason)) < 0) {
			snprintf(why, why_len, "%s:%d: report to %s: %s", file, conf->report_to_line,
				 conf->report_to, reason);
			return -1;
		}
		report_spec = strdup(conf->report_to);
	}
	if (listen_changes && conf->listen_on) {
		if (prepare_listener(conf->listen_on, &listen_fd, reason, sizeof(reason)) < 0) {
			snprintf(why, why_len, "%s:%d: listen on %s: %s", file, conf->listen_on_line,
				 conf->listen_on, reason);
			goto fail;
		}
		listen_spec = strdup(conf->listen_on);
	}
	if ((plan.fd >= 0 && !report_spec) || (listen_fd >= 0 && !listen_spec)) {
		snprintf(why, why_len, "%s: out of memory", file);
		goto fail;
	}
	if (listen_fd >= 0) {
		struct loop_watcher w = { .fd = listen_fd, .cb = listener_cb };

		close_listener(udp);
		udp->listener = w;
		if (loop_add(udp->loop, &udp->listener, EPOLLIN) < 0) {
			log_warn("udp: watching %s", listen_spec);
			udp->listener.fd = -1;
			close(listen_fd);
			free(listen_spec);
		} else {
			udp->listen_spec = listen_spec;
			log_info("udp: listening on %s", listen_spec);
		}
	} else if (listen_changes) {
		close_listener(udp);
	}
	if (plan.fd >= 0) {
		close_report(udp);
		udp->report_fd = plan.fd;
		udp->report_addr = plan.addr;
		udp->report_addr_len = plan.addr_len;
		snprintf(udp->report_iface_addr, sizeof(udp->report_iface_addr), "%s", plan.iface_addr);
		if (gethostname(udp->report_host, sizeof(udp->report_host)) < 0)
			snprintf(udp->report_host, sizeof(udp->report_host), "localhost");
		udp->report_host[sizeof(udp->report_host) - 1] = '\0';
		udp->report_spec = report_spec;
		udp->report_due = util_now_ms() + UDP_REPORT_FIRST_MS;
		log_info("udp: reporting to %s", report_spec);
	} else if (report_changes) {
		close_report(udp);
	}
	return 0;
fail:
	if (plan.fd >= 0)
		close(plan.fd);
	if (listen_fd >= 0)
		close(listen_fd);
	free(report_spec);
	free(listen_spec);
	return -1;
}

static void send_datagram(const char *buf, size_t len, void *arg)
{
	struct udp *udp = arg;

	if (sendto(udp->report_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (struct sockaddr *)&udp->report_addr, udp->report_addr_len) < 0)
		complain(udp, "udp: report to %s: %s", udp->report_spec, strerror(errno));
}

static void send_report(struct udp *udp)
{
	struct jobs *jobs = udp->jobs;
	size_t count = jobs_count(jobs);
	struct udp_report_line *lines = calloc(count ? count : 1, sizeof(*lines));
	int64_t now = util_now_ms();
	size_t n = 0;

	if (!lines) {
		log_warn("udp: report");
		return;
	}
	/* Only jobs that pmtr keeps running: a once job has nothing to report. */
	for (size_t i = 0; i < count; i++) {
		const struct job *job = jobs_at(jobs, i);

		if (job_is_removed(job) || job->conf->once)
			continue;
		lines[n] = (struct udp_report_line){
			.name = job->conf->name,
			.enabled = !job_is_disabled(job),
			.seconds = job->pid ? (now - job->counters.started_ms) / 1000 : 0,
			.pid = job->pid,
			.command = conf_job_command(job->conf),
		};
		if (lines[n].command)
			n++;
	}
	udp_format_report(udp->report_host, udp->report_iface_addr, lines, n, UDP_DATAGRAM_MAX,
			  send_datagram, udp);
	for (size_t i = 0; i < n; i++)
		free((char *)lines[i].command);
	free(lines);
}

int64_t udp_tick(struct udp *udp)
{
	int64_t now;

	if (udp->report_fd < 0)
		return 0;
	now = util_now_ms();
	if (now >= udp->report_due) {
		send_report(udp);
		udp->report_due = now + UDP_REPORT_INTERVAL_MS;
	}
	return udp->report_due;
}
