#!/bin/sh
# bench/run.sh: jshim against conmon on the same runc. See bench/README.md.
#
#   sudo bench/run.sh [--quick] [--runs N] [--phases create,memory,log,scale]
#                     [--scale-count N] [--scale-idle SECS] [--memory-ns 1,10,100,200]
#                     [--log-warmups N]
#
# Environment: BUILD (default build/, the CMake build tree), ROOTFS (default
# $BUILD/test-rootfs, made by tests/make-rootfs.sh), RUNC, CONMON, JSHIM, JSHIMD.
# Raw samples and the table go to bench/results/<timestamp>/ (gitignored).
set -eu

die() {
	echo "bench/run.sh: $*" >&2
	exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
args=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) args="$args --quick" ;;
	--runs) [ $# -ge 2 ] || die "--runs needs a number"; args="$args --runs $2"; shift ;;
	--phases) [ $# -ge 2 ] || die "--phases needs a list"; args="$args --phases $2"; shift ;;
	--scale-count | --scale-idle | --log-warmups)
		case ${2:-} in '' | *[!0-9]*) die "$1 needs a number" ;; esac
		args="$args $1 $2"
		shift
		;;
	--memory-ns)
		case ${2:-} in '' | *[!0-9,]* | ,* | *, | *,,*) die "$1 needs a list of numbers such as 1,10,100" ;; esac
		args="$args $1 $2"
		shift
		;;
	-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
	*) die "unknown argument: $1 (try --help)" ;;
	esac
	shift
done

[ "$(id -u)" = 0 ] || die "must run as root (runc and conmon need it): sudo bench/run.sh"

build=${BUILD:-$repo/build}
case $build in /*) ;; *) build=$repo/$build ;; esac
rootfs_dir=${ROOTFS:-$build/test-rootfs}
[ -x "$rootfs_dir/rootfs/bin/busybox" ] && [ -f "$rootfs_dir/config.template.json" ] ||
	die "no busybox rootfs at $rootfs_dir: run tests/make-rootfs.sh $rootfs_dir first (or set ROOTFS)"

runc=${RUNC:-$(command -v runc || true)}
conmon=${CONMON:-$(command -v conmon || true)}
[ -n "$runc" ] && [ -x "$runc" ] || die "runc is not installed (apt-get install runc), or set RUNC"
[ -n "$conmon" ] && [ -x "$conmon" ] || die "conmon is not installed (apt-get install conmon), or set CONMON"
"$conmon" --version | grep -q '^conmon version 2\.1\.6' ||
	echo "bench/run.sh: warning: $("$conmon" --version | head -n 1), the issue asks for 2.1.6" >&2
command -v javac >/dev/null || die "javac (JDK 17) is needed for the driver"
command -v cc >/dev/null || die "cc is needed for bench/spawn_timed.c"

first() { for f in "$@"; do [ -e "$f" ] && { echo "$f"; return; }; done; echo "$1"; }
jshim=${JSHIM:-$(first "$build/jshim" "$build/native/launcher/jshim")}
jshimd=${JSHIMD:-$(first "$build/jshimd" "$build/packaging/jshimd")}
[ -x "$jshim" ] || echo "bench/run.sh: warning: no jshim launcher at $jshim (build it, or set JSHIM); its rows will fail" >&2
[ -x "$jshimd" ] || echo "bench/run.sh: warning: no jshimd at $jshimd (set JSHIMD)" >&2

results=$here/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$results"
# short paths: attach sockets must fit in sun_path
work=$(mktemp -d /tmp/jshim-bench.XXXXXX)

cleanup() {
	if [ -d "$work/runc" ]; then
		for id in $("$runc" --root "$work/runc" list -q 2>/dev/null); do
			echo "bench/run.sh: removing leftover container $id" >&2
			"$runc" --root "$work/runc" delete -f "$id" || true
		done
	fi
	for f in /proc/[0-9]*/cmdline; do
		cmd=$( { tr '\0' ' ' <"$f"; } 2>/dev/null) || continue
		case $cmd in *"$work/"*) ;; *) continue ;; esac
		p=${f#/proc/}
		p=${p%/cmdline}
		echo "bench/run.sh: killing leftover process $p: $cmd" >&2
		kill -9 "$p" 2>/dev/null || true
	done
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O2 -std=gnu11 -Wall -Wextra -Werror -o "$work/spawn_timed" "$here/spawn_timed.c" ||
	die "cannot compile bench/spawn_timed.c"
javac -d "$work/classes" "$here"/src/*.java || die "cannot compile the driver in bench/src"

echo "bench/run.sh: results in $results" >&2
# shellcheck disable=SC2086
"$work/spawn_timed" reap -l "$results/reaped.log" -- "$(command -v java)" -cp "$work/classes" Bench \
	--work "$work" --results "$results" --rootfs "$rootfs_dir/rootfs" \
	--template "$rootfs_dir/config.template.json" --reap-log "$results/reaped.log" \
	--runc "$runc" --conmon "$conmon" --jshim "$jshim" --jshimd "$jshimd" \
	--spawn "$work/spawn_timed" --clk-tck "$(getconf CLK_TCK)" $args || rc=$?
[ -f "$results/table.md" ] && echo "bench/run.sh: table saved as $results/table.md" >&2
[ "${rc:-0}" = 0 ] || die "the driver failed (status $rc), or left processes behind (named above)"
