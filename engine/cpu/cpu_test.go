package cpu_test

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/cpu"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// openOrSkip opens a CPU backend with the given BLAS. OpenBLAS is skipped
// with a visible message where it is not installed, unless
// NETGEOM_REQUIRE_OPENBLAS=1 (CI sets it), where its absence fails.
func openOrSkip(t *testing.T, blasName string) engine.Backend {
	t.Helper()
	b, err := cpu.New(cpu.Options{BLAS: blasName})
	if err != nil {
		if blasName == "openblas" && os.Getenv("NETGEOM_REQUIRE_OPENBLAS") != "1" {
			t.Skipf("SKIP: OpenBLAS not available (%v); set NETGEOM_REQUIRE_OPENBLAS=1 to make this a failure", err)
		}
		t.Fatal(err)
	}
	if got := b.Info().BLAS; got != blasName {
		t.Fatalf("asked for %s, got %s", blasName, got)
	}
	return b
}

func TestConformanceOpenBLAS(t *testing.T) {
	openOrSkip(t, "openblas").Close()
	enginetest.Run(t, func(t *testing.T) engine.Backend { return openOrSkip(t, "openblas") })
}

func TestConformanceGonum(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) engine.Backend { return openOrSkip(t, "gonum") })
}

// TestConformanceOneThread runs the suite with a single worker, so the
// inline paths of the chunked ops are covered too.
func TestConformanceOneThread(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) engine.Backend {
		b, err := cpu.New(cpu.Options{BLAS: "gonum", Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

// openFloat32 opens a float32 CPU backend with the given BLAS (skipping
// OpenBLAS where it is missing, as openOrSkip does).
func openFloat32(t *testing.T, blasName string, threads int) engine.Backend {
	t.Helper()
	openOrSkip(t, blasName).Close()
	b, err := cpu.New(cpu.Options{BLAS: blasName, Threads: threads, DType: engine.Float32})
	if err != nil {
		t.Fatal(err)
	}
	if engine.DTypeOf(b) != engine.Float32 || b.Info().DType != "float32" {
		t.Fatalf("asked for float32, got %v (Info %q)", engine.DTypeOf(b), b.Info().DType)
	}
	return b
}

// TestConformanceFloat32 runs the whole suite on float32 backends: both
// BLAS and one thread, with every bound derived from float32's unit
// roundoff where the backend computes in float32 (gemm, gemv) and from
// float64's plus the one rounding of the stored result where it computes
// in float64 (everything else).
func TestConformanceFloat32(t *testing.T) {
	for _, c := range []struct {
		blas    string
		threads int
	}{{"openblas", 0}, {"gonum", 0}, {"gonum", 1}} {
		t.Run(fmt.Sprintf("%s/threads=%d", c.blas, c.threads), func(t *testing.T) {
			enginetest.Run(t, func(t *testing.T) engine.Backend { return openFloat32(t, c.blas, c.threads) })
		})
	}
}

func TestBadOptions(t *testing.T) {
	if _, err := cpu.New(cpu.Options{DType: engine.DType(7)}); err == nil {
		t.Error("DType 7: no error")
	}
	if _, err := cpu.New(cpu.Options{BLAS: "mkl"}); err == nil {
		t.Error("BLAS mkl: no error")
	}
	t.Setenv("NETGEOM_THREADS", "zero")
	if _, err := cpu.New(cpu.Options{}); err == nil {
		t.Error("NETGEOM_THREADS=zero: no error")
	}
}

func TestOpenRegistered(t *testing.T) {
	b, err := engine.Open("auto")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	in := b.Info()
	if in.Backend != "cpu" || in.Reason == "" {
		t.Fatalf("auto without CUDA: backend %q reason %q; want cpu with a reason", in.Backend, in.Reason)
	}
	if _, err := engine.Open("cuda"); err == nil {
		t.Fatal("Open(cuda) without a CUDA backend succeeded")
	}
	if _, err := engine.Open("tpu"); err == nil {
		t.Fatal("Open(tpu) succeeded")
	}
	// A float32 backend by name and by auto (whose wrapper must pass the
	// dtype on); an unknown dtype is refused.
	for _, name := range []string{"cpu", "auto"} {
		b32, err := engine.OpenDType(name, engine.Float32)
		if err != nil {
			t.Fatal(err)
		}
		if engine.DTypeOf(b32) != engine.Float32 || b32.Info().DType != "float32" {
			t.Errorf("OpenDType(%s, float32): dtype %v, Info %q", name, engine.DTypeOf(b32), b32.Info().DType)
		}
		b32.Close()
	}
	if _, err := engine.OpenDType("cpu", engine.DType(9)); !errors.Is(err, engine.ErrDType) {
		t.Errorf("OpenDType(cpu, 9): %v, want ErrDType", err)
	}
}
