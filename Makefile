# gatewayd — build, demo, test. See README.md.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

SWIFT ?= swift
PYTEST ?= python3 -m pytest
DESTDIR ?=

.PHONY: all build build-tests demo test unit system fuzz release clean deps deps-test

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
test: build-tests
	$(SWIFT) test --skip-build
	fuzz/run.sh 20
	GATEWAYD_BIN_DIR=$$($(SWIFT) build --show-bin-path) $(PYTEST) -q -p no:cacheprovider tests/system

unit: build-tests
	$(SWIFT) test --skip-build

system: build-tests
	GATEWAYD_BIN_DIR=$$($(SWIFT) build --show-bin-path) $(PYTEST) -q -p no:cacheprovider tests/system

## fuzz: the libFuzzer targets over the device-input parsers, 10 minutes each.
fuzz:
	fuzz/run.sh 600

## release: optimised binaries with the Swift runtime linked in (runs on a Debian 12 without Swift).
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

clean:
	rm -rf .build demo-run
