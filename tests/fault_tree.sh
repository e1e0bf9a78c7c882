#!/bin/bash
# fault_tree.sh: nothing left behind: a job's double-forked daemon and setsid() descendants (one ignoring SIGTERM) stop with the job and at shutdown; a pmtr killed with SIGKILL and started again runs no job twice. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

TEST_TIMEOUT=60
# Each process of the test is a /bin/sleep with a distinct argument.
# pids_of ARG: live processes of this test running "/bin/sleep ARG".
pids_of() {
	local p
	for p in $(marked_pids); do
		[ "$(tr '\0' ' ' 2>/dev/null </proc/"$p"/cmdline)" = "/bin/sleep $1 " ] && pid_running "$p" && echo "$p"
	done
	return 0
}
count_of() { pids_of "$1" | wc -l; }
# wait_gone ARG WHAT TIMEOUT: no "/bin/sleep ARG" is left.
wait_gone() {
	local deadline=$(($(now_ms) + $3 * 1000))
	while [ -n "$(pids_of "$1")" ]; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			fail "$2 [$(pids_of "$1" | tr '\n' ' ')] still runs $3 s later (job cgroups: $CG)"
		fi
		sleep 0.05
	done
}
# tree_jobs SUFFIX BASE: the three jobs, whose helpers run /bin/sleep BASE+1..3.
tree_jobs() {
	cat <<EOF
job {
  name dfork$1
  cmd /bin/sh -c "( /bin/sleep $(($2 + 1)) & ) ; exec /bin/sleep $2"
  stop timeout 1
}
job {
  name sess$1
  cmd /bin/sh -c "( setsid /bin/sleep $(($2 + 2)) & ) ; exec /bin/sleep $2"
  stop timeout 1
}
job {
  name stubborn$1
  cmd /bin/sh -c "( setsid /bin/sh -c 'trap \\"\\" TERM; exec /bin/sleep $(($2 + 3))' & ) ; exec /bin/sleep $2"
  stop timeout 1
}
EOF
}
keep_job() { printf 'job {\n  name keep\n  cmd /bin/sleep 300\n}\n'; }

# ---- does this pmtr put jobs in cgroups here? (it logs when it cannot)
keep_job >"$CONF"
start_pmtr
wait_job keep
K=$JOB_PID
if _log_has "no cgroups ("; then
	CG=no
	say "pmtr runs without cgroups here: $(grep -m1 'no cgroups (' "$LOG" | sed 's/^pmtr\[[0-9]*\]: //')"
	say "SKIP - setsid() descendants and the restart after SIGKILL: without cgroups they are documented as not found (pmtr.8, STOPPING A JOB'S PROCESSES)"
else
	CG=yes
	# the child enters its cgroup first thing, but after pmtr has logged its start
	wait_until 3 "job keep [$K] to enter its cgroup" eval 'grep -q "^0::.*/pmtr-.*/job-keep\$" /proc/"$K"/cgroup'
	cgline=$(grep '^0::' /proc/"$K"/cgroup)
	case $cgline in
	*/pmtr-*/job-keep) ok "job keep runs in a cgroup of its own (${cgline#0::})" ;;
	*) fail "pmtr did not log 'no cgroups', but job keep is in cgroup '${cgline#0::}', not .../pmtr-KEY/job-keep" ;;
	esac
	# A job's cgroup is made when the job is added and removed with the job, even
	# when the job never ran.
	base=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)$(dirname "${cgline#0::}")
	{ keep_job; printf 'job {\n  name idle\n  cmd /bin/sleep 300\n  disable\n}\n'; } >"$CONF"
	wait_until 3 "the cgroup of the added, disabled job idle" test -d "$base/job-idle"
	keep_job >"$CONF"
	wait_until 3 "the cgroup of job idle to be removed with it" eval '[ ! -e "$base/job-idle" ]'
	ok "a job that never ran: its cgroup made when it is added, removed when it is"
fi

# ---- part 1: each job stopped by removing it from the file
m=$(log_lines)
{ keep_job; tree_jobs "" 1000; } >"$T/next"
if [ "$CG" = no ]; then
	# only the double fork, which stays in the job's process group
	{ keep_job; tree_jobs "" 1000 | sed -n '/name dfork/,/^}/p' | sed '1i job {'; } >"$T/next"
fi
cat "$T/next" >"$CONF"
wait_for_log_since "$m" "started job dfork \[" 3
wait_until 3 "the double-forked daemon of job dfork" eval '[ -n "$(pids_of 1001)" ]'
if [ "$CG" = yes ]; then
	wait_until 3 "the setsid() child of job sess" eval '[ -n "$(pids_of 1002)" ]'
	wait_until 3 "the TERM-ignoring setsid() child of job stubborn" eval '[ -n "$(pids_of 1003)" ]'
	S2=$(pids_of 1002)
	[ "$(sid_of "$S2")" = "$S2" ] || fail "test set-up: the child of job sess did not get a session of its own"
fi
D1=$(pids_of 1001)
[ "$(ppid_of "$D1")" = "$PMTR_PID" ] || say "note: the double-forked daemon's parent is $(ppid_of "$D1"), not pmtr (no subreaper?)"

m=$(log_lines)
keep_job >"$T/next"
cat "$T/next" >"$CONF"
wait_for_log_since "$m" "stopping job dfork \[" 3
wait_gone 1001 "the double-forked daemon of removed job dfork" 3
ok "removed job: its double-forked daemon is stopped with it"
if [ "$CG" = yes ]; then
	wait_gone 1002 "the setsid() child of removed job sess" 3
	ok "removed job: its setsid() child is stopped with it"
	wait_gone 1003 "the TERM-ignoring setsid() child of removed job stubborn (stop timeout 1 s)" 4
	ok "removed job: its setsid() child that ignores SIGTERM is killed after the stop timeout"
fi
wait_gone 1000 "the main process of a removed job" 3
assert_no_log_since "$m" "started job " "removed jobs are not started again"
[ "$(job_pid keep)" = "$K" ] && pid_running "$K" || fail "job keep was disturbed"

# ---- part 2: the same kinds of jobs, stopped by pmtr's shutdown
m=$(log_lines)
if [ "$CG" = yes ]; then
	{ keep_job; tree_jobs 2 2000; } >"$T/next"
else
	{ keep_job; tree_jobs 2 2000 | sed -n '/name dfork2/,/^}/p' | sed '1i job {'; } >"$T/next"
fi
cat "$T/next" >"$CONF"
wait_until 3 "the double-forked daemon of job dfork2" eval '[ -n "$(pids_of 2001)" ]'
if [ "$CG" = yes ]; then
	wait_until 3 "the setsid() child of job sess2" eval '[ -n "$(pids_of 2002)" ]'
	wait_until 3 "the TERM-ignoring setsid() child of job stubborn2" eval '[ -n "$(pids_of 2003)" ]'
fi
stop_pmtr TERM 6
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
if [ "$CG" = yes ]; then
	assert_no_marked "at shutdown: every job's double-forked and setsid() descendants are gone"
else
	assert_no_marked "at shutdown: every job's double-forked daemon is gone"
fi

# ---- part 3: pmtr killed with SIGKILL, started again on the same file
if [ "$CG" = no ]; then
	exit 0
fi
cat >"$CONF" <<EOF
job {
  name a
  cmd /bin/sleep 3001
}
job {
  name b
  cmd /bin/sh -c "( setsid /bin/sleep 3003 & ) ; exec /bin/sleep 3002"
}
EOF
start_pmtr
wait_job a
A=$JOB_PID
wait_job b
B=$JOB_PID
wait_until 3 "the setsid() child of job b" eval '[ -n "$(pids_of 3003)" ]'
B2=$(pids_of 3003)
kill -KILL "$PMTR_PID"
wait_pmtr_exit 3
for p in $A $B $B2; do pid_running "$p" || fail "test set-up: [$p] died with pmtr"; done
ok "pmtr killed with SIGKILL: its jobs ($A $B $B2) are left running"

start_pmtr
wait_job a
wait_job b
wait_for_log "job a: killed 1 process left by an earlier pmtr"
wait_for_log "job b: killed 2 processes left by an earlier pmtr"
ok "the new pmtr logs what it killed: $(grep 'left by an earlier pmtr' "$LOG" | sed 's/^pmtr\[[0-9]*\]: //' | tr '\n' ';')"
for p in $A $B $B2; do wait_for_pid_gone "$p" 3; done
ok "the processes left by the killed pmtr are gone"
wait_until 3 "the new job b's setsid() child" eval '[ -n "$(pids_of 3003)" ]'
for arg in 3001 3002 3003; do
	n=$(count_of $arg)
	[ "$n" = 1 ] || fail "after the restart, $n processes run /bin/sleep $arg (expected exactly one): $(pids_of $arg | tr '\n' ' ')"
done
[ "$(job_starts a)" = 1 ] && [ "$(job_starts b)" = 1 ] || fail "the new pmtr started a job more than once"
ok "exactly one instance of each job and of its descendant after the restart"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked

# ---- part 4: a second pmtr started on the same file while the first still runs
# (without a control socket, or with another one, nothing else stops it): it must
# not take the running pmtr's jobs for leftovers. Refusing to start is fine too.
cat >"$CONF" <<EOF
job {
  name a
  cmd /bin/sleep 4001
}
EOF
start_pmtr
wait_job a
FIRST=$PMTR_PID
FIRST_LOG=$LOG
FA=$JOB_PID
EXTRA_PIDS+=("$FIRST")
start_pmtr
wait_until 5 "the second pmtr to start or to give up" eval '_log_has "pmtr: starting" || ! pid_running "$PMTR_PID"'
if pid_running "$PMTR_PID"; then
	wait_job a
	sleep 0.3 # a bounded grace period: a wrongly sent SIGKILL has landed by now
	pid_running "$FA" ||
		fail "a second pmtr on the same file killed job a [$FA] of the pmtr still running [$FIRST]; its log: $(grep -m1 'left by an earlier pmtr' "$LOG" | sed 's/^pmtr\[[0-9]*\]: //')"
	ok "a second pmtr on the same file leaves the first one's jobs alone"
	stop_pmtr TERM
	pid_running "$FA" || fail "stopping the second pmtr also stopped job a [$FA] of the first pmtr [$FIRST]"
	ok "stopping the second pmtr does not touch the first one's jobs"
else
	wait_pmtr_exit 1
	say "the second pmtr refused to start (status $PMTR_RC): $(head -n 2 "$LOG" | tr '\n' ' ')"
	pid_running "$FA" || fail "the second pmtr, refusing to start, killed job a [$FA] of the first"
	ok "a second pmtr on the same file refuses to start and leaves the first one's jobs alone"
fi
PMTR_PID=$FIRST
LOG=$FIRST_LOG
[ "$(job_pid a)" = "$FA" ] || fail "the first pmtr restarted job a"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
