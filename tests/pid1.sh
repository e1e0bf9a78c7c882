#!/bin/bash
# pid1.sh (root): pmtr as process 1 of a pid namespace: foreground without -F, reaps orphans, stops on SIGTERM. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

require_root
unshare --pid --fork --mount-proc true 2>/dev/null ||
	skip "unshare --pid --fork --mount-proc is not permitted here"

# A job that leaves orphans behind: each exits 0.3 s after the job itself, so it
# is re-parented to process 1 (pmtr) and must be reaped there.
script orphaner.sh <<EOF
#!/bin/sh
for i in 1 2 3 4 5; do
	( /bin/sleep 0.3; touch $T/orphan.\$i ) &
done
# and one grandchild that has its own session, as a daemon would
( setsid /bin/sh -c "/bin/sleep 0.3; touch $T/orphan.6" & ) 
exit 0
EOF

write_conf <<EOF
job {
  name main
  cmd /bin/sleep 300
}
job {
  name orphaner
  cmd $T/orphaner.sh
  once
}
EOF

# No -F: as process 1 pmtr must stay in the foreground by itself.
PMTR_LAUNCH=(unshare --pid --fork --mount-proc --kill-child env --default-signal)
start_pmtr_raw -c "$CONF" -s none
UNSHARE=$PMTR_PID
wait_until 5 "pmtr to start under unshare [$UNSHARE]" eval '[ -n "$(children_of "$UNSHARE")" ]'
P1=$(children_of "$UNSHARE" | head -n 1)
nspid=$(status_field "$P1" NSpid)
[ "${nspid##* }" = 1 ] || fail "pmtr is not process 1 of its namespace (NSpid: $nspid)"
wait_for_log "pmtr\[1\]: started job main \["
ok "as pid 1 (outer pid $P1): logs to stderr as pmtr[1]"

wait_for_log "job orphaner is once: not restarting"
pid_running "$P1" || fail "pmtr (pid 1) is no longer running: did it fork into the background?"
[ "$(children_of "$UNSHARE" | head -n 1)" = "$P1" ] || fail "process 1 changed"
if grep -v "^pmtr\[1\]: " "$LOG" | grep -q .; then
	fail "log lines not from pmtr[1]: $(grep -v '^pmtr\[1\]: ' "$LOG" | head -3)"
fi
ok "stays in the foreground without -F"

for i in 1 2 3 4 5 6; do wait_for_file "$T/orphan.$i" 5; done
# the outer pid of job main (the log shows pids inside the namespace)
wait_job main
MAIN=
for c in $(children_of "$P1"); do
	ns=$(status_field "$c" NSpid)
	[ "${ns##* }" = "$JOB_PID" ] && MAIN=$c
done
[ -n "$MAIN" ] || fail "cannot find job main [$JOB_PID] among pmtr's children"
# wait until every orphan has exited (a zombie has no environment, so marked_pids
# lists only live ones) ...
others() { marked_pids | grep -vx -e "$P1" -e "$MAIN"; }
wait_until 5 "the orphans to exit" eval '[ -z "$(others)" ]'
# ... then none may stay a zombie: pmtr, as process 1, must reap them
zombies() {
	local c
	for c in $(children_of "$P1"); do
		[ "$(pid_state "$c")" = Z ] && echo "$c"
	done
	return 0
}
deadline=$(($(now_ms) + 2000))
while [ -n "$(zombies)" ]; do
	[ "$(now_ms)" -ge "$deadline" ] && fail "zombies left 2 s after the orphans exited: $(zombies | tr '\n' ' ') (pmtr as pid 1 must reap them)"
	sleep 0.05
done
ok "orphans reaped: no zombie left (children of pmtr now: $(children_of "$P1" | tr '\n' ' '))"
[ "$(job_starts orphaner)" = 1 ] || fail "job orphaner started $(job_starts orphaner) times"
assert_no_log "job main \[.*exited" "reaping orphans did not disturb job main"

t0=$(now_ms)
kill -TERM "$P1"
wait_pmtr_exit 5
[ "$PMTR_RC" = 0 ] || fail "pmtr as pid 1: exit status $PMTR_RC after SIGTERM (unshare passes it on), expected 0"
assert_log "pmtr\[1\]: stopping job main \[" "SIGTERM: job main stopped"
assert_log "pmtr\[1\]: pmtr: exiting" "SIGTERM: pmtr exiting"
assert_no_marked
ok "pid 1 stops on SIGTERM, exit 0 ($(($(now_ms) - t0)) ms)"
exit 0
