#!/bin/bash
# include.sh: "include PATTERN": files appearing, edited, renamed, removed, editor droppings, errors, duplicate names, a ConfigMap swap, unsafe permissions, pmtr -t on the set. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

require_root
# As root pmtr refuses included files that others than root may write: create 0644.
umask 022
D=$T/conf.d
CM=$T/cm

# jobconf NAME V: a job block running sleep with env V=V.
jobconf() {
	printf 'job {\n  name %s\n  cmd /bin/sleep 300\n  env V=%s\n}\n' "$1" "$2"
}

# expect_same NAME PID: job NAME still runs under PID and was not started again.
expect_same() {
	[ "$(job_pid "$1")" = "$2" ] || fail "$STEP: job $1 was restarted ($2 -> $(job_pid "$1"))"
	pid_running "$2" || fail "$STEP: job $1 [$2] is no longer running"
}
# same_all NAME:PID...
same_all() { local j; for j in "$@"; do expect_same "${j%%:*}" "${j#*:}"; done; }

# expect_started MARK NAME V: job NAME started after MARK, runs with env V=V; sets JOB_PID.
expect_started() {
	wait_for_log_since "$1" "started job $2 \[" 2
	JOB_PID=$(job_pid "$2")
	wait_until 3 "job $2 [$JOB_PID] to exec sleep" grep -qx sleep /proc/"$JOB_PID"/comm
	has_env "$JOB_PID" "V=$3" || fail "$STEP: job $2 [$JOB_PID] does not have V=$3"
}

# expect_stopped MARK NAME PID
expect_stopped() {
	wait_for_log_since "$1" "stopping job $2 \[$3\]" 2
	wait_for_pid_gone "$3" 2
}

# reloaded MARK N: a reload after MARK applied a set of N jobs.
reloaded() { wait_for_log_since "$1" "$CONF: $2 jobs\?\(; .*\)\?\$" 2; }

# invalid MARK: a reload after MARK was refused.
invalid() { wait_for_log_since "$1" "$CONF: invalid, keeping the running configuration" 2; }

# A ConfigMap volume as the kubelet writes it: the files live in a timestamped
# directory, "..data" links to it, and each visible name links through "..data".
mkdir -p "$CM/..2024_a"
jobconf cmjob 1 >"$CM/..2024_a/a.conf"
ln -s ..2024_a "$CM/..data"
ln -s ..data/a.conf "$CM/a.conf"

cat >"$CONF" <<EOF
include $D/*.conf
include $CM/*.conf
include $T/late1/*.conf
include $T/late2/*.conf
include $T/late3/*.conf
job {
  name main
  cmd /bin/sleep 300
}
EOF

# ---- (j) pmtr -t on the set; a main file writable by others is a warning only
run_cmd 5 "$PMTR" -t -v -c "$CONF"
[ "$RC" = 0 ] || fail "pmtr -t -v with the include directories missing: exit $RC: $(cat "$T/out" "$T/err")"
grep -q "^$CONF: 2 jobs in 2 files, configuration ok\$" "$T/out" ||
	fail "pmtr -t -v: expected '$CONF: 2 jobs in 2 files, configuration ok', got: $(cat "$T/out" "$T/err")"
ok "pmtr -t -v with the include directory missing: valid, '2 jobs in 2 files'"
chmod 646 "$CONF"
run_cmd 5 "$PMTR" -t -c "$CONF"
[ "$RC" = 0 ] || fail "pmtr -t on a main file writable by others: exit $RC, expected 0: $(cat "$T/out" "$T/err")"
grep -q "^$CONF: warning: it is writable by others" "$T/err" ||
	fail "pmtr -t on a main file mode 646: no 'warning: it is writable by others' on stderr: $(cat "$T/out" "$T/err")"
ok "pmtr -t: a main file writable by others gets a warning, exit 0"
chmod 644 "$CONF"
run_cmd 5 "$PMTR" -t -c "$CONF"
grep -q "warning" "$T/out" "$T/err" && fail "pmtr -t warns on a main file mode 644: $(cat "$T/err")"

# ---- (a) the include directory does not exist yet, then appears with a file
STEP=a
start_pmtr
wait_job main
M=$JOB_PID
wait_job cmjob
CMJ=$JOB_PID
reloaded 0 2
assert_no_log "invalid" "a missing include directory is valid"
m=$(log_lines)
mkdir "$D"
jobconf a 1 >"$D/a.conf"
expect_started "$m" a 1
A=$JOB_PID
reloaded "$m" 3
same_all main:"$M" cmjob:"$CMJ"
ok "(a) the include directory created with a file: its job started"
LATE=()
# again with three more directories: the file is written right after the mkdir,
# while pmtr may be reading the new directory
for i in 1 2 3; do
	m=$(log_lines)
	mkdir "$T/late$i"
	jobconf "late$i" 1 >"$T/late$i/x.conf"
	expect_started "$m" "late$i" 1
	LATE[i]=$JOB_PID
done
reloaded "$m" 6
ok "(a) three more include directories created each with a file: their jobs started"
m=$(log_lines)
rm -r "$T/late1" "$T/late2" "$T/late3"
for i in 1 2 3; do expect_stopped "$m" "late$i" "${LATE[i]}"; done
reloaded "$m" 3
same_all main:"$M" cmjob:"$CMJ" a:"$A"
ok "(a) the include directories removed: their jobs stopped"

# ---- (b) a second file; an edit in place restarts only the job it changes
STEP=b
m=$(log_lines)
jobconf b 1 >"$D/b.conf"
expect_started "$m" b 1
B=$JOB_PID
same_all main:"$M" a:"$A"
ok "(b) a second file: its job started, the others kept"
m=$(log_lines)
jobconf a 2 >"$T/next"
cat "$T/next" >"$D/a.conf"
expect_stopped "$m" a "$A"
expect_started "$m" a 2
A=$JOB_PID
reloaded "$m" 4
same_all main:"$M" b:"$B" cmjob:"$CMJ"
ok "(b) a file edited in place: its job restarted with the new env, the others kept"

# ---- (c) renamed out of the pattern and back
STEP=c
m=$(log_lines)
mv "$D/a.conf" "$D/a.conf.off"
expect_stopped "$m" a "$A"
reloaded "$m" 3
same_all main:"$M" b:"$B"
ok "(c) a.conf renamed to a.conf.off: its job stopped"
m=$(log_lines)
mv "$D/a.conf.off" "$D/a.conf"
expect_started "$m" a 2
A=$JOB_PID
same_all main:"$M" b:"$B"
ok "(c) renamed back: its job started"

# ---- (d) a file removed
STEP=d
m=$(log_lines)
rm "$D/b.conf"
expect_stopped "$m" b "$B"
reloaded "$m" 3
same_all main:"$M" a:"$A" cmjob:"$CMJ"
ok "(d) b.conf removed: its job stopped, the others kept"

# ---- (e) editor droppings next to the files are not read; then a real change
STEP=e
m=$(log_lines)
printf 'garbage {\n\001\002 not a configuration\n' >"$D/.a.conf.swp"
printf 'garbage {\n' >"$D/a.conf~"
printf 'more garbage\n' >>"$D/.a.conf.swp"
jobconf c 1 >"$D/c.conf"
expect_started "$m" c 1
C=$JOB_PID
reloaded "$m" 4
n=$(tail -n +"$((m + 1))" "$LOG" | grep -c " changed: reloading")
# the reload names the file that changed, not the main file
assert_log "$D/c.conf changed: reloading" "(e) the reload names $D/c.conf"
[ "$n" = 1 ] || fail "(e) $n reloads after the swap files and one real change, expected 1"
assert_no_log_since "$m" "invalid\|garbage" "(e) the swap files were not read"
same_all main:"$M" a:"$A" cmjob:"$CMJ"
ok "(e) .a.conf.swp and a.conf~ ignored: the only reload is the real change"

# ---- (f) an error in an included file: FILE:LINE, everything kept; fixed: applied
STEP=f
m=$(log_lines)
printf 'job {\n  bogus keyword\n  name bad\n  cmd /bin/sleep 300\n}\n' >"$D/bad.conf"
wait_for_log_since "$m" "$D/bad.conf:2: " 2
invalid "$m"
same_all main:"$M" a:"$A" c:"$C" cmjob:"$CMJ"
[ "$(job_starts bad)" = 0 ] || fail "(f) a job of the invalid set was started"
assert_no_log_since "$m" "stopping job" "(f) an invalid included file stops nothing"
ok "(f) an error in an included file: '$D/bad.conf:2:' logged, every job kept"
run_cmd 5 "$PMTR" -t -c "$CONF"
[ "$RC" = 1 ] || fail "(j) pmtr -t with an error in an included file: exit $RC, expected 1"
grep -q "^$D/bad.conf:2: " "$T/out" "$T/err" || fail "(j) pmtr -t does not print '$D/bad.conf:2:': $(cat "$T/out" "$T/err")"
ok "(j) pmtr -t on a set with an error in an included file: exit 1, '$D/bad.conf:2:'"
m=$(log_lines)
jobconf bad 1 >"$T/next"
cat "$T/next" >"$D/bad.conf"
expect_started "$m" bad 1
BAD=$JOB_PID
reloaded "$m" 5
same_all main:"$M" a:"$A" c:"$C" cmjob:"$CMJ"
ok "(f) the fixed file is applied"
run_cmd 5 "$PMTR" -t -v -c "$CONF"
[ "$RC" = 0 ] || fail "(j) pmtr -t -v on the valid set: exit $RC: $(cat "$T/out" "$T/err")"
grep -q "^$CONF: 5 jobs in 5 files, configuration ok\$" "$T/out" ||
	fail "(j) pmtr -t -v: expected '$CONF: 5 jobs in 5 files, configuration ok', got: $(cat "$T/out" "$T/err")"
ok "(j) pmtr -t -v: '5 jobs in 5 files, configuration ok'"

# ---- (g) the same job name in two files
STEP=g
m=$(log_lines)
jobconf c 9 >"$D/dup.conf"
wait_for_log_since "$m" "$D/dup.conf:2: .*duplicate job name \"c\" (first at $D/c.conf:2)" 2
invalid "$m"
same_all main:"$M" a:"$A" c:"$C" bad:"$BAD"
ok "(g) a duplicate job name across files: error at the second, naming the first"
m=$(log_lines)
rm "$D/dup.conf"
reloaded "$m" 5
same_all main:"$M" a:"$A" c:"$C" bad:"$BAD" cmjob:"$CMJ"
ok "(g) the duplicate removed: the set is valid again, nothing restarted"

# ---- (h) a ConfigMap update: ..data swapped to a new directory atomically
STEP=h
m=$(log_lines)
mkdir "$CM/..2024_b"
jobconf cmjob 2 >"$CM/..2024_b/a.conf"
ln -s ..2024_b "$CM/..data_tmp"
mv -T "$CM/..data_tmp" "$CM/..data"
expect_stopped "$m" cmjob "$CMJ"
expect_started "$m" cmjob 2
CMJ=$JOB_PID
reloaded "$m" 5
rm -rf "$CM/..2024_a"
same_all main:"$M" a:"$A" c:"$C" bad:"$BAD"
ok "(h) ConfigMap swap of ..data: the job restarted with its new env"

# ---- (i) a group-writable included file is refused; chmod 644 alone applies it
STEP=i
m=$(log_lines)
chmod 664 "$D/c.conf"
wait_for_log_since "$m" "$D/c.conf: refused: it is writable by its group" 2
invalid "$m"
same_all main:"$M" a:"$A" c:"$C" bad:"$BAD" cmjob:"$CMJ"
ok "(i) chmod 664 on an included file: refused, every job kept"
m=$(log_lines)
chmod 644 "$D/c.conf"
reloaded "$m" 5
assert_no_log_since "$m" "invalid" "(i) chmod 644: valid again"
same_all main:"$M" a:"$A" c:"$C" bad:"$BAD" cmjob:"$CMJ"
ok "(i) chmod 644 alone: the file is read again, nothing restarted"
# a changed file put in place group-writable: refused; then chmod 644 applies it
m=$(log_lines)
jobconf c 2 >"$T/c.new"
chmod 664 "$T/c.new"
mv -f "$T/c.new" "$D/c.conf"
wait_for_log_since "$m" "$D/c.conf: refused: it is writable by its group" 2
invalid "$m"
same_all c:"$C"
m=$(log_lines)
chmod 644 "$D/c.conf"
expect_stopped "$m" c "$C"
expect_started "$m" c 2
C=$JOB_PID
reloaded "$m" 5
same_all main:"$M" a:"$A" bad:"$BAD" cmjob:"$CMJ"
ok "(i) a changed file refused while group-writable is applied by chmod 644 alone (job c restarted with V=2)"

# the directory of the included files group-writable: refused; chmod 755: valid again
m=$(log_lines)
chmod 775 "$D"
wait_for_log_since "$m" "$D/c.conf: refused: its directory $D is writable by its group" 2
invalid "$m"
same_all main:"$M" a:"$A" c:"$C" bad:"$BAD" cmjob:"$CMJ"
m=$(log_lines)
chmod 755 "$D"
reloaded "$m" 5
assert_no_log_since "$m" "refused" "(i) chmod 755 on the directory: accepted again"
same_all main:"$M" a:"$A" c:"$C" bad:"$BAD" cmjob:"$CMJ"
ok "(i) a group-writable include directory: refused, jobs kept; chmod 755: valid again"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
