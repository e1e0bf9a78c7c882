#!/bin/bash
# logfile.sh: log files written by pmtr: every line there, in order, across rotations by size (plain and gzip'd), timestamps, time rotation, owner and mode, a missing directory, a removed file, pmtrctl reopen, live edits, reexec, and a job that owns its log directory planting symbolic links. SPDX-License-Identifier: MIT
TEST_TIMEOUT=${TEST_TIMEOUT:-120}
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
command -v gzip >/dev/null || skip "no gzip(1)"
SOCK=$T/ctl.sock
export TZ=UTC0
PMTR_LAUNCH=(env --default-signal TZ=UTC0)
ctl() { run_cmd 15 "$PMTRCTL" -s "$SOCK" "$@"; }
L=$T/logs
mkdir -p "$L"

# all_lines BASE: the lines of BASE's rotated files, oldest first, then BASE's.
all_lines() {
	local i f
	for ((i = 200; i >= 1; i--)); do
		f=$1.$i
		if [ -f "$f.gz" ]; then gzip -dc "$f.gz"; elif [ -f "$f" ]; then cat "$f"; fi
	done
	cat "$1" 2>/dev/null
}

# numbers N FILE...: the file's lines are exactly "n 0" ... "n N-1".
numbered() {
	local n=$1 got
	got=$(cat)
	[ "$(printf '%s\n' "$got" | wc -l)" = "$n" ] ||
		fail "expected $n lines, got $(printf '%s\n' "$got" | wc -l): first $(printf '%s\n' "$got" | head -2 | tr '\n' '|') last $(printf '%s\n' "$got" | tail -2 | tr '\n' '|')"
	cmp -s <(printf '%s\n' "$got") <(seq 0 $((n - 1)) | sed 's/^/n /; s/$/ padding to make a line of a decent length/') ||
		fail "the lines are not n 0 ... n $((n - 1)) in order: $(diff <(printf '%s\n' "$got") <(seq 0 $((n - 1)) | sed 's/^/n /; s/$/ padding to make a line of a decent length/') | head -5)"
}

script burst.sh <<EOF
#!/bin/sh
# \$1 lines as fast as the shell goes, then it waits
seq 0 \$((\$1 - 1)) | sed 's/^/n /; s/\$/ padding to make a line of a decent length/'
touch "\$2"
exec /bin/sleep 300
EOF

write_conf <<EOF
job {
  name sized
  cmd $T/burst.sh 20000 $T/sized.done
  log file $L/sized.log
  log rotate size 64K keep 100
}
job {
  name packed
  cmd $T/burst.sh 20000 $T/packed.done
  log file $L/packed.log
  log rotate size 64K keep 100 compress
}
job {
  name stamped
  cmd /bin/sh -c "echo first; echo second; exec /bin/sleep 300"
  log file $L/stamped.log
  log timestamps
}
job {
  name plain
  cmd /bin/sh -c "echo to pmtr; exec /bin/sleep 300"
}
EOF
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_for_file "$SOCK"
wait_for_file "$T/sized.done" 20
wait_for_file "$T/packed.done" 20
wait_until 10 "sized.log to hold the last line" eval 'tail -n 1 "$L/sized.log" 2>/dev/null | grep -q "^n 19999 "'
all_lines "$L/sized.log" | numbered 20000
big=$(find "$L" -name 'sized.log*' -size +64k | head -1)
[ -z "$big" ] || fail "$big is larger than the rotation size 64K"
n=$(ls "$L"/sized.log.* | wc -l)
[ "$n" -ge 12 ] || fail "only $n rotated files for about 1.1 MB at 64K each"
ok "size rotation: 20000 lines in $((n + 1)) files, in order, none lost or split, none over 64K"
wait_until 20 "every rotated file of packed to be compressed" \
	eval '[ -z "$(ls "$L"/packed.log.* | grep -v "\.gz$")" ] && tail -n 1 "$L/packed.log" | grep -q "^n 19999 "'
all_lines "$L/packed.log" | numbered 20000
ok "compress: the rotated files are gzip'd ($(ls "$L"/packed.log.*.gz | wc -l)), every line there"
[ "$(stat -c %a "$L/sized.log")" = 640 ] || fail "sized.log has mode $(stat -c %a "$L/sized.log"), expected 640"
ok "mode 0640"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\+00:00 first$' "$L/stamped.log" ||
	fail "no timestamped first line in stamped.log: $(head -2 "$L/stamped.log")"
ok "log timestamps: $(head -1 "$L/stamped.log")"
assert_no_log "stamped\[[0-9]*\]: first"
assert_log "plain\[[0-9]*\]: to pmtr"
ctl logs -n 5 stamped
grep -q "first" "$T/out" || fail "pmtrctl logs stamped does not show its lines: $(cat "$T/out")"
ok "a log file's lines are not in pmtr's log, but pmtrctl logs shows them"

# pmtrctl reopen: a logrotate that moved the file
P=$(job_pid stamped)
mv "$L/stamped.log" "$L/stamped.log.moved"
ctl reopen stamped
[ "$RC" = 0 ] || fail "pmtrctl reopen stamped: exit status $RC: $(cat "$T/err")"
wait_for_file "$L/stamped.log" 3
ctl restart stamped
wait_until 5 "the new stamped.log to get the next run's lines" grep -q " first$" "$L/stamped.log"
[ "$(wc -l <"$L/stamped.log.moved")" = 2 ] || fail "the moved file got lines after reopen: $(cat "$L/stamped.log.moved")"
ok "pmtrctl reopen makes the log file again by its name; the moved one keeps its lines"

# a file removed under pmtr is made again with the next lines
script talk.sh <<EOF
#!/bin/sh
i=0
while :; do echo "tick \$i"; i=\$((i + 1)); sleep 0.1; done
EOF
mark=$(log_lines)
cat >>"$CONF" <<EOF
job {
  name talk
  cmd $T/talk.sh
  log file $L/talk.log
}
EOF
wait_job talk
TALK=$JOB_PID
wait_for_file "$L/talk.log"
rm "$L/talk.log"
wait_until 5 "talk.log to be made again" test -s "$L/talk.log"
ok "a removed log file is made again"

# live edits: rotation and a new path, the same process
mark=$(log_lines)
sed -i "s|  log file $L/talk.log|  log file $L/talk2.log\n  log rotate every 1s keep 3|" "$CONF"
wait_for_log_since "$mark" "job talk \[$TALK\]: applied log file, log rotate" 5
wait_until 5 "talk2.log to get lines" test -s "$L/talk2.log"
wait_until 6 "talk2.log to be rotated by time" test -s "$L/talk2.log.1"
[ "$(job_pid talk)" = "$TALK" ] && pid_running "$TALK" || fail "job talk was restarted by an edit of its log settings"
ok "an edit moves the log file and rotates by time, the job left running"

# reexec keeps the open file and its size accounting: the rotation goes on
ctl reexec
[ "$RC" = 0 ] || fail "pmtrctl reexec: exit status $RC: $(cat "$T/err")"
last=$(tail -n 1 "$L/talk2.log" 2>/dev/null)
wait_until 5 "talk2.log to get lines after reexec" eval '[ "$(tail -n 1 "$L/talk2.log" 2>/dev/null)" != "$last" ]'
pid_running "$TALK" || fail "job talk is gone after reexec"
ok "reexec: the log file and its rotation go on"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked "no process left after the first pmtr"

# a missing directory fails the start, which is retried
write_conf <<EOF
job {
  name later
  cmd /bin/sh -c "echo arrived; exec /bin/sleep 300"
  log file $L/later/later.log
  restart delay 1
}
EOF
start_pmtr
wait_for_log "job later failed to start: log file directory $L/later: No such file or directory" 5
mkdir "$L/later"
wait_job later 5
wait_until 5 "later.log to get its line" grep -q arrived "$L/later/later.log"
ok "a missing log directory fails the start, retried until it is there"
stop_pmtr TERM
assert_no_marked "no process left after the second pmtr"

if [ "$(id -u)" != 0 ]; then
	say "not root: the ownership and symbolic link checks need it"
	exit 0
fi
# A job that owns its log directory: the file is its own; a planted symlink is
# not followed; a rotation moves planted links, never what they point to.
OUT=$T/outside
mkdir -p "$OUT" "$T/own"
chmod 755 "$T"
echo secret >"$OUT/target"
chown nobody "$T/own"
ln -s "$OUT/target" "$T/own/app.log.2"
ln -s "$OUT/target" "$T/own/app.log.3"
write_conf <<EOF
job {
  name app
  user nobody
  cmd $T/burst.sh 3000 $T/own/done
  log file $T/own/app.log
  log rotate size 16K keep 3
}
job {
  name trap
  cmd /bin/sh -c "echo must not reach the target; exec /bin/sleep 300"
  log file $T/own/trap.log
  restart delay 60
}
job {
  name linked
  cmd /bin/sh -c "echo must not reach the target; exec /bin/sleep 300"
  log file $T/own/linked.log
  restart delay 60
}
EOF
ln -s "$OUT/target" "$T/own/trap.log"
ln "$OUT/target" "$T/own/linked.log"
start_pmtr
wait_for_log "job trap failed to start: log file $T/own/trap.log: it is a symbolic link" 5
wait_for_log "job linked failed to start: log file $T/own/linked.log: it has other hard links" 5
wait_until 20 "app to write its lines" eval 'tail -n 1 "$T/own/app.log" 2>/dev/null | grep -q "^n 2999 "'
[ "$(cat "$OUT/target")" = secret ] || fail "the target outside the log directory was written: $(head -c 200 "$OUT/target")"
[ -f "$OUT/target" ] && [ ! -L "$OUT/target" ] || fail "the target outside was moved or removed"
[ "$(stat -c %U:%a "$T/own/app.log")" = nobody:640 ] ||
	fail "app.log is $(stat -c %U:%a "$T/own/app.log"), expected nobody:640"
ok "a job owning its log directory: its file is its own, planted symbolic and hard links are refused, their targets untouched"
stop_pmtr TERM
assert_no_marked "no process left after the third pmtr"

# A full disk: lines are dropped and counted, said in pmtr's log and among the
# job's lines, and writing resumes by itself once there is room. pmtr runs in a
# mount namespace of its own with a 256 KiB tmpfs, seen here through /proc/PID/root.
FULL=$T/full
mkdir -p "$FULL"
PMTR_LAUNCH=(unshare -m --propagation private sh -c 'mount -t tmpfs -o size=256k tmpfs "$0" && exec env --default-signal TZ=UTC0 "$@"' "$FULL")
write_conf <<EOF
job {
  name filler
  cmd /bin/sh -c "dd if=/dev/zero of=$FULL/fill bs=4k count=1000 2>/dev/null; touch $T/filled; while [ ! -e $T/free.now ]; do sleep 0.1; done; rm $FULL/fill; exec sleep 300"
}
job {
  name noisy
  cmd /bin/sh -c "while [ ! -e $T/filled ]; do sleep 0.1; done; i=0; while :; do echo noisy \$i; i=\$((i + 1)); sleep 0.05; done"
  log file $FULL/noisy.log
}
EOF
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_for_file "$SOCK"
wait_for_file "$T/filled" 10
wait_for_log "job noisy: [0-9]* lines\{0,1\} not written to $FULL/noisy.log: No space left on device" 5
ctl logs -n 50 noisy
grep -q "pmtr: [0-9]* lines\{0,1\} not written to $FULL/noisy.log: No space left on device" "$T/out" ||
	fail "pmtrctl logs noisy does not say that lines were not written: $(tail -3 "$T/out")"
ok "a full disk: lines counted and said, in pmtr's log and in pmtrctl logs"
touch "$T/free.now"
seen=/proc/$PMTR_PID/root$FULL/noisy.log
wait_until 5 "noisy.log to get lines again" eval 'grep -q "^noisy " "$seen" 2>/dev/null'
ok "writing resumes by itself once there is room ($(grep -c "^noisy " "$seen") lines)"
stop_pmtr TERM
assert_no_marked
exit 0
