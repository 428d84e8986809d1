package cpu

import "testing"

func TestForcedOpenBLASMissingIsAnError(t *testing.T) {
	t.Setenv("NETGEOM_OPENBLAS", "/nonexistent/libopenblas.so.0")
	// A fresh loader: the process-wide one may have succeeded already.
	if _, err := dlopenOpenBLAS(1); err == nil {
		t.Fatal("loading OpenBLAS from a path that does not exist succeeded")
	}
}
