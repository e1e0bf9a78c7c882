# vmlib.sh: helpers for the scripts run-in-vm.sh runs inside the VM (busybox sh), sourced from /opt/vmlib.sh. SPDX-License-Identifier: MIT
# shellcheck shell=dash
#
# The VM is thrown away after the script, so there is no cleanup to do. Every wait
# is a bounded poll on /proc/uptime; a timeout fails with what was awaited and the
# tail of pmtr's log $LOG. $PMTR and $PMTRCTL are set by /init.

SVC=/sys/fs/cgroup/system.slice/pmtr.service
LOG=${LOG:-/tmp/pmtr.log}
SOCK=${SOCK:-/run/pmtr.sock}
PMTR_PID=
PMTR_RC=

ok() { echo "ok - $*"; }

log_tail() {
	if [ -s "$LOG" ]; then
		echo "--- last lines of $LOG:"
		tail -n "${1:-25}" "$LOG" | cut -c1-300 | sed 's/^/  | /'
		echo "---"
	fi
}

# fail MESSAGE: print it and the tail of the log (unless FAIL_QUIET is set), exit 1.
fail() {
	echo "FAIL - $*"
	[ -n "${FAIL_QUIET:-}" ] || log_tail
	exit 1
}

skip() {
	echo "SKIP - $*"
	exit 77
}

# now_cs: NOW = hundredths of a second since boot, without forking.
now_cs() {
	read -r NOW _ </proc/uptime
	NOW=${NOW%.*}${NOW#*.}
	while [ "${#NOW}" -gt 1 ] && [ "${NOW#0}" != "$NOW" ]; do NOW=${NOW#0}; done
}

# True when PID exists and is not a zombie.
pid_running() {
	local l
	read -r l 2>/dev/null </proc/"$1"/stat || return 1
	l=${l##*) }
	case $l in Z* | X*) return 1 ;; esac
	return 0
}

_check_pmtr_alive() {
	if [ -n "$PMTR_PID" ] && ! pid_running "$PMTR_PID"; then
		fail "pmtr [$PMTR_PID] is no longer running while waiting for: $1"
	fi
}

# wait_until TIMEOUT_S DESCRIPTION COMMAND...: poll COMMAND every 0.05 s.
wait_until() {
	local t=$1 desc=$2 deadline
	shift 2
	now_cs
	deadline=$((NOW + t * 100))
	while ! "$@"; do
		now_cs
		[ "$NOW" -ge "$deadline" ] && fail "timed out after $t s waiting for: $desc"
		_check_pmtr_alive "$desc"
		sleep 0.05
	done
}

log_has() { grep -q -- "$1" "$LOG" 2>/dev/null; }
log_has_fixed() { grep -qF -- "$1" "$LOG" 2>/dev/null; }

# wait_for_log PATTERN [TIMEOUT_S]: a line of the log matches the grep BRE PATTERN.
wait_for_log() { wait_until "${2:-5}" "log line /$1/" log_has "$1"; }

# Pid of the last "started job NAME [PID]" line (empty when none).
job_pid() {
	sed -n "s/.*started job $1 \[\([0-9][0-9]*\)\]\$/\1/p" "$LOG" 2>/dev/null | tail -n 1
}

# wait_job NAME [TIMEOUT_S]: job NAME was started; sets JOB_PID.
wait_job() {
	wait_for_log "started job $1 \[" "${2:-5}"
	JOB_PID=$(job_pid "$1")
	[ -n "$JOB_PID" ] || fail "no pid for job $1"
}

# The cgroup directory of job NAME: <pmtr's cgroup>/pmtr-<key>/job-NAME (or NAME);
# empty when there is none.
job_cgroup() {
	local d
	for d in "$SVC"/pmtr-*/job-"$1" "$SVC"/pmtr-*/"$1"; do
		[ -d "$d" ] && { echo "$d"; return 0; }
	done
	return 1
}

# start_pmtr_in_service ARGS...: start pmtr ARGS in the background as the only
# process of pmtr.service (the shell that execs it moves itself there first), as
# systemd starts a service; stdin is /dev/null, stdout and stderr are the
# caller's (start_pmtr_in_service -F ... 2>"$LOG"). Sets PMTR_PID.
start_pmtr_in_service() {
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$SVC" "$PMTR" "$@" </dev/null &
	PMTR_PID=$!
	echo "vmlib: started pmtr [$PMTR_PID] in $SVC: pmtr $*" >/dev/console
}

# stop_pmtr [TIMEOUT_S]: SIGTERM to pmtr, wait for it; sets PMTR_RC.
stop_pmtr() {
	[ -n "$PMTR_PID" ] || fail "stop_pmtr: pmtr is not running"
	STOP_PID=$PMTR_PID
	PMTR_PID=	# its end is what we wait for, not a failure
	kill -TERM "$STOP_PID" 2>/dev/null
	wait_until "${1:-10}" "pmtr [$STOP_PID] to exit" _stopped
	wait "$STOP_PID"
	PMTR_RC=$?
}
_stopped() { ! pid_running "$STOP_PID"; }

# ctl ARGS...: pmtrctl -s $SOCK ARGS, at most 15 s; sets RC, /tmp/out and /tmp/err.
ctl() {
	timeout -k 2 15 "$PMTRCTL" -s "$SOCK" "$@" >/tmp/out 2>/tmp/err </dev/null
	RC=$?
}

# json_field KEY: the value of "KEY" in the JSON object on standard input (one line).
json_field() { sed -n "s/.*\"$1\":\(\"[^\"]*\"\|[^,}]*\).*/\1/p"; }

# json_job NAME: the object of job NAME in "pmtrctl status --json NAME"; sets JSON.
json_job() {
	ctl status --json "$1"
	[ "$RC" = 0 ] || fail "pmtrctl status --json $1: exit status $RC: $(cat /tmp/err)"
	JSON=$(grep -F "{\"name\":\"$1\"," /tmp/out)
	[ -n "$JSON" ] || fail "pmtrctl status --json $1: no object for $1 in: $(head -c 500 /tmp/out)"
}
