#!/bin/bash
# resources.sh: cgroup v2 resource limits in a QEMU VM, where the memory, pids and cpu controllers can be delegated to pmtr (tests/vm/resources-in-vm.sh). SPDX-License-Identifier: MIT
#
# Skipped (77) without qemu-system-x86_64, a readable /boot/vmlinuz-* or busybox
# (apt-get install qemu-system-x86 linux-image-amd64 busybox-static). One run
# takes about 10 s without KVM.
VM_TIMEOUT=${VM_TIMEOUT:-50}
# the VM's timeout, another VM test's run that it may wait for, and the build
TEST_TIMEOUT=${TEST_TIMEOUT:-$((2 * VM_TIMEOUT + 60))}
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$TESTS_SRCDIR/lib.sh"

VM=$TESTS_SRCDIR/vm
PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
export PMTR PMTRCTL

# The memory hog, static so that the VM needs no more libraries (else run-in-vm.sh
# copies the ones ldd names).
${CC:-cc} -O2 -Wall -static -o "$T/alloc" "$VM/alloc.c" 2>"$T/cc.log" ||
	${CC:-cc} -O2 -Wall -o "$T/alloc" "$VM/alloc.c" 2>>"$T/cc.log" ||
	{ cat "$T/cc.log"; say "cannot build $VM/alloc.c"; exit 99; }

bash "$VM/run-in-vm.sh" -t "$VM_TIMEOUT" "$VM/resources-in-vm.sh" "$T/alloc"
rc=$?
case $rc in
0 | 1 | 77) exit "$rc" ;;
*) fail "the VM test ended with status $rc" ;;
esac
