#!/bin/bash
# spawn_fallback.sh: with clone3 refused (as Docker's seccomp profile does), with no close_range (Linux < 5.9), and with no shared-memory clone at all (jobs start by fork), jobs still start in the full execution context, in their cgroups, and a failed start still says why. SPDX-License-Identifier: MIT
# Nine other tests run inside this one, each under its own 60 s watchdog.
TEST_TIMEOUT=360
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

ENOSYS=$(helper enosys) || skip "cannot build tests/helpers/enosys"
"$ENOSYS" clone3,close_range /bin/true 2>"$T/probe" || skip "no seccomp filter here: $(cat "$T/probe")"

# Which way pmtr chose: its -v log says so.
write_conf <<EOF2
job {
  name a
  cmd /bin/sleep 300
}
EOF2
# LeakSanitizer stops the process with a CLONE_VM clone of its own: not under clone_vm.
ASAN_SAVED=${ASAN_OPTIONS:-}
lsan_off() { [ "$1" = clone_vm ] && echo "${ASAN_SAVED:+$ASAN_SAVED:}detect_leaks=0" || echo "$ASAN_SAVED"; }
for mode in clone3 close_range clone_vm; do
	export ASAN_OPTIONS; ASAN_OPTIONS=$(lsan_off $mode)
	PMTR_TEST_ENOSYS=$mode
	start_pmtr -v
	wait_job a
	case $mode in
	clone3) assert_log "spawn: clone3: Function not implemented" "without clone3: pmtr falls back to clone" ;;
	close_range) assert_no_log "jobs start by fork" "without close_range: pmtr still starts jobs in shared memory" ;;
	clone_vm) assert_log "spawn: clone: Function not implemented: jobs start by fork" "without a shared-memory clone: pmtr starts jobs by fork" ;;
	esac
	ok "without $mode: job a runs, pmtr says how it starts jobs"
	stop_pmtr TERM
done
PMTR_TEST_ENOSYS=
ASAN_OPTIONS=$ASAN_SAVED

# The tests of the execution context, of failed starts and of cgroups, again in
# each of those ways.
for mode in clone3 close_range clone_vm; do
	for t in exec_context start_fail fault_tree; do
		ASAN_OPTIONS=$(lsan_off $mode) PMTR_TEST_ENOSYS=$mode TEST_TIMEOUT=60 bash "$TESTS_SRCDIR/$t.sh" >"$T/$t.$mode.out" 2>&1
		rc=$?
		case $rc in
		0) ok "without $mode: $t.sh passes ($(grep -c '^ok - ' "$T/$t.$mode.out") checks)" ;;
		77) say "without $mode: $t.sh skipped: $(tail -n 1 "$T/$t.$mode.out")" ;;
		*) log_tail "$T/$t.$mode.out" 40; fail "without $mode: $t.sh failed (exit status $rc)" ;;
		esac
	done
done
exit 0
