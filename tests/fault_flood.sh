#!/bin/bash
# fault_flood.sh: jobs flooding stdout with no newline (5 MB), with 1 MiB lines and with binary bytes: pmtr's memory stays bounded, lines are cut at 1024 bytes, nothing is lost, the log stays free of control bytes. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

TEST_TIMEOUT=60
export LC_ALL=C
# pmtr's memory may not grow with the length of a line: its peak resident size
# (VmHWM) must stay under this many KiB.
RSS_MAX_KB=20480

head -c 2000000 /dev/urandom >"$T/rand.bin"
write_conf <<EOF
job {
  name nonl
  cmd /bin/sh -c "head -c 5000000 /dev/zero | tr '\\\\0' a"
  once
}
job {
  name mib
  cmd /bin/sh -c "for i in 1 2 3; do head -c 1048576 /dev/zero | tr '\\\\0' b; echo; done; echo mib-done"
  once
}
job {
  name bin
  cmd /bin/cat $T/rand.bin
  once
}
job {
  name ctrl
  cmd /bin/sh -c "head -c 1500 /dev/zero | tr '\\\\0' '\\\\001'; echo; echo ctrl-done"
  once
}
job {
  name edge
  cmd /bin/sh -c "head -c 1024 /dev/zero | tr '\\\\0' x; /bin/sleep 0.3; echo; echo edge-done"
  once
}
EOF

# The checks below are independent: each failure is reported, the test fails at the end.
FAILS=0
check_fail() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }

hwm() { status_field "$PMTR_PID" VmHWM | sed 's/ kB//'; }
rss() { status_field "$PMTR_PID" VmRSS | sed 's/ kB//'; }
# payloads JOB PID: the text of each log line of that job, one per line
payloads() { sed -n "s/^pmtr\[[0-9]*\]: $1\[$2\]: //p" "$LOG"; }

start_pmtr
wait_job nonl
NONL=$JOB_PID
wait_job mib
MIB=$JOB_PID
wait_job bin
BIN=$JOB_PID
wait_job ctrl
CTRL=$JOB_PID
wait_job edge
EDGE=$JOB_PID
peak_rss=0
deadline=$(($(now_ms) + 30000))
while [ "$(log_count "is once: not restarting")" -lt 5 ]; do
	r=$(rss)
	[ -n "$r" ] && [ "$r" -gt "$peak_rss" ] && peak_rss=$r
	[ "$(now_ms)" -ge "$deadline" ] && fail "the flooding jobs did not all end within 30 s"
	_check_pmtr_alive "the flooding jobs to end"
	sleep 0.05
done
h=$(hwm)
say "pmtr's resident size: peak sampled $peak_rss kB, VmHWM $h kB"
[ "$h" -lt "$RSS_MAX_KB" ] || fail "pmtr's peak resident size is $h kB after the floods (bound: $RSS_MAX_KB kB)"
ok "memory bounded: VmHWM $h kB < $RSS_MAX_KB kB"

# ---- 5 MB without a newline: lines of 1024 bytes, the rest at exit, nothing lost
f=$FAILS
payloads nonl "$NONL" >"$T/nonl.txt"
lines=$(wc -l <"$T/nonl.txt")
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$T/nonl.txt")
total=$(tr -d '\n' <"$T/nonl.txt" | wc -c)
others=$(grep -vc '^a*$' "$T/nonl.txt")
[ "$longest" = 1024 ] || check_fail "no-newline flood: longest logged line has $longest bytes, expected 1024"
[ "$total" = 5000000 ] || check_fail "no-newline flood: $total bytes logged of 5000000"
[ "$others" = 0 ] || check_fail "no-newline flood: $others lines that are not all 'a'"
[ "$lines" = $(((5000000 + 1023) / 1024)) ] || check_fail "no-newline flood: $lines lines, expected $(((5000000 + 1023) / 1024))"
[ "$FAILS" = "$f" ] && ok "5 MB with no newline: $lines lines of at most 1024 bytes, all 5000000 bytes logged"

# ---- three lines of 1 MiB: each cut into 1024 lines of 1024 bytes, no empty line between
f=$FAILS
payloads mib "$MIB" >"$T/mib.txt"
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$T/mib.txt")
total=$(grep '^b*$' "$T/mib.txt" | tr -d '\n' | wc -c)
[ "$longest" = 1024 ] || check_fail "1 MiB lines: longest logged line has $longest bytes, expected 1024"
[ "$total" = $((3 * 1048576)) ] || check_fail "1 MiB lines: $total bytes logged of $((3 * 1048576))"
tail -n 1 "$T/mib.txt" | grep -qx mib-done || check_fail "1 MiB lines: the line after them is missing"
empty=$(grep -c '^$' "$T/mib.txt")
[ "$empty" = 0 ] || check_fail "1 MiB lines: $empty empty log lines (a line of exactly 1 MiB = 1024 x 1024 bytes must give 1024 lines, not one more)"
[ "$FAILS" = "$f" ] && ok "three 1 MiB lines: $(wc -l <"$T/mib.txt") lines of 1024 bytes, nothing lost"

# ---- exactly 1024 bytes, then the newline later in a separate write: one line, not two
f=$FAILS
payloads edge "$EDGE" >"$T/edge.txt"
[ "$(sed -n 1p "$T/edge.txt" | wc -c)" = 1025 ] || check_fail "1024-byte line: first logged line is not the 1024 bytes"
[ "$(sed -n 2p "$T/edge.txt")" = edge-done ] ||
	check_fail "a line of exactly 1024 bytes whose newline came in a later write was logged as $(wc -l <"$T/edge.txt") lines: $(sed -n 2p "$T/edge.txt" | head -c 40 | sed 's/^$/(an empty line)/') ... (expected the 1024 bytes, then edge-done)"
[ "$FAILS" = "$f" ] && ok "a line of exactly 1024 bytes whose newline arrives late is one log line"

# ---- 1500 control bytes: 1024 + 476, each shown as \x01, none dropped
f=$FAILS
payloads ctrl "$CTRL" >"$T/ctrl.txt"
esc=$(grep -o '\\x01' "$T/ctrl.txt" | wc -l)
first=$(sed -n 1p "$T/ctrl.txt" | grep -o '\\x01' | wc -l)
[ "$esc" = 1500 ] ||
	check_fail "1500 bytes 0x01: $esc shown as \\x01 (first line: $first, $(sed -n 1p "$T/ctrl.txt" | wc -c) characters), expected all 1500: a line of escaped bytes is cut short"
[ "$first" = 1024 ] || check_fail "1500 bytes 0x01: the first line shows $first of them, expected 1024"
grep -qx ctrl-done "$T/ctrl.txt" || check_fail "control bytes: the next line is missing"
[ "$FAILS" = "$f" ] && ok "1500 control bytes: 1024 + 476 shown as \\x01, none lost"

# ---- 2 MB of random bytes: every line at most 1024 input bytes, no control byte in the log
f=$FAILS
payloads bin "$BIN" >"$T/bin.txt"
# raw length of a logged line: each \xHH stands for one byte
over=$(awk '{ s = $0; n = gsub(/\\x[0-9a-f][0-9a-f]/, "", s); if (length($0) - 3 * n > 1024) c++ } END { print c + 0 }' "$T/bin.txt")
[ "$over" = 0 ] || check_fail "random bytes: $over logged lines stand for more than 1024 bytes of output"
nls=$(tr -cd '\n' <"$T/rand.bin" | wc -c)
lines=$(wc -l <"$T/bin.txt")
[ "$lines" -ge "$nls" ] || check_fail "random bytes: $lines lines logged for $nls newlines in the output"
ctl_bytes=$(grep -a "bin\[$BIN\]: " "$LOG" | tr -d '\n\t' | tr -cd '\000-\037\177' | wc -c)
[ "$ctl_bytes" = 0 ] || check_fail "random bytes: $ctl_bytes raw control bytes (NUL, ESC, CR, ...) in the log"
[ "$FAILS" = "$f" ] && ok "2 MB of random bytes: $lines lines, each of at most 1024 bytes of output, no raw control byte in the log"

pid_running "$PMTR_PID" || fail "pmtr died"
[ "$FAILS" = 0 ] || fail "$FAILS of the output checks failed (see above)"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
