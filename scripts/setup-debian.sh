#!/usr/bin/env bash
# setup-debian.sh: install what building and testing jshim needs on Debian 12, as root.
# Idempotent: re-running it only re-checks. No network beyond Debian's package mirrors
# (Maven fetches its plugins and the slf4j/JUnit jars from Maven Central during the build).
set -euo pipefail

[ "$(id -u)" = 0 ] || { echo "setup-debian.sh: run as root" >&2; exit 1; }

packages=(
	cmake make gcc libc6-dev               # the launcher and the JNI library
	maven openjdk-17-jdk-headless          # jshimd
	runc busybox-static                    # end-to-end tests and the demo
	podman conmon                          # podman e2e tests (rootful, --network none) and the bench
	containernetworking-plugins            # podman's default network backend here (CNI), not a Depends
	rpm dpkg-dev lintian jq file           # cpack, the package test, test helpers
	devscripts binutils                    # build tests: hardening-check, readelf
	procps util-linux ca-certificates gzip
	python3                                # DaemonPeerTest's unprivileged client (setpriv + a socket script)
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "setup-debian.sh: everything is installed"
	exit 0
fi
echo "setup-debian.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
