package enginetest

import (
	"testing"

	"github.com/netgeom/netgeom/engine"
	_ "github.com/netgeom/netgeom/engine/cpu" // registers "cpu" with engine.Open
)

// Open opens the CPU backend for a test, as engine.Open("cpu") does (so
// NETGEOM_BLAS and NETGEOM_THREADS apply), and closes it when the test and
// its subtests end; a failing Close fails the test. It is the one way the
// tests of the packages above engine get a backend.
func Open(t testing.TB) engine.Backend {
	t.Helper()
	return OpenDType(t, engine.Float64)
}

// OpenDType is Open for a CPU backend that computes in dt.
func OpenDType(t testing.TB, dt engine.DType) engine.Backend {
	t.Helper()
	b, err := engine.OpenDType("cpu", dt)
	if err != nil {
		t.Fatalf("open the cpu backend (%v): %v", dt, err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close the cpu backend: %v", err)
		}
	})
	return b
}
