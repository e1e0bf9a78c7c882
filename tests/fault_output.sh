#!/bin/bash
# fault_output.sh: a job's out file whose directory is removed while it runs; (root) on a read-only, a block-full and an inode-full filesystem: the failure is logged with its step and file, retried, pmtr and other jobs carry on, and the job starts once the fault is gone. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

# expect_start_fail NAME STEP-AND-REASON: at least two starts of NAME failed that way
# (so it was retried), each an exit with status 126.
expect_start_fail() {
	local name=$1 what=$2 pid
	wait_for_log_count "job $name \[[0-9]*\] failed to start: $what\$" 2 5
	pid=$(sed -n "s/.*job $name \[\([0-9]*\)\] failed to start: .*/\1/p" "$LOG" | tail -n 1)
	wait_for_log "job $name \[$pid\] exited after [0-9]* sec: exit status 126\$"
	ok "job $name: 'job $name [$pid] failed to start: $what', retried"
}

script ticker.sh <<'EOF'
#!/bin/sh
echo started
while :; do echo tick; /bin/sleep 0.1; done
EOF

# ---- the out file's directory removed while the job runs
mkdir "$T/d"
write_conf <<EOF
job {
  name good
  cmd /bin/sleep 300
}
job {
  name dirgone
  cmd $T/ticker.sh
  out $T/d/out.txt
  restart delay 500ms
  stop timeout 1
}
EOF
start_pmtr
wait_job good
G=$JOB_PID
wait_job dirgone
D=$JOB_PID
wait_until 3 "the job to write to $T/d/out.txt" grep -qs tick "$T/d/out.txt"
rm -rf "$T/d"
# the job goes on writing to its open (now unlinked) file; once it ends, its
# restart cannot open the file any more
kill -KILL "$D"
wait_for_log "job dirgone \[$D\] exited after"
expect_start_fail dirgone "stdout $T/d/out.txt: No such file or directory"
pid_running "$PMTR_PID" || fail "pmtr died"
[ "$(job_pid good)" = "$G" ] && pid_running "$G" || fail "job good was disturbed"
ok "pmtr and the other job carry on"
mkdir "$T/d"
wait_new_pid dirgone "$D" 3
wait_until 3 "the restarted job to write to the re-created $T/d/out.txt" grep -qs started "$T/d/out.txt"
ok "directory re-created: the job starts again and writes there"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked

# ---- (root) read-only, full and inode-less filesystems, in a private mount namespace
if [ "$(id -u)" != 0 ]; then
	say "not root: the read-only and full filesystem parts are not run"
	exit 0
fi
command -v nsenter >/dev/null || skip "needs nsenter (util-linux) for the filesystem parts"
unshare --mount --propagation private true 2>/dev/null ||
	skip "unshare --mount is not permitted here (needed for private filesystems)"

mkdir "$T/ro" "$T/full" "$T/noinode"
# ro: read-only tmpfs; full: 64 KiB tmpfs filled up; noinode: tmpfs with every inode used
PMTR_LAUNCH=(unshare --mount --propagation private sh -c '
	mount -t tmpfs -o ro,size=64k tmpfs "$1" &&
	mount -t tmpfs -o size=64k tmpfs "$2" &&
	mount -t tmpfs -o size=64k,nr_inodes=4 tmpfs "$3" || exit 99
	head -c 1048576 /dev/zero >"$2/filler" 2>/dev/null
	i=0; while [ $i -lt 20 ] && touch "$3/f$i" 2>/dev/null; do i=$((i + 1)); done
	shift 3
	exec env --default-signal "$@"' sh "$T/ro" "$T/full" "$T/noinode")
write_conf <<EOF
job {
  name good
  cmd /bin/sleep 300
}
job {
  name ro
  cmd /bin/sh -c "echo hello; exec /bin/sleep 300"
  out $T/ro/out.txt
  restart delay 500ms
}
job {
  name noinode
  cmd /bin/sh -c "echo hello; exec /bin/sleep 300"
  out $T/noinode/out.txt
  restart delay 500ms
}
job {
  name full
  cmd /bin/sh -c "head -c 10000 /dev/zero && exec /bin/sleep 300"
  out $T/full/out.txt
  restart delay 500ms
}
EOF
start_pmtr
wait_job good
G=$JOB_PID
# what pmtr sees, seen from here
NS=/proc/$PMTR_PID/root
[ -e "$NS$T/full/filler" ] || fail "test set-up: $T/full/filler missing in pmtr's namespace"

expect_start_fail ro "stdout $T/ro/out.txt: Read-only file system"
expect_start_fail noinode "stdout $T/noinode/out.txt: No space left on device"
# full: the file opens, the job's own writes fail; its error is logged, it is retried
wait_for_log "full\[[0-9]*\]: .*No space left on device"
wait_for_log_count "job full \[[0-9]*\] exited after 0 sec: exit status 1\$" 2 5
ok "job full: its write error is logged ($(grep -m1 'full\[[0-9]*\]: ' "$LOG" | sed 's/.*\]: //')), and it is retried"
pid_running "$PMTR_PID" || fail "pmtr died"
[ "$(job_pid good)" = "$G" ] && pid_running "$G" || fail "job good was disturbed"
n=$(log_count "job ro \[[0-9]*\] failed to start")
[ "$n" -le 12 ] || fail "job ro failed $n times in a few seconds with a 500 ms restart delay"
ok "pmtr and the other job carry on; retries are throttled"

# the faults go away: each job starts and writes its file
m=$(log_lines)
nsenter --mount="/proc/$PMTR_PID/ns/mnt" mount -o remount,rw "$T/ro" || fail "cannot remount $T/ro read-write"
rm -f "$NS$T/noinode/f0" "$NS$T/full/filler"
for j in ro noinode full; do
	wait_for_log_since "$m" "started job $j \[" 3
done
wait_until 3 "hello in $T/ro/out.txt" grep -qs hello "$NS$T/ro/out.txt"
wait_until 3 "hello in $T/noinode/out.txt" grep -qs hello "$NS$T/noinode/out.txt"
wait_until 3 "10000 bytes in $T/full/out.txt" eval '[ "$(stat -c %s "$NS$T/full/out.txt")" -ge 10000 ]'
for j in ro noinode full; do
	wait_job $j
	wait_until 3 "job $j to run /bin/sleep" grep -qx sleep /proc/"$JOB_PID"/comm
done
ok "once writable or freed, each job starts and writes its out file"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
