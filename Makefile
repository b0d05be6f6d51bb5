# Waybill Desk. `make run` and `make test` are the two commands of the README:
# both first install what is missing (scripts/setup.sh), then build.

GO      ?= go
BIN     := bin/waybilldesk
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X waybilldesk/cli.Version=$(VERSION)
# Tests and benchmarks keep Fyne preferences, font caches and Chromium
# profiles out of the user's home.
SCRATCH := $(CURDIR)/.cache/home
TESTENV := HOME=$(SCRATCH) XDG_CONFIG_HOME=$(SCRATCH)/config XDG_CACHE_HOME=$(SCRATCH)/cache LANG=en_US.UTF-8
FYNE    := $(GO) run fyne.io/tools/cmd/fyne@v1.7.4

.PHONY: help setup build run test vet bench package windows clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

setup: ## install missing system packages (compiler, GL/X11 headers, Chromium, CJK font, test tools)
	@bash scripts/setup.sh

build: setup ## build bin/waybilldesk
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

run: build ## build and open the console (sandbox mode until credentials are set)
	@if [ "$$(uname -s)" = Linux ] && [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  echo "run: no display (DISPLAY is empty); on a headless machine use: xvfb-run -a $(BIN)"; exit 1; fi
	LANG=$${LANG:-zh_CN.UTF-8} ./$(BIN) $(ARGS)

vet: setup
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

test: setup vet ## install, build and run every test (real SQLite, Chromium, sandbox over HTTP)
	@mkdir -p $(SCRATCH)
	$(TESTENV) $(GO) test -count=1 -timeout 30m ./...
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

bench: setup ## run the benchmarks and print `bench:` lines
	@mkdir -p $(SCRATCH)
	$(TESTENV) $(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 30m ./... | tee .cache/bench.txt
	@grep '^bench:' .cache/bench.txt || true

package: setup ## package for this OS with fyne (metadata and icon from FyneApp.toml)
	$(FYNE) package --release --app-version $(patsubst v%,%,$(firstword $(subst -, ,$(VERSION))))
	@ls -la *.tar.xz *.app *.exe 2>/dev/null || true

clean: ## remove build output and caches of the tests
	rm -rf bin dist .cache *.tar.xz
