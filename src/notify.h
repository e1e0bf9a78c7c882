/* notify.h: the sd_notify protocol, spoken without libsystemd. SPDX-License-Identifier: MIT */
#ifndef PMTR_NOTIFY_H
#define PMTR_NOTIFY_H

/* Take NOTIFY_SOCKET from the environment (and remove it, so jobs do not inherit
 * it). Without it every notify_send is a no-op. 0, or -1 with errno. */
int notify_init(void);
void notify_exit(void);

/* Send one state string such as "READY=1\nSTATUS=3 jobs running"; never blocks. */
void notify_send(const char *state);

#endif
