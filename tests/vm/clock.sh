#!/bin/bash
# clock.sh: scheduled jobs when the wall clock is stepped, in a QEMU VM where the test may set the clock (tests/vm/clock-in-vm.sh). SPDX-License-Identifier: MIT
#
# Skipped (77) without qemu-system-x86_64, a readable /boot/vmlinuz-* or busybox
# (apt-get install qemu-system-x86 linux-image-amd64 busybox-static).
VM_TIMEOUT=${VM_TIMEOUT:-60}
# the VM's timeout, another VM test's run that it may wait for, and the build
TEST_TIMEOUT=${TEST_TIMEOUT:-$((2 * VM_TIMEOUT + 60))}
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$TESTS_SRCDIR/lib.sh"

VM=$TESTS_SRCDIR/vm
PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
export PMTR PMTRCTL

bash "$VM/run-in-vm.sh" -t "$VM_TIMEOUT" "$VM/clock-in-vm.sh"
rc=$?
case $rc in
0 | 1 | 77) exit "$rc" ;;
*) fail "the VM test ended with status $rc" ;;
esac
