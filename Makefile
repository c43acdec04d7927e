# KVM Manager. `make demo` and `make test` are the front door (see README.md).
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: build test unit lint integration bench demo demo-clean run fuzz guest libvirt clean

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/kvm-manager ./cmd/kvm-manager
	$(GO) build -trimpath -o bin/testguest ./cmd/testguest

# Everything: lint, unit tests, then real-libvirt integration tests.
test:
	scripts/test.sh

unit:
	$(GO) test -race -count=1 ./...

lint:
	scripts/lint.sh

integration: build libvirt guest
	$(GO) test -tags integration -count=1 -p 1 -timeout 20m ./...

libvirt:
	scripts/setup-libvirt.sh

guest:
	scripts/build-test-guest.sh

bench:
	scripts/bench.sh

demo:
	scripts/demo.sh $(ARGS)

demo-clean:
	scripts/demo-clean.sh

run:
	scripts/run.sh $(ARGS)

# Short coverage-guided runs of every fuzz target (FUZZTIME each).
FUZZTIME ?= 15s
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin
