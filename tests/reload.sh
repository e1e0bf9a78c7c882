#!/bin/bash
# reload.sh: saving pmtr.conf in place or by rename (each twice), invalid saves, a deleted file, SIGHUP: jobs added, removed, changed, kept. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

# gen SPEC...: a configuration with one job per SPEC, "NAME" or "NAME:V" (env V=V).
gen() {
	local spec
	echo "# saved at step $STEP"
	for spec in "$@"; do
		echo "job {"
		echo "  name ${spec%%:*}"
		echo "  cmd /bin/sleep 300"
		case $spec in *:*) echo "  env V=${spec#*:}" ;; esac
		echo "}"
	done
}
# Saves: in place (truncate and write, as vim does) and by rename over the file.
save_inplace() { gen "$@" >"$T/next"; cat "$T/next" >"$CONF"; }
save_rename() { gen "$@" >"$T/next"; cp "$T/next" "$CONF.tmp"; mv -f "$CONF.tmp" "$CONF"; }

# wait_exec PID: the job has exec'd its /bin/sleep (so /proc shows its environment).
wait_exec() { wait_until 3 "pid $1 to exec /bin/sleep" grep -qx sleep /proc/"$1"/comm; }

# expect_same NAME PID: job NAME still runs under PID and was not started again.
expect_same() {
	[ "$(job_pid "$1")" = "$2" ] || fail "step $STEP: job $1 was restarted ($2 -> $(job_pid "$1"))"
	pid_running "$2" || fail "step $STEP: job $1 [$2] is no longer running"
}

# expect_added MARK NAME: NAME started within a fraction of a second; sets JOB_PID.
expect_added() {
	wait_for_log_since "$1" "started job $2 \[" 1
	JOB_PID=$(job_pid "$2")
}

# expect_changed MARK NAME OLDPID V: NAME restarted with env V=V; sets JOB_PID.
expect_changed() {
	wait_for_log_since "$1" "started job $2 \[" 1
	wait_new_pid "$2" "$3" 1
	local new=$JOB_PID
	wait_for_pid_gone "$3" 2
	wait_exec "$new"
	has_env "$new" "V=$4" || fail "step $STEP: changed job $2 [$new] does not have V=$4"
	JOB_PID=$new
}

# expect_removed MARK NAME PID: NAME stopped and gone.
expect_removed() {
	wait_for_log_since "$1" "stopping job $2 \[$3\]" 1
	wait_for_pid_gone "$3" 2
}

STEP=0
gen keep chg:1 >"$CONF"
start_pmtr
wait_job keep
K=$JOB_PID
wait_job chg
C=$JOB_PID
wait_for_log "$CONF: 2 jobs"

# ---- in place, first save: add, change, keep (lines shifted by a comment)
STEP=1
m=$(log_lines)
save_inplace keep chg:2 add1
expect_added "$m" add1
A1=$JOB_PID
expect_changed "$m" chg "$C" 2
C=$JOB_PID
expect_same keep "$K"
wait_for_log_since "$m" "$CONF changed: reloading"
wait_for_log_since "$m" "$CONF: 3 jobs"
ok "in-place save 1: added job runs within 1 s, changed job restarted with its new env, unchanged job kept"

# ---- in place, second save: remove one, add one
STEP=2
m=$(log_lines)
save_inplace keep chg:2 add2
expect_added "$m" add2
A2=$JOB_PID
expect_removed "$m" add1 "$A1"
expect_same keep "$K"
expect_same chg "$C"
ok "in-place save 2: added job runs, removed job stopped, unchanged jobs kept"

# ---- rename over the file, twice (also reorders: keep moves last)
STEP=3
m=$(log_lines)
save_rename chg:3 add2 add3 keep
expect_added "$m" add3
A3=$JOB_PID
expect_changed "$m" chg "$C" 3
C=$JOB_PID
expect_same keep "$K"
expect_same add2 "$A2"
ok "rename save 1: added job runs, changed job restarted, moved job kept"

STEP=4
m=$(log_lines)
save_rename chg:3 add3 keep add4
expect_added "$m" add4
A4=$JOB_PID
expect_removed "$m" add2 "$A2"
expect_same keep "$K"
expect_same chg "$C"
expect_same add3 "$A3"
ok "rename save 2: added job runs, removed job stopped, others kept"

# ---- a save that does not parse: errors logged, running configuration kept
STEP=5
m=$(log_lines)
m5=$m
printf 'job {\n  name broken\n  bogus keyword\n  cmd /bin/sleep 300\n}\n' >"$T/next"
cat "$T/next" >"$CONF"
wait_for_log_since "$m" "$CONF:3: " 2
wait_for_log_since "$m" "$CONF: invalid, keeping the running configuration" 2
STEP=6
m=$(log_lines)
printf 'job {\n  name broken\n  cmd /bin/sleep 300\n  nice lots\n}\n' >"$CONF.tmp"
mv -f "$CONF.tmp" "$CONF"
wait_for_log_since "$m" "$CONF:4: " 2
wait_for_log_since "$m" "$CONF: invalid, keeping the running configuration" 2
for j in keep:$K chg:$C add3:$A3 add4:$A4; do expect_same "${j%%:*}" "${j#*:}"; done
[ "$(job_starts broken)" = 0 ] || fail "a job of the invalid file was started"
assert_no_log_since "$m5" "stopping job" "an invalid save stops nothing"
ok "invalid saves (in place and by rename): FILE:LINE logged, every job keeps its pid"

# ---- the next valid save is applied again
STEP=7
m=$(log_lines)
save_inplace chg:3 add3 keep add4 add5
expect_added "$m" add5
for j in keep:$K chg:$C add3:$A3 add4:$A4; do expect_same "${j%%:*}" "${j#*:}"; done
ok "a valid save after invalid ones is applied (only the new job started)"

# ---- the file disappears: logged, jobs kept; it comes back: applied
STEP=8
m=$(log_lines)
rm -f "$CONF"
wait_for_log_since "$m" "$CONF.*No such file or directory" 2
for j in keep:$K chg:$C add3:$A3 add4:$A4; do expect_same "${j%%:*}" "${j#*:}"; done
ok "a deleted file is logged and the running jobs are kept"
STEP=9
m=$(log_lines)
save_rename chg:3 add3 keep add4 add5 add6
expect_added "$m" add6
for j in keep:$K chg:$C add3:$A3 add4:$A4; do expect_same "${j%%:*}" "${j#*:}"; done
ok "the file written again after a delete is applied"

# ---- a slow in-place save: while the file is truncated and still open for writing,
# another file of the directory changes (an editor's swap file, a temp file). The
# half-written file must not be applied: nothing happens until the save completes.
# The barrier cannot be a SIGHUP, which reads the file now: two jobs that are
# not checked below are killed in turn. pmtr handles each exit in a turn of its
# loop no earlier than the inotify event of the swap file, queued before; the
# second exit, once the first is logged, after the rest of that turn.
STEP=10
m=$(log_lines)
gen chg:3 add3 keep add4 add5 add6 add7 >"$T/next"
exec 9>"$CONF"
echo swap >"$T/.pmtr.conf.swp"
for j in add5 add6; do
	p=$(job_pid "$j")
	kill -KILL "$p"
	wait_for_log_since "$m" "job $j \[$p\] exited after"
done
assert_no_log_since "$m" "stopping job" "a half-written file is not applied when another file of its directory changes"
cat "$T/next" >&9
exec 9>&-
expect_added "$m" add7
for j in keep:$K chg:$C add3:$A3 add4:$A4; do expect_same "${j%%:*}" "${j#*:}"; done
ok "a slow in-place save is applied once complete; unchanged jobs kept"

# ---- SIGHUP re-reads the file now
STEP=11
n=$(log_count "$CONF: 7 jobs")
kill -HUP "$PMTR_PID"
wait_for_log_count "$CONF: 7 jobs" $((n + 1)) 2
for j in keep:$K chg:$C add3:$A3 add4:$A4; do expect_same "${j%%:*}" "${j#*:}"; done
ok "SIGHUP re-reads the configuration; unchanged jobs are kept"

# ---- an emptied file stops every job
STEP=12
m=$(log_lines)
: >"$CONF"
wait_for_log_since "$m" "$CONF: 0 jobs" 2
for p in $K $C $A3 $A4; do wait_for_pid_gone "$p" 3; done
ok "emptying the file stops every job"
[ "$(job_starts keep)" = 1 ] || fail "job keep was started $(job_starts keep) times"
ok "job keep ran under one pid through 10 saves"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
