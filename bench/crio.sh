#!/bin/bash
# bench/crio.sh: jshim beside conmon 2.1.6, both driven exactly as CRI-O 1.28 drives its
# monitor (tests/helpers/crio_replay.c), in one run, on real runc.
#
#   bench/crio.sh [--probes N] [--creates N]
#
# Figures (medians, min-max beside them):
#   create  wall time of CRI-O's create call (spawn, start byte, the spawned process' exit, the
#           {"pid": N} value) minus a bare `runc create` of the same bundle, interleaved
#   probe   an ExecSync `true` probe (-e --sync -l LOG --log-global-size-max -T 5): wall time and
#           CPU (the monitor and everything it waits for: runc exec, the process), plus jshimd's
#           CPU over all probes divided by N for jshim
# Environment: BUILD (default build/), ROOTFS (default $BUILD/test-rootfs), CONMON, RUNC.
set -euo pipefail

die() { echo "bench/crio.sh: $*" >&2; exit 1; }

probes=100 creates=20
while [ $# -gt 0 ]; do
	case $1 in
	--probes) probes=$2; shift ;;
	--creates) creates=$2; shift ;;
	-h | --help) sed -n '2,15p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || die "must run as root"
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${BUILD:-$repo/build}
rootfs_dir=${ROOTFS:-$build/test-rootfs}
conmon=${CONMON:-/usr/bin/conmon}
runc=${RUNC:-/usr/sbin/runc}
replay=$build/tests/crio-replay
[ -x "$replay" ] || die "no $replay: build the tree first"
[ -x "$rootfs_dir/rootfs/bin/busybox" ] || die "no busybox rootfs at $rootfs_dir (tests/make-rootfs.sh)"
command -v jq >/dev/null || die "jq is needed"

work=$(mktemp -d /tmp/jshim-cbench.XXXXXX)
mkdir -p "$work/bin" "$work/runc" "$work/exits" "$work/attach"
ln -s "$build/native/launcher/jshim" "$work/bin/conmon"
export TIMEFORMAT='%R %U %S'

cleanup() {
	for id in $("$runc" --root "$work/runc" list -q 2>/dev/null); do
		"$runc" --root "$work/runc" delete -f "$id" >/dev/null 2>&1 || true
	done
	pkill -9 -f "$work/" 2>/dev/null || true
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT

bundle() { # DIR ARGS_JSON
	mkdir -p "$1"
	jq --arg root "$rootfs_dir/rootfs" --argjson args "$2" \
		'.process.args = $args | .root = {path: $root, readonly: true} | .process.terminal = false' \
		"$rootfs_dir/config.template.json" >"$1/config.json"
}
monitor_of() { [ "$1" = jshim ] && echo "$work/bin/conmon" || echo "$conmon"; }
env_of() { [ "$1" = jshim ] && echo "--env JSHIM_SOCKET=$work/jshimd.sock" || true; }

# CRI-O's create argv (crio-conmon.md 1.2) for container $2 with monitor variant $1.
crio_create() {
	local v=$1 id=$2 b=$work/b/$2
	mkdir -p "$b/persist"
	# shellcheck disable=SC2046
	"$replay" create --result "$b/result.json" --trailing-ms 0 --cwd "$b" $(env_of "$v") -- "$(monitor_of "$v")" \
		-b "$b" -c "$id" --exit-dir "$work/exits" -l "$b/0.log" --log-level info -n "k8s_$id" \
		-P "$b/conmon-pidfile" -p "$b/pidfile" --persist-dir "$b/persist" -r "$runc" \
		--runtime-arg "--root=$work/runc" --socket-dir-path "$work/attach" --syslog -u "$id" \
		>"$b/replay.out" 2>&1
	jq -e '.value | test("\"pid\": [0-9]+")' "$b/result.json" >/dev/null ||
		die "$v: create $id failed: $(cat "$b/result.json" "$b/replay.out")"
}

# One ExecSync probe (crio-conmon.md 2.1); prints "wall user sys" in seconds.
crio_probe() {
	local v=$1 id=$2 n=$3 t=$work/p/$1.$3
	mkdir -p "$t"
	printf '{"args": ["true"], "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}' >"$t/spec"
	# shellcheck disable=SC2046
	{ time "$replay" exec --result "$t/result.json" --trailing-ms 0 $(env_of "$v") -- "$(monitor_of "$v")" \
		-c "$id" -n "k8s_$id" -r "$runc" -p "$t/pidfile" -e -l "$t/log" \
		--socket-dir-path "$work/attach" --log-level info --sync --log-global-size-max 16777216 \
		-T 5 --exec-process-spec "$t/spec" --runtime-arg "--root=$work/runc" \
		>"$t/replay.out" 2>&1; } 2>&1
	jq -e '.value == "{\"exit_code\": 0}"' "$t/result.json" >/dev/null ||
		die "$v: probe $n: $(cat "$t/result.json" "$t/replay.out")"
}

stats() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f (%.1f-%.1f)", m, a[1], a[NR]}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

bundle "$work/b/bare" '["sleep", "600"]'
: >"$work/create.bare"; : >"$work/create.jshim"; : >"$work/create.conmon"
i=0
while [ $i -lt "$creates" ]; do
	{ time "$runc" --root "$work/runc" create --bundle "$work/b/bare" --pid-file "$work/b/bare/pid" \
		"bare$i" </dev/null >/dev/null 2>&1; } 2>&1 | awk '{print $1 * 1000}' >>"$work/create.bare"
	"$runc" --root "$work/runc" delete -f "bare$i"
	for v in jshim conmon; do
		id=$v-c$i
		bundle "$work/b/$id" '["sleep", "600"]'
		{ time crio_create "$v" "$id"; } 2>&1 | awk '{print $1 * 1000}' >>"$work/create.$v"
		"$runc" --root "$work/runc" delete -f "$id" >/dev/null 2>&1 || true
	done
	i=$((i + 1))
done

for v in jshim conmon; do
	bundle "$work/b/$v-probe" '["sleep", "600"]'
	crio_create "$v" "$v-probe"
	"$runc" --root "$work/runc" start "$v-probe"
done
daemon=$(pgrep -f "$work/jshimd.sock" | head -n 1)
[ -n "$daemon" ] || die "no jshimd found"
d0=$(cpu_ticks "$daemon")
i=0
: >"$work/wall.jshim"; : >"$work/wall.conmon"; : >"$work/cpu.jshim"; : >"$work/cpu.conmon"
while [ $i -lt "$probes" ]; do
	for v in jshim conmon; do
		read -r wall user sys < <(crio_probe "$v" "$v-probe" "$i")
		echo "$wall" | awk '{print $1 * 1000}' >>"$work/wall.$v"
		echo "$user $sys" | awk '{print ($1 + $2) * 1000}' >>"$work/cpu.$v"
	done
	i=$((i + 1))
done
d1=$(cpu_ticks "$daemon")
hz=$(getconf CLK_TCK)
dms=$(awk -v t=$((d1 - d0)) -v hz="$hz" -v n="$probes" 'BEGIN {printf "%.2f", t * 1000 / hz / n}')

bare=$(stats <"$work/create.bare")
med() { stats <"$1" | awk '{print $1}'; }
echo "CRI-O replay, $(date -u +%Y-%m-%d), $(nproc) CPUs, $creates creates, $probes probes, runc $("$runc" --version | head -n 1 | awk '{print $3}')"
printf '| | jshim | conmon 2.1.6 |\n|---|---|---|\n'
printf '| create, ms (bare runc create: %s) | %s | %s |\n' "$bare" "$(stats <"$work/create.jshim")" "$(stats <"$work/create.conmon")"
printf '| create overhead over bare runc, ms (medians) | %.1f | %.1f |\n' \
	"$(echo "$(med "$work/create.jshim") - $(med "$work/create.bare")" | bc)" \
	"$(echo "$(med "$work/create.conmon") - $(med "$work/create.bare")" | bc)"
printf '| ExecSync `true` probe, wall ms | %s | %s |\n' "$(stats <"$work/wall.jshim")" "$(stats <"$work/wall.conmon")"
printf '| ExecSync probe, CPU ms (monitor + runc + process) | %s | %s |\n' "$(stats <"$work/cpu.jshim")" "$(stats <"$work/cpu.conmon")"
printf '| jshimd CPU per probe, ms | %s | - |\n' "$dms"
