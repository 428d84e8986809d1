package engine_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

func download(t *testing.T, b engine.Backend, x engine.Buffer) []float64 {
	t.Helper()
	v, err := engine.ToHost(b, x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestRecorderStopsAtFirstFailure: after a failed op the later ones do not
// run (their buffers keep their contents) and return the first error;
// value-returning ops return 0.
func TestRecorderStopsAtFirstFailure(t *testing.T) {
	b := enginetest.Open(t)
	x, err := engine.FromHost(b, []float64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	short, err := engine.FromHost(b, []float64{10, 20})
	if err != nil {
		t.Fatal(err)
	}
	ops := engine.Ops(b)
	if err := ops.Scal(3, 2, x, 1); err != nil { // runs: x = 2, 4, 6
		t.Fatal(err)
	}
	first := ops.Axpy(3, 1, x, 1, short, 1) // y too short: fails
	if !errors.Is(first, engine.ErrShape) {
		t.Fatalf("Axpy into a short y: %v, want ErrShape", first)
	}
	if err := ops.Fill(x, 7); err != first {
		t.Errorf("Fill after the failure returned %v, want the first error %v", err, first)
	}
	if d, err := ops.Dot(3, x, 1, x, 1); d != 0 || err != first {
		t.Errorf("Dot after the failure: %v, %v; want 0 and the first error", d, err)
	}
	if v := ops.View(x, 0, 2); v != nil {
		t.Error("View after the failure returned a buffer")
	}
	if got := download(t, b, x); !slices.Equal(got, []float64{2, 4, 6}) {
		t.Errorf("x = %v after the failure; want 2, 4, 6 (the Fill must not run)", got)
	}
	if ops.Err() != first {
		t.Errorf("Err = %v, want the first error", ops.Err())
	}
	if err := ops.Reset(); err != first || ops.Err() != nil {
		t.Fatalf("Reset returned %v and left %v; want the first error and nil", err, ops.Err())
	}
	if err := ops.Fill(x, 7); err != nil {
		t.Fatal(err)
	}
	if got := download(t, b, x); !slices.Equal(got, []float64{7, 7, 7}) {
		t.Errorf("x = %v after Reset and Fill; want 7, 7, 7", got)
	}
	if ops.Fail(nil) != nil {
		t.Error("Fail(nil) recorded an error")
	}
	mine := errors.New("caller's check")
	if ops.Fail(mine) != mine || ops.Fill(x, 1) != mine {
		t.Error("Fail did not record the caller's error")
	}
}

// TestScopeFreesEverything: Close frees what Alloc and FromHost made and
// every scratch buffer, but not a buffer handed over with Keep; the scope is
// empty and usable afterwards.
func TestScopeFreesEverything(t *testing.T) {
	b := enginetest.Open(t)
	s := engine.NewScope(b)
	x, y := s.Alloc(4), s.FromHost([]float64{1, 2})
	sc := s.Scratch("t", 5)
	kept := s.Keep(s.Alloc(3))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if got := download(t, b, y); !slices.Equal(got, []float64{1, 2}) {
		t.Errorf("FromHost: %v", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for name, buf := range map[string]engine.Buffer{"Alloc": x, "FromHost": y, "Scratch": sc} {
		if err := b.Fill(buf, 0); !errors.Is(err, engine.ErrFreed) {
			t.Errorf("%s buffer after Close: %v, want ErrFreed", name, err)
		}
	}
	if err := b.Fill(kept, 1); err != nil {
		t.Errorf("a kept buffer after Close: %v", err)
	}
	if err := b.Free(kept); err != nil {
		t.Error(err)
	}
	z := s.Scratch("t", 2)
	if err := s.Fill(z, 1); err != nil {
		t.Errorf("scratch of a closed scope: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

// TestScopeScratch: a scratch buffer is reused while it is long enough (a
// shorter request is a view of the same memory) and replaced when it is
// not, which frees the views handed out before.
func TestScopeScratch(t *testing.T) {
	b := enginetest.Open(t)
	s := engine.NewScope(b)
	defer s.Close()
	long := s.Scratch("a", 6)
	s.Fill(long, 0)
	short := s.Scratch("a", 3)
	s.Fill(short, 5)
	other := s.Scratch("b", 3)
	s.Fill(other, 9)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if short.Len() != 3 {
		t.Errorf("Scratch(a, 3) has %d elements", short.Len())
	}
	if got := download(t, b, long); !slices.Equal(got, []float64{5, 5, 5, 0, 0, 0}) {
		t.Errorf("the longer view of scratch a reads %v; want the shorter one's 5s then 0s (one buffer)", got)
	}
	grown := s.Scratch("a", 10)
	if err := s.Err(); err != nil || grown.Len() != 10 {
		t.Fatalf("grown scratch: %v, %d elements", err, grown.Len())
	}
	if err := b.Fill(long, 1); !errors.Is(err, engine.ErrFreed) {
		t.Errorf("a view of the replaced scratch buffer: %v, want ErrFreed", err)
	}
	if got := download(t, b, other); !slices.Equal(got, []float64{9, 9, 9}) {
		t.Errorf("scratch b = %v after a grew; want 9s", got)
	}
}

// TestScopeAllocFailure: a failed allocation is remembered like a failed
// op: it and everything after it return nil, and Close still frees what was
// allocated before it.
func TestScopeAllocFailure(t *testing.T) {
	b := enginetest.Open(t)
	s := engine.NewScope(b)
	x := s.Alloc(2)
	if bad := s.Alloc(-1); bad != nil || !errors.Is(s.Err(), engine.ErrShape) {
		t.Fatalf("Alloc(-1): %v, Err %v; want nil and ErrShape", bad, s.Err())
	}
	if s.Alloc(2) != nil || s.Scratch("a", 2) != nil || s.FromHost([]float64{1}) != nil {
		t.Error("an allocation after the failure returned a buffer")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Fill(x, 0); !errors.Is(err, engine.ErrFreed) {
		t.Errorf("the buffer allocated before the failure after Close: %v, want ErrFreed", err)
	}
}

// TestEpsilon: a dtype's machine epsilon is the gap between 1 and the next
// number it holds: 1 + eps differs from 1 in the dtype, 1 + eps/2 rounds
// back to it.
func TestEpsilon(t *testing.T) {
	e64 := engine.Float64.Epsilon()
	if 1+e64 == 1 || 1+e64/2 != 1 {
		t.Errorf("float64 epsilon %g", e64)
	}
	e32 := engine.Float32.Epsilon()
	if float32(1+e32) == 1 || float32(1+e32/2) != 1 {
		t.Errorf("float32 epsilon %g", e32)
	}
}
