# Waybill Desk. `make run` and `make test` are the two commands of the README:
# both first install what is missing (scripts/setup.sh), then build.

GO      ?= go
BIN     := bin/waybilldesk
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X waybilldesk/cli.Version=$(VERSION)
# Tests and benchmarks keep Fyne preferences, font caches and Chromium
# profiles out of the user's home.
SCRATCH := $(CURDIR)/.cache/home
# Go's own caches stay where they are (they follow HOME otherwise, and the
# tests would download and compile everything a second time).
GOCACHE_DIR    := $(shell $(GO) env GOCACHE)
GOMODCACHE_DIR := $(shell $(GO) env GOMODCACHE)
TESTENV := HOME=$(SCRATCH) XDG_CONFIG_HOME=$(SCRATCH)/config XDG_CACHE_HOME=$(SCRATCH)/cache LANG=en_US.UTF-8 \
	GOCACHE=$(GOCACHE_DIR) GOMODCACHE=$(GOMODCACHE_DIR)
FYNE    := $(GO) run fyne.io/tools/cmd/fyne@v1.7.4

# Installers want a plain X.Y.Z: the latest v* tag when it is one, else
# FyneApp.toml's Version. The build number (Windows file version, macOS
# CFBundleVersion) must grow with every release: the commit count does.
APP_VERSION ?= $(shell v=$$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null | sed 's/^v//'); \
	if echo "$$v" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$$'; then echo "$$v"; \
	else sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml; fi)
APP_BUILD   ?= $(shell git rev-list --count HEAD 2>/dev/null || echo 1)
HOST_OS     := $(shell $(GO) env GOOS)
# What `fyne package` makes on each system (named after FyneApp.toml's Name).
PKG_linux   := Waybill Desk.tar.xz
PKG_darwin  := Waybill Desk.app
PKG_windows := waybilldesk.exe
PKG         := $(PKG_$(HOST_OS))

WINEXE  := dist/waybilldesk.exe

.PHONY: help setup setup-windows setup-test build run test vet fuzz bench package package-test windows clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

setup: ## install missing system packages to build and run (compiler, GL/X11 headers, Chromium, CJK font)
	@bash scripts/setup.sh run

setup-windows:
	@bash scripts/setup.sh windows

setup-test:
	@bash scripts/setup.sh test

build: setup ## build bin/waybilldesk
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

run: build ## build and open the console (sandbox mode until credentials are set)
	@if [ "$$(uname -s)" = Linux ] && [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  echo "run: no display (DISPLAY is empty); on a headless machine use: xvfb-run -a $(BIN)"; exit 1; fi
	LANG=$${LANG:-zh_CN.UTF-8} ./$(BIN) $(ARGS)

vet: setup
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

# The Windows cross-build and the installed Linux package are checked here
# too, because CI runs only `make test`: neither can rot unnoticed.
# Every package with goroutines is tested under the race detector; the
# window's (Fyne's test driver under -race is several times slower) and the
# small ones without concurrency run plainly.
RACE_RE   := ^waybilldesk/(cli|courier|desk|internal|orders|printing|store|upkeep|wxapi)(/|$$)
RACE_PKGS  = $(shell $(GO) list ./... | grep -E '$(RACE_RE)')
PLAIN_PKGS = $(shell $(GO) list ./... | grep -v -E '$(RACE_RE)')

test: setup-test vet ## install, build and run every test (real SQLite, Chromium, sandbox over HTTP; the race detector on), the Windows .exe and the Linux package
	@mkdir -p $(SCRATCH)
	$(TESTENV) $(GO) test -race -count=1 -timeout 30m $(RACE_PKGS)
	$(TESTENV) $(GO) test -count=1 -timeout 30m $(PLAIN_PKGS)
	$(TESTENV) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .
	@$(MAKE) --no-print-directory windows package-test

# Every fuzz target (answer and push decoders, decryption, label decoders,
# imports, the scan-to-query gateway) tries fresh inputs for FUZZTIME each;
# the kept corpus in testdata/fuzz is replayed by the plain tests above.
FUZZTIME ?= 3s

fuzz: setup-test ## try every fuzz target with fresh inputs for FUZZTIME (3s) each; KEEP=1 keeps new-coverage inputs in testdata/fuzz
	@mkdir -p $(SCRATCH)
	$(TESTENV) KEEP=$(KEEP) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

bench: setup-test ## run the benchmarks one package at a time and print `bench:` lines
	@mkdir -p $(SCRATCH)
	$(TESTENV) $(GO) test -p 1 -run '^$$' -bench . -benchmem -count=1 -timeout 30m ./... | tee .cache/bench.txt
	@grep '^bench:' .cache/bench.txt || true

# The vet type-checks the Windows-only files (the printer spooler, the
# console attach) with their tests, in the packages that run on Windows;
# packages whose tests drive CUPS are Linux-only by design and left out.
WINENV  := CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc

windows: setup-windows ## cross-build dist/waybilldesk.exe for Windows (amd64, cgo through MinGW-w64) and check it is PE32+
	@mkdir -p dist
	$(WINENV) $(GO) build -ldflags "-s -w -H=windowsgui $(LDFLAGS)" -o $(WINEXE) .
	$(WINENV) $(GO) vet ./printing/output/ ./store/ ./diag/ .
	@out="$$(file $(WINEXE))"; echo "$$out"; \
	  case "$$out" in *"PE32+ executable"*) ;; *) echo "windows: $(WINEXE) is not a PE32+ executable"; exit 1;; esac

# fyne package builds with -trimpath and -tags release (a build of its own,
# ~3 min cold), puts FyneApp.toml's name, id and icon into the package, and
# takes the version stamp through GOFLAGS. It also bumps Build in
# FyneApp.toml; the file is put back so a package leaves the tree clean.
package: setup ## package for this OS with fyne (metadata and icon from FyneApp.toml) into dist/
	@mkdir -p dist .cache
	@rm -rf "dist/$(PKG)" "$(PKG)"
	@cp FyneApp.toml .cache/FyneApp.toml.keep
	@GOFLAGS="$$($(GO) env GOFLAGS) -ldflags=-X=waybilldesk/cli.Version=$(VERSION)" \
	  $(FYNE) package --os $(HOST_OS) --release --app-version $(APP_VERSION) --app-build $(APP_BUILD); \
	  st=$$?; cp .cache/FyneApp.toml.keep FyneApp.toml; rm -f waybilldesk waybilldesk.exe; \
	  test $$st -eq 0 && mv "$(PKG)" dist/ && ls -la "dist/$(PKG)"

package-test: package ## install the Linux package into a scratch prefix and check its window opens under Xvfb
	@bash scripts/package-test.sh "dist/$(PKG_linux)" "$(VERSION)"

clean: ## remove build output and caches of the tests
	rm -rf bin dist .cache *.tar.xz
