/* notify.h: the sd_notify protocol, spoken without libsystemd: to systemd, and heard from jobs. SPDX-License-Identifier: MIT */
#ifndef PMTR_NOTIFY_H
#define PMTR_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "loop.h"

/* Longest datagram a job may send; longer ones are refused. */
#define NOTIFY_MESSAGE_MAX 4096

/* Take NOTIFY_SOCKET from the environment (and remove it, so jobs do not inherit
 * it). Without it every notify_send is a no-op. 0, or -1 with errno. */
int notify_init(void);
/* The NOTIFY_SOCKET pmtr was given (a re-exec hands it to the new image), or NULL. */
const char *notify_socket(void);
void notify_exit(void);

/* Send one state string such as "READY=1\nSTATUS=3 jobs running"; never blocks. */
void notify_send(const char *state);

/* What a job's datagram says: "READY=1", "STATUS=text"; other lines are ignored. */
struct notify_message {
	bool ready;
	bool has_status;
	char status[256];	/* printable: control bytes dropped, cut at 255 bytes */
};

/* Pure: read a datagram of len bytes. -1 when it is not one: empty, longer than
 * NOTIFY_MESSAGE_MAX, a NUL byte, or a line without "=" (but an empty last line). */
int notify_parse_message(const char *buf, size_t len, struct notify_message *msg);

/* The socket that jobs with "ready notify" get as NOTIFY_SOCKET: a datagram socket
 * with a name the kernel picks in the abstract namespace, taking the sender's
 * credentials with each datagram. */
struct notify_listener {
	struct loop_watcher w;
	char name[32];		/* "@" and the kernel's name: the NOTIFY_SOCKET value */
	void (*message_cb)(void *arg, pid_t sender, const struct notify_message *msg);
	void *arg;
	unsigned long ignored;	/* datagrams not understood since the last word on it */
	int64_t said_ms;
};

/* A new socket, or after a re-exec the inherited one (inherited >= 0). 0, or -1
 * with errno (logged by the caller). */
int notify_listen(struct notify_listener *l, struct loop *loop,
		  void (*message_cb)(void *arg, pid_t sender, const struct notify_message *msg),
		  void *arg, int inherited);
void notify_listen_exit(struct notify_listener *l, struct loop *loop);

/* A datagram nobody could take, counted, and said at most once per 10 s. */
void notify_ignored(struct notify_listener *l, pid_t sender, const char *why);

#endif
