#!/bin/bash
# .ci/package.sh: build the .deb and the .rpm from this tree's release tarball, check them, install and purge the .deb. SPDX-License-Identifier: MIT
#
# Both packages are built from the tarball of make dist, as a distribution
# builds them, after a check that it holds every file of debian/ and rpm/.
# Run as root on Debian 12, from anywhere: bash .ci/package.sh
# Between install and purge, an upgrade in place (dpkg -i of the same .deb)
# must leave a running pmtr and its job running, re-executed (pmtrctl reexec).
# Works in a temporary directory; the checkout is left as it is. Every step
# that cannot run here says so and is skipped; any other failure stops it.
# Both builds run their test suite, as a distribution's builder does, in an
# environment holding X='a#b', as a builder's may (the suite once failed
# there): their make check must not care. PMTR_PACKAGE_CHECK=no leaves the
# suite out of both builds (DEB_BUILD_OPTIONS=nocheck, rpmbuild --nocheck).
# PMTR_PACKAGE_KEEP=1 keeps the temporary directory, with the packages and logs.
# An installed pmtr package stops it, except under CI=true, where it is purged.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

step() { printf '\n=== %s\n' "$*"; }
fail() { printf 'package.sh: FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root: it installs packages"

step "install the packaging tools and build dependencies"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential autoconf automake libtool pkg-config check systemd \
	dpkg-dev debhelper lintian fakeroot rpm cpio git >/dev/null

# dpkg-query -W succeeds for an installed package and for one removed but not purged.
if dpkg-query -W pmtr >/dev/null 2>&1; then
	# A package left by an earlier run that was killed: CI may purge it, a
	# developer's machine keeps its own.
	[ "${CI:-}" = true ] || fail "a pmtr package is installed here: purge it first (dpkg -P pmtr)"
	step "purge the pmtr package left by an earlier run"
	dpkg -P pmtr
fi

tmp=$(mktemp -d /tmp/pmtr-package.XXXXXX)
# What the upgrade proof starts or writes: the pmtr started by hand (a child of
# this shell), its job, and the job's drop-in file.
proof_pmtr_pid='' proof_job_pid='' proof_marker='' proof_dropin=''
alive() { # PID: it exists and is not a zombie
	[ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null)" != Z ]
}
is_proof_job() { # PID: it is still the job's /bin/sleep with its marker
	[ -n "$proof_marker" ] && tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF "$proof_marker"
}
proof_stop() {
	# The drop-in first: a pmtr still running stops its job at once.
	[ -z "$proof_dropin" ] || rm -f "$proof_dropin"
	if [ -n "$proof_pmtr_pid" ]; then
		kill -TERM "$proof_pmtr_pid" 2>/dev/null || true
		for _ in $(seq 300); do alive "$proof_pmtr_pid" || break; sleep 0.1; done
		if alive "$proof_pmtr_pid"; then
			echo "package.sh: pmtr ($proof_pmtr_pid) still running 30 s after SIGTERM: SIGKILL" >&2
			kill -KILL "$proof_pmtr_pid" 2>/dev/null || true
		fi
		wait "$proof_pmtr_pid" 2>/dev/null || true
		proof_pmtr_pid=
	fi
	if [ -n "$proof_job_pid" ]; then
		for _ in $(seq 100); do is_proof_job "$proof_job_pid" || break; sleep 0.1; done
		if is_proof_job "$proof_job_pid"; then
			echo "package.sh: the job ($proof_job_pid) outlived its pmtr: SIGKILL" >&2
			kill -KILL "$proof_job_pid" 2>/dev/null || true
		fi
		proof_job_pid=
	fi
}
cleanup() {
	proof_stop
	# Never leave the package installed after a failure half way.
	if dpkg-query -W pmtr >/dev/null 2>&1; then
		dpkg -P pmtr >/dev/null 2>&1 || true
	fi
	local keep=${PMTR_PACKAGE_KEEP:-}
	if [ -e "$tmp/pmtr.conf.saved" ] || [ -h "$tmp/pmtr.conf.saved" ]; then
		mv -f "$tmp/pmtr.conf.saved" /etc/pmtr.conf
	fi
	if [ -e "$tmp/pmtr.d.saved" ] || [ -h "$tmp/pmtr.d.saved" ]; then
		# -T: never into a directory left behind; if one is, keep $tmp.
		rmdir /etc/pmtr.d 2>/dev/null || true
		mv -T "$tmp/pmtr.d.saved" /etc/pmtr.d ||
			{ keep=1; echo "package.sh: /etc/pmtr.d not put back: it is in $tmp/pmtr.d.saved" >&2; }
	fi
	[ -n "$keep" ] || rm -rf "$tmp"
}
trap cleanup EXIT
# An /etc/pmtr.conf or /etc/pmtr.d that no package owns (from make install)
# is set aside while the package is installed and purged, and put back
# afterwards.
for f in pmtr.conf pmtr.d; do
	if [ -e "/etc/$f" ] || [ -h "/etc/$f" ]; then
		mv "/etc/$f" "$tmp/$f.saved"
		echo "package.sh: /etc/$f set aside until the end"
	fi
done

# The working tree as it is, committed or not, minus what .gitignore calls
# build products.
copy_tree() {
	mkdir -p "$1"
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -xf - -C "$1"
}

if [ "${PMTR_PACKAGE_CHECK:-yes}" = yes ]; then
	export DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}"
	rpm_check=
else
	export DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}"
	rpm_check=--nocheck
fi

# A builder's environment may hold values with '#' (it once broke make check).
export X='a#b'

step "one version in configure.ac, NEWS, debian/changelog and rpm/pmtr.spec"
upstream=$(sed -n 's/^AC_INIT(\[pmtr\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
news_version=$(sed -n 's/^\* pmtr \([0-9][^ ]*\).*/\1/p' "$top/NEWS" | head -n 1)
deb_version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
spec_version=$(sed -n 's/^Version: *//p' "$top/rpm/pmtr.spec")
[ "$news_version" = "$upstream" ] && [ "$deb_version" = "$upstream" ] && [ "$spec_version" = "$upstream" ] ||
	fail "versions differ: configure.ac $upstream, NEWS $news_version, debian/changelog $deb_version, rpm/pmtr.spec $spec_version"
version=$upstream
echo "version $version"

step "make dist (in $tmp/dist/pmtr)"
copy_tree "$tmp/dist/pmtr"
(cd "$tmp/dist/pmtr" && autoreconf -fi && ./configure -q && make -s dist) \
	>"$tmp/dist/build.log" 2>&1 || { tail -n 40 "$tmp/dist/build.log"; fail "make dist"; }
tarball=$(ls "$tmp"/dist/pmtr/pmtr-*.tar.gz)
[ "$(basename "$tarball")" = "pmtr-$version.tar.gz" ] || fail "the tarball is $tarball, not pmtr-$version.tar.gz"
echo "$tarball"

step "the tarball holds every file of debian/ and rpm/"
tar -tzf "$tarball" | sed -n "s|^pmtr-$version/||p" | sort >"$tmp/dist/contents"
(cd "$top" && git ls-files debian rpm) | sort >"$tmp/dist/packaging"
missing=$(comm -23 "$tmp/dist/packaging" "$tmp/dist/contents")
[ -z "$missing" ] || fail "the tarball lacks packaging files (EXTRA_DIST in packaging.am): $(echo $missing)"
echo "$(wc -l <"$tmp/dist/packaging") files of debian/ and rpm/, all in the tarball"

step "dpkg-buildpackage -us -uc -b (from the tarball, in $tmp/deb/pmtr-$version)"
mkdir -p "$tmp/deb"
tar -xzf "$tarball" -C "$tmp/deb"
(cd "$tmp/deb/pmtr-$version" && dpkg-buildpackage -us -uc -b) >"$tmp/deb/build.log" 2>&1 ||
	{ tail -n 60 "$tmp/deb/build.log"; fail "dpkg-buildpackage"; }
# What the build's make check found (nothing with PMTR_PACKAGE_CHECK=no).
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$tmp/deb/build.log" || echo "make check: not run"
built=$(cd "$tmp/deb/pmtr-$version" && dpkg-parsechangelog -S Version)
[ "$built" = "$version" ] || fail "the .deb is version $built, not $version"
arch=$(dpkg --print-architecture)
deb="$tmp/deb/pmtr_${version}_${arch}.deb"
[ -f "$deb" ] || fail "no $deb"
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb"

step "lintian --fail-on error,warning"
lintian --fail-on error,warning --display-info "$deb" || fail "lintian"
echo "lintian: clean"

step "maintainer scripts: an upgrade neither stops nor restarts pmtr.service"
dpkg-deb -e "$deb" "$tmp/deb/DEBIAN"
( cd "$tmp/deb/DEBIAN" && grep -n 'deb-systemd-invoke\|"$1" = remove\|=.*pmtrctl reexec\|_dh_action' \
	preinst postinst prerm postrm 2>/dev/null ) || true
# preinst: no stop before the upgrade.
! grep -qs 'deb-systemd-invoke' "$tmp/deb/DEBIAN/preinst" || fail "the preinst stops or starts the service"
# postinst: start (on a first install; a no-op for a running unit), never restart.
grep -Eq "deb-systemd-invoke start '?pmtr.service" "$tmp/deb/DEBIAN/postinst" ||
	fail "the postinst does not start the unit on a first install"
! grep -E 'deb-systemd-invoke|_dh_action=' "$tmp/deb/DEBIAN/postinst" | grep -q 'restart' ||
	fail "the postinst restarts the service on an upgrade"
grep -q 'pmtrctl reexec' "$tmp/deb/DEBIAN/postinst" || fail "the postinst has no pmtrctl reexec"
# prerm: stop on remove only (the line before each stop checks for it).
awk '/deb-systemd-invoke stop/ { n++; if (prev !~ /"\$1" = remove/) bad = 1 } { prev = $0 }
	END { exit !(n > 0 && !bad) }' "$tmp/deb/DEBIAN/prerm" ||
	fail "the prerm does not stop the service on remove, or stops it on an upgrade too"
echo "no stop nor restart on upgrade: start on install, stop on remove, pmtrctl reexec on upgrade"

step "dpkg -i"
dpkg -i "$deb"
for f in /usr/bin/pmtr /usr/bin/pmtrctl /usr/bin/onconnect \
	/usr/share/man/man8/pmtr.8.gz /usr/share/man/man8/pmtrctl.8.gz \
	/usr/share/man/man8/onconnect.8.gz /usr/share/man/man5/pmtr.conf.5.gz \
	/usr/share/bash-completion/completions/pmtrctl /etc/pmtr.conf; do
	[ -e "$f" ] || fail "$f is not installed"
done
unit=$(dpkg -L pmtr | grep '/systemd/system/pmtr\.service$') || fail "no unit in the package"
echo "unit: $unit"
dpkg-query -W -f='${Conffiles}\n' pmtr | grep -q '^ /etc/pmtr.conf ' ||
	fail "/etc/pmtr.conf is not a conffile"
echo "conffile: /etc/pmtr.conf"
# The drop-in directory ships empty, and the default configuration includes it.
[ -d /etc/pmtr.d ] && [ ! -L /etc/pmtr.d ] || fail "/etc/pmtr.d is not an installed directory"
dpkg -L pmtr | grep -x /etc/pmtr.d >/dev/null || fail "/etc/pmtr.d is not in the package"
grep -qxF 'include /etc/pmtr.d/*.conf' /etc/pmtr.conf ||
	fail "/etc/pmtr.conf has no line 'include /etc/pmtr.d/*.conf'"
echo "drop-ins: /etc/pmtr.d, included by /etc/pmtr.conf"
[ -L /etc/systemd/system/multi-user.target.wants/pmtr.service ] ||
	fail "the unit was not enabled"
echo "enabled: /etc/systemd/system/multi-user.target.wants/pmtr.service"

step "the installed programs"
/usr/bin/pmtr -t -c /etc/pmtr.conf
echo "pmtr -t -c /etc/pmtr.conf: exit status 0"
/usr/bin/pmtr -V
/usr/bin/pmtrctl -V
/usr/bin/pmtr -h | grep -q '/etc/pmtr.conf' || fail "pmtr's default configuration is not /etc/pmtr.conf"
/usr/bin/pmtr -h | grep -q '/run/pmtr.sock' || fail "pmtr's default socket is not /run/pmtr.sock"
/usr/bin/pmtrctl -h 2>&1 | grep -q '/run/pmtr.sock' || fail "pmtrctl's default socket is not /run/pmtr.sock"
echo "default paths: /etc/pmtr.conf, /run/pmtr.sock"

step "systemd-analyze verify $unit"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify "$unit" || fail "systemd-analyze verify"
	echo "systemd-analyze verify: clean"
else
	echo "skipped: systemd-analyze is not installed"
fi

# pmtr runs with a job, the same .deb is installed again (an upgrade to the same
# version: the postinst's "configure" gets the old version), and the postinst
# has pmtr re-execute the binary just unpacked: pmtr and its job keep their pids.
# Without systemd (as in CI) pmtr is started here by hand on the package's
# socket; under systemd it is the pmtr.service that dpkg -i started.
step "upgrade in place: dpkg -i again, pmtr re-executes, its job keeps running"
sock=/run/pmtr.sock
if ! /usr/bin/pmtrctl -h 2>&1 | grep -qw reexec; then
	echo "skipped: this pmtrctl has no reexec command (pmtrctl -h does not list it)"
else
	under_systemd=no
	[ -d /run/systemd/system ] && under_systemd=yes
	rc=0
	/usr/bin/pmtrctl status >/dev/null 2>&1 || rc=$?
	if [ "$under_systemd" = no ] && [ "$rc" != 2 ]; then
		fail "a pmtr already answers on $sock (pmtrctl status: exit status $rc): stop it first"
	fi
	proof_marker="86400.$$"
	proof_dropin=/etc/pmtr.d/zz-package-proof.conf
	printf 'job {\n  name package-proof\n  cmd /bin/sleep %s\n}\n' "$proof_marker" >"$proof_dropin"
	chmod 644 "$proof_dropin"
	if [ "$under_systemd" = yes ]; then
		/usr/bin/systemctl is-active --quiet pmtr.service || fail "pmtr.service is not active after dpkg -i"
		pmtr_pid=$(/usr/bin/systemctl show -P MainPID pmtr.service)
		echo "pmtr.service: pid $pmtr_pid"
	else
		mkdir -p "$(dirname "$sock")"
		/usr/bin/pmtr -F -c /etc/pmtr.conf </dev/null >"$tmp/pmtr.log" 2>&1 &
		proof_pmtr_pid=$!
		pmtr_pid=$proof_pmtr_pid
		echo "started /usr/bin/pmtr -F -c /etc/pmtr.conf: pid $pmtr_pid"
	fi
	show_log() { [ ! -s "$tmp/pmtr.log" ] || { echo "--- pmtr's log"; tail -n 30 "$tmp/pmtr.log"; }; }
	job_pid=
	for _ in $(seq 100); do
		job_pid=$(/usr/bin/pmtrctl status --json package-proof 2>/dev/null |
			sed -n 's/.*"name":"package-proof","state":"running".*"pid":\([0-9][0-9]*\).*/\1/p') ||
			true # exit status 2 until pmtr answers
		[ -n "$job_pid" ] && is_proof_job "$job_pid" && break
		job_pid=
		alive "$pmtr_pid" || { show_log; fail "pmtr ($pmtr_pid) exited"; }
		sleep 0.1
	done
	[ -n "$job_pid" ] || { show_log; fail "the job package-proof did not run within 10 s"; }
	proof_job_pid=$job_pid
	start_time() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }
	pmtr_start=$(start_time "$pmtr_pid")
	job_start=$(start_time "$job_pid")
	echo "job package-proof: pid $job_pid (/bin/sleep $proof_marker)"
	echo "pmtr's binary before: $(readlink "/proc/$pmtr_pid/exe")"

	echo "--- dpkg -i $deb (again)"
	dpkg -i "$deb" 2>&1 | tee "$tmp/deb/upgrade.log" || { show_log; fail "dpkg -i (the upgrade)"; }
	echo "---"
	alive "$pmtr_pid" && [ "$(start_time "$pmtr_pid")" = "$pmtr_start" ] ||
		{ show_log; fail "pmtr ($pmtr_pid) did not survive the upgrade"; }
	is_proof_job "$job_pid" && [ "$(start_time "$job_pid")" = "$job_start" ] ||
		{ show_log; fail "the job ($job_pid) did not survive the upgrade"; }
	# dpkg replaced /usr/bin/pmtr by a new file: the old pmtr's would read
	# "/usr/bin/pmtr (deleted)"; the re-executed one runs the new file.
	exe=$(readlink "/proc/$pmtr_pid/exe")
	echo "pmtr's binary after: $exe"
	[ "$exe" = /usr/bin/pmtr ] || { show_log; fail "pmtr ($pmtr_pid) still runs the replaced binary: no re-exec"; }
	grep -A3 '^pmtr re-executed, jobs kept running' "$tmp/deb/upgrade.log" | grep -qF "pmtr $version" ||
		{ show_log; fail "the postinst did not report pmtr $version re-executed"; }
	rc=0
	status=$(/usr/bin/pmtrctl status package-proof) || rc=$?
	printf '%s\n' "$status"
	[ "$rc" = 0 ] && printf '%s\n' "$status" | grep -qw "$job_pid" ||
		fail "pmtrctl status after the upgrade (exit status $rc) does not show the job's pid $job_pid"
	echo "upgrade in place: pmtr $pmtr_pid and job $job_pid kept running, pmtr runs the new binary"

	rm -f "$proof_dropin"
	proof_dropin=
	if [ "$under_systemd" = no ]; then
		proof_stop
		echo "pmtr stopped (SIGTERM), its job with it"
	else
		# Without its drop-in, pmtr stops the job; dpkg -r stops the service.
		for _ in $(seq 150); do is_proof_job "$job_pid" || break; sleep 0.1; done
		is_proof_job "$job_pid" && fail "the job ($job_pid) still runs 15 s after its drop-in was removed"
		proof_job_pid=
	fi
	for p in "$pmtr_pid" "$job_pid"; do
		[ "$under_systemd" = yes ] && [ "$p" = "$pmtr_pid" ] && continue
		! alive "$p" || fail "process $p is still running"
	done
	[ "$under_systemd" = yes ] || [ ! -e "$sock" ] || fail "$sock is left after pmtr stopped"
	echo "nothing left running"
fi

step "dpkg -r, then dpkg -P"
dpkg -r pmtr
[ ! -e /usr/bin/pmtr ] || fail "/usr/bin/pmtr is still there after dpkg -r"
[ -e /etc/pmtr.conf ] || fail "/etc/pmtr.conf is gone after dpkg -r: a conffile stays until purge"
echo "removed: /usr/bin/pmtr gone, /etc/pmtr.conf kept"
dpkg -P pmtr
[ ! -e /etc/pmtr.conf ] || fail "/etc/pmtr.conf is still there after dpkg -P"
[ ! -e /etc/pmtr.d ] || fail "/etc/pmtr.d (empty) is still there after dpkg -P"
[ ! -e /etc/systemd/system/multi-user.target.wants/pmtr.service ] ||
	fail "the unit is still enabled after dpkg -P"
echo "purged: /etc/pmtr.conf, /etc/pmtr.d and the unit's enablement gone"

step "rpmbuild -bb (spec and sources from the tarball)"
mkdir -p "$tmp/rpm"
tar -xzf "$tarball" -C "$tmp/rpm" --wildcards '*/rpm/pmtr.spec'
spec=$(ls "$tmp"/rpm/pmtr-*/rpm/pmtr.spec)
# --nodeps: Debian's rpm database is empty, so BuildRequires cannot be met
# there; the build tools come from apt above. No debuginfo package on Debian.
rpmbuild -bb --nodeps $rpm_check \
	--define "_topdir $tmp/rpm/top" \
	--define "_sourcedir $(dirname "$tarball")" \
	--define 'debug_package %{nil}' \
	"$spec" >"$tmp/rpm/build.log" 2>&1 || { tail -n 60 "$tmp/rpm/build.log"; fail "rpmbuild"; }
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$tmp/rpm/build.log" || echo "make check: not run"
rpmfile=$(ls "$tmp"/rpm/top/RPMS/*/pmtr-[0-9]*.rpm)
echo "$rpmfile"
rpm -qip "$rpmfile" 2>/dev/null
echo "--- rpm -qlp"
rpm -qlp "$rpmfile" 2>/dev/null | tee "$tmp/rpm/files"
for re in '/usr/bin/pmtr' '/usr/bin/pmtrctl' '/usr/bin/onconnect' \
	'/usr/share/man/man8/pmtr\.8(\.gz)?' '/usr/share/man/man8/pmtrctl\.8(\.gz)?' \
	'/usr/share/man/man8/onconnect\.8(\.gz)?' '/usr/share/man/man5/pmtr\.conf\.5(\.gz)?' \
	'/.*/systemd/system/pmtr\.service' '/usr/share/bash-completion/completions/pmtrctl' \
	'/etc/pmtr\.conf' '/etc/pmtr\.d' '/.*/LICENSE'; do
	grep -qxE -- "$re" "$tmp/rpm/files" || fail "the rpm has no file matching $re"
done
echo "--- rpm -qp --configfiles"
rpm -qp --configfiles "$rpmfile" 2>/dev/null | grep -x /etc/pmtr.conf || fail "/etc/pmtr.conf is not %config"
echo "--- the drop-in directory and the include line"
rpm -qp --queryformat '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpmfile" 2>/dev/null |
	grep -x 'drwxr-xr-x /etc/pmtr\.d' || fail "/etc/pmtr.d is not a directory of mode 0755 in the rpm"
rpm2cpio "$rpmfile" | cpio -i --quiet --to-stdout ./etc/pmtr.conf >"$tmp/rpm/pmtr.conf" ||
	fail "no /etc/pmtr.conf in the rpm's payload"
grep -qxF 'include /etc/pmtr.d/*.conf' "$tmp/rpm/pmtr.conf" ||
	fail "the rpm's /etc/pmtr.conf has no line 'include /etc/pmtr.d/*.conf'"
echo "drop-ins: /etc/pmtr.d (0755), included by /etc/pmtr.conf"
echo "--- rpm -qp --scripts"
rpm -qp --scripts "$rpmfile" 2>/dev/null | tee "$tmp/rpm/scripts"
! grep -Eq 'try-restart|mark-restart|systemctl (--[a-z-]+ )*restart' "$tmp/rpm/scripts" ||
	fail "the rpm's scriptlets restart the service on an upgrade"
sed -n '/^posttrans scriptlet/,$p' "$tmp/rpm/scripts" | grep -q 'pmtrctl reexec' ||
	fail "the rpm's %posttrans has no pmtrctl reexec"
echo "rpm: no restart on upgrade, pmtrctl reexec in %posttrans"

step "all packaging checks passed"
