#!/usr/bin/env bash
# Fetches the unit files that Debian 12's systemd, openssh-server, nginx, cron, dbus and redis-server packages
# ship, for the corpus test (vigil.deps.DebianCorpusTest): each .deb is downloaded with apt-get download (no
# install) and unpacked with dpkg-deb -x into DEST (default target/debian-units). Run it again to refresh.
# Exit 0 when DEST holds every package, non-zero (with apt's message) otherwise, e.g. without network.
set -euo pipefail
dest="${1:-$(dirname "$0")/../target/debian-units}"
packages=(systemd openssh-server nginx-common cron dbus-system-bus-common dbus redis-server redis-tools)
mkdir -p "$dest/debs" "$dest/root"
cd "$dest/debs"
missing=()
for p in "${packages[@]}"; do
    compgen -G "${p}_*.deb" >/dev/null || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -qq || true
    apt-get download "${missing[@]}"
fi
for deb in ./*.deb; do dpkg-deb -x "$deb" ../root; done
touch ../complete
