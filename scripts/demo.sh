#!/usr/bin/env bash
# make demo: a case-server and a gatewayd on loopback with throw-away keys and a local CA;
# sample scans go in through the line reader (a FIFO, standing in for a wedge scanner), and
# the demo waits until the server has opened every one of them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "$root" && swift build --show-bin-path)
work="$root/demo-run"
rm -rf "$work"
mkdir -p "$work/devices"
cd "$work"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

echo "demo: making a local CA, a TLS certificate and HPKE keys in demo-run/"
"$root/scripts/make-pki.sh" pki
"$bin/case-server" keygen --out server.key >/dev/null 2>&1
"$bin/gatewayd" keygen --out device.key >devices/demo-terminal.pem 2>/dev/null
"$bin/gatewayd" keygen --site-key site.key 2>/dev/null

# Who insures what, and what to tell the person on site (docs/case-server.md).
cat >policy.toml <<'TOML'
[[insurer]]
id = "north"
name = "Northern Mutual"

[[insurer]]
id = "harbour"
name = "Harbour Re"

[[coverage]]
subjects = ["1*"]
schema = "insured-object"
insurers = ["north", "harbour"]

[[coverage]]
subjects = ["2*", "3*"]
insurers = ["north"]

[[guidance]]
id = "object-operator"
class = "subject"
schema = "insured-object"
scanner = "operator"
title = "Case opened - the insurers are told"
text = "Make the site safe and stop further loss where you can do so without risk."
steps = ["Keep people away from the damage", "Stop the cause if it is safe (water, power)", "Photograph the damage", "Wait for the assessor's call"]

[[guidance]]
id = "unknown-label"
class = "unknown"
title = "This label is not on record"
text = "Scan the object's own label if there is one."
TOML

"$bin/case-server" serve --port 0 --cert pki/server.pem --tls-key pki/server.key \
  --private-key server.key --devices devices --db cases.db --ready-file server.port \
  --policy policy.toml >case-server.log 2>&1 &
pids+=($!)
for _ in $(seq 200); do [ -s server.port ] && break; sleep 0.05; done
[ -s server.port ] || { echo "demo: case-server did not start:"; cat case-server.log; exit 1; }
port=$(tr -d '\n' <server.port)
echo "demo: case-server listening on https://127.0.0.1:$port"

cat >gatewayd.toml <<TOML
# The demo terminal's configuration (paths relative to this file).
[device]
id = "demo-terminal"
private_key = "device.key"

[server]
url = "https://127.0.0.1:$port"
public_key = "server.key.pub"
ca = "pki/ca.pem"

[spool]
path = "spool.db"

# Built-in redaction rules (docs/privacy.md); hash rules need the site's pseudonym key.
[redact]
site_key = "site.key"

# The kiosk page for the person at the terminal (docs/kiosk.md); a free port for the demo.
[kiosk]
listen = "127.0.0.1:0"

# Badge taps sign an operator in; their scans then count as the operator's, not a bystander's.
[operator]
timeout_s = 900

[[reader]]
id = "wedge0"
kind = "line"
path = "scan.fifo"

[[schema]]
name = "insured-object"
pattern = 'OBJ-(?<subject>[0-9]{6})'
class = "subject"

[[schema]]
name = "operator-badge"
pattern = 'OP-(?<subject>[0-9]{4})'
class = "operator"

# Standard labels: any GS1 scan with a GTIN, any UHF tag with an EPC.
[[schema]]
name = "gs1-item"
decoded = "gs1"
subject_ai = "01"
class = "subject"

[[schema]]
name = "uhf-asset"
decoded = "epc"
class = "subject"
TOML
mkfifo scan.fifo
"$bin/gatewayd" --config gatewayd.toml >gatewayd.log 2>&1 &
pids+=($!)

# An operator badge, insured-object labels, a label nobody configured, a GS1-128 scan with
# its AIM id (GTIN + lot), a UHF tag's EPC, a GS1 scan with a wrong check digit (a misread),
# and two labels with personal data that the built-in redaction rules rewrite before sealing.
samples=(OP-0042 OBJ-100234 OBJ-100235 OBJ-200017 "NOT A KNOWN LABEL" "]C10109506000134352"$'\x1d'"10LOT42"
         3074257BF7194E4000001A85 "]C10109506000134353" "OBJ-300001 owner 13812345678"
         "OBJ-300002 claimant 11010519491231002X card 4111 1111 1111 1111")
exec 3<>scan.fifo
for s in "${samples[@]}"; do printf '%s\n' "$s" >&3; done
n=${#samples[@]}
echo "demo: scanned $n labels"

# Scans only: the terminal's heartbeats arrive as events too.
count() { "$bin/case-server" events --db cases.db --json 2>/dev/null | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin)["events"] if e.get("kind") != "heartbeat"))' 2>/dev/null || echo 0; }
got=0
for _ in $(seq 600); do
  got=$(count)
  [ "$got" -ge "$n" ] && break
  sleep 0.1
done

echo "demo: events opened and stored by case-server:"
"$bin/case-server" events --db cases.db | sed 's/^/  /'
echo "demo: risk cases (each covering insurer notified):"
"$bin/case-server" cases --db cases.db | sed 's/^/  /'
echo "demo: guidance per event type (configured, or taken from the most similar type):"
"$bin/case-server" guidance --db cases.db | sed 's/^/  /'
kiosk=$(grep -o 'port=[0-9]* \[GatewayLinux\] kiosk listening' gatewayd.log | head -1 | sed 's/port=\([0-9]*\).*/\1/')
if [ -n "$kiosk" ]; then
  echo "demo: the kiosk page is http://127.0.0.1:$kiosk/ (technician: /technician)"
fi
if [ "${DEMO_KEEP:-0}" = 1 ]; then
  echo "demo: DEMO_KEEP=1: running until Ctrl-C; try: $bin/case-server progress --db demo-run/cases.db CASE assessor_assigned \"Assessor at 14:00\""
  wait
fi
exec 3>&-
lost=$((n - got))
echo "demo: $n scanned, $got delivered, $lost lost"
[ "$lost" -eq 0 ]
