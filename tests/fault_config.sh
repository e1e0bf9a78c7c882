#!/bin/bash
# fault_config.sh: the configuration file deleted, moved away, replaced by a directory or a FIFO, made unreadable, its directory removed and re-created: running jobs stay, the next good save applies. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

# chmod 000 does not stop root: as root, pmtr runs as uid/gid 65534 here (its jobs
# too), so that an unreadable file is unreadable to it.
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux) to run pmtr as a user"
	PMTR_LAUNCH=(setpriv --reuid=65534 --regid=65534 --clear-groups env --default-signal)
	use_pmtr_copy
fi
mkdir "$T/c"
CONF=$T/c/pmtr.conf

# gen NAME...: one /bin/sleep job per name.
gen() {
	local n
	echo "# step $STEP"
	for n in "$@"; do printf 'job {\n  name %s\n  cmd /bin/sleep 300\n}\n' "$n"; done
}
JOBS=(keep)
# save_new NAME: a good save (written aside, renamed into place) that adds job NAME.
save_new() {
	JOBS+=("$1")
	gen "${JOBS[@]}" >"$T/next"
	cp "$T/next" "$CONF.tmp"
	mv -f "$CONF.tmp" "$CONF"
}
# expect_kept: every job started so far runs under its first pid, none was stopped.
expect_kept() {
	local j p
	for j in "${JOBS[@]}"; do
		p=$(job_pid "$j")
		[ "$(job_starts "$j")" = 1 ] || fail "step $STEP: job $j was started $(job_starts "$j") times"
		pid_running "$p" || fail "step $STEP: job $j [$p] is no longer running"
	done
	assert_no_log "stopping job" "step $STEP: no job was stopped" >/dev/null
}
# cannot_read MARK REASON: the reload failure was logged with its reason.
cannot_read() {
	wait_for_log_since "$1" "cannot read $CONF, keeping the running configuration: $2\$" 3
}
# applied MARK NAME: the next good save applied: job NAME started.
applied() {
	wait_for_log_since "$1" "started job $2 \[" 3
	wait_for_log_since "$1" "$CONF: ${#JOBS[@]} jobs" 3
}

STEP=0
gen "${JOBS[@]}" >"$CONF"
chmod 644 "$CONF"
start_pmtr
wait_job keep

# ---- deleted
STEP=1
m=$(log_lines)
rm "$CONF"
cannot_read "$m" "No such file or directory"
expect_kept
m=$(log_lines)
save_new a1
applied "$m" a1
expect_kept
ok "deleted: logged, jobs kept; the next save applies"

# ---- moved away, then a changed copy moved back
STEP=2
m=$(log_lines)
mv "$CONF" "$T/c/moved.conf"
cannot_read "$m" "No such file or directory"
expect_kept
m=$(log_lines)
JOBS+=(a2)
gen "${JOBS[@]}" >"$T/c/moved.conf"
mv "$T/c/moved.conf" "$CONF"
applied "$m" a2
expect_kept
ok "moved away: logged, jobs kept; moved back changed: applied"

# ---- replaced by a directory
STEP=3
m=$(log_lines)
rm "$CONF"
mkdir "$CONF"
cannot_read "$m" "Is a directory"
expect_kept
m=$(log_lines)
rmdir "$CONF"
save_new a3
applied "$m" a3
expect_kept
ok "replaced by a directory: logged, jobs kept; the next save applies"

# ---- replaced by a FIFO (no writer: reading it must not hang pmtr)
STEP=4
m=$(log_lines)
rm "$CONF"
mkfifo -m 644 "$CONF"
cannot_read "$m" "Invalid argument"
expect_kept
kill -HUP "$PMTR_PID"
wait_for_log_since "$m" "pmtr: SIGHUP: reading $CONF" 3
m=$(log_lines)
rm "$CONF"
save_new a4
applied "$m" a4
expect_kept
ok "replaced by a FIFO: logged, pmtr not blocked, jobs kept; the next save applies"

# ---- made unreadable, then readable again, then a save
STEP=5
m=$(log_lines)
chmod 000 "$CONF"
cannot_read "$m" "Permission denied"
expect_kept
chmod 644 "$CONF"
m=$(log_lines)
save_new a5
applied "$m" a5
expect_kept
ok "made unreadable: logged, jobs kept; the next save applies"

# ---- its directory removed, then re-created with a new file at once (mkdir -p && cp)
STEP=6
m=$(log_lines)
rm -rf "$T/c"
cannot_read "$m" "No such file or directory"
expect_kept
m=$(log_lines)
JOBS+=(a6)
gen "${JOBS[@]}" >"$T/next"
mkdir "$T/c" && cp "$T/next" "$CONF"
applied "$m" a6
expect_kept
ok "directory removed: logged, jobs kept; re-created with a new file: applied"

# ---- and again, the directory removed and re-created, now slowly (file written later)
STEP=7
m=$(log_lines)
rm -rf "$T/c"
cannot_read "$m" "No such file or directory"
mkdir "$T/c"
sleep 0.3 # not a synchronisation: an operator's pause between mkdir and the copy
m=$(log_lines)
JOBS+=(a7)
gen "${JOBS[@]}" >"$T/next"
cp "$T/next" "$CONF"
applied "$m" a7
expect_kept
ok "directory re-created, file written a moment later: applied"

pid_running "$PMTR_PID" || fail "pmtr died"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
