#!/usr/bin/env bash
# Installs what `make bench` needs beyond the build: Dovecot's POP3 server from
# Debian 12 as the peer to measure against. The package's own system service is
# kept from starting (and disabled): the benchmark starts Dovecot itself, with
# its own config, on a free loopback port, and stops it when done.
set -euo pipefail

packages=(dovecot-core dovecot-pop3d python3 procps util-linux)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -ne 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "poplar bench: missing Debian packages: ${missing[*]}" >&2
    echo "poplar bench: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "poplar bench: installing ${missing[*]}" >&2
  # Debian's maintainer scripts start a service they install unless
  # policy-rc.d says no: say no for this install only, when nothing else does.
  policy=/usr/sbin/policy-rc.d
  own_policy=no
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# poplar bench: no service starts while Dovecot installs\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=yes
  fi
  trap 'if [ "$own_policy" = yes ]; then rm -f "$policy"; fi' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Dovecot just installed stays off: not running, not started at boot.
  # (A Dovecot that was installed before is the administrator's: left alone.
  # The benchmark's own instance is a separate master with its own base_dir.)
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
  elif command -v update-rc.d >/dev/null 2>&1; then
    update-rc.d dovecot disable >/dev/null 2>&1 || true
  fi
fi


# The unprivileged account that owns the benchmark's data; both servers run
# as it (Dovecot refuses to serve mail as root).
if ! getent passwd poplar-bench >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "poplar bench: the account poplar-bench is missing; run as root" >&2
    exit 1
  fi
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin poplar-bench
fi
