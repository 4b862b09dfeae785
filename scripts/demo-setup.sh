#!/usr/bin/env bash
# Makes a self-contained demo under ./demo: a passwd-file with one user, a
# Maildir holding a welcome message, a self-signed certificate for localhost,
# and a config listening on 127.0.0.1 (POP3 with STLS, and POP3S).
# Keeps an existing demo (and its mail) as it is, so `make run` can be re-run.
set -euo pipefail

root="${1:-demo}"
mkdir -p "$root"
root="$(cd "$root" && pwd)"
port="${POPLAR_DEMO_PORT:-1110}"
tls_port="${POPLAR_DEMO_TLS_PORT:-1995}"

if [ ! -f "$root/users" ]; then
  password="$(openssl rand -hex 6)"
  # SHA512-CRYPT, as `doveadm pw -s SHA512-CRYPT` would write it.
  hash="$(openssl passwd -6 "$password")"
  umask 077
  echo "demo:{SHA512-CRYPT}${hash}:::Demo User:$root/home/demo::" > "$root/users"
  echo "$password" > "$root/demo-password"
fi

maildir="$root/mail/demo"
if [ ! -d "$maildir" ]; then
  mkdir -p "$maildir"/{cur,new,tmp}
  now="$(date +%s)"
  name="$now.M0P$$.$(hostname)"
  cat > "$maildir/tmp/$name" <<MSG
Return-Path: <postmaster@localhost>
From: poplar <postmaster@localhost>
To: Demo User <demo@localhost>
Subject: Welcome to poplar
Date: $(date -R)
Message-ID: <welcome.$now@localhost>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hello!

This message sits in $maildir.
Your mail client fetched it over POP3 from poplar.

Delete it and it is gone at QUIT; leave it and it stays,
with the same UIDL, for as long as it is here.
MSG
  mv "$maildir/tmp/$name" "$maildir/new/$name"
fi

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

password="$(cat "$root/demo-password")"
echo "poplar demo: user 'demo', password '$password', POP3 (STLS) on 127.0.0.1:$port, POP3S on 127.0.0.1:$tls_port"
echo "poplar demo: try  curl -u demo:$password pop3://127.0.0.1:$port/1"
echo "poplar demo: or   curl --cacert $root/tls/cert.pem -u demo:$password pop3s://localhost:$tls_port/1"
