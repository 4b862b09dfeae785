#!/usr/bin/env bash
# Unpacks Debian 12's Courier POP3 server into build/courier-root for the
# UIDL migration tests (tests/integration/foreign_servers.py). courier-pop
# cannot be installed beside dovecot-pop3d (both provide pop3-server), so its
# packages are downloaded with apt-get and unpacked with dpkg-deb, not
# installed: nothing is started, nothing outside build/ is changed.
# Does nothing when the tree is already there.
set -euo pipefail

root="${POPLAR_COURIER_ROOT:-$(cd "$(dirname "$0")/.." && pwd)/build/courier-root}"
if [ -x "$root/usr/lib/courier/courier/courierpop3d" ]; then
  exit 0
fi
packages=(courier-pop courier-base courier-authlib libcourier-unicode4)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
chown _apt "$work" 2>/dev/null || true  # apt downloads as its sandbox user
(cd "$work" && apt-get download -qq "${packages[@]}" >/dev/null)
mkdir -p "$root"
for deb in "$work"/*.deb; do
  dpkg-deb -x "$deb" "$root"
done
echo "poplar: Courier's courierpop3d unpacked into $root" >&2
