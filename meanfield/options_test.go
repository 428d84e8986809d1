package meanfield

import (
	"strings"
	"testing"

	"github.com/netgeom/netgeom/activation"
)

// TestOptionsRefuseNegatives: zero options mean the defaults, negative
// ones are refused (they used to mean the defaults too, silently).
func TestOptionsRefuseNegatives(t *testing.T) {
	tanh, _ := activation.Lookup("tanh")
	if _, err := New(tanh, 2, 0, Options{}); err != nil {
		t.Fatalf("zero options: %v", err)
	}
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Tol: -1}, "tolerance -1"},
		{Options{MaxIter: -5}, "MaxIter -5"},
		{Options{CriticalTol: -1e-8}, "CriticalTol -1e-08"},
	} {
		if _, err := New(tanh, 2, 0, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v; want %q", c.o, err, c.want)
		}
	}
}

// TestOptionBoundaries: the documented ranges are closed where they say
// so: Tol in [1e-15, 1e-2], MaxIter >= 1, 0 < CriticalTol < 1; covariances
// up to sqrt(q11 q22) (1 + 1e-12) and correlations in [-1, 1] are taken.
func TestOptionBoundaries(t *testing.T) {
	tanh, _ := activation.Lookup("tanh")
	for _, o := range []Options{{Tol: 1e-15}, {Tol: 1e-2}, {MaxIter: 1}, {CriticalTol: 0.999}} {
		if _, err := New(tanh, 2, 0, o); err != nil {
			t.Errorf("%+v: %v; want accepted", o, err)
		}
	}
	for _, o := range []Options{{Tol: 0.99e-15}, {Tol: 1.01e-2}, {CriticalTol: 1}} {
		if _, err := New(tanh, 2, 0, o); err == nil {
			t.Errorf("%+v: accepted; want refused", o)
		}
	}
	m, err := New(tanh, 1.5, 0.2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := m.Expect2(1, 4, 2*(1+0.5e-12)); err != nil {
		t.Errorf("covariance within 1e-12 of sqrt(q11 q22): %v", err)
	}
	if _, _, _, err := m.Expect2(1, 4, 2*(1+1e-11)); err == nil {
		t.Error("covariance 1e-11 above sqrt(q11 q22): accepted")
	}
	for _, c := range []float64{-1, 1} {
		if _, err := m.CMap(0.8, c); err != nil {
			t.Errorf("CMap at c = %v: %v", c, err)
		}
	}
}
