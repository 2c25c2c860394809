#!/usr/bin/env bash
# Builds and runs the libFuzzer targets over the device-input parsers and tag decoders of
# GatewayCore.
# Usage: fuzz/run.sh SECONDS   (make fuzz-smoke: a short run; make fuzz: a long one)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-30}
out="$root/.build/fuzz"
mkdir -p "$out"
core="$root/Sources/GatewayCore"
# Only the pure device-input parsers: they need nothing beyond the standard library.
common=("$core/Source/InputEvent.swift" "$core/Source/KeyboardLayout.swift" "$core/Source/KeyDecoder.swift"
        "$core/Source/HIDReportDescriptor.swift" "$core/Source/HIDPOSDecoder.swift"
        "$core/Decode/LineFramer.swift" "$core/Decode/BinaryFramer.swift"
        "$core/Support/Hex.swift" "$core/Decode/AIMSymbology.swift" "$core/Decode/TagDecoder.swift" "$core"/Decode/GS1/*.swift
        "$core"/Decode/RFID/*.swift "$core"/Decode/NFC/*.swift)
# The redactor also needs the event model and (a stand-in for) the pseudonymizer.
redact=("$core"/Model/*.swift "$core"/Context/CaptureContext.swift "$core"/Context/GPSFix.swift "$core"/Context/FixPolicy.swift "$core"/Redact/PersonalDataDetectors.swift "$core"/Redact/Redact[io]*.swift
        "$core/Support/Glob.swift" "$core/Support/RFC3339.swift" "$core/Support/JSONWriter.swift" "$root/fuzz/stubs/Pseudonymizer.swift")
# The event header reader (case-server's fast path) also needs the envelope types.
header=("$core"/Envelope/*.swift)
for target in FuzzKeyDecoder FuzzFramers FuzzTagDecoder FuzzNFC FuzzRedactor FuzzEventHeader FuzzLabelPattern FuzzProxyHeader; do
  bin="$out/$target"
  sources=("${common[@]}")
  # The label-pattern matcher is compared with the stdlib's Regex and needs nothing else.
  [ "$target" = FuzzLabelPattern ] && sources=("$core/Decode/ASCIIPattern.swift")
  # The case server's PROXY protocol header needs nothing else either.
  [ "$target" = FuzzProxyHeader ] && sources=("$root/Sources/CaseServerKit/HTTP/ProxyHeader.swift")
  [ "$target" = FuzzRedactor ] && sources+=("${redact[@]}")
  [ "$target" = FuzzEventHeader ] && sources+=("${redact[@]}" "${header[@]}")
  if [ ! -x "$bin" ] || [ -n "$(find "$root/fuzz/$target.swift" "${sources[@]}" -newer "$bin" 2>/dev/null)" ]; then
    # The linker warns about every ASan helper symbol; keep that out of the output unless it fails.
    swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name Fuzz \
      "$root/fuzz/$target.swift" "${sources[@]}" -o "$bin" >"$out/$target.build.log" 2>&1 \
      || { cat "$out/$target.build.log" >&2; exit 1; }
  fi
  corpus="$out/corpus-$target"
  mkdir -p "$corpus"
  [ "$target" = FuzzKeyDecoder ] && for f in "$root"/tests/fixtures/evdev/*.bin; do cp -n "$f" "$corpus/" ; done
  if [ "$target" = FuzzRedactor ]; then
    printf '\x06claimant 11010519491231002X tel 13812345678' > "$corpus/seed-text"
    printf '\x06{"owner":{"phone":"+8613912345678","mail":"a.b@example.com"}}' > "$corpus/seed-json"
    printf '\x06card 4111 1111 1111 1111' > "$corpus/seed-card"
    # A 3D fix at 31.23, 121.47 (mode byte, then the two doubles big-endian).
    printf '\x03\x40\x3f\x3a\xe1\x47\xae\x14\x7b\x40\x5e\x5e\x14\x7a\xe1\x47\xae' > "$corpus/seed-gpsd-fix"
    # Regression: a card mask uncovered an id that a touching digit had hidden.
    printf '\x06claimant 1101051ant 11010519491231002X3459491231002X345678' > "$corpus/seed-uncovered-id"
    # Regression: a phone mask cut into an e-mail address that started with the same digits.
    printf '\x2d{"owner":{"phone":"+86139123t5a.b@exalple.co.-{"owner":{"phone":"+86139123t5a.b@exalple.cb@exa]"}}' > "$corpus/seed-mask-into-email"
    # Regression: an id in a JSON member name, uncovered by a card mask after the payload was rebuilt.
    printf '%s' '-{"owneant 11010519491231002X3459491231002X34r":{"qhone":"+86139123t5a.23t5a.b@exalple.cb@exa]"}}' > "$corpus/seed-id-in-member-name"
  fi
  if [ "$target" = FuzzTagDecoder ]; then
    # Seeds: one valid input of each format (the first byte picks the hint).
    printf '\x00]C10109506000134352\x1d10ABC' > "$corpus/seed-gs1"
    printf '\x00https://id.gs1.org/01/09506000134352/10/ABC?17=201231' > "$corpus/seed-dl"
    printf '\x023074257BF7194E4000001A85' > "$corpus/seed-epc"
    printf '\x0362E3086CED' > "$corpus/seed-em4100"
    printf '\x05\xd1\x01\x0d\x55\x02example.com/' > "$corpus/seed-ndef"
  fi
  if [ "$target" = FuzzNFC ]; then
    # Seeds: one valid input for each part (the first byte picks it, the second is a parameter).
    # A PN533 ACK then its GetFirmwareVersion answer, fed in 64-byte chunks.
    printf '\x00\x3f\x00\x00\xff\x00\xff\x00\x00\x00\xff\x06\xfa\xd5\x03\x33\x02\x07\x07\xe5\x00' > "$corpus/seed-frame"
    # An extended frame (TFI + command + 254 bytes of 0x5A).
    { printf '\x00\x3f\x00\x00\xff\xff\xff\x01\x00\xff\xd5\x41'; head -c 254 /dev/zero | tr '\0' 'Z'
      printf '\x9e\x00'; } > "$corpus/seed-frame-extended"
    # An ACR122U answering 61 05, then the GET RESPONSE answer (D5 41 00 + 90 00), sequences 7 and 8.
    printf '\x01\x07\x80\x02\x00\x00\x00\x00\x07\x00\x00\x00\x61\x05\x80\x05\x00\x00\x00\x00\x08\x00\x00\x00\xd5\x41\x00\x90\x00' > "$corpus/seed-ccid"
    # An NTAG213 memory: UID and lock pages, CC, a lock control TLV, an NDEF URI record, terminator.
    printf '\x02\x00\x04\x11\x22\xb7\x33\x44\x55\x66\x00\x48\x00\x00\xe1\x10\x12\x00\x01\x03\xa0\x0c\x34\x03\x11\xd1\x01\x0d\x55\x04example.com/\xfe' > "$corpus/seed-type2"
    # An InListPassiveTarget answer: one NTAG with a 7-byte UID.
    printf '\x03\x00\x01\x01\x00\x44\x00\x07\x04\x11\x22\x33\x44\x55\x66' > "$corpus/seed-poll"
    # A PN53x exchange in 8-byte transfers: ACK, an answer with a wrong checksum (NACKed), the answer.
    printf '\x05\x07\x00\x00\xff\x00\xff\x00\x00\x00\xff\x03\xfd\xd5\x41\x00\xeb\x00\x00\x00\xff\x03\xfd\xd5\x41\x00\xea\x00' > "$corpus/seed-exchange"
  fi
  if [ "$target" = FuzzEventHeader ]; then
    # Seeds: an event as gatewayd seals it, and the forms the reader leaves to JSONDecoder.
    printf '%s' '{"captured_at":"2026-12-01T10:00:00.000Z","decoded":{"format":"text","text":"ACME-1"},"device":"term-1","id":"0190f3a2-7c4e-7d51-9a3b-2f1e0c9d8b7a","location":{"lat":31.2,"lon":121.4,"accuracy_m":[1.5e3,-0.0]},"operator":null,"seq":7,"tag":{"class":"subject","schema":"acme","subject":"1"},"v":1}' > "$corpus/seed-event"
    printf '%s' '{"v":1,"id":"a\u00e9\ud83d\ude00\n","device":"d","seq":18446744073709551615,"kind":"heartbeat","tag":null,"x":[{},[],true,false]}' > "$corpus/seed-escapes"
    printf '%s' '{"v":1.0,"\u0069d":"a","device":"d","seq":1,"seq":2}' > "$corpus/seed-left-to-jsondecoder"
  fi
  if [ "$target" = FuzzProxyHeader ]; then
    # Seeds: haproxy's v2 header for 192.0.2.7 (then a TLS byte), a v2 LOCAL, a v1 line.
    printf '\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02\x07\x7f\x00\x00\x01\xc8\x22\x20\xfb\x16' > "$corpus/seed-v2"
    printf '\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00' > "$corpus/seed-v2-local"
    printf 'PROXY TCP4 198.51.100.4 192.0.2.2 51234 8443\r\n\x16' > "$corpus/seed-v1"
  fi
  if [ "$target" = FuzzLabelPattern ]; then
    # Seeds: the example schemas with texts that match and do not, and the syntax corners.
    printf 'ACME-(?<subject>[0-9]{8})\xffACME-00012345\xffACME-0001234\xffACME-\xd9\xa0' > "$corpus/seed-acme"
    printf '(?s).*\xffa\x1db\xff\xffa\0b' > "$corpus/seed-dotall"
    printf '(?<x>a|ab)(?<y>c|bcd)(?<z>d*)\xffabcd\xffacd' > "$corpus/seed-alternation"
    printf '[^A-Z\\d_]{2,}\\.\\s?\\W*$\xff#- .\xff\0\0.' > "$corpus/seed-classes"
  fi
  echo "fuzz: $target for ${secs}s"
  log="$out/$target.log"
  rc=0
  "$bin" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 -artifact_prefix="$out/$target-" "$corpus" >"$log" 2>&1 || rc=$?
  grep -E "^(Done|stat::number_of_executed_units|SUMMARY)|ERROR" "$log" || true
  if [ "$rc" -ne 0 ]; then
    echo "fuzz: $target failed (exit $rc); the input that broke it is in $out/$target-crash-*" >&2
    tail -30 "$log" >&2
    exit 1
  fi
done
