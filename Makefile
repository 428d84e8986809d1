# netgeom: build, test and benchmark. `make test` is what CI runs.
GO ?= go
PKGS := ./...
FUZZTIME ?= 60s

.PHONY: all build test vet fmt-check bench fuzz clean

all: build

build:
	$(GO) build -o bin/netgeom ./cmd/netgeom

# vet, formatting and the whole test suite.
test: vet fmt-check
	$(GO) test -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Benchmarks and the roofline report (engine against OpenBLAS's own rate).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./bench/ ./engine/rng/
	$(GO) run ./bench/roofline

# The dataset parsers' fuzzers, FUZZTIME each.
fuzz:
	$(GO) test ./datasets -run '^$$' -fuzz '^FuzzReadCSV$$' -fuzztime $(FUZZTIME)
	$(GO) test ./datasets -run '^$$' -fuzz '^FuzzReadIDX$$' -fuzztime $(FUZZTIME)

clean:
	rm -rf bin
