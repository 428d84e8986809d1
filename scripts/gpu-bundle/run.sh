#!/usr/bin/env bash
# netgeom GPU bundle: run on a Linux x86-64 machine with an NVIDIA driver
# (nothing else: no Go, no CUDA toolkit). `make gpu-bundle` builds the
# folder this script sits in; copy it over and run ./run.sh.
#
# It runs, in order:
#   1. the machine: nvidia-smi, `netgeom devices`;
#   2. the CUDA backend's tests (cuda.test): the conformance suite against
#      CUDA with cuBLAS and with netgeom's own kernels, in float64 and in
#      float32; 10^7 Philox normals bit for bit against the CPU, the
#      exp-based activations and the softmax bit for bit (both dtypes);
#      repeatability, out-of-memory, the loader and the symbol tables;
#   3. an end-to-end curvature run on cuda and on cpu at the same seed, with
#      the per-layer statistics compared, in float64 and in float32 (when
#      this netgeom has `curvature`);
#   4. the GPU benchmarks (dgemm through the engine and cuBLAS directly, sgemm
#      through the engine, the forward pass and the jet at widths 1024 to
#      16384 in both dtypes, Philox normals/s, host-device transfers);
# and ends with one summary table. Everything goes to $OUT (default
# ./results-<host>-<date>); the exit status is non-zero if a check failed.
#
# Environment:
#   OUT=DIR              where the logs go
#   BENCHTIME=3x         go test -benchtime for the benchmarks (e.g. 2s)
#   SKIP_BENCH=1         skip the benchmarks
#   CURVATURE_ARGS=...   extra arguments of the curvature runs
#   CURVATURE_RTOL=1e-4  relative tolerance when comparing cuda and cpu (the
#                        CSV has about 6 significant digits, so a last-digit
#                        difference is up to 1e-5)
#   CURVATURE_RTOL32=2e-3  the same for the float32 runs: cuBLAS's and the
#                        CPU's sgemm sum in different orders, and the default
#                        run (sigma_w 4, depth 20) amplifies float32's rounding
#                        to about 1.6e-4 (README, "Choosing a precision")
#   NETGEOM_CUBLAS, NETGEOM_LIBCUDA, NETGEOM_CUDA_DEVICE: as for netgeom
set -u
cd "$(dirname "$0")"
HERE=$(pwd)
OUT=${OUT:-$HERE/results-$(hostname -s 2>/dev/null || echo host)-$(date +%Y%m%d-%H%M%S)}
BENCHTIME=${BENCHTIME:-3x}
CURVATURE_RTOL=${CURVATURE_RTOL:-1e-4}
CURVATURE_RTOL32=${CURVATURE_RTOL32:-2e-3}
mkdir -p "$OUT"
export NETGEOM_REQUIRE_CUDA=1
status=0
declare -a SUMMARY=()
row() { SUMMARY+=("$(printf '%-22s %s' "$1" "$2")"); }
say() { printf '\n== %s\n' "$*"; }

# --- 1. the machine ---------------------------------------------------------
say "machine"
uname -a | tee "$OUT/uname.txt"
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi | tee "$OUT/nvidia-smi.txt"
    gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n 1)
    row "nvidia-smi" "${gpu:-?}"
else
    echo "nvidia-smi not found" | tee "$OUT/nvidia-smi.txt"
    row "nvidia-smi" "not found"
fi
say "netgeom devices"
./netgeom devices 2>&1 | tee "$OUT/devices.txt"
./netgeom devices --format json >"$OUT/devices.json" 2>&1

# --- 2. tests ---------------------------------------------------------------
say "CUDA backend tests (cuda.test)"
./cuda.test -test.v -test.count=1 -test.timeout 30m 2>&1 | tee "$OUT/tests.log"
test_rc=${PIPESTATUS[0]}
info=$(sed -n 's/.*conformance_test.go:[0-9]*: device \(.*\)$/\1/p' "$OUT/tests.log" | head -n 1)
if [ -n "$info" ]; then
    # "NAME (compute capability X, MEM); driver CUDA ...; BLAS b: reason; cuBLAS v (path)"
    row "device" "${info%%; driver*}"
    rest=${info#*; driver }
    row "driver" "${rest%%; BLAS*}"
    row "cuBLAS" "${info##*; cuBLAS }"
fi
passed=$(grep -c '^--- PASS' "$OUT/tests.log")
failed=$(grep -c -- '--- FAIL' "$OUT/tests.log")
skipped=$(grep -c '^--- SKIP' "$OUT/tests.log")
if [ "$test_rc" -eq 0 ]; then
    row "tests" "PASS ($passed passed, $skipped skipped)"
else
    row "tests" "FAIL ($failed failed, $passed passed; see tests.log)"
    status=1
fi
for t in TestConformanceGPU TestConformanceGPUKernels TestGPUNormalsBitExact TestGPUExactActivations TestGPUSoftmaxMatchesCPU TestGPURepeatableLarge TestGPUOutOfMemory TestSymbolsInInstalledLibraries; do
    r=$(grep -E -- "^--- (PASS|FAIL|SKIP): $t " "$OUT/tests.log" | head -n 1 | awk '{print $2}' | tr -d :)
    row "  $t" "${r:-not run}"
done

# --- 3. curvature, cuda against cpu ------------------------------------------
# compare_curvature DTYPE RTOL: the same curvature run (seed 7) on cuda and on
# cpu in DTYPE, every numeric field equal to RTOL relative.
compare_curvature() {
    local dt=$1 rtol=$2 tag=curvature-$1
    # Run in $OUT: the command may write files (a plot) where it runs.
    # shellcheck disable=SC2086 # CURVATURE_ARGS is a list of arguments
    (cd "$OUT" && "$HERE/netgeom" curvature --backend cuda --dtype "$dt" --seed 7 --format csv ${CURVATURE_ARGS:-} >"$tag-cuda.csv" 2>"$tag-cuda.err")
    local rc_gpu=$?
    # shellcheck disable=SC2086
    (cd "$OUT" && "$HERE/netgeom" curvature --backend cpu --dtype "$dt" --seed 7 --format csv ${CURVATURE_ARGS:-} >"$tag-cpu.csv" 2>"$tag-cpu.err")
    local rc_cpu=$?
    if [ $rc_gpu -ne 0 ] || [ $rc_cpu -ne 0 ]; then
        row "$tag" "FAIL (exit cuda $rc_gpu, cpu $rc_cpu; see $tag-*.err)"
        status=1
        return
    fi
    # Same header and rows; every numeric field equal to rtol relative
    # (1e-300 absolute), text fields equal.
    local cmp rc
    cmp=$(awk -F, -v rtol="$rtol" '
        NR == FNR { a[FNR] = $0; n = FNR; next }
        {
            m = FNR
            if (!(FNR in a)) { print "cpu has more rows"; bad = 1; next }
            split(a[FNR], x, ","); k = split($0, y, ",")
            for (i = 1; i <= k; i++) {
                if (x[i] == y[i]) continue
                if (x[i] ~ /^[-+0-9.eEinfINFnaN]+$/ && y[i] ~ /^[-+0-9.eEinfINFnaN]+$/) {
                    d = x[i] - y[i]; if (d < 0) d = -d
                    s = (x[i] < 0 ? -x[i] : x[i]); t = (y[i] < 0 ? -y[i] : y[i]); if (t > s) s = t
                    r = d / (s + 1e-300); if (r > worst) worst = r
                    if (r > rtol) { if (nbad < 5) print "row " FNR " field " i ": cuda " x[i] ", cpu " y[i]; nbad++; bad = 1 }
                } else { print "row " FNR " field " i ": cuda " x[i] ", cpu " y[i]; bad = 1 }
            }
        }
        END { if (m != n) { print "row counts differ: cuda " n ", cpu " m; bad = 1 }
              printf "worst relative difference %.3g over %d rows\n", worst, n; exit bad }
    ' "$OUT/$tag-cuda.csv" "$OUT/$tag-cpu.csv")
    rc=$?
    echo "$cmp" | tee "$OUT/$tag-compare.txt"
    if [ $rc -eq 0 ]; then
        row "$tag" "PASS (cuda = cpu to $rtol; $(echo "$cmp" | tail -n 1))"
    else
        row "$tag" "FAIL (see $tag-compare.txt)"
        status=1
    fi
}
say "curvature on cuda and cpu"
if ./netgeom curvature --help >/dev/null 2>&1; then
    compare_curvature float64 "$CURVATURE_RTOL"
    compare_curvature float32 "$CURVATURE_RTOL32"
else
    echo "curvature: not in this build"
    row "curvature" "not in this build"
fi

# --- 4. benchmarks ----------------------------------------------------------
if [ "${SKIP_BENCH:-0}" = "1" ]; then
    row "benchmarks" "skipped (SKIP_BENCH=1)"
else
    say "GPU benchmarks (benchtime $BENCHTIME)"
    ./cuda.test -test.run '^$' -test.bench 'GPU' -test.benchtime "$BENCHTIME" -test.timeout 60m 2>&1 | tee "$OUT/bench.txt"
    if [ "${PIPESTATUS[0]}" -ne 0 ]; then
        row "benchmarks" "FAIL (see bench.txt)"
        status=1
    else
        row "benchmarks" "done (bench.txt)"
    fi
fi

# --- summary ----------------------------------------------------------------
{
    printf '\n== netgeom GPU bundle summary (%s, %s)\n' "$(hostname 2>/dev/null)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '%s\n' "${SUMMARY[@]}"
    if [ -s "$OUT/bench.txt" ]; then
        printf '\n%-48s %s\n' "benchmark" "figures"
        # "BenchmarkGPUX/sub-16  N  T ns/op  V unit ..." -> name and the
        # custom metrics (not ns/op, B/op, allocs/op, MB/s).
        awk '/^BenchmarkGPU/ {
                name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
                line = ""
                for (i = 3; i + 1 <= NF; i += 2) {
                    u = $(i + 1)
                    if (u == "ns/op" || u == "B/op" || u == "allocs/op" || u == "MB/s") continue
                    line = line sprintf("%s %s  ", $i, u)
                }
                printf "%-48s %s\n", name, line
            }' "$OUT/bench.txt"
    fi
    if [ $status -eq 0 ]; then echo "RESULT: PASS"; else echo "RESULT: FAIL"; fi
    echo "logs: $OUT"
} | tee "$OUT/summary.txt"
exit $status
