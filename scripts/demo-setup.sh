#!/usr/bin/env bash
# Makes a self-contained demo under ./demo: a passwd-file with one user
# (poplar user add), a Maildir holding a welcome message (poplar deliver), a
# self-signed certificate for localhost, and a config listening on 127.0.0.1
# (POP3 with STLS, and POP3S). POPLAR_BIN names the poplar binary to use.
# Keeps an existing demo (and its mail) as it is, so `make run` can be re-run.
set -euo pipefail

root="${1:-demo}"
mkdir -p "$root"
root="$(cd "$root" && pwd)"
port="${POPLAR_DEMO_PORT:-1110}"
poplar="${POPLAR_BIN:-build/release/poplar}"
poplar="$(cd "$(dirname "$poplar")" && pwd)/$(basename "$poplar")"
tls_port="${POPLAR_DEMO_TLS_PORT:-1995}"

# A self-signed certificate for localhost, so that STLS and POP3S work out of
# the box; clients verify it with --cacert demo/tls/cert.pem.
if [ ! -f "$root/tls/cert.pem" ]; then
  mkdir -p "$root/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$root/tls/key.pem" -out "$root/tls/cert.pem" 2>/dev/null
  chmod 600 "$root/tls/key.pem"
fi

cat > "$root/poplar.toml" <<CONF
# Demo config written by scripts/demo-setup.sh; see examples/poplar.toml for every key.
listen = ["127.0.0.1:$port"]
listen_tls = ["127.0.0.1:$tls_port"]
tls_certificate = "$root/tls/cert.pem"
tls_private_key = "$root/tls/key.pem"
passwd_file = "$root/users"
mail_path = "$root/mail/%u"
CONF

# The demo user and its welcome message, made with poplar's own commands, as
# an administrator would: `poplar user add` and `poplar deliver`.
if [ ! -f "$root/demo-password" ]; then
  password="$(openssl rand -hex 6)"
  umask 077
  echo "$password" > "$root/demo-password"
  umask 022
  echo "$password" | "$poplar" user add demo -c "$root/poplar.toml" --home "$root/home/demo"
  "$poplar" deliver demo -c "$root/poplar.toml" <<MSG
Return-Path: <postmaster@localhost>
From: poplar <postmaster@localhost>
To: Demo User <demo@localhost>
Subject: Welcome to poplar
Date: $(date -R)
Message-ID: <welcome.$(date +%s)@localhost>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hello!

This message sits in $root/mail/demo, put there by
  poplar deliver demo < message
Your mail client fetched it over POP3 from poplar.

Delete it and it is gone at QUIT; leave it and it stays,
with the same UIDL, for as long as it is here.
MSG
fi

password="$(cat "$root/demo-password")"
echo "poplar demo: user 'demo', password '$password', POP3 (STLS) on 127.0.0.1:$port, POP3S on 127.0.0.1:$tls_port"
echo "poplar demo: try  curl -u demo:$password pop3://127.0.0.1:$port/1"
echo "poplar demo: or   curl --cacert $root/tls/cert.pem -u demo:$password pop3s://localhost:$tls_port/1"
