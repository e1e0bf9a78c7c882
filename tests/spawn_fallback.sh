#!/bin/bash
# spawn_fallback.sh: with clone3 refused (as Docker's seccomp profile does) and with close_range unable to unshare (Linux < 5.9), jobs still start in the full execution context, in their cgroups, and a failed start still says why. SPDX-License-Identifier: MIT
# Six other tests run inside this one, each under its own 60 s watchdog.
TEST_TIMEOUT=240
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
for mode in clone3 close_range; do
	PMTR_TEST_ENOSYS=$mode
	start_pmtr -v
	wait_job a
	case $mode in
	clone3) assert_log "spawn: clone3: Function not implemented" "without clone3: pmtr falls back to clone" ;;
	close_range) assert_log "spawn: close_range cannot unshare .*: jobs start by fork" "without close_range: pmtr falls back to fork" ;;
	esac
	ok "without $mode: job a runs, pmtr says how it starts jobs"
	stop_pmtr TERM
done
PMTR_TEST_ENOSYS=

# The tests of the execution context, of failed starts and of cgroups, again in
# each of those ways.
for mode in clone3 close_range; do
	for t in exec_context start_fail fault_tree; do
		PMTR_TEST_ENOSYS=$mode TEST_TIMEOUT=60 bash "$TESTS_SRCDIR/$t.sh" >"$T/$t.$mode.out" 2>&1
		rc=$?
		case $rc in
		0) ok "without $mode: $t.sh passes ($(grep -c '^ok - ' "$T/$t.$mode.out") checks)" ;;
		77) say "without $mode: $t.sh skipped: $(tail -n 1 "$T/$t.$mode.out")" ;;
		*) log_tail "$T/$t.$mode.out" 40; fail "without $mode: $t.sh failed (exit status $rc)" ;;
		esac
	done
done
exit 0
