# gatewayd — build, demo, test. See README.md.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

SWIFT ?= swift
PYTEST ?= python3 -m pytest
DESTDIR ?=

.PHONY: all build build-tests demo test unit system fuzz release install deb bench order-file clean deps deps-test lint format
PREFIX ?= /usr
# install takes the binary from this build configuration (debug, or release after `make release`).
CONFIG ?= debug
# SwiftPM scratch directory that release, install and deb build in and take the binary from
# (e.g. SCRATCH=.build-release keeps release builds apart from the debug builds in .build).
SCRATCH ?= .build
# How a release is built (make release, bench, order-file, deb): the Swift runtime linked in, and
# every function of the project and its packages in a section of its own, so the link can lay
# out the code the daemon runs together (scripts/gatewayd.order; docs/performance.md).
RELEASE := $(shell cat scripts/release-flags)
# The release products one by one: a plain `swift build` of everything would also link
# dependencies' dynamic library products (GRDB-dynamic), which cannot take the static Swift
# runtime (ld: cannot find -lCoreFoundation).
RELEASE_BUILD = for p in gatewayd case-server gatewayd-bench; do \
	$(SWIFT) build $(RELEASE) --scratch-path $(SCRATCH) --product $$p || exit 1; done

all: build

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

build: deps
	$(SWIFT) build

build-tests: deps-test
	$(SWIFT) build --build-tests

## demo: build, start case-server and gatewayd on loopback, feed sample scans, show what arrived.
demo: build
	@scripts/demo.sh

## test: unit tests (swift test) and system tests (real processes, TLS, FIFOs, ptys, kill -9).
# Each phase gets one throwaway PostgreSQL cluster (scripts/pg-cluster.sh), shared by its tests;
# GATEWAYD_REQUIRE_POSTGRES turns a test that finds none into a failure instead of a skip.
test: build-tests lint
	GATEWAYD_REQUIRE_POSTGRES=1 scripts/pg-cluster.sh run -- $(SWIFT) test --skip-build
	fuzz/run.sh 20
	GATEWAYD_REQUIRE_POSTGRES=1 GATEWAYD_BIN_DIR=$$($(SWIFT) build --show-bin-path) scripts/pg-cluster.sh run -- $(PYTEST) -q -p no:cacheprovider tests/system

## lint: the house format (.swift-format, swift-nio's settings); `make format` applies it.
FORMATTED := Sources Tests fuzz Package.swift
lint:
	$(SWIFT) format lint --strict --recursive --parallel $(FORMATTED)

format:
	$(SWIFT) format --in-place --recursive --parallel $(FORMATTED)

unit: build-tests
	GATEWAYD_REQUIRE_POSTGRES=1 scripts/pg-cluster.sh run -- $(SWIFT) test --skip-build

system: build-tests
	GATEWAYD_REQUIRE_POSTGRES=1 GATEWAYD_BIN_DIR=$$($(SWIFT) build --show-bin-path) scripts/pg-cluster.sh run -- $(PYTEST) -q -p no:cacheprovider tests/system

## fuzz: the libFuzzer targets over the device-input parsers, 10 minutes each.
fuzz:
	fuzz/run.sh 600

## release: optimised binaries with the Swift runtime linked in (runs on a Debian 12 without Swift).
release: deps
	$(RELEASE_BUILD)

## install: the binary, udev rules, systemd unit, sysusers file, a commented config (never over
## an existing one), the man page (made from the binary's own help), shell completions and the
## docs, in their Debian places under $(DESTDIR).
install:
	@bin=$$($(SWIFT) build -c $(CONFIG) --scratch-path $(SCRATCH) --show-bin-path); \
	test -x $$bin/gatewayd || { echo "install: no $$bin/gatewayd; run make build (or make release and CONFIG=release)"; exit 1; }; \
	install -D -m 0755 $$bin/gatewayd $(DESTDIR)$(PREFIX)/bin/gatewayd; \
	install -D -m 0644 udev/70-gatewayd.rules $(DESTDIR)/lib/udev/rules.d/70-gatewayd.rules; \
	install -D -m 0644 udev/70-gatewayd-nfc.rules $(DESTDIR)/lib/udev/rules.d/70-gatewayd-nfc.rules; \
	test -e $(DESTDIR)/etc/modprobe.d/gatewayd-nfc.conf || install -D -m 0644 udev/gatewayd-nfc-blacklist.conf $(DESTDIR)/etc/modprobe.d/gatewayd-nfc.conf; \
	install -D -m 0644 systemd/gatewayd.service $(DESTDIR)/lib/systemd/system/gatewayd.service; \
	install -D -m 0644 systemd/gatewayd.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/gatewayd.conf; \
	install -d -m 0755 $(DESTDIR)/etc/gatewayd; \
	test -e $(DESTDIR)/etc/gatewayd/gatewayd.toml || install -m 0640 gatewayd.example.toml $(DESTDIR)/etc/gatewayd/gatewayd.toml; \
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d; \
	$$bin/gatewayd --generate-completion-script bash | sed '1{/^#!/d}' > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/gatewayd; \
	$$bin/gatewayd --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_gatewayd; \
	$$bin/gatewayd --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/gatewayd.fish; \
	install -d $(DESTDIR)$(PREFIX)/share/man/man8; \
	python3 scripts/gen-manpage.py $$bin/gatewayd --section 8 --extra man/gatewayd.8.in | gzip -9n > $(DESTDIR)$(PREFIX)/share/man/man8/gatewayd.8.gz; \
	test $${PIPESTATUS[0]} -eq 0 || { echo "install: the man page could not be made"; exit 1; }; \
	chmod 0644 $(DESTDIR)$(PREFIX)/share/man/man8/gatewayd.8.gz; \
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/gatewayd/README.md; \
	for f in docs/*; do install -D -m 0644 $$f $(DESTDIR)$(PREFIX)/share/doc/gatewayd/$$f; done; \
	echo "install: gatewayd installed under $(DESTDIR)/"

## bench: release binaries (as shipped), then bench/run.py: capture, drain, latency, footprint and
## per-stage costs as a table and JSON (BENCH_ARGS="--scans 20000 --out bench/last.json"); then
## bench/tpm_seal.py: capture with the device key in a file and in a TPM (swtpm); then
## bench/hostile_flood.py: the case server's CPU and RSS under junk floods, a real terminal's delivery; then
## bench/store_drain.py: eight terminals' spools drained into a SQLite and a PostgreSQL case-server, side by side,
## on shared cores and with the database on a core of its own;
## then bench/storm.py --real: 500 terminals' backlogs after an outage, on gatewayd's backoff.
bench: deps-test
	$(RELEASE_BUILD)
	python3 bench/run.py --bin $$($(SWIFT) build -c release --scratch-path $(SCRATCH) --show-bin-path) $(BENCH_ARGS)
	python3 bench/tpm_seal.py --bin $$($(SWIFT) build -c release --scratch-path $(SCRATCH) --show-bin-path)
	python3 bench/hostile_flood.py --bin $$($(SWIFT) build -c release --scratch-path $(SCRATCH) --show-bin-path)
	python3 bench/store_drain.py --rounds 3 --terminals 8 --layout shared,split --bin $$($(SWIFT) build -c release --scratch-path $(SCRATCH) --show-bin-path)
	python3 bench/storm.py --real --bin $$($(SWIFT) build -c release --scratch-path $(SCRATCH) --show-bin-path)

## order-file: profile a release gatewayd under callgrind and rewrite scripts/gatewayd.order, the
## layout the release link follows (docs/performance.md, "Footprint"); then relink.
order-file: deps-test
	@scripts/install-deps.sh profile
	$(RELEASE_BUILD)
	python3 scripts/gen-order-file.py --bin $$($(SWIFT) build -c release --scratch-path $(SCRATCH) --show-bin-path)
	rm -f $$($(SWIFT) build -c release --scratch-path $(SCRATCH) --show-bin-path)/gatewayd
	$(RELEASE_BUILD)

## deb: a release build (static Swift runtime) packaged as dist/gatewayd_<version>_<arch>.deb.
deb:
	SWIFT="$(SWIFT)" SCRATCH="$(SCRATCH)" scripts/make-deb.sh

clean:
	rm -rf .build demo-run dist
