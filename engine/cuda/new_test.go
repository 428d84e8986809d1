package cuda

import (
	"errors"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine"
	_ "github.com/netgeom/netgeom/engine/cpu" // for engine.Open("auto")
)

// TestNewOnThisMachine opens the real backend: on a machine with a GPU it
// must open; elsewhere it must explain why not, wrapping ErrUnavailable.
func TestNewOnThisMachine(t *testing.T) {
	t.Setenv("NETGEOM_LIBCUDA", "")
	b, err := New(Options{})
	if err == nil {
		defer b.Close()
		in := b.Info()
		t.Logf("CUDA available: %s, BLAS %s (%s)", in.Device, in.BLAS, in.Details["blas_reason"])
		if in.Backend != "cuda" || in.Device == "" {
			t.Errorf("Info = %+v", in)
		}
		return
	}
	t.Logf("CUDA unavailable here, as expected without a GPU: %v", err)
	if !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("error does not wrap engine.ErrUnavailable: %v", err)
	}
	msg := err.Error()
	actionable := false
	for _, s := range []string{"libcuda.so.1 was not found", "no CUDA device", "stub library", "failed to initialise", "too old", "compute capability"} {
		actionable = actionable || strings.Contains(msg, s)
	}
	if !actionable {
		t.Errorf("the reason does not say what is wrong: %v", err)
	}
}

// TestNoDriver: without libcuda.so.1, New fails with ErrUnavailable and says
// the library was not found.
func TestNoDriver(t *testing.T) {
	t.Setenv("NETGEOM_LIBCUDA", "")
	saved := defaultDriverPaths
	defaultDriverPaths = []string{"libcuda-netgeom-test-absent.so.1", "/nonexistent/libcuda.so.1"}
	defer func() { defaultDriverPaths = saved }()
	_, err := New(Options{})
	if !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	for _, w := range []string{"cuda: backend unavailable: libcuda.so.1 was not found", "no NVIDIA driver is installed", "NETGEOM_LIBCUDA"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
}

func TestNamedDriverMissing(t *testing.T) {
	t.Setenv("NETGEOM_LIBCUDA", "/nonexistent/libcuda.so.1")
	_, err := New(Options{})
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "NETGEOM_LIBCUDA=/nonexistent/libcuda.so.1 could not be loaded") {
		t.Errorf("err = %v", err)
	}
}

// TestNotADriver: a library that is not the CUDA driver is refused with the
// list of what it lacks.
func TestNotADriver(t *testing.T) {
	_, err := New(Options{Driver: "libm.so.6"})
	if err == nil {
		t.Fatal("libm.so.6 accepted as the CUDA driver")
	}
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "libm.so.6 lacks cuInit") {
		t.Errorf("err = %v", err)
	}
}

func TestBadEnvironment(t *testing.T) {
	t.Setenv("NETGEOM_CUDA_BLAS", "mkl")
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), `unknown BLAS "mkl"`) {
		t.Errorf("NETGEOM_CUDA_BLAS=mkl: %v", err)
	}
	t.Setenv("NETGEOM_CUDA_BLAS", "")
	if _, err := New(Options{Device: -1}); err == nil {
		t.Error("device -1 accepted")
	}
}

// TestRegistered: importing the package registers "cuda"; engine.Open
// returns it or its reason, and "auto" falls back to the CPU with that
// reason.
func TestRegistered(t *testing.T) {
	found := false
	for _, n := range engine.Registered() {
		found = found || n == "cuda"
	}
	if !found {
		t.Fatalf("cuda not registered: %v", engine.Registered())
	}
	b, err := engine.Open("cuda")
	if err == nil {
		b.Close()
		return // a GPU is present
	}
	if !errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("Open(cuda): %v", err)
	}
	a, err := engine.Open("auto")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if in := a.Info(); in.Backend != "cpu" || !strings.Contains(in.Reason, "CUDA unavailable") {
		t.Errorf("auto without a GPU: %s, reason %q", in.Backend, in.Reason)
	}
}

func TestWorkerPanicReachesCaller(t *testing.T) {
	w := startWorker()
	defer w.stop()
	defer func() {
		v := recover()
		if v == nil || !strings.Contains(v.(string), "boom") {
			t.Errorf("recovered %v", v)
		}
	}()
	_ = w.run(func() error { panic("boom") })
}
