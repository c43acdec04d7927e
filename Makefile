# KVM Manager. `make demo` and `make test` are the front door (see README.md).
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)


.PHONY: deb build web build-api e2e test unit lint integration bench demo demo-clean run fuzz guest libvirt clean

# The web UI is built first and embedded (tag builtinassets).
build: web
	$(GO) build -trimpath -tags builtinassets -ldflags "$(LDFLAGS)" -o bin/kvm-manager ./cmd/kvm-manager
	$(GO) build -trimpath -o bin/testguest ./cmd/testguest

web:
	scripts/web-build.sh

# The backend alone, without the web UI (no Node needed).
build-api:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/kvm-manager ./cmd/kvm-manager
	$(GO) build -trimpath -o bin/testguest ./cmd/testguest

# Everything: lint, unit tests, then real-libvirt integration tests.
test:
	scripts/test.sh

unit:
	$(GO) test -race -count=1 $$(scripts/go-packages.sh)

lint:
	scripts/lint.sh

integration: build libvirt guest
	$(GO) test -tags integration -count=1 -p 1 -timeout 25m $$(scripts/go-packages.sh --integration)

libvirt:
	scripts/setup-libvirt.sh

guest:
	scripts/build-test-guest.sh

# Figures, never pass/fail: builds bin/kvm-bench (bench/, one subcommand per
# area) and runs every subcommand; see docs/benchmarks.md. Its packages are in
# scripts/go-packages.sh like all others, so lint and unit cover them.
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

e2e: build
	scripts/e2e.sh

# The Debian package (dist/kvm-manager_VERSION_ARCH.deb): scripts/deb.sh.
deb:
	scripts/deb.sh
