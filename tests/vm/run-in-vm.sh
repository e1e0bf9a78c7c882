#!/bin/bash
# run-in-vm.sh: run a test script as root in a throwaway QEMU VM (the host's Debian kernel, busybox, pmtr), pmtr's cgroup delegated as by systemd. SPDX-License-Identifier: MIT
#
# usage: run-in-vm.sh [-t TIMEOUT_S] SCRIPT [FILE...]
#
# Builds an initramfs with busybox, $PMTR, $PMTRCTL, the FILEs (in /opt/) and the
# shared libraries all of them need (per ldd), SCRIPT as /opt/test.sh and
# tests/vm/vmlib.sh as /opt/vmlib.sh; boots it with qemu-system-x86_64 (TCG: no
# KVM, which hangs nested guests on some hosts) and streams the serial console to
# standard output. The VM's /init mounts cgroup2 with every controller enabled
# down to /sys/fs/cgroup/system.slice/pmtr.service (left empty for the script's
# start_pmtr_in_service) and runs the script in system.slice/test.scope, then
# prints "VMTEST-EXIT STATUS" and powers off.
#
# Exit status: the script's (0 pass, 1 fail, 77 skip, ...); 77 when qemu, a
# readable /boot/vmlinuz-* or busybox is missing; 1 when the VM never printed the
# marker (timeout, panic), with the last 40 lines of the console; 99 on a usage
# or set-up error.
#
# Environment: PMTR (default: src/pmtr of the build tree), PMTRCTL (default:
# pmtrctl next to $PMTR), VM_KERNEL (default: the newest /boot/vmlinuz-*),
# VM_LOG (also keep the console there), VM_QEMU_ARGS (more qemu arguments).
# ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS are passed on to the script: a
# sanitizer build of pmtr runs in the VM with its runtime libraries (copied as
# ldd names them).

set -u

ME=run-in-vm
HERE=$(cd "$(dirname "$0")" && pwd)
TIMEOUT=60

usage() {
	echo "usage: $ME.sh [-t TIMEOUT_S] SCRIPT [FILE...]" >&2
	exit 99
}
skip() {
	echo "SKIP - $ME: $*"
	exit 77
}
die() {
	echo "$ME: $*" >&2
	exit 99
}

while getopts t:h opt; do
	case $opt in
	t) TIMEOUT=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
case $TIMEOUT in '' | *[!0-9]*) die "bad timeout \"$TIMEOUT\" (expected seconds)" ;; esac
SCRIPT=$1
shift
[ -r "$SCRIPT" ] || die "cannot read $SCRIPT"

# ---- what the VM needs from the host --------------------------------------------

QEMU=$(command -v qemu-system-x86_64) || skip "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
if [ -n "${VM_KERNEL:-}" ]; then
	KERNEL=$VM_KERNEL
else
	KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$KERNEL" ] || skip "no /boot/vmlinuz-* (apt-get install linux-image-amd64)"
fi
[ -e "$KERNEL" ] || skip "no kernel $KERNEL"
[ -r "$KERNEL" ] || skip "cannot read the kernel $KERNEL (mode $(stat -c %a "$KERNEL"): run as root)"
BUSYBOX=$(command -v busybox) || skip "no busybox (apt-get install busybox-static)"
"$BUSYBOX" sh -c 'true' 2>/dev/null || skip "$BUSYBOX does not run"
command -v cpio >/dev/null || "$BUSYBOX" cpio --help 2>&1 | grep -q -- '-o' ||
	skip "no cpio to build the initramfs with"

top=$(cd "$HERE/../.." && pwd)
if [ -z "${PMTR:-}" ]; then
	for p in "$(pwd)/src/pmtr" "$top/src/pmtr"; do
		[ -x "$p" ] && { PMTR=$p; break; }
	done
	[ -n "${PMTR:-}" ] || die "PMTR is not set and there is no src/pmtr here (run through make check, or set PMTR)"
fi
case $PMTR in /*) ;; *) PMTR=$(pwd)/$PMTR ;; esac
PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}

# A libtool wrapper script stands in for a program linked with shared libraries
# of the build tree: take the real program from .libs.
real_program() {
	local p=$1 d b
	if [ "$(head -c 4 "$p" 2>/dev/null)" != $'\x7fELF' ]; then
		d=$(dirname "$p") b=$(basename "$p")
		for c in "$d/.libs/lt-$b" "$d/.libs/$b"; do
			[ -x "$c" ] && { echo "$c"; return 0; }
		done
	fi
	echo "$p"
}
for v in PMTR PMTRCTL; do
	[ -x "${!v}" ] || die "$v: ${!v} is not an executable"
	printf -v "$v" %s "$(real_program "${!v}")"
done

W=$(mktemp -d "${TMPDIR:-/tmp}/pmtr-vm.XXXXXX") || die "cannot make a temporary directory"
# qemu runs under timeout(1), so a signal here waits for it at most TIMEOUT s.
trap 'rm -rf "$W"' EXIT
trap 'echo "$ME: interrupted"; exit 1' INT TERM

# ---- the initramfs -------------------------------------------------------------

R=$W/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,opt,proc,sys,dev,tmp,run,root} || die "cannot populate $R"

# copy_libs PROGRAM: the shared libraries and the loader that ldd names, at the
# same paths (a static program has none).
copy_libs() {
	local line path
	ldd "$1" 2>/dev/null | while read -r line; do
		case $line in
		*'=> /'*) path=${line#*=> } ;;
		/*) path=$line ;;
		*) continue ;;
		esac
		path=${path%% (*}
		[ -e "$R$path" ] && continue
		mkdir -p "$R$(dirname "$path")" && cp -L "$path" "$R$path" || exit 1
	done || die "cannot copy the libraries of $1"
}

cp -L "$BUSYBOX" "$R/bin/busybox" || die "cannot copy $BUSYBOX"
copy_libs "$R/bin/busybox"
for p in "$PMTR" "$PMTRCTL"; do
	cp -L "$p" "$R/bin/$(basename "$p" | sed 's/^lt-//')" || die "cannot copy $p"
	copy_libs "$p"
done
for f in "$@"; do
	[ -e "$f" ] || die "no such file: $f"
	cp -L "$f" "$R/opt/" || die "cannot copy $f"
	[ "$(head -c 4 "$f")" = $'\x7fELF' ] && copy_libs "$f"
done
cp "$SCRIPT" "$R/opt/test.sh" || die "cannot copy $SCRIPT"
cp "$HERE/vmlib.sh" "$R/opt/vmlib.sh" || die "cannot copy $HERE/vmlib.sh"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"

sanitizer=none
if ldd "$PMTR" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	sanitizer="shared runtime libraries, copied"
elif grep -qa __asan_init "$PMTR"; then
	sanitizer="linked statically"
fi

# The script's environment: the programs, and the sanitizer options of the host.
{
	echo "PMTR=/bin/pmtr PMTRCTL=/bin/pmtrctl"
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -n "${!v:-}" ] && printf "%s='%s'\n" "$v" "$(printf %s "${!v}" | sed "s/'/'\\\\''/g")"
	done
	echo "export PMTR PMTRCTL ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS"
} >"$R/opt/env"

cat >"$R/init" <<'EOF'
#!/bin/busybox sh
# The VM's process 1: file systems, cgroups, then /opt/test.sh; powers off at the end.
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
export PATH=/opt:/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
# Kernel messages (the OOM killer's report) stay in dmesg, off the console.
dmesg -n 1
hostname vm

# Every controller, enabled down to system.slice's children, as systemd does for a
# service with Delegate=yes: pmtr.service's own subtree_control is pmtr's to write.
cg=/sys/fs/cgroup
ctrls=$(cat $cg/cgroup.controllers)
mkdir $cg/system.slice $cg/system.slice/test.scope $cg/system.slice/pmtr.service
for dir in $cg $cg/system.slice; do
	for c in $ctrls; do
		echo "+$c" >$dir/cgroup.subtree_control || echo "init: cannot enable $c in $dir"
	done
done
echo $$ >$cg/system.slice/test.scope/cgroup.procs
read -r up _ </proc/uptime
echo	# the firmware's last line has no newline
echo "VMTEST-START uptime=$up controllers=$(cat $cg/system.slice/pmtr.service/cgroup.controllers)"

. /opt/env
cd /tmp && sh /opt/test.sh
rc=$?
read -r up _ </proc/uptime
echo "VMTEST-EXIT $rc"
echo "VMTEST-END uptime=$up"
poweroff -f
reboot -f
EOF
chmod 755 "$R/init" "$R/opt/test.sh"

if command -v cpio >/dev/null; then
	(cd "$R" && find . | cpio -o -H newc --quiet >"$W/initrd") || die "cpio failed"
else
	(cd "$R" && find . | "$BUSYBOX" cpio -o -H newc >"$W/initrd" 2>/dev/null) || die "cpio failed"
fi

# ---- the run -------------------------------------------------------------------

# One VM at a time (make -j2 check runs the VM tests side by side): two guests
# under TCG on a 2-CPU machine starve each other past their timeouts. The lock
# is on the machine, not the build, so that two builds' checks wait too; its
# wait is bounded by the other VM's timeout.
exec 9>"${TMPDIR:-/tmp}/pmtr-vm-test.lock"
flock -w $((TIMEOUT + 30)) 9 || die "another VM test held ${TMPDIR:-/tmp}/pmtr-vm-test.lock for $((TIMEOUT + 30)) s"

echo "$ME: kernel $KERNEL, pmtr $PMTR (sanitizer: $sanitizer), initramfs $(($(stat -c %s "$W/initrd") / 1024)) KiB, timeout $TIMEOUT s"
CONSOLE=$W/console
t0=$(date +%s%N)
# -nographic: the serial console on standard output; no KVM (TCG), no network.
# shellcheck disable=SC2086
timeout -k 3 "$TIMEOUT" "$QEMU" -nographic -no-reboot -m 512M -smp 2 -nic none \
	-kernel "$KERNEL" -initrd "$W/initrd" \
	-append "console=ttyS0 panic=-1 quiet" ${VM_QEMU_ARGS:-} </dev/null 2>&1 |
	sed -u 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[()][A-Z0-9]//g; s/\x1b[A-Za-z=>]//g; s/\r//g' | tee "$CONSOLE"
qrc=${PIPESTATUS[0]}
t1=$(date +%s%N)
[ -n "${VM_LOG:-}" ] && cp "$CONSOLE" "$VM_LOG"

rc=$(sed -n 's/.*VMTEST-EXIT \([0-9][0-9]*\)$/\1/p' "$CONSOLE" | tail -n 1)
boot=$(sed -n 's/.*VMTEST-START uptime=\([0-9.]*\).*/\1/p' "$CONSOLE")
end=$(sed -n 's/.*VMTEST-END uptime=\([0-9.]*\).*/\1/p' "$CONSOLE")
echo "$ME: qemu ran $(((t1 - t0) / 1000000)) ms (guest: /init at ${boot:-?} s, script done at ${end:-?} s of uptime)"
if [ -z "$rc" ]; then
	case $qrc in
	124 | 137) why="timed out after $TIMEOUT s" ;;
	*) why="qemu exited with status $qrc" ;;
	esac
	echo "FAIL - $ME: the VM never reported the script's status ($why); last lines of its console:"
	tail -n 40 "$CONSOLE" | sed 's/^/  | /'
	exit 1
fi
exit "$rc"
