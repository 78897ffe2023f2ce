#!/usr/bin/env bash
# test-upgrade.sh BUILD_DIR SOURCE_DIR SYNCPIPE_RUN ATTACH_PROBE: the upgrade test (ctest
# `upgrade`, labels e2e and package, RUN_SERIAL).
#
# Installs the previous release's .deb (built from the commit in packaging/previous-release,
# cached in BUILD_DIR/upgrade-prev/), starts streaming containers and an attached one through
# the INSTALLED launcher on the default socket, installs this tree's .deb, restarts jshimd
# twice (SIGKILL, SIGTERM), starts containers through the new launcher (shimmy dialect, podman),
# tries a downgrade while they run (refused), forces one (the newer daemon stays), upgrades
# again (hand-over), downgrades once the new containers are gone, and checks that
# every old container's log holds each line exactly once, in order, that every exit file is
# right and that attach works throughout (the rule: docs/DESIGN.md, "Upgrades").
# This installs packages system-wide and purges them at the end, also when it fails; it fails
# at once if jshim is already installed or a daemon already serves /run/jshim/jshimd.sock.
set -euo pipefail

fail() { echo "test-upgrade: FAIL: $*" >&2; exit 1; }
say() { echo "test-upgrade: [$(($(date +%s) - t_start))s] $*"; }
t_start=$(date +%s)

[ $# -eq 4 ] || fail "usage: test-upgrade.sh BUILD_DIR SOURCE_DIR SYNCPIPE_RUN ATTACH_PROBE"
build=$(readlink -f -- "$1")
src=$(readlink -f -- "$2")
syncpipe=$(readlink -f -- "$3")
probe=$(readlink -f -- "$4")
runc=${RUNC:-/usr/sbin/runc}
podman=${PODMAN:-/usr/bin/podman}
rootfs_dir=$build/test-rootfs
sock=/run/jshim/jshimd.sock
[ "$(id -u)" = 0 ] || fail "needs root (dpkg, runc)"
[ -x "$runc" ] || fail "runc missing at $runc"
[ -f "$rootfs_dir/config.template.json" ] || fail "no $rootfs_dir/config.template.json (fixture e2e-rootfs)"
for tool in dpkg dpkg-query git jq cmake cpack; do
	command -v "$tool" >/dev/null || fail "$tool is not installed"
done
prev=$(tr -d ' \n' <"$src/packaging/previous-release")
[ -n "$prev" ] || fail "packaging/previous-release is empty"

# shellcheck source=packaging/upgrade-lib.sh
. "$src/packaging/upgrade-lib.sh"

# ---- one upgrade test per machine at a time (every build tree's `ctest -L e2e` has one);
# fd 9 is closed for everything this test starts (upgrade-lib.sh) ----
exec 9>/run/lock/jshim-upgrade-test.lock
if ! flock -n 9; then
	say "waiting for another upgrade test on this machine"
	flock -w 1200 9 || fail "another upgrade test still runs after 20 min"
fi

# ---- a run that was killed (ctest's timeout: SIGKILL, no trap) left its packages and
# containers: its directory is in the state file; clean up after it ----
state=/run/lock/jshim-upgrade-test.state
if [ -s "$state" ]; then
	say "the upgrade test in $(cat "$state") ended without cleaning up; cleaning up after it"
	teardown "$(cat "$state")" || fail "cleaning up after $(cat "$state")"
	rm -f "$state"
fi

# ---- preconditions: nothing of jshim installed or serving the default socket ----
if known_to_dpkg; then
	fail "jshim is installed on this machine: this test installs and purges it; purge it first"
fi
[ -z "$(daemons)" ] || fail "a jshimd already serves $sock (pid $(daemons)): not this test's"

tmp=$(mktemp -d /tmp/jshim-upg.XXXXXX)
runc_root=$tmp/runc
proot=$tmp/podman
mkdir -p "$runc_root" "$proot"
cleanup() {
	rc=$?
	set +e
	if [ -s "$state" ]; then
		teardown "$tmp" >"$tmp/teardown.log" 2>&1 || { cat "$tmp/teardown.log"; rc=1; }
		rm -f "$state"
	fi
	[ $rc -eq 0 ] && rm -rf "$tmp" || echo "test-upgrade: left $tmp for inspection" >&2
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. the packages: the previous release (cached) and this tree's ----
prev_dir=$build/upgrade-prev/$prev
prev_deb=$(ls "$prev_dir"/jshim_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$prev_deb" ]; then
	say "building the previous release $prev into $prev_dir"
	rm -rf "$prev_dir"
	mkdir -p "$prev_dir/src"
	if ! git -C "$src" cat-file -e "$prev^{commit}" 2>/dev/null; then
		# a shallow CI clone: fetch just that commit
		git -C "$src" fetch --quiet --depth=1 origin "$prev" 2>"$prev_dir/fetch.log" \
			|| fail "commit $prev (packaging/previous-release) is not in $src and fetching it failed: $(cat "$prev_dir/fetch.log")"
	fi
	git -C "$src" archive "$prev" | tar -x -C "$prev_dir/src" || fail "git archive $prev"
	{ cmake -S "$prev_dir/src" -B "$prev_dir/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
		cmake --build "$prev_dir/build" -j2 &&
		(cd "$prev_dir/build" && cpack -G DEB); } >"$prev_dir/build.log" 2>&1 \
		|| { tail -n 40 "$prev_dir/build.log"; fail "building $prev"; }
	cp "$prev_dir"/build/jshim_*.deb "$prev_dir/"
	prev_deb=$(ls "$prev_dir"/jshim_*.deb | head -n 1)
fi
prev_ver=$(dpkg-deb -f "$prev_deb" Version)
(cd "$build" && cpack -G DEB -B "$tmp/cur") >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; fail "cpack"; }
cur_deb=$(ls "$tmp"/cur/jshim_*.deb | head -n 1)
cur_ver=$(dpkg-deb -f "$cur_deb" Version)
say "previous release $prev_ver ($prev), tree under test $cur_ver"
dpkg --compare-versions "$prev_ver" lt "$cur_ver" || fail "$prev_ver is not older than $cur_ver"

# ---- 2. the previous release, installed; containers through its launcher ----
echo "$tmp" >"$state"
install_deb "$prev_deb" "$tmp/install-prev.log" || { cat "$tmp/install-prev.log"; fail "dpkg -i $prev_deb"; }
[ "$(installed_version)" = "$prev_ver" ] || fail "installed: $(installed_version)"
"$(command -v jshim)" --version | grep -qx "jshim $prev_ver" || fail "jshim --version: $(jshim --version)"

# four lines per 2 ms sleep: some 1 500 lines (90 KB) a second per container
line='echo "s$i ________________________________________________________"; i=$((i+1))'
streamer="trap \"exit 7\" TERM; i=0; while :; do $line; $line; $line; $line; usleep 2000; done"
attacher='while read l; do [ "$l" = quit ] && exit 5; echo "got:$l"; done; exit 6'
old="o1 o2 o3"
for c in $old; do start_shimmy "$c" /usr/bin/jshim "$streamer"; done
start_shimmy oa /usr/bin/jshim "$attacher" --stdin
d=$(await_daemon "" "$prev_ver")
say "old containers o1 o2 o3 (streaming) and oa (stdin) run through jshim $prev_ver, jshimd $prev_ver pid $d"
attach oa hello-0
await_lines o1 200

# ---- 3. the upgrade, in dpkg's two steps. Between unpack and configure the new launcher
# meets the old daemon, which refuses v2: a container created in that window waits (its
# hand-over deadline, JSHIM_DAEMON_TIMEOUT, 30 s here for a loaded CI host) and is served
# once the postinst has stopped the old daemon ----
dpkg --unpack "$cur_deb" >"$tmp/unpack-cur.log" 2>&1 9>&- || { cat "$tmp/unpack-cur.log"; fail "dpkg --unpack $cur_deb"; }
same_daemon "$d" "dpkg --unpack"
refusals=$(grep -c "unknown protocol version 2" /run/jshim/jshimd.log || true)
shim_env=(JSHIM_DAEMON_TIMEOUT=30)
start_shimmy w1 /usr/bin/jshim "$streamer" &
w1_start=$!
shim_env=()
for _ in $(seq 300); do
	[ "$(grep -c "unknown protocol version 2" /run/jshim/jshimd.log || true)" -gt "$refusals" ] && break
	sleep 0.1
done
[ "$(grep -c "unknown protocol version 2" /run/jshim/jshimd.log || true)" -gt "$refusals" ] \
	|| fail "jshimd $prev_ver did not refuse the new launcher: $(tail -n 5 /run/jshim/jshimd.log)"
[ ! -s "$tmp/w1/report.json" ] || fail "w1 reported before the hand-over: $(cat "$tmp/w1/report.json")"
say "unpacked: jshimd $prev_ver refuses the new launcher of w1, which waits"
dpkg --configure jshim >"$tmp/install-cur.log" 2>&1 9>&- || { cat "$tmp/install-cur.log"; fail "dpkg --configure jshim"; }
[ "$(installed_version)" = "$cur_ver" ] || fail "installed after the upgrade: $(installed_version)"
wait "$w1_start" || fail "w1, created between unpack and configure, did not start"
grep -qF "stopped jshimd (pid $d) (upgrade from $prev_ver to $cur_ver)" "$tmp/install-cur.log" \
	|| fail "postinst did not hand over from jshimd $d: $(cat "$tmp/install-cur.log")"
gone "$d" 10 || fail "jshimd $prev_ver (pid $d) still runs after the upgrade"
graceful "$d"
d=$(await_daemon "$d" "$cur_ver")
say "upgraded: the postinst stopped jshimd $prev_ver, the launchers started jshimd $cur_ver (pid $d); w1 started"
attach oa hello-1

# ---- 4. two restarts: SIGKILL, then SIGTERM ----
restarts=1
for sig in KILL TERM; do
	before=$(lines o1)
	kill -"$sig" "$d"
	gone "$d" 10 || fail "jshimd $d did not end on SIG$sig"
	[ "$sig" = KILL ] || graceful "$d"
	d=$(await_daemon "$d" "$cur_ver")
	restarts=$((restarts + 1))
	await_lines o1 $((before + 100))
	say "SIG$sig: jshimd $cur_ver pid $d serves again; o1 has $(lines o1) lines"
done
attach oa hello-2
"$runc" --root "$runc_root" kill o3 TERM
await_exit o3 7

# ---- 5. new containers beside the old ones: the new launcher, shimmy and podman ----
start_shimmy n1 /usr/bin/jshim "$streamer"
start_shimmy na /usr/bin/jshim "$attacher" --stdin
attach na new-0
await_lines n1 100
podman_ran=
if [ -x "$podman" ]; then
	start_podman p1 "$streamer"
	podman_ran=1
	say "new containers n1, na (shimmy dialect) and p1 (podman) run through jshim $cur_ver"
else
	say "podman is not installed: new containers n1, na (shimmy dialect) only"
fi

# ---- 6. a downgrade while containers of the new launcher run: refused, nothing touched ----
if install_deb "$prev_deb" "$tmp/downgrade-refused.log"; then
	fail "the downgrade to $prev_ver went through while jshim $cur_ver launchers run"
fi
grep -qF "refusing to downgrade to $prev_ver" "$tmp/downgrade-refused.log" \
	|| fail "no refusal message: $(cat "$tmp/downgrade-refused.log")"
[ "$(installed_version)" = "$cur_ver" ] || fail "after the refused downgrade: $(installed_version)"
same_daemon "$d" "the refused downgrade"
before=$(lines n1)
await_lines n1 $((before + 50))
attach na new-1
say "downgrade refused while n1, na${podman_ran:+, p1} run; jshimd $d untouched"

# ---- 7. a forced downgrade leaves the newer daemon serving everybody; upgrading again hands
# over to the installed daemon (new launchers of a replaced binary count by their version) ----
JSHIM_FORCE_DOWNGRADE=1 install_deb "$prev_deb" "$tmp/downgrade-forced.log" \
	|| { cat "$tmp/downgrade-forced.log"; fail "the forced downgrade to $prev_ver"; }
[ "$(installed_version)" = "$prev_ver" ] || fail "after the forced downgrade: $(installed_version)"
grep -qF "is LEFT RUNNING for them" "$tmp/downgrade-forced.log" \
	|| fail "no warning from the forced downgrade: $(cat "$tmp/downgrade-forced.log")"
same_daemon "$d" "the forced downgrade"
before=$(lines n1)
await_lines n1 $((before + 50))
attach na new-2
attach oa hello-3
# the rpm's %postun (this tree's, $1 = 1) makes the same decision after an rpm downgrade
sh "$build/packaging/maint/rpm-postun" 1 >"$tmp/rpm-postun.log" 2>&1 9>&- \
	|| fail "rpm %postun exited $?: $(cat "$tmp/rpm-postun.log")"
grep -qF "is LEFT RUNNING for them" "$tmp/rpm-postun.log" \
	|| fail "rpm %postun after a downgrade: $(cat "$tmp/rpm-postun.log")"
same_daemon "$d" "rpm %postun"
say "forced downgrade: jshimd $cur_ver (pid $d) left running, serves old and new containers (deb postrm, rpm %postun)"
install_deb "$cur_deb" "$tmp/reinstall.log" || { cat "$tmp/reinstall.log"; fail "dpkg -i $cur_deb again"; }
grep -qF "stopped jshimd (pid $d) (upgrade from $prev_ver to $cur_ver)" "$tmp/reinstall.log" \
	|| fail "postinst did not hand over from jshimd $d: $(cat "$tmp/reinstall.log")"
graceful "$d"
d=$(await_daemon "$d" "$cur_ver")
restarts=$((restarts + 1))
before=$(lines n1)
await_lines n1 $((before + 50))
attach na new-3
say "upgraded again: jshimd $cur_ver pid $d"

# ---- 8. the containers of the new launcher end; then the downgrade goes through ----
for c in n1 w1; do "$runc" --root "$runc_root" kill "$c" TERM; done
await_exit n1 7
await_exit w1 7
attach na quit ""
await_exit na 5
if [ -n "$podman_ran" ]; then
	stop_podman p1
fi
for _ in $(seq 150); do [ -z "$(launchers_of "$cur_ver")" ] && break; sleep 0.1; done
[ -z "$(launchers_of "$cur_ver")" ] || fail "launchers of $cur_ver still run: $(launchers_of "$cur_ver")"
install_deb "$prev_deb" "$tmp/downgrade.log" || { cat "$tmp/downgrade.log"; fail "the downgrade to $prev_ver"; }
[ "$(installed_version)" = "$prev_ver" ] || fail "after the downgrade: $(installed_version)"
grep -qF "stopped jshimd (pid $d) (downgrade from $cur_ver to $prev_ver)" "$tmp/downgrade.log" \
	|| fail "postrm did not hand over from jshimd $d: $(cat "$tmp/downgrade.log")"
graceful "$d"
d=$(await_daemon "$d" "$prev_ver")
restarts=$((restarts + 1))
say "downgraded: the old launchers started jshimd $prev_ver (pid $d)"
attach oa hello-4
start_shimmy o9 /usr/bin/jshim 'echo after-downgrade; exit 2'
await_exit o9 2

# ---- 9. the old containers end; every log exact, every exit file right ----
before=$(lines o1)
await_lines o1 $((before + 100))
for c in o1 o2; do "$runc" --root "$runc_root" kill "$c" TERM; done
await_exit o1 7
await_exit o2 7
attach oa quit ""
await_exit oa 5

total_lines=0 total_bytes=0 total_split=0
for c in o1 o2 o3 n1 w1; do
	read -r n split < <(verify_stream "$c")
	say "$c: $n lines exact ($split records end inside a line: chunks read from a full pipe)"
	total_lines=$((total_lines + n))
	total_split=$((total_split + split))
	total_bytes=$((total_bytes + $(stat -c %s "$tmp/$c/log")))
done
verify_texts oa "got:hello-0 got:hello-1 got:hello-2 got:hello-3 got:hello-4"
verify_texts na "got:new-0 got:new-1 got:new-2 got:new-3"
verify_texts o9 "after-downgrade"
if [ -n "$podman_ran" ]; then
	verify_podman p1
	total_lines=$((total_lines + $(cat "$proot/p1.count")))
fi

# ---- 10. removal: the daemon keeps serving a running launcher; purge stops it, cleans up ----
install_deb "$cur_deb" "$tmp/install-again.log" || { cat "$tmp/install-again.log"; fail "dpkg -i $cur_deb"; }
gone "$d" 10 || fail "jshimd $prev_ver (pid $d, idle) still runs after the upgrade"
start_shimmy r1 /usr/bin/jshim "$streamer"
d=$(await_daemon "$d" "$cur_ver")
dpkg -r jshim >"$tmp/remove.log" 2>&1 9>&- || { cat "$tmp/remove.log"; fail "dpkg -r jshim"; }
grep -qF "launchers still run" "$tmp/remove.log" || fail "dpkg -r: $(cat "$tmp/remove.log")"
same_daemon "$d" "the removal"
before=$(lines r1)
await_lines r1 $((before + 100))
"$runc" --root "$runc_root" kill r1 TERM
await_exit r1 7
for _ in $(seq 150); do [ -z "$(launchers)" ] && break; sleep 0.1; done
dpkg --purge jshim >"$tmp/purge-final.log" 2>&1 9>&- || { cat "$tmp/purge-final.log"; fail "dpkg --purge jshim"; }
grep -qF "stopped jshimd (pid $d) (package removed); no launcher runs" "$tmp/purge-final.log" \
	|| fail "dpkg --purge did not stop jshimd $d: $(cat "$tmp/purge-final.log")"
[ ! -e "$sock" ] && [ ! -e /run/jshim/jshimd.log ] || fail "purge left $(ls /run/jshim)"
read -r n split < <(verify_stream r1)
say "removed while r1 ran (jshimd $d served it to its end, $n lines exact), purged: daemon stopped, /run/jshim cleaned"
total_lines=$((total_lines + n))
total_bytes=$((total_bytes + $(stat -c %s "$tmp/r1/log")))
say "figures: $(($(ls -d "$tmp"/*/log | wc -l) + ${podman_ran:-0})) containers, $total_lines streamed lines ($total_bytes log bytes), $restarts daemon restarts (upgrade, SIGKILL, SIGTERM, upgrade after the forced downgrade, downgrade), $(($(date +%s) - t_start)) s"
say "1 passed, 0 failed"
