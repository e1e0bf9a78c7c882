#!/bin/bash
# cgroup_cleanup.sh: pmtr leaves no job cgroup directory behind: not when a job's
# left-over process outlives it, not when pmtr stops, nor when a job is removed.
# SPDX-License-Identifier: MIT
#
# Needs root and a writable cgroup2 hierarchy (else skipped); no controller is
# needed, so this runs on a host as well as in the VM test.
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS_SRCDIR/lib.sh"
require_root

# The job "orphaner" is once: it leaves a process of its own session behind in
# its cgroup and exits. "web" tells where pmtr puts the job cgroups.
write_conf <<EOF2
job {
  name web
  cmd /bin/sleep 300
}
job {
  name orphaner
  cmd /bin/sh -c "setsid /bin/sleep 300 & echo left \$!"
  once
}
EOF2
start_pmtr
wait_job web
WEB=$JOB_PID
cgline=$(grep '^0::' "/proc/$WEB/cgroup")
case $cgline in
*/pmtr-*/job-web) ;;
*) skip "jobs get no cgroup of their own here ($cgline)" ;;
esac
CGBASE=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)$(dirname "${cgline#0::}")
wait_for_log "job orphaner \[[0-9]*\] exited"
LEFT=$(sed -n 's/.*orphaner\[[0-9]*\]: left \([0-9]*\).*/\1/p' "$LOG" | head -n 1)
[ -n "$LEFT" ] && pid_running "$LEFT" || fail "the orphaner's left-over process is not running"
EXTRA_PIDS+=("$LEFT")
[ -d "$CGBASE/job-orphaner" ] || fail "no cgroup $CGBASE/job-orphaner while its process runs"
ok "a once job left process $LEFT in its cgroup"

# Removed from the file: what is left of the job is stopped, its cgroup goes.
write_conf <<EOF2
job {
  name web
  cmd /bin/sleep 300
}
EOF2
wait_for_log "stopping what is left of job orphaner"
wait_for_pid_gone "$LEFT" 5
wait_until 5 "the cgroup of the removed job orphaner to go" eval '[ ! -e "$CGBASE/job-orphaner" ]'
ok "a removed job's left-over process is stopped and its cgroup removed"

# The same at pmtr's own stop: a once job's left-over process, then SIGTERM.
write_conf <<EOF2
job {
  name web
  cmd /bin/sleep 300
}
job {
  name orphaner2
  cmd /bin/sh -c "setsid /bin/sleep 300 & echo left \$!"
  once
}
EOF2
wait_for_log "job orphaner2 \[[0-9]*\] exited"
LEFT2=$(sed -n 's/.*orphaner2\[[0-9]*\]: left \([0-9]*\).*/\1/p' "$LOG" | head -n 1)
[ -n "$LEFT2" ] && pid_running "$LEFT2" || fail "the orphaner2's left-over process is not running"
EXTRA_PIDS+=("$LEFT2")
stop_pmtr TERM
pid_running "$LEFT2" && fail "pmtr stopped and left process $LEFT2 running"
[ -e "$CGBASE" ] && fail "pmtr stopped and left $(find "$CGBASE" -type d | tr '\n' ' ')"
ok "pmtr stopped: no process and no cgroup directory left ($CGBASE)"
