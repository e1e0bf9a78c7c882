/* slots.c: the start slots, where a job's child shares pmtr's memory until it execs; starts wait for none. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "plan.h"
#include "slots.h"
#include "util.h"

/* A job starts in a child that shares pmtr's memory (CLONE_VM) on a stack of its
 * own, and pmtr goes on at once: neither the page tables are copied (a fork's cost)
 * nor does pmtr wait until the child gets a CPU and execs (vfork's, long on a busy
 * machine). The kernel zeroes the slot's word when the child execs or exits
 * (CLONE_CHILD_CLEARTID): from then on its stack and plan are free again. The child
 * gets a copy of the first descriptors and writes a failure into its plan. On
 * x86-64 it is made by clone3 in its job's cgroup (CLONE_INTO_CGROUP) rather than
 * moved there. Used where a probe shows memory is really shared (valgrind, for
 * one, runs such a clone as a fork) and the child can make system calls without
 * glibc (child.c): jobs start by fork otherwise.
 *
 * pmtr never waits for a slot. While every slot holds a child on its way to
 * exec, a job's start is put off (spawn_busy) and made once one frees; when
 * every slot has been busy for SLOT_WAIT_MS (children stuck before exec, say on
 * a FIFO without a reader), starts go on by fork. */
#define START_SLOTS 32
#define CHILD_STACK_SIZE (32 * 1024)
#define SLOT_WAIT_MS 10

/* The descriptors a child takes along: dup'd by pmtr onto numbers it keeps for the
 * slot (on /dev/null between starts), all below shared.fd_cut. */
enum { SLOT_OUT, SLOT_FDS };

struct start_slot {
	pid_t busy;		/* the child's pid while it may use stack or plan; the
				 * kernel zeroes it at the child's exec or exit */
	char *stack;		/* top of CHILD_STACK_SIZE bytes above a guard page */
	struct plan *plan;	/* freed once the slot is free */
	int fd[SLOT_FDS];
	bool fds_taken;		/* fd[] hold a child's descriptors, not /dev/null */
	int procs_fd;		/* cgroup.procs for a child that moves itself, which
				 * it writes before its table is its own; or -1 */
};

static struct {
	bool on;
	bool clone3;		/* cleared when the kernel has no clone3 */
	bool into_cgroup;	/* cleared when it has no CLONE_INTO_CGROUP */
	bool held;		/* spawn_busy said so: it says so until spawn_collect
				 * lets starts go on, so that they keep their order */
	int64_t held_ms;	/* since when */
	struct start_slot slot[START_SLOTS];
	unsigned next;		/* the slot taken longest ago */
	int64_t last_take_ms;	/* when pmtr last took a slot (CLOCK_MONOTONIC): with
				 * none free, since then every slot has been busy */
	char *stacks;		/* the mapping of every slot's stack */
	size_t stacks_len;
	unsigned taken;		/* slots taken since spawn_collect gave the pages back */
	int fd_cut;		/* every slot's descriptor is below this */
	int null_fd;		/* /dev/null */
} shared = { .null_fd = -1 };

/* One mapping holds every slot's stack, each above a guard page. */
static bool map_stacks(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), each = page + CHILD_STACK_SIZE;
	char *map = mmap(NULL, START_SLOTS * each, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);

	if (map == MAP_FAILED) {
		log_warn("spawn: child stacks");
		return false;
	}
	shared.stacks = map;
	shared.stacks_len = START_SLOTS * each;
	for (unsigned i = 0; i < START_SLOTS; i++) {
		if (mprotect(map + i * each, page, PROT_NONE) < 0)
			log_warn("spawn: guard page");
		shared.slot[i].stack = map + (i + 1) * each;
	}
	return true;
}

/* A child shares pmtr's descriptor table (CLONE_FILES) until it takes a private
 * copy of the numbers below fd_cut: pmtr's first few and the slots', not the
 * thousands of job pipes a fork would copy and exec would close again. */
static const char *reserve_slot_fds(void)
{
	for (unsigned i = 0; i < START_SLOTS; i++) {
		for (int k = 0; k < SLOT_FDS; k++) {
			int fd = fcntl(shared.null_fd, F_DUPFD_CLOEXEC, 3);

			if (fd < 0)
				return "descriptors for the start slots";
			shared.slot[i].fd[k] = fd;
			shared.slot[i].procs_fd = -1;
			if (fd >= shared.fd_cut)
				shared.fd_cut = fd + 1;
		}
	}
	return NULL;
}

void slots_init(int null_fd)
{
#ifdef CHILD_RAW_SYSCALLS
	const char *why;

	shared.null_fd = null_fd;
	if (null_fd < 0 || !map_stacks())
		return;
	why = child_shares_memory(shared.slot[0].stack);
	if (!why)
		why = reserve_slot_fds();
	if (!why) {
		shared.on = shared.clone3 = shared.into_cgroup = true;
		return;
	}
	log_debug("spawn: %s: jobs start by fork", why);
	for (unsigned i = 0; i < START_SLOTS; i++)
		for (int k = 0; k < SLOT_FDS; k++)
			if (shared.slot[i].fd[k] > 0)
				close(shared.slot[i].fd[k]);
	munmap(shared.stacks, shared.stacks_len);
#else
	(void)null_fd;
	log_debug("spawn: no raw system calls on this architecture: jobs start by fork");
#endif
}

static bool slot_free(struct start_slot *slot)
{
	return __atomic_load_n(&slot->busy, __ATOMIC_ACQUIRE) == 0;
}

/* Failures of children whose slot was taken again before their exit was reaped. */
#define FAILURES_KEPT 16
static struct {
	pid_t pid;
	struct spawn_report report;
} failures[FAILURES_KEPT];
static unsigned failures_next;

/* The slot's child has exec'd or exited: its plan goes (a failure it reported is
 * kept for spawn_take_failure), and its descriptors, so that the job's pipes see
 * their end when the job closes them. */
static void slot_release(struct start_slot *slot, bool keep_fds)
{
	if (slot->plan && slot->plan->report.step >= 0) {
		failures[failures_next].pid = slot->plan->pid;
		failures[failures_next].report = slot->plan->report;
		failures_next = (failures_next + 1) % FAILURES_KEPT;
	}
	plan_free(slot->plan);
	slot->plan = NULL;
	if (slot->procs_fd >= 0)
		close(slot->procs_fd);
	slot->procs_fd = -1;
	if (!slot->fds_taken || keep_fds)
		return;
	for (int k = 0; k < SLOT_FDS; k++)
		if (dup3(shared.null_fd, slot->fd[k], O_CLOEXEC) < 0)
			log_warn("spawn: descriptor %d", slot->fd[k]);
	slot->fds_taken = false;
}

/* Hands the child's descriptors over through the slot's numbers. */
static int slot_take_fds(struct start_slot *slot, struct plan *plan)
{
	int *fds[] = { [SLOT_OUT] = &plan->fd.out };

	slot->fds_taken = true;
	for (int k = 0; k < SLOT_FDS; k++) {
		if (*fds[k] < 0)
			continue;
		if (dup3(*fds[k], slot->fd[k], O_CLOEXEC) < 0)
			return -1;
		*fds[k] = slot->fd[k];
	}
	plan->fd.cut = shared.fd_cut;
	return 0;
}

static struct start_slot *find_free(void)
{
	for (unsigned k = 0; k < START_SLOTS; k++) {
		struct start_slot *s = &shared.slot[(shared.next + k) % START_SLOTS];

		if (slot_free(s))
			return s;
	}
	return NULL;
}

/* No slot is free, and none has been for so long that starts go on by fork. */
static bool all_busy_since(int64_t now)
{
	return now - shared.last_take_ms >= SLOT_WAIT_MS;
}

bool slots_busy(void)
{
	int64_t now;

	if (!shared.on)
		return false;
	if (shared.held)
		return true;
	if (find_free() || all_busy_since(now = util_now_ms()))
		return false;
	shared.held = true;
	shared.held_ms = now;
	return true;
}

struct start_slot *slots_take(struct plan *plan)
{
	struct start_slot *slot;

	if (!shared.on)
		return NULL;
	slot = find_free();
	if (!slot) {
		log_debug("spawn: %d children still on their way to exec: starting by fork",
			  START_SLOTS);
		return NULL;
	}
	slot_release(slot, true);
	shared.next = (unsigned)(slot - shared.slot + 1) % START_SLOTS;
	shared.taken++;
	shared.last_take_ms = util_now_ms();
	if (slot_take_fds(slot, plan) < 0) {
		log_warn("spawn: descriptors of a start slot");
		plan->fd.out = plan->out_pipe[1];
		plan->fd.cut = 0;
		return NULL;
	}
	return slot;
}

/* A few stacks stay warm for the next restart; a burst's are given back. */
#define TRIM_AFTER 4
#define COLLECT_AGAIN_MS 5
#define COLLECT_AGAIN_MAX_MS 1000
/* While a start waits for a slot, pmtr looks again HELD_AGAIN_MS after it was
 * put off (for half the slots), then HELD_BATCH_MS after (for any): each look
 * and each walk of the pending jobs costs a look at every job. */
#define HELD_AGAIN_MS 1
#define HELD_BATCH_MS 4

static int64_t held_look_again(int64_t now)
{
	if (now < shared.held_ms + HELD_AGAIN_MS)
		return shared.held_ms + HELD_AGAIN_MS;
	if (now < shared.held_ms + HELD_BATCH_MS)
		return shared.held_ms + HELD_BATCH_MS;
	return shared.last_take_ms + SLOT_WAIT_MS;
}

int64_t slots_collect(bool *starts_due)
{
	static int64_t again_ms = COLLECT_AGAIN_MS;
	bool all_free = true, released = false;
	unsigned n_free = 0;
	int64_t now;

	*starts_due = false;
	for (unsigned i = 0; i < START_SLOTS && shared.on; i++) {
		struct start_slot *slot = &shared.slot[i];

		if (!slot_free(slot)) {
			all_free = false;
			continue;
		}
		n_free++;
		if (slot->plan || slot->fds_taken) {
			slot_release(slot, false);
			released = true;
		}
	}
	now = shared.held || !all_free ? util_now_ms() : 0;
	/* Put-off starts go on in batches: once half the slots are free, or one is
	 * and a start has waited HELD_BATCH_MS; or by fork. */
	if (shared.held && (n_free >= START_SLOTS / 2 || all_busy_since(now) ||
			    (n_free && now - shared.held_ms >= HELD_BATCH_MS))) {
		shared.held = false;
		*starts_due = true;
	}
	/* No event tells pmtr of an exec: look again soon while a child is on its
	 * way, less and less often while none gets there (stuck before exec). */
	if (!all_free) {
		if (released)
			again_ms = COLLECT_AGAIN_MS;
		else if (again_ms < COLLECT_AGAIN_MAX_MS)
			again_ms *= 2;
		return shared.held ? held_look_again(now) : now + again_ms;
	}
	again_ms = COLLECT_AGAIN_MS;
	/* Not while starts are due: they would fault the pages right back in. */
	if (!*starts_due && shared.taken > TRIM_AFTER) {
		if (madvise(shared.stacks, shared.stacks_len, MADV_DONTNEED) < 0)
			log_warn("spawn: giving back child stacks");
		shared.taken = 0;
	}
	return 0;
}

bool slots_take_failure(pid_t pid, struct spawn_report *report)
{
	for (unsigned i = 0; i < START_SLOTS && shared.on; i++) {
		struct plan *plan = shared.slot[i].plan;

		if (plan && plan->pid == pid && slot_free(&shared.slot[i]) && plan->report.step >= 0) {
			*report = plan->report;
			plan->report.step = -1;
			return true;
		}
	}
	for (unsigned i = 0; i < FAILURES_KEPT; i++) {
		if (failures[i].pid == pid && pid > 0) {
			*report = failures[i].report;
			failures[i].pid = 0;
			return true;
		}
	}
	return false;
}

pid_t slots_start(struct start_slot *slot, struct plan *plan)
{
	pid_t pid = -1;
	int err = ENOSYS;

	slot->busy = -1;
	/* clone3 only where it can also place the child: else the child moves itself. */
	if (shared.clone3 && (plan->cgroup_fd < 0 || shared.into_cgroup)) {
		bool into = plan->cgroup_fd >= 0;

		pid = child_clone3(plan, slot->stack, CHILD_STACK_SIZE, &slot->busy, plan->cgroup_fd);
		err = pid < 0 ? errno : 0;
		if (err == ENOSYS || err == EPERM) {
			log_debug("spawn: clone3: %s", strerror(err));
			shared.clone3 = false;
			err = ENOSYS;
		} else if (into && err != 0 && err != EAGAIN && err != ENOMEM) {
			/* Linux < 5.7, or a cgroup that takes no processes: the child tries
			 * to move itself, or stays where it is. */
			log_debug("spawn: clone3 into a cgroup: %s", strerror(err));
			if (err == EINVAL || err == E2BIG)
				shared.into_cgroup = false;
			err = ENOSYS;
		}
	}
	if (err == ENOSYS) {
		plan->fd.procs = slot->procs_fd = plan_open_procs(plan);
		pid = child_clone(plan, slot->stack, &slot->busy);
		err = pid < 0 ? errno : 0;
	}
	if (pid < 0)
		slot->busy = 0;
	else
		slot->plan = plan;
	errno = err;
	return pid;
}
