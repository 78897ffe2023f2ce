#!/bin/sh
# bench/tty.sh: -t through podman 4.3.1, jshim beside conmon 2.1.6, in one run (issue 10).
#
#   bench/tty.sh [--keys N] [--mib N] [--runs N]
#
# Figures:
#   rtt   keystroke round trip through `podman attach` to a `run -dt` container (its pty echoes):
#         N single bytes typed one at a time on a real pty (tests/helpers/pty_run.c --rtt), each
#         after the previous one came back; median, p90, min, max in microseconds, per run
#   cpu   a `run -dt` container writes N MiB of 80-byte lines to its pty: CPU (utime + stime,
#         /proc/<pid>/stat) of the monitor (jshim: launcher + jshimd) per MiB, and the wall time;
#         "jshim" without -t is the same through plain pipes (the relay's cost is the difference)
# Variants run interleaved, --runs times each. Environment: BUILD (default build/), ROOTFS, CONMON.
set -eu

die() { echo "bench/tty.sh: $*" >&2; exit 1; }

keys=200 mib=64 runs=3
while [ $# -gt 0 ]; do
	case $1 in
	--keys) keys=$2; shift ;;
	--mib) mib=$2; shift ;;
	--runs) runs=$2; shift ;;
	-h | --help) sed -n '2,15p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || die "must run as root"
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${BUILD:-$repo/build}
rootfs=${ROOTFS:-$build/test-rootfs}/rootfs
conmon=${CONMON:-/usr/bin/conmon}
ptyrun=$build/tests/pty-run
[ -x "$rootfs/bin/busybox" ] || die "no busybox rootfs at $rootfs (tests/make-rootfs.sh)"
[ -x "$build/native/launcher/jshim" ] || die "no launcher in $build"
[ -x "$ptyrun" ] || die "no $ptyrun (cmake --build $build --target pty-run)"
command -v podman >/dev/null || die "podman is not installed"

work=$(mktemp -d /tmp/jshim-tbench.XXXXXX)
[ -d "$work" ] || die "mktemp failed"
mkdir -p "$work/bin" "$work/gate"
ln -s "$build/native/launcher/jshim" "$work/bin/conmon"
cp -a "$rootfs" "$work/rootfs"
printf '[engine]\nconmon_path = ["%s"]\nconmon_env_vars = ["JSHIMD=%s", "JSHIM_SOCKET=%s"]\n' \
	"$work/bin/conmon" "$build/jshimd" "$work/jshimd.sock" >"$work/jshim.conf"
printf '[engine]\nconmon_path = ["%s"]\n' "$conmon" >"$work/conmon.conf"

# conmon_of VARIANT: the conmon podman gets
conmon_of() { if [ "$1" = conmon ]; then echo "$conmon"; else echo "$work/bin/conmon"; fi; }
# pm VARIANT ARGS...: podman in the variant's private world
pm() {
	v=$1
	shift
	CONTAINERS_CONF=$work/$v.conf podman --root "$work/$v/root" --runroot "$work/$v/runroot" \
		--tmpdir "$work/$v/tmp" --storage-driver vfs --cgroup-manager=cgroupfs \
		--events-backend=file --conmon "$(conmon_of "$v")" "$@"
}
# this run's jshimd only: it holds the lock file of this run's private socket
daemon_pid() {
	for p in $(pgrep -f -- "--socket $work/jshimd.sock" || true); do echo "$p"; done | head -1
}

cleanup() {
	for v in jshim conmon; do
		pm "$v" rm -af -t 0 >/dev/null 2>&1 || true
	done
	d=$(daemon_pid)
	[ -n "$d" ] && kill -9 "$d" 2>/dev/null || true
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

runargs="--network none --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 -v $work/gate:/gate --rootfs $work/rootfs"

# ticks PID: utime + stime of a process, in clock ticks (0 if gone)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# rtt VARIANT: prints pty-run's "rtt_us n=... median=..." line
rtt() {
	v=$1
	pm "$v" run -dt --name "rtt-$v" $runargs sleep 1000 >/dev/null
	out=$(CONTAINERS_CONF=$work/$v.conf timeout 120 "$ptyrun" --raw --rtt "$keys" --rtt-exit -- \
		podman --root "$work/$v/root" --runroot "$work/$v/runroot" --tmpdir "$work/$v/tmp" \
		--storage-driver vfs --cgroup-manager=cgroupfs --events-backend=file \
		--conmon "$(conmon_of "$v")" attach "rtt-$v" 2>&1 >/dev/null) || true
	pm "$v" rm -f -t 0 "rtt-$v" >/dev/null
	echo "$out" | grep '^rtt_us' || echo "rtt_us failed: $out"
}

# cpu VARIANT FLAG: one "cpu ..." line
cpu() {
	v=$1 flag=$2 name=cpu-$1$2
	rm -f "$work/gate/go"
	line=$(printf '%079d' 0 | tr 0 x)
	pm "$v" run -d $flag --name "$name" $runargs sh -c \
		"while [ ! -e /gate/go ]; do sleep 0.02; done; yes $line | head -c $((mib * 1048576)); echo; echo END-OF-OUTPUT; sleep 1000" >/dev/null
	mon=$(pm "$v" inspect --format '{{.State.ConmonPid}}' "$name")
	log=$(pm "$v" inspect --format '{{.HostConfig.LogConfig.Path}}' "$name")
	d=
	[ "$v" = jshim ] && d=$(daemon_pid)
	m0=$(ticks "$mon") d0=0
	[ -n "$d" ] && d0=$(ticks "$d")
	t0=$(date +%s.%N)
	touch "$work/gate/go"
	while ! tail -c 300 "$log" 2>/dev/null | grep -q 'END-OF-OUTPUT'; do sleep 0.05; done
	t1=$(date +%s.%N)
	m1=$(ticks "$mon") d1=0
	[ -n "$d" ] && d1=$(ticks "$d")
	hz=$(getconf CLK_TCK)
	awk -v m="$((m1 - m0))" -v d="$((d1 - d0))" -v hz="$hz" -v mib="$mib" -v t0="$t0" -v t1="$t1" \
		-v label="$v${flag:+ $flag}" 'BEGIN { printf "cpu %-9s monitor %6.1f ms/MiB, jshimd %6.1f ms/MiB, total %6.1f ms/MiB, wall %.2f s\n",
			label, m * 1000 / hz / mib, d * 1000 / hz / mib, (m + d) * 1000 / hz / mib, t1 - t0 }'
	pm "$v" rm -f -t 0 "$name" >/dev/null
}

echo "bench/tty.sh: $keys keys, $mib MiB, $runs runs; $(uname -r), $(nproc) CPUs, $(podman --version)"
pm jshim run --rm $runargs true >/dev/null # warm: jshimd up
for r in $(seq 1 "$runs"); do
	for v in jshim conmon; do
		printf 'run %d %-6s ' "$r" "$v"
		rtt "$v"
	done
	cpu jshim -t
	cpu conmon -t
	cpu jshim ""
done
