#!/bin/sh
# bench/podman.sh: podman 4.3.1 with jshim as its conmon, beside conmon 2.1.6, in one run.
#
#   bench/podman.sh [--runs N] [--containers N] [--log-mib N]
#
# Figures (medians of interleaved runs, min-max beside them):
#   run   wall time of `podman run --rm ... true`
#   logs  a container writing N MiB of 80-byte lines: time until `podman wait` returns, and
#         time of `podman logs` reading it back (bytes checked)
#   pss   N sleeping containers: PSS of every monitor process (+ jshimd for jshim), per container
# Environment: BUILD (default build/), ROOTFS (default $BUILD/test-rootfs), CONMON.
set -eu

die() { echo "bench/podman.sh: $*" >&2; exit 1; }

runs=20 containers=50 logmib=256
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--containers) containers=$2; shift ;;
	--log-mib) logmib=$2; shift ;;
	-h | --help) sed -n '2,12p' "$0"; exit 0 ;;
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
[ -x "$rootfs/bin/busybox" ] || die "no busybox rootfs at $rootfs (tests/make-rootfs.sh)"
[ -x "$build/native/launcher/jshim" ] || die "no launcher in $build"
command -v podman >/dev/null || die "podman is not installed"

work=$(mktemp -d /tmp/jshim-pbench.XXXXXX)
mkdir -p "$work/bin"
ln -s "$build/native/launcher/jshim" "$work/bin/conmon"
cat >"$work/jshim.conf" <<EOF
[engine]
conmon_path = ["$work/bin/conmon"]
conmon_env_vars = ["JSHIMD=$build/jshimd", "JSHIM_SOCKET=$work/jshimd.sock"]
EOF
cat >"$work/conmon.conf" <<EOF
[engine]
conmon_path = ["$conmon"]
EOF

cleanup() {
	for v in jshim conmon; do
		pm "$v" rm -af -t 0 >/dev/null 2>&1 || true
	done
	pkill -9 -f "$work/jshimd.sock" 2>/dev/null || true
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# pm VARIANT ARGS...: podman in the variant's private world
pm() {
	v=$1; shift
	CONTAINERS_CONF=$work/$v.conf podman --root "$work/$v/root" --runroot "$work/$v/runroot" \
		--tmpdir "$work/$v/tmp" --storage-driver vfs --cgroup-manager=cgroupfs \
		--events-backend=file "$@"
}
run_opts="--network none --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 --rootfs $rootfs"

now_ns() { date +%s%N; }
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }
# median and range of the numbers on stdin
stats() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%s (%s-%s)", m, a[1], a[NR]}'; }

# Proves the variant's monitor is what podman used.
check_monitor() {
	v=$1
	# shellcheck disable=SC2086
	id=$(pm "$v" run -d $run_opts sleep 30)
	pid=$(pm "$v" inspect --format '{{.State.ConmonPid}}' "$id")
	exe=$(readlink "/proc/$pid/exe")
	pm "$v" rm -f -t 0 "$id" >/dev/null
	case $v:$exe in
	jshim:*/jshim | conmon:"$conmon") echo "bench/podman.sh: $v: monitor $exe" >&2 ;;
	*) die "$v: podman used $exe as its monitor" ;;
	esac
}

for v in jshim conmon; do
	# shellcheck disable=SC2086
	pm "$v" run --rm $run_opts true >/dev/null # warm up (jshimd start, storage)
	check_monitor "$v"
done

: >"$work/run.jshim"; : >"$work/run.conmon"
i=0
while [ $i -lt "$runs" ]; do
	for v in jshim conmon; do
		t=$(now_ns)
		# shellcheck disable=SC2086
		pm "$v" run --rm $run_opts true
		ms_since "$t" >>"$work/run.$v"
	done
	i=$((i + 1))
done

lines=$((logmib * 1024 * 1024 / 80))
for v in jshim conmon; do
	# 79 characters + newline per line
	# shellcheck disable=SC2086
	id=$(pm "$v" create $run_opts sh -c "yes 0123456789012345678901234567890123456789012345678901234567890123456789012345678 | head -n $lines")
	t=$(now_ns)
	pm "$v" start "$id" >/dev/null
	pm "$v" wait "$id" >/dev/null
	ms_since "$t" >"$work/logw.$v"
	t=$(now_ns)
	bytes=$(pm "$v" logs "$id" 2>/dev/null | wc -c)
	ms_since "$t" >"$work/logr.$v"
	[ "$bytes" = $((lines * 80)) ] || die "$v: podman logs gave $bytes bytes, expected $((lines * 80))"
	pm "$v" rm -f "$id" >/dev/null
done

pss_kib() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
for v in jshim conmon; do
	ids=""
	n=0
	while [ $n -lt "$containers" ]; do
		# shellcheck disable=SC2086
		ids="$ids $(pm "$v" run -d $run_opts sleep 600)"
		n=$((n + 1))
	done
	sleep 2
	total=0
	for id in $ids; do
		p=$(pm "$v" inspect --format '{{.State.ConmonPid}}' "$id")
		total=$((total + $(pss_kib "$p")))
	done
	if [ "$v" = jshim ]; then
		d=$(pgrep -f "$work/jshimd.sock" | head -n 1)
		dp=$(pss_kib "$d")
		echo "jshimd PSS: $dp KiB" >"$work/pss.daemon"
		total=$((total + dp))
	fi
	echo $((total / containers)) >"$work/pss.$v"
	# shellcheck disable=SC2086
	pm "$v" rm -f -t 0 $ids >/dev/null
done

echo "podman 4.3.1, $(date -u +%Y-%m-%d), $(nproc) CPUs, $runs runs, $containers containers, $logmib MiB"
printf '| | jshim | conmon |\n|---|---|---|\n'
printf '| podman run --rm true, ms | %s | %s |\n' "$(stats <"$work/run.jshim")" "$(stats <"$work/run.conmon")"
printf '| %s MiB of 80-byte lines: start to wait, ms | %s | %s |\n' "$logmib" "$(cat "$work/logw.jshim")" "$(cat "$work/logw.conmon")"
printf '| podman logs of it, ms | %s | %s |\n' "$(cat "$work/logr.jshim")" "$(cat "$work/logr.conmon")"
printf '| PSS per container at N = %s, KiB | %s | %s |\n' "$containers" "$(cat "$work/pss.jshim")" "$(cat "$work/pss.conmon")"
cat "$work/pss.daemon"
