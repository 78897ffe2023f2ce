#!/usr/bin/env bash
# test-package.sh BUILD_DIR [DEB]: the package test (ctest label e2e).
#
# Makes the packages with cpack (unless DEB is given), checks the .deb with lintian and the
# .rpm's file list (with the /usr/libexec/jshim/conmon link), requirements and provides, unpacks
# the .deb into an empty temp root, probes conmon --version through the link and runs a real
# busybox container through the unpacked jshim and jshimd, the way conman would (private runc
# root, private daemon socket), with an empty environment and no --jshimd: the launcher finds
# the unpacked jshimd next to itself. Needs root, runc and BUILD_DIR/test-rootfs
# (the e2e-rootfs fixture). Fails, never skips.
set -euo pipefail

fail() { echo "test-package: FAIL: $*" >&2; exit 1; }
say() { echo "test-package: $*"; }

[ $# -ge 1 ] && [ $# -le 2 ] || fail "usage: test-package.sh BUILD_DIR [DEB]"
build=$(readlink -f -- "$1")
runc=${RUNC:-/usr/sbin/runc}
rootfs_dir=$build/test-rootfs
[ "$(id -u)" = 0 ] || fail "needs root (runc)"
[ -x "$runc" ] || fail "runc missing at $runc"
[ -f "$rootfs_dir/config.template.json" ] || fail "no $rootfs_dir/config.template.json (fixture e2e-rootfs)"
for tool in dpkg-deb rpm jq lintian; do
	command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/setup-debian.sh)"
done

tmp=$(mktemp -d /tmp/jshim-pkg.XXXXXX)
root=$tmp/root
cid=jshim-pkg-$$
runc_root=$tmp/runc
cleanup() {
	set +e
	"$runc" --root "$runc_root" delete -f "$cid" >/dev/null 2>&1
	# the daemon this test started: the only process running the unpacked jar
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "-jar $root/"; then
			kill -TERM "${p#/proc/}" 2>/dev/null
		fi
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- 1. the packages ----
if [ $# -eq 2 ]; then
	deb=$(readlink -f -- "$2")
	rpmfile=$(ls "${deb%/*}"/jshim-*.rpm 2>/dev/null | head -n 1 || true)
else
	rm -f "$build"/jshim_*.deb "$build"/jshim-*.rpm
	(cd "$build" && cpack -G "DEB;RPM") >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; fail "cpack"; }
	deb=$(ls "$build"/jshim_*.deb | head -n 1)
	rpmfile=$(ls "$build"/jshim-*.rpm | head -n 1)
fi
[ -f "$deb" ] || fail "no .deb"
[ -n "$rpmfile" ] && [ -f "$rpmfile" ] || fail "no .rpm beside $deb"
version=$(dpkg-deb -f "$deb" Version)
say "checking $deb (version $version) and $rpmfile"

# ---- 2. metadata ----
dpkg-deb -f "$deb" Depends | grep -q 'jre-headless' || fail ".deb Depends names no Java runtime"
dpkg-deb -f "$deb" Depends | grep -q 'runc' || fail ".deb Depends does not name runc"
dpkg-deb -f "$deb" Depends | grep -q 'libc6' || fail ".deb Depends has no libc6 (shlibdeps)"
lintian --fail-on error,warning "$deb" >"$tmp/lintian.log" 2>&1 || { cat "$tmp/lintian.log"; fail "lintian"; }
rpm -qpl "$rpmfile" >"$tmp/rpm-files"
for f in /usr/bin/jshim /usr/sbin/jshimd /usr/lib/jshim/jshimd.jar /usr/lib/jshim/libjshim-jni.so \
	/usr/libexec/jshim/conmon; do
	grep -qx "$f" "$tmp/rpm-files" || fail "rpm -qpl does not list $f"
done
# conmon's name for podman and CRI-O: a relative symlink to the launcher in both packages
# (listings go to files first: grep -q stopping early would fail the pipeline under pipefail)
dpkg-deb -c "$deb" >"$tmp/deb-files"
grep -qE '^l.* \./usr/libexec/jshim/conmon -> \.\./\.\./bin/jshim$' "$tmp/deb-files" \
	|| fail "dpkg -c does not list the link /usr/libexec/jshim/conmon -> ../../bin/jshim"
rpm -qp --qf '[%{FILENAMES} %{FILELINKTOS}\n]' "$rpmfile" >"$tmp/rpm-links"
grep -qx '/usr/libexec/jshim/conmon \.\./\.\./bin/jshim' "$tmp/rpm-links" \
	|| fail "the rpm's /usr/libexec/jshim/conmon is not a link to ../../bin/jshim"
! grep -qx '/usr/libexec' "$tmp/rpm-files" || fail "the rpm owns /usr/libexec (the filesystem package's)"
rpm -qpR "$rpmfile" >"$tmp/rpm-requires"
grep -q 'java' "$tmp/rpm-requires" || fail "rpm -qpR names no java: $(cat "$tmp/rpm-requires")"
grep -q 'runc' "$tmp/rpm-requires" || fail "rpm -qpR does not name runc"
! rpm -qp --provides "$rpmfile" | grep -q 'libjshim' || fail "the rpm provides its private libjshim-jni.so"
# the maintainer scripts of the upgrade rule (docs/DESIGN.md, "Upgrades"), valid sh
mkdir "$tmp/control"
dpkg-deb -e "$deb" "$tmp/control"
for s in postinst prerm postrm; do
	[ -x "$tmp/control/$s" ] || fail "the .deb has no executable $s"
	sh -n "$tmp/control/$s" || fail "the .deb's $s is not valid sh"
	grep -qF "jshim_version='$version'" "$tmp/control/$s" || fail "the .deb's $s is not for $version"
done
grep -q 'jshim_hand_over' "$tmp/control/postinst" || fail "the .deb's postinst does not hand over"
# class data sharing: dumped at configure and when a JDK changes (trigger), removed with the package
grep -qx 'interest-noawait /usr/lib/jvm' "$tmp/control/triggers" || fail "the .deb has no /usr/lib/jvm trigger"
grep -q '^triggered)' "$tmp/control/postinst" || fail "the .deb's postinst does not handle 'triggered'"
[ "$(grep -c '^	jshim_cds_dump$' "$tmp/control/postinst")" = 2 ] \
	|| fail "the .deb's postinst does not dump the archive at configure and when triggered"
grep -q '^	jshim_cds_remove$' "$tmp/control/postrm" || fail "the .deb's postrm does not remove the archive"
grep -q 'refusing to downgrade' "$tmp/control/prerm" || fail "the .deb's prerm does not refuse downgrades"
rpm -qp --scripts "$rpmfile" >"$tmp/rpm-scripts"
grep -q '^postinstall scriptlet' "$tmp/rpm-scripts" && grep -q '^postuninstall scriptlet' "$tmp/rpm-scripts" \
	|| fail "the rpm lacks %post or %postun: $(cat "$tmp/rpm-scripts")"
grep -q 'jshim_hand_over' "$tmp/rpm-scripts" || fail "the rpm's %post does not hand over"
grep -q '^jshim_cds_dump$' "$tmp/rpm-scripts" && grep -q '^	jshim_cds_remove$' "$tmp/rpm-scripts" \
	|| fail "the rpm's %post does not dump the archive or its %postun does not remove it"

# ---- 3. unpack and look ----
mkdir "$root"
dpkg-deb -x "$deb" "$root"
for f in usr/bin/jshim usr/sbin/jshimd usr/lib/jshim/jshimd.jar usr/lib/jshim/libjshim-jni.so \
	usr/share/man/man1/jshim.1.gz usr/share/man/man8/jshimd.8.gz \
	usr/lib/systemd/system/jshimd.service usr/lib/systemd/system/jshimd.socket \
	usr/share/doc/jshim/copyright; do
	[ -e "$root/$f" ] || fail "the .deb has no /$f"
done
ls "$root"/usr/lib/jshim/lib/slf4j-api-*.jar >/dev/null || fail "the .deb has no runtime jars"
[ -s "$root/usr/lib/jshim/jshimd.classlist" ] || fail "the .deb has no jshimd.classlist"
[ ! -e "$root/usr/lib/jshim/jshimd.jsa" ] || fail "the .deb ships a jshimd.jsa (valid for one java only)"

# ---- class data sharing: what the postinst does, in the unpacked root ----
"$root/usr/sbin/jshimd" --cds-dump || fail "jshimd --cds-dump exited $?"
[ -s "$root/usr/lib/jshim/jshimd.jsa" ] && [ -s "$root/usr/lib/jshim/jshimd.jsa.id" ] \
	|| fail "jshimd --cds-dump made no archive and id in $root/usr/lib/jshim"
java_real=$(readlink -f "$(command -v java)")
grep -qF "$java_real $(stat -L -c '%s %Y %i' "$java_real"); " "$root/usr/lib/jshim/jshimd.jsa.id" \
	|| fail "the archive's id does not name $java_real: $(cat "$root/usr/lib/jshim/jshimd.jsa.id")"

# cds_maps SOCKET_DIR [ENV...]: starts the unpacked jshimd on a private socket, waits until it
# listens, prints the CDS archives it maps (from /proc/PID/maps), stops it
cds_maps() {
	local d=$1 p
	shift
	mkdir -m 700 "$d"
	env "$@" "$root/usr/sbin/jshimd" --socket "$d/s.sock" >"$d/out" 2>&1 &
	p=$!
	for _ in $(seq 100); do [ -S "$d/s.sock" ] && break; sleep 0.1; done
	[ -S "$d/s.sock" ] || { cat "$d/out"; fail "the unpacked jshimd did not listen ($*)"; }
	awk '$6 ~ /\.jsa$/ {print $6}' "/proc/$p/maps" | sort -u
	kill -TERM "$p"
	wait "$p" || true
}
maps=$(cds_maps "$tmp/cds1")
[ "$maps" = "$root/usr/lib/jshim/jshimd.jsa" ] || fail "jshimd does not map its archive (only): $maps"
# a stale archive (another java, another jar) is never used: the JDK's own archive is
cp "$root/usr/lib/jshim/jshimd.jsa.id" "$tmp/id.saved"
sed -i 's/^\([^ ]*\) [0-9]* /\1 1 /' "$root/usr/lib/jshim/jshimd.jsa.id"
maps=$(cds_maps "$tmp/cds2")
grep -q '/classes\.jsa$' <<<"$maps" && ! grep -qF jshimd.jsa <<<"$maps" \
	|| fail "with a stale id jshimd maps '$maps', not the JDK's classes.jsa alone"
cp "$tmp/id.saved" "$root/usr/lib/jshim/jshimd.jsa.id"
# JSHIMD_CDS=off: never the archive
maps=$(cds_maps "$tmp/cds3" JSHIMD_CDS=off)
! grep -qF jshimd.jsa <<<"$maps" || fail "JSHIMD_CDS=off still maps jshimd.jsa"
# any other JDK on this host: the archive made for the default java is not used, and jshimd runs
for jdk in /usr/lib/jvm/*/; do
	jdk=${jdk%/}
	[ -x "$jdk/bin/java" ] && [ ! -L "$jdk" ] || continue
	[ "$(readlink -f "$jdk/bin/java")" != "$java_real" ] || continue
	maps=$(cds_maps "$tmp/cds-${jdk##*/}" "JAVA_HOME=$jdk")
	! grep -qF jshimd.jsa <<<"$maps" || fail "JAVA_HOME=$jdk maps the archive of $java_real"
	say "JAVA_HOME=$jdk: jshimd runs without the archive ($maps)"
done
say "class data sharing: the dumped archive is used; a stale one, JSHIMD_CDS=off and other JDKs fall back"

out=$("$root/usr/bin/jshim" --version) || fail "jshim --version exited $?"
grep -qF "$version" <<<"$out" || fail "jshim --version does not print $version: $out"
out=$("$root/usr/sbin/jshimd" --version 2>&1) || fail "unpacked jshimd --version exited $?: $out"
grep -qF "$version" <<<"$out" || fail "jshimd --version does not print $version: $out"
[ "$(readlink -f "$root/usr/libexec/jshim/conmon")" = "$(readlink -f "$root/usr/bin/jshim")" ] \
	|| fail "the unpacked /usr/libexec/jshim/conmon does not lead to /usr/bin/jshim"
# podman's probe: ^conmon version X.Y.Z (>= 2.0.1); CRI-O's: 3rd field of stdout+stderr is semver
out=$("$root/usr/libexec/jshim/conmon" --version 2>"$tmp/conmon-version.err") || fail "conmon --version exited $?"
grep -qE '^conmon version [0-9]+\.[0-9]+\.[0-9]+$' <<<"$(head -n 1 <<<"$out")" \
	|| fail "conmon --version first line is not 'conmon version X.Y.Z': $out"
[ ! -s "$tmp/conmon-version.err" ] || fail "conmon --version wrote to stderr: $(cat "$tmp/conmon-version.err")"
say "--version ok for jshim, the relocated jshimd and /usr/libexec/jshim/conmon ($(head -n 1 <<<"$out"))"

# ---- 4. a real container through the unpacked jshim ----
bundle=$tmp/bundle
mkdir -p "$bundle" "$tmp/sock" "$runc_root"
jq --arg root "$rootfs_dir/rootfs" \
	'.root.path = $root | .process.args = ["sh", "-c", "echo out-line; echo err-line >&2; exit 3"]' \
	"$rootfs_dir/config.template.json" >"$bundle/config.json"
log=$tmp/ctr.log exitfile=$tmp/ctr.exit report=$tmp/report.json
# An empty environment, as podman and CRI-O give their conmon, and no --jshimd: the unpacked
# jshim must find the unpacked jshimd next to itself (<bin>/../sbin/jshimd).
env -i "$root/usr/bin/jshim" \
	--shimmy-pidfile "$bundle/shimmy.pid" --shimmy-log-level TRACE \
	--runtime "$runc" "--runtime-arg='--root=$runc_root'" \
	--bundle "$bundle" --container-id "$cid" \
	--container-pidfile "$bundle/container.pid" --container-logfile "$log" \
	--container-exitfile "$exitfile" --container-attachfile "$tmp/attach.sock" \
	--stdin-once \
	--jshimd-socket "$tmp/sock/jshimd.sock" \
	--syncpipe-fd 3 3>"$report" </dev/null >"$tmp/jshim.out" 2>&1 \
	|| { cat "$tmp/jshim.out"; fail "jshim exited $?"; }

# (jq 1.6 -e exits 0 on empty input, hence the -s tests)
for _ in $(seq 150); do [ -s "$report" ] && jq -e .kind "$report" >/dev/null 2>&1 && break; sleep 0.1; done
[ -s "$report" ] && jq -e '.kind == "container_pid" and .pid > 0' "$report" >/dev/null \
	|| fail "sync report is not container_pid: $(cat "$report")"
say "report: $(cat "$report")"
grep -qF "started the daemon: $root/usr/bin/../sbin/jshimd --socket $tmp/sock/jshimd.sock" "$tmp/sock/launcher.log" \
	|| fail "the launcher did not start the unpacked jshimd: $(cat "$tmp/sock/launcher.log")"

"$runc" --root "$runc_root" start "$cid" || fail "runc start"
for _ in $(seq 100); do [ -s "$exitfile" ] && break; sleep 0.1; done
[ -s "$exitfile" ] || fail "no exit file 10 s after runc start"
jq -e '.reason == "exited" and .exitCode == 3' "$exitfile" >/dev/null \
	|| fail "exit file: $(cat "$exitfile")"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ stdout out-line$' "$log" || fail "log lacks stdout line: $(cat "$log")"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ stderr err-line$' "$log" || fail "log lacks stderr line: $(cat "$log")"
say "exit file: $(cat "$exitfile")"

# the monitor must be gone (a zombie counts as gone: PID 1 here does not reap)
mon=$(cat "$bundle/shimmy.pid")
for _ in $(seq 50); do
	state=$(awk '{print $3}' "/proc/$mon/stat" 2>/dev/null || echo gone)
	[ "$state" = gone ] || [ "$state" = Z ] && break
	sleep 0.1
done
[ "$state" = gone ] || [ "$state" = Z ] || fail "jshim monitor $mon still running 5 s after the exit file"

"$runc" --root "$runc_root" delete "$cid" || fail "runc delete"
# the daemon the launcher started mapped the archive the "postinst" dumped
for p in /proc/[0-9]*; do
	tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "-jar $root/" || continue
	grep -qF "$root/usr/lib/jshim/jshimd.jsa" "$p/maps" || fail "the started jshimd ${p#/proc/} does not map the archive"
	daemon_seen=1
done
[ -n "${daemon_seen:-}" ] || fail "no running jshimd of the unpacked root after the container"
say "1 passed, 0 failed"
