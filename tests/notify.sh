#!/bin/bash
# notify.sh: sd_notify with NOTIFY_SOCKET (path and @abstract): READY=1 after the jobs start and are ready, STATUS=, STOPPING=1 at shutdown. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

RECV=$(helper notify-recv) || skip "no notify-recv helper (not built, and no C compiler to build it)"

write_conf <<EOF
job {
  name a
  cmd /bin/sleep 300
}
job {
  name b
  cmd /bin/sleep 300
}
EOF

# run_notify SOCKET: pmtr with NOTIFY_SOCKET=SOCKET against a receiver bound there.
run_notify() {
	local sock=$1 out rpid rl sl
	NN=$((NN + 1))
	out=$T/notify.$NN.out
	"$RECV" "$sock" >"$out" 2>"$out.err" &
	rpid=$!
	EXTRA_PIDS+=("$rpid")
	wait_until 3 "notify-recv to listen on $sock" grep -q listening "$out.err"
	PMTR_LAUNCH=(env --default-signal NOTIFY_SOCKET="$sock")
	start_pmtr
	wait_until 3 "READY=1 on $sock" grep -qx READY=1 "$out"
	grep -q "started job a \[" "$LOG" && grep -q "started job b \[" "$LOG" ||
		fail "READY=1 arrived before the jobs were started"
	ok "$sock: READY=1 once the jobs are started"
	wait_until 3 "STATUS= on $sock" grep -q '^STATUS=.' "$out"
	ok "$sock: STATUS=$(grep '^STATUS=' "$out" | tail -n 1 | cut -c8-)"
	wait_job a
	wait_until 3 "job a to exec /bin/sleep" grep -qx sleep /proc/"$JOB_PID"/comm
	has_env_var "$JOB_PID" NOTIFY_SOCKET && fail "job a inherited NOTIFY_SOCKET"
	ok "$sock: jobs do not inherit NOTIFY_SOCKET"
	grep -qx STOPPING=1 "$out" && fail "STOPPING=1 sent before shutdown"
	stop_pmtr TERM
	[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
	wait_until 2 "STOPPING=1 on $sock" grep -qx STOPPING=1 "$out"
	rl=$(grep -nx READY=1 "$out" | head -n 1 | cut -d: -f1)
	sl=$(grep -nx STOPPING=1 "$out" | head -n 1 | cut -d: -f1)
	[ "$rl" -lt "$sl" ] || fail "STOPPING=1 came before READY=1"
	ok "$sock: STOPPING=1 at shutdown"
	kill "$rpid"
	wait "$rpid" 2>/dev/null
}

NN=0
run_notify "$T/notify.sock"
run_notify "@pmtr-test-$(basename "$T")"

# A NOTIFY_SOCKET nobody listens on: pmtr runs as usual.
PMTR_LAUNCH=(env --default-signal NOTIFY_SOCKET="$T/nobody.sock")
start_pmtr
wait_job a
wait_job b
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "with nobody on NOTIFY_SOCKET: exit status $PMTR_RC after SIGTERM, expected 0"
ok "NOTIFY_SOCKET with no listener: pmtr runs and stops as usual"

# READY=1 waits for the jobs started at boot to be ready.
write_conf <<EOF
job {
  name slow
  cmd /bin/sleep 300
  ready cmd /bin/test -f $T/slow.ready
}
job {
  name quick
  cmd /bin/sleep 300
}
EOF
out=$T/notify.boot.out
"$RECV" "$T/boot.sock" >"$out" 2>"$out.err" &
EXTRA_PIDS+=($!)
wait_until 3 "notify-recv to listen" grep -q listening "$out.err"
PMTR_LAUNCH=(env --default-signal NOTIFY_SOCKET="$T/boot.sock")
start_pmtr
wait_job slow
wait_job quick
# The barrier: an edit that adds a job changes pmtr's STATUS=, sent in a later
# turn of its loop than a READY=1 for the two jobs started; datagrams arrive in
# order.
printf 'job {\n  name extra\n  cmd /bin/sleep 300\n}\n' >>"$CONF"
wait_until 5 "STATUS= of 3 jobs on $T/boot.sock" grep -q '^STATUS=3 jobs' "$out"
grep -qx READY=1 "$out" && fail "READY=1 before job slow is ready"
touch "$T/slow.ready"
wait_for_log "job slow \[[0-9]*\] is ready"
wait_until 3 "READY=1 once slow is ready" grep -qx READY=1 "$out"
ok "READY=1 once the jobs started at boot are ready"
stop_pmtr TERM
exit 0
