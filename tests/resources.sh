#!/bin/bash
# resources.sh: cgroup limits on a host whose cgroup v2 lacks the controllers: the job runs, a warning names each limit not enforced, once per load; status -l and --json carry the usage fields. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
CG=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
if [ -n "$CG" ] && grep -qw memory "$CG/cgroup.controllers" 2>/dev/null &&
	grep -qw pids "$CG/cgroup.controllers" 2>/dev/null; then
	skip "this host's cgroup v2 has the memory and pids controllers: limits are enforced here (tests/vm/resources.sh tests them)"
fi
SOCK=$T/ctl.sock
ctl() { run_cmd 15 "$PMTRCTL" -s "$SOCK" "$@"; }

gen() {
	cat <<EOF
job {
  name lim
  cmd /bin/sleep 300
  memory max $1
  pids max 20
}
job {
  name free
  cmd /bin/sleep 300
}
EOF
}
gen 32M >"$CONF"
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_job lim
LIM=$JOB_PID
wait_for_log "job lim: memory max not enforced: "
wait_for_log "job lim: pids max not enforced: "
[ "$(log_count "job lim: memory max not enforced")" = 1 ] || fail "the warning is not said once: $(grep 'not enforced' "$LOG")"
grep "not enforced" "$LOG" | grep -q "not enforced: \(no cgroup v2 for pmtr's jobs\|the memory controller is not available in .*: not delegated to pmtr\|cannot enable the memory controller\)" ||
	fail "the warning does not say why: $(grep 'not enforced' "$LOG")"
grep -q "free: .* not enforced" "$LOG" && fail "a job without limits is warned about"
ok "limits not enforceable here: the job runs, each limit is named with the reason ($(grep -m1 'memory max not enforced' "$LOG" | sed 's/.*enforced: //'))"

# a live change of a limit: the same process, the change said; the warning again (a new load)
MARK=$(log_lines)
gen 64M >"$CONF"
wait_for_log_since "$MARK" "job lim \[$LIM\]: applied memory max 64M"
wait_for_log_since "$MARK" "job lim: memory max not enforced"
[ "$(job_pid lim)" = "$LIM" ] || fail "a limit change restarted lim"
ok "a changed limit is applied to the running job (same pid), the warning said again for the new load"

# the warning is per load, not per start
MARK=$(log_lines)
kill -KILL "$LIM"
wait_new_pid lim "$LIM" 15
assert_no_log_since "$MARK" "not enforced" "a restart does not repeat the warning"

ctl status --json lim
grep -q '"oom_kill":false,"restart_at":null,"next_run":null,"last_run":null,"memory_bytes":[0-9n][0-9ul]*,"cpu_usec":[0-9n][0-9ul]*,"pids":[0-9n][0-9ul]*}' "$T/out" ||
	fail "status --json: the usage fields: $(cat "$T/out")"
ctl status -l
head -n 1 "$T/out" | grep -q "LAST EXIT  MEMORY  *CPU  *PIDS  COMMAND" || fail "status -l: the header: $(head -n 1 "$T/out")"
grep -q "^lim  .* SIGKILL  " "$T/out" || fail "status -l: lim's line: $(cat "$T/out")"
ctl status
grep -q "MEMORY" "$T/out" && fail "plain status shows usage columns: $(head -n 1 "$T/out")"
ok "status -l and --json show usage (null or - where the cgroup does not say), plain status does not"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
exit 0
