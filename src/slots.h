/* slots.h: the start slots, where a child shares pmtr's memory on a stack of its own until it execs. SPDX-License-Identifier: MIT */
#ifndef PMTR_SLOTS_H
#define PMTR_SLOTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "child.h"

struct start_slot;

/* Set up the slots (their stacks, their descriptors, a probe that a clone shares
 * memory here) around null_fd, a descriptor of /dev/null. Where that fails, or
 * on an architecture without raw system calls, every start is by fork. */
void slots_init(int null_fd);

/* A free slot for plan, with the plan's output pipe handed over through the
 * slot's descriptors. NULL when jobs start by fork, or every slot holds a child
 * still on its way to exec: never waits. */
struct start_slot *slots_take(struct plan *plan);

/* Start plan's child in slot (taken by slots_take for it): the pid, or -1 with
 * errno set. When it returns, the child may still be on its way to exec; the
 * slot keeps the plan until then. */
pid_t slots_start(struct start_slot *slot, struct plan *plan);

/* What spawn_busy, spawn_collect and spawn_take_failure (spawn.h) say. */
bool slots_busy(void);
int64_t slots_collect(bool *starts_due);
bool slots_take_failure(pid_t pid, struct spawn_report *report);

#endif
