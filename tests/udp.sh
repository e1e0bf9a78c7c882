#!/bin/bash
# udp.sh: "report to" datagrams arrive in the original format; "listen on" enable/disable acts and reverts on edit; garbage is ignored. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

RECV=$(helper udp-recv) || skip "no udp-recv helper (not built, and no C compiler to build it)"

# The report receiver, on a free port.
"$RECV" 0 >"$T/reports" 2>"$T/recv.err" &
RECV_PID=$!
EXTRA_PIDS+=("$RECV_PID")
wait_until 3 "udp-recv to listen" grep -q '^listening ' "$T/recv.err"
RPORT=$(sed -n 's/^listening //p' "$T/recv.err")

# send TEXT: one datagram to pmtr's control port (bash's /dev/udp).
send() { printf '%b' "$1" >/dev/udp/127.0.0.1/"$CPORT"; }

gen() {
	cat <<EOF
report to udp://127.0.0.1:$RPORT
listen on udp://127.0.0.1:$CPORT
job {
  name web
  cmd /bin/sh -c "exec /bin/sleep 1000"
}
job {
  name spare
  cmd /bin/sleep 1001
  disable
}
job {
  name setup
  cmd /bin/true
  once
}
$1
EOF
}

for try in 1 2 3; do
	CPORT=$((20000 + RANDOM % 40000))
	gen "" | write_conf
	start_pmtr
	wait_until 3 "pmtr to start or fail" eval 'grep -q "started job web\|Address already in use" "$LOG" || ! pid_running "$PMTR_PID"'
	grep -q "started job web" "$LOG" && break
	wait_pmtr_exit 3
done
wait_job web
WEB=$JOB_PID
# the directory of this file's job cgroups, where pmtr makes them
CGBASE=
cgline=$(grep '^0::' "/proc/$WEB/cgroup")
case $cgline in */pmtr-*/job-web) CGBASE=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)$(dirname "${cgline#0::}") ;; esac

# ---- a report arrives soon after start, in the original format
wait_until 5 "a report datagram" grep -q '^--$' "$T/reports"
first=$(sed -n '1,/^--$/p' "$T/reports" | sed '$d')
host=$(hostname)
[ "$(sed -n 1p <<<"$first")" = "report $host" ] || fail "report header: '$(sed -n 1p <<<"$first")', expected 'report $host'"
grep -qE "^web e [0-9]+ $WEB /bin/sh -c \"exec /bin/sleep 1000\"$" <<<"$first" || fail "report: no line for web: $first"
grep -qx "spare d 0 0 /bin/sleep 1001" <<<"$first" || fail "report: no line for the disabled job spare: $first"
grep -q "^setup " <<<"$first" && fail "report: a once job is listed: $first"
[ "$(wc -l <<<"$first")" = 3 ] || fail "report: expected 3 lines: $first"
ok "a report arrives within seconds: header and one line per restartable job"

# ---- disable and enable by datagram
send "disable web\n"
wait_for_log "udp control from 127.0.0.1:[0-9]*: disable job web"
wait_for_pid_gone "$WEB" 5
send "enable spare"
wait_job spare
SPARE=$JOB_PID
ok "disable and enable datagrams act"

# ---- garbage: 1000 datagrams of junk leave pmtr and its jobs untouched
for i in $(seq 1 300); do send "bogus $i"; done
for i in $(seq 1 300); do head -c 200 /dev/urandom >/dev/udp/127.0.0.1/"$CPORT"; done
for i in $(seq 1 300); do head -c 1500 /dev/zero | tr '\0' x >/dev/udp/127.0.0.1/"$CPORT"; done
for i in $(seq 1 100); do send "enable nosuchjob$i"; done
# a good datagram after the flood is still taken, so the flood was read and survived
send "disable spare"
wait_for_pid_gone "$SPARE" 5
pid_running "$PMTR_PID" || fail "pmtr died under garbage datagrams"
n=$(grep -c "udp control" "$LOG")
[ "$n" -le 30 ] || fail "garbage datagrams: $n log lines about them, expected rate-limited (<= 30)"
[ "$(job_starts web)" = 1 ] || fail "garbage datagrams restarted web"
ok "1000 garbage datagrams: pmtr carries on, logs at most $n lines"

# ---- an edit of the file reverts the temporary enable/disable
mark=$(log_lines)
gen "# edited" | write_conf
wait_for_log_since "$mark" "started job web \["
wait_for_log_since "$mark" "changed: reloading"
WEB2=$(job_pid web)
[ "$WEB2" != "$WEB" ] || fail "web did not start again after the edit"
ok "an edit of the configuration undoes a UDP disable"

# ---- removing both lines closes the sockets; the port is free again
mark=$(log_lines)
n_before=$(grep -c '^--$' "$T/reports")
grep -v '^report to\|^listen on' "$CONF" >"$T/next"
cat "$T/next" >"$CONF"
wait_for_log_since "$mark" "changed: reloading"
wait_for_log_since "$mark" ": 3 jobs"
# the freed control port can be bound again
"$RECV" "$CPORT" >/dev/null 2>"$T/rebind.err" &
REBIND=$!
EXTRA_PIDS+=("$REBIND")
wait_until 3 "the control port to be free" grep -q '^listening ' "$T/rebind.err"
kill "$REBIND"
ok "removing listen on closes the control socket"

# ---- a name that does not resolve: the file is refused, the running jobs stay
mark=$(log_lines)
gen "" | sed "s|^report to .*|report to udp://no-such-host.invalid:9|" | write_conf
wait_for_log_since "$mark" "report to udp://no-such-host.invalid:9: cannot resolve no-such-host.invalid"
wait_for_log_since "$mark" "invalid, keeping the running configuration"
pid_running "$WEB2" || fail "web stopped after an unresolvable report to"
ok "an unresolvable host is a configuration error; jobs stay"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "exit status $PMTR_RC after SIGTERM"
run_cmd 10 env PMTR_TEST_MARK="$T" "$PMTR" -F -c "$CONF" -s none
[ "$RC" = 1 ] || fail "start-up with an unresolvable report to: exit $RC, expected 1"
grep -q "$CONF:1: report to udp://no-such-host.invalid:9: cannot resolve" "$T/err" ||
	fail "start-up error does not name file and line: $(cat "$T/err")"
[ -z "$CGBASE" ] || [ ! -e "$CGBASE" ] || fail "the failed start-up left its cgroup directory $CGBASE"
ok "at start-up, an unresolvable host: FILE:LINE message, exit 1, no cgroup left behind"
assert_no_marked
exit 0
