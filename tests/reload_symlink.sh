#!/bin/bash
# reload_symlink.sh: a Kubernetes ConfigMap-style symlink swap (..data -> ..vN), twice, an invalid swap, and an in-place edit through the symlink. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

CM=$T/cm
mkdir "$CM"
CONF=$CM/pmtr.conf

gen() {
	local spec
	echo "# version $V"
	for spec in "$@"; do
		echo "job {"
		echo "  name ${spec%%:*}"
		echo "  cmd /bin/sleep 300"
		case $spec in *:*) echo "  env V=${spec#*:}" ;; esac
		echo "}"
	done
}

# swap SPEC...: publish a new version the way the kubelet does: write a new
# directory, point ..data_tmp at it, rename it over ..data, remove the old one.
V=1
mkdir "$CM/..v1"
gen keep chg:1 >"$CM/..v1/pmtr.conf"
ln -s ..v1 "$CM/..data"
ln -s ..data/pmtr.conf "$CM/pmtr.conf"
swap() {
	local old=$V
	V=$((V + 1))
	mkdir "$CM/..v$V"
	if [ "$1" = --raw ]; then cat >"$CM/..v$V/pmtr.conf"; else gen "$@" >"$CM/..v$V/pmtr.conf"; fi
	ln -s "..v$V" "$CM/..data_tmp"
	mv -T "$CM/..data_tmp" "$CM/..data"
	rm -rf "$CM/..v$old"
}

wait_exec() { wait_until 3 "pid $1 to exec /bin/sleep" grep -qx sleep /proc/"$1"/comm; }
expect_same() {
	[ "$(job_pid "$1")" = "$2" ] || fail "version $V: job $1 was restarted ($2 -> $(job_pid "$1"))"
	pid_running "$2" || fail "version $V: job $1 [$2] is no longer running"
}

start_pmtr
wait_job keep
K=$JOB_PID
wait_job chg
C=$JOB_PID
wait_for_log "$CONF: 2 jobs"

# ---- first swap: add, change, keep
m=$(log_lines)
swap keep chg:2 add1
wait_for_log_since "$m" "started job add1 \[" 1
A1=$(job_pid add1)
wait_new_pid chg "$C" 1
wait_for_pid_gone "$C" 2
C=$JOB_PID
wait_exec "$C"
has_env "$C" V=2 || fail "changed job chg [$C] does not have V=2"
expect_same keep "$K"
ok "swap 1: added job runs within 1 s, changed job restarted, unchanged job kept"

# ---- second swap: remove, add
m=$(log_lines)
swap keep chg:2 add2
wait_for_log_since "$m" "started job add2 \[" 1
A2=$(job_pid add2)
wait_for_log_since "$m" "stopping job add1 \[$A1\]" 1
wait_for_pid_gone "$A1" 2
expect_same keep "$K"
expect_same chg "$C"
ok "swap 2: added job runs, removed job stopped, unchanged jobs kept"

# ---- a swap to a file that does not parse
m=$(log_lines)
printf 'job {\n  name broken\n  cmd /bin/sleep 300\n  frobnicate\n}\n' | swap --raw
wait_for_log_since "$m" "pmtr.conf:4: " 2
wait_for_log_since "$m" "$CONF: invalid, keeping the running configuration" 2
for j in keep:$K chg:$C add2:$A2; do expect_same "${j%%:*}" "${j#*:}"; done
ok "swap to an invalid file: FILE:LINE logged, jobs keep their pids"

# ---- and a valid one after it
m=$(log_lines)
swap keep chg:2 add2 add3
wait_for_log_since "$m" "started job add3 \[" 1
for j in keep:$K chg:$C add2:$A2; do expect_same "${j%%:*}" "${j#*:}"; done
ok "swap 3 after the invalid one: applied"

# ---- an edit in place through the symlink
m=$(log_lines)
gen keep chg:2 add2 add3 add4 >"$T/next"
cat "$T/next" >"$CONF"
wait_for_log_since "$m" "started job add4 \[" 1
for j in keep:$K chg:$C add2:$A2; do expect_same "${j%%:*}" "${j#*:}"; done
ok "in-place edit through the symlink: applied"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
