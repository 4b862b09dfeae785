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

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
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
