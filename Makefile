# netgeom: build, test and benchmark. `make test` is what CI runs.
GO ?= go
PKGS := ./...
FUZZTIME ?= 60s

.PHONY: all build test vet fmt-check tidy-check bench fuzz mutate clean

all: build

# The commit goes into reproduction reports (Go's own VCS stamp is off when
# GOFLAGS has -buildvcs=false).
COMMIT := $(shell git rev-parse HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo +dirty)

build:
	$(GO) build -ldflags "-X main.commitID=$(COMMIT)" -o bin/netgeom ./cmd/netgeom

# vet, formatting, go.mod tidiness and the whole test suite.
test: vet fmt-check tidy-check
	$(GO) test -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# go.mod and go.sum list exactly what the code imports.
tidy-check:
	@$(GO) mod tidy -diff || { echo "go mod tidy would change go.mod/go.sum (diff above): run go mod tidy"; exit 1; }

# Benchmarks and the roofline report (engine against OpenBLAS's own rate).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./bench/ ./engine/rng/
	$(GO) run ./bench/roofline

# The file readers' fuzzers, FUZZTIME each: data sets (CSV, IDX), model
# files, curve files.
fuzz:
	$(GO) test ./datasets -run '^$$' -fuzz '^FuzzReadCSV$$' -fuzztime $(FUZZTIME)
	$(GO) test ./datasets -run '^$$' -fuzz '^FuzzReadIDX$$' -fuzztime $(FUZZTIME)
	$(GO) test ./models -run '^$$' -fuzz '^FuzzDecodeCheckpoint$$' -fuzztime $(FUZZTIME)
	$(GO) test ./manifold -run '^$$' -fuzz '^FuzzReadCurve$$' -fuzztime $(FUZZTIME)

# Mutation testing (issue 22, docs/testing.md): gremlins mutates each
# package's code and runs its tests, one JSON report per package under
# mutation/. Hours on two cores, so not part of `make test`; MUTATE_PKGS
# picks packages. Run it on a machine left alone: a loaded machine turns
# slow tests into timeouts. The timeout is 10 times a package's own test
# time, which gremlins takes from its coverage run: the test cache is
# cleared first, since a cached run times nothing (0.9 s for landscape's
# 12 s of tests; a meanfield run on a cached time timed out 439 of its
# first 556 mutants), and a mutant that loops forever costs the whole
# timeout (30 times cost landscape 8 minutes a loop).
MUTATE_PKGS ?= meanfield manifold models spectrum landscape spinglass train datasets
GREMLINS ?= gremlins
mutate:
	@command -v $(GREMLINS) >/dev/null || { echo "gremlins not found: go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.5.0"; exit 1; }
	mkdir -p mutation
	for p in $(MUTATE_PKGS); do $(GO) clean -testcache && $(GREMLINS) unleash --workers 2 --timeout-coefficient 10 -o mutation/$$p.json ./$$p || exit 1; done

clean:
	rm -rf bin

# CUDA kernels: rebuild kernels/*.ptx from kernels/*.cu. Needs nvcc (see
# kernels/README.md); nothing else does: the PTX is committed and embedded.
.PHONY: kernels gpu-bundle
kernels:
	sh kernels/build.sh

# A folder to copy to a Linux GPU machine that has only the NVIDIA driver:
# the CUDA backend's test binary (tests and benchmarks) and netgeom,
# cross-built without cgo, and run.sh, which runs them and prints a summary.
GPU_BUNDLE ?= .gpu-bundle
GPU_BUNDLE_ENV := CGO_ENABLED=0 GOOS=linux GOARCH=amd64
gpu-bundle:
	rm -rf $(GPU_BUNDLE)
	mkdir -p $(GPU_BUNDLE)
	$(GPU_BUNDLE_ENV) $(GO) test -c -trimpath -o $(GPU_BUNDLE)/cuda.test ./engine/cuda
	$(GPU_BUNDLE_ENV) $(GO) build -trimpath -o $(GPU_BUNDLE)/netgeom ./cmd/netgeom
	cp scripts/gpu-bundle/run.sh $(GPU_BUNDLE)/run.sh
	chmod +x $(GPU_BUNDLE)/run.sh
	@echo "gpu-bundle: $(GPU_BUNDLE) is ready: copy it to a GPU machine and run ./run.sh there"
