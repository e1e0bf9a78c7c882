#!/bin/bash
# signal.sh: pmtrctl signal SIG JOB... sends SIG to each job's main process, and refuses what it cannot do without touching any job. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
SOCK=$T/ctl.sock
ctl() { run_cmd 15 "$PMTRCTL" -s "$SOCK" "$@"; }

script catch.sh <<'SCRIPT'
#!/bin/sh
# Says which signal came; the sleep runs in the background so that the trap runs at once.
trap 'echo "got HUP"' HUP
trap 'echo "got USR1"' USR1
trap 'echo "got USR2"' USR2
trap 'echo "got ALRM"' ALRM
echo ready
while :; do /bin/sleep 1 & wait $!; done
SCRIPT

write_conf <<CONF
job {
  name web
  cmd $T/catch.sh
}
job {
  name worker
  cmd $T/catch.sh
}
job {
  name off
  cmd /bin/sleep 300
  disable
}
CONF
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_job web
WEB=$JOB_PID
wait_job worker
WORKER=$JOB_PID
wait_for_log "web\[$WEB\]: ready"
wait_for_log "worker\[$WORKER\]: ready"

MARK=$(log_lines)
ctl signal HUP web
[ "$RC" = 0 ] && [ ! -s "$T/err" ] || fail "signal HUP web: status $RC: $(cat "$T/err")"
wait_for_log_since "$MARK" "web\[$WEB\]: got HUP"
assert_log "control: SIGHUP to job web \[$WEB\]" "the signal is logged with the job and its pid"
ok "signal HUP web: the job's process gets SIGHUP, logged"

for sig in SIGUSR1 usr1 10 -USR1; do
	MARK=$(log_lines)
	ctl signal "$sig" web worker
	[ "$RC" = 0 ] || fail "signal $sig web worker: status $RC: $(cat "$T/err")"
	wait_for_log_since "$MARK" "web\[$WEB\]: got USR1"
	wait_for_log_since "$MARK" "worker\[$WORKER\]: got USR1"
done
ok "signal names with and without SIG, in any case, numbers and -NAME; several jobs at once"

MARK=$(log_lines)
ctl signal USR2 web off
[ "$RC" = 4 ] || fail "signal to a disabled job: status $RC, expected 4"
grep -q "not running: off (disabled); nothing done" "$T/err" || fail "signal to a disabled job: $(cat "$T/err")"
ctl signal USR2 web nosuch
[ "$RC" = 3 ] || fail "signal to an unknown job: status $RC, expected 3"
grep -q 'no such job: "nosuch"; nothing done' "$T/err" || fail "signal to an unknown job: $(cat "$T/err")"
for bad in BOGUS 0 65 SIGFOO ""; do
	ctl signal "$bad" web
	[ "$RC" = 1 ] || fail "signal '$bad': status $RC, expected 1"
	grep -q "bad signal" "$T/err" || fail "signal '$bad': $(cat "$T/err")"
done
ctl signal HUP
[ "$RC" = 1 ] || fail "signal without a job: status $RC, expected 1"
ctl signal
[ "$RC" = 1 ] || fail "signal without anything: status $RC, expected 1"
# The barrier: pmtr sends a signal before it answers, so one it sent wrongly
# above is pending or handled in the job before this SIGALRM arrives; the shell
# runs pending traps lowest signal first (ALRM is 14, above USR2 and HUP), and
# each job writes its lines through one pipe, in order.
ctl signal ALRM web worker
[ "$RC" = 0 ] || fail "signal ALRM web worker: status $RC: $(cat "$T/err")"
wait_for_log_since "$MARK" "web\[$WEB\]: got ALRM"
wait_for_log_since "$MARK" "worker\[$WORKER\]: got ALRM"
assert_no_log_since "$MARK" "got USR2" "a refused signal reaches no job"
assert_no_log_since "$MARK" "got HUP" "a refused signal reaches no job"
[ "$(job_starts web)" = 1 ] && [ "$(job_starts worker)" = 1 ] || fail "a job was restarted"
ok "refused: not running (4), unknown job (3), bad signal or no job (1); nothing sent"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
exit 0
