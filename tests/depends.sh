#!/bin/bash
# depends.sh: a change to a dependency's content restarts the job; a rewrite with the same content or a touch does not; a missing one holds the job. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

echo v1 >"$T/dep1"
echo m1 >"$T/m1"
echo m2 >"$T/m2"

write_conf <<EOF
job {
  name dep
  cmd /bin/sleep 300
  depends { $T/dep1 }
  restart delay 5
}
job {
  name multi
  cmd /bin/sleep 300
  depends {
    $T/m1
    $T/m2
  }
  restart delay 5
}
job {
  name held
  cmd /bin/sleep 300
  depends { $T/missing }
  restart delay 1
}
EOF
start_pmtr
wait_job dep
D=$JOB_PID
wait_job multi
M=$JOB_PID
wait_for_log "job held waits for dependency $T/missing"
[ "$(job_starts held)" = 0 ] || fail "job held started although its dependency $T/missing is missing"
ok "a missing dependency holds the job (logged)"

# ---- content changed in place: restart (stop and start at once, no restart delay)
echo v2 >"$T/dep1"
wait_for_log "job dep: dependency $T/dep1 changed: restarting" 2
wait_for_pid_gone "$D" 3
wait_new_pid dep "$D" 2.5
D2=$JOB_PID
ok "content change in place restarts the job ($D -> $D2)"

# ---- same content rewritten, touched: no restart, once pmtr has seen both
# (their inotify events are queued before the barrier's signals)
n=$(log_count "dependency $T/dep1 changed")
echo v2 >"$T/dep1"
touch "$T/dep1"
barrier
[ "$(log_count "dependency $T/dep1 changed")" = "$n" ] || fail "rewriting the same content or a touch was taken as a change"
[ "$(job_pid dep)" = "$D2" ] && pid_running "$D2" || fail "job dep restarted after a rewrite of the same content"
ok "identical rewrite and touch: no restart"

# ---- saved by rename over it, twice: each a restart
for v in v3 v4; do
	echo "$v" >"$T/dep1.tmp"
	mv "$T/dep1.tmp" "$T/dep1"
	wait_new_pid dep "$D2" 2.5
	pid_running "$D2" && fail "old pid $D2 of job dep still running after the restart"
	D2=$JOB_PID
	ok "content change by rename over the file restarts the job ($v)"
done

# ---- the second file of a multi-line depends block
echo changed >>"$T/m2"
wait_for_log "job multi: dependency $T/m2 changed: restarting" 2
wait_new_pid multi "$M" 2.5
ok "a change to the second file of a depends block restarts the job"

# ---- the missing dependency appears: the job starts
echo here >"$T/missing"
wait_job held 1.5
ok "the held job starts when its dependency appears"

[ "$(job_starts dep)" = 4 ] || fail "job dep started $(job_starts dep) times, expected 4 (start + 3 changes)"
ok "job dep started exactly 4 times"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
