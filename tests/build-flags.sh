#!/usr/bin/env bash
# build-flags.sh MODE SOURCE_DIR SCRATCH_DIR: a build test (ctest label build).
#
# Configures the native parts only (-DJSHIM_BUILD_JAVA=OFF) in a fresh SCRATCH_DIR with
# -DJSHIM_WERROR=ON and MODE's flags, builds them with -j2, and fails on a build error, on any
# "warning:" in the build output, or if a compile command lacks -Werror or MODE's flags. Then
# runs that tree's C unit tests (ctest -L '^c$'). MODE:
#   release   CMAKE_BUILD_TYPE=Release (-O3), no flags from the environment
#   hardened  CFLAGS, CPPFLAGS and LDFLAGS from dpkg-buildflags with hardening=+all and
#             CMAKE_BUILD_TYPE=None, as debhelper builds a package; then hardening-check on
#             the launcher and the JNI library and a non-executable stack (readelf)
#   clang     CC=$CLANG, CMAKE_BUILD_TYPE=Release
set -euo pipefail

fail() { echo "build-flags: FAIL: $*" >&2; exit 1; }
say() { echo "build-flags: $*"; }

[ $# -eq 3 ] || fail "usage: build-flags.sh release|hardened|clang SOURCE_DIR SCRATCH_DIR"
mode=$1
src=$(readlink -f -- "$2")
scratch=$3
for tool in cmake ctest jq readelf; do
	command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/setup-debian.sh)"
done

unset CFLAGS CPPFLAGS LDFLAGS CC
cmake_args=(-DJSHIM_BUILD_JAVA=OFF -DJSHIM_WERROR=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)
case $mode in
release)
	cmake_args+=(-DCMAKE_BUILD_TYPE=Release)
	want_flags=(-O3 -Werror)
	;;
hardened)
	for tool in dpkg-buildflags hardening-check; do
		command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/setup-debian.sh)"
	done
	# dpkg-buildflags maps the current directory (the package source) in -ffile-prefix-map
	export DEB_BUILD_MAINT_OPTIONS=hardening=+all
	CFLAGS=$(cd "$src" && dpkg-buildflags --get CFLAGS)
	CPPFLAGS=$(cd "$src" && dpkg-buildflags --get CPPFLAGS)
	LDFLAGS=$(cd "$src" && dpkg-buildflags --get LDFLAGS)
	export CFLAGS CPPFLAGS LDFLAGS
	say "CFLAGS=$CFLAGS CPPFLAGS=$CPPFLAGS LDFLAGS=$LDFLAGS"
	cmake_args+=(-DCMAKE_BUILD_TYPE=None)
	# CPPFLAGS must reach the compiler although CMake itself ignores them (CMakeLists.txt)
	want_flags=(-O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -Werror=format-security -Werror)
	;;
clang)
	[ -n "${CLANG:-}" ] && [ -x "$CLANG" ] || fail "no clang (CLANG=${CLANG:-})"
	export CC=$CLANG
	cmake_args+=(-DCMAKE_BUILD_TYPE=Release)
	want_flags=(-O3 -Werror)
	;;
*) fail "unknown mode $mode" ;;
esac

rm -rf -- "$scratch"
mkdir -p -- "$scratch"
log=$scratch.log
start=$(date +%s)
if ! cmake -S "$src" -B "$scratch" "${cmake_args[@]}" >"$log" 2>&1; then
	cat "$log"
	fail "cmake configure ($mode)"
fi
if ! cmake --build "$scratch" -j2 >>"$log" 2>&1; then
	grep -E -B2 -A8 'error|warning' "$log" | head -n 200
	fail "the $mode build failed (full log: $log)"
fi
# -Werror makes compiler warnings fail the build already; this also catches the linker's
if grep -E 'warning:' "$log"; then
	fail "the $mode build printed warnings (full log: $log)"
fi
say "configured and built in $(($(date +%s) - start)) s"

# every compile command has -Werror and the mode's flags
cc=$scratch/compile_commands.json
[ -s "$cc" ] || fail "no $cc"
n=$(jq length "$cc")
[ "$n" -ge 20 ] || fail "only $n compile commands in $cc"
for flag in "${want_flags[@]}"; do
	missing=$(jq -r --arg f "$flag" \
		'.[] | select(.command | split(" ") | index($f) | not) | .file' "$cc")
	[ -z "$missing" ] || fail "compiled without $flag: $missing"
done
if [ "$mode" = clang ]; then
	missing=$(jq -r '.[] | select(.command | test("^\\S*clang\\S* ") | not) | .file' "$cc")
	[ -z "$missing" ] || fail "not compiled by clang: $missing"
fi
say "$n compile commands, all with ${want_flags[*]}"

launcher=$scratch/native/launcher/jshim
jni=$scratch/native/jni/libjshim-jni.so
[ -x "$launcher" ] || fail "no $launcher"
[ -f "$jni" ] || fail "no $jni"
if [ "$mode" = hardened ]; then
	# PIE, stack protector, FORTIFY, RELRO, BIND_NOW. Debian 12's hardening=+all has no
	# -fcf-protection, hence --nocfprotection. The JNI library is a shared library (no PIE)
	# and its only fortifiable calls (read, pread, poll) take sizes known at run time only.
	hardening-check --nocfprotection "$launcher" || fail "hardening-check $launcher"
	hardening-check --nocfprotection --nopie --nofortify "$jni" || fail "hardening-check $jni"
	# (readelf output is kept first: grep -q stopping early would fail a pipeline under pipefail)
	for f in "$launcher" "$jni"; do
		ph=$(readelf -lW "$f") dyn=$(readelf -dW "$f") syms=$(readelf --dyn-syms -W "$f")
		grep -qE '^ *GNU_STACK .* RW  ' <<<"$ph" || fail "$f: executable or no GNU_STACK"
		grep -qE '^ *GNU_RELRO ' <<<"$ph" || fail "$f: no GNU_RELRO"
		grep -qE '\(FLAGS\) .*BIND_NOW|\(FLAGS_1\) .*NOW' <<<"$dyn" || fail "$f: no BIND_NOW"
		grep -qw '__stack_chk_fail' <<<"$syms" || fail "$f: no stack protector"
	done
	grep -qE 'Type: +DYN' <<<"$(readelf -hW "$launcher")" || fail "$launcher is not PIE"
	grep -qE ' __[a-z]+_chk(@|$)' <<<"$(readelf --dyn-syms -W "$launcher")" || fail "$launcher: no FORTIFY call"
	say "hardening-check and readelf: launcher and JNI library hardened"
fi

# the C unit tests of this build (with FORTIFY: a detected overflow aborts the test)
(cd "$scratch" && ctest -L '^c$' --no-tests=error --output-on-failure) || fail "C unit tests of the $mode build"
say "$mode: ok in $(($(date +%s) - start)) s"
