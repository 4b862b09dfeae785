#!/usr/bin/env bash
# Installs poplar's build and test dependencies from Debian 12's packages.
# Does nothing when they are all present, so `make run`/`make test` stay fast.
# `install-deps.sh fuzz` also installs clang and libFuzzer (make fuzz).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libasio-dev libssl-dev libtomlplusplus-dev libcli11-dev libfmt-dev libcrypt-dev
  libidn-dev
  libgtest-dev
  python3 openssl curl fetchmail mpop getmail6 gsasl iproute2
  swaks
  dovecot-pop3d  # the UIDL migration tests run a private Dovecot (tests/integration/foreign_servers.py)
)
if [ "${1:-}" = fuzz ]; then
  # clang, libFuzzer's runtime and llvm-symbolizer for readable stack traces.
  packages+=(clang libclang-rt-14-dev llvm)
fi

# Postfix, for the LMTP end-to-end test, unless another MTA is installed:
# installing it would remove that one (they conflict), and the test then
# skips saying so.
if [ -e /usr/sbin/postfix ] || [ ! -e /usr/sbin/sendmail ]; then
  packages+=(postfix)
fi

# Courier's POP3 server for the same tests: unpacked under build/, never
# installed (courier-pop conflicts with dovecot-pop3d). Without network the
# Courier tests are skipped, saying why.
fetch_courier() {
  "$(dirname "$0")/fetch-courier.sh" || echo "poplar: could not unpack Courier; its migration tests will be skipped" >&2
}

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  fetch_courier
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "poplar: missing Debian packages: ${missing[*]}" >&2
  echo "poplar: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "poplar: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix is for the LMTP test, which runs a private instance of its own: the
# package must not configure (or start) a system mail server.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# dovecot-pop3d's postinst starts the system Dovecot (POP3 on every address)
# where an init system runs; the tests start their own. Stop it and keep it
# from starting at boot.
if [[ " ${missing[*]} " == *" dovecot-pop3d "* ]]; then
  if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
    systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
  else
    invoke-rc.d dovecot stop >/dev/null 2>&1 || true
    update-rc.d dovecot disable >/dev/null 2>&1 || true
  fi
fi
fetch_courier
