#!/usr/bin/env bash
# Makes a throw-away local CA and a TLS certificate for a case server on loopback.
# Usage: scripts/make-pki.sh DIR [NAME [client]]   → DIR/ca.pem, DIR/NAME.pem, DIR/NAME.key
# With "client": a TLS client certificate (for mTLS) from the same CA.
# For demos and tests only: the CA key is left beside them. DAYS sets the certificate's
# lifetime (default 397, the CA/Browser Forum maximum); the CA lives ten years.
set -euo pipefail
dir=$1
name=${2:-server}
usage=serverAuth
[ "${3:-}" = client ] && usage=clientAuth
mkdir -p "$dir"
cd "$dir"
if [ ! -f ca.key ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout ca.key -out ca.pem -days 3650 -subj "/CN=gatewayd test CA $(date +%s%N)" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
fi
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$name.key" -out "$name.csr" -subj "/CN=localhost" 2>/dev/null
cat > "$name.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=$usage
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT
openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
  -out "$name.pem" -days "${DAYS:-397}" -extfile "$name.ext" 2>/dev/null
rm -f "$name.csr" "$name.ext"
chmod 600 ca.key "$name.key"
