package energy

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/netgeom/netgeom/options"
)

// TestOptionErrors: an option out of range is an *options.Error naming
// its field, for every entry point; bad input is an error, not a panic.
func TestOptionErrors(t *testing.T) {
	obj := MullerBrown()
	x := []float64{0.6, 0}
	db, _ := NewDatabase(Header{Dim: 2}, nil)
	for _, c := range []struct {
		field string
		err   error
	}{
		{"GradTol", func() error { _, err := Quench(obj, x, QuenchOptions{GradTol: -1}); return err }()},
		{"MaxStep", func() error { _, err := Quench(obj, x, QuenchOptions{MaxStep: math.Inf(1)}); return err }()},
		{"Index", func() error { _, err := FindStationary(obj, x, SearchOptions{Index: 3}); return err }()},
		{"TangentIter", func() error { _, err := FindStationary(obj, x, SearchOptions{TangentIter: -2}); return err }()},
		{"Images", func() error { _, err := NEB(obj, x, []float64{0, 0.5}, NEBOptions{Images: -1}); return err }()},
		{"StepSize", func() error {
			_, err := BasinHop(context.Background(), obj, x, db, HopOptions{StepSize: math.NaN()})
			return err
		}()},
		{"ZeroTol", func() error {
			_, err := BasinHop(context.Background(), obj, x, db, HopOptions{Quench: QuenchOptions{ZeroTol: -1}})
			return err
		}()},
	} {
		var oe *options.Error
		if !errors.As(c.err, &oe) || oe.Field != c.field {
			t.Errorf("%s: error %v, want an *options.Error for the field", c.field, c.err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := BasinHop(ctx, obj, x, db, HopOptions{})
	if !errors.Is(err, context.Canceled) || res.Steps != 0 || res.Stopped != context.Canceled.Error() {
		t.Errorf("cancelled: %+v %v", res, err)
	}
	nan := Func{N: 2, F: func(x, g []float64) float64 {
		if g != nil {
			g[0], g[1] = math.NaN(), 0
		}
		return 0
	}}
	if _, err := Quench(nan, x, QuenchOptions{}); !errors.Is(err, errNonFinite) {
		t.Errorf("a NaN gradient: %v", err)
	}
	if _, err := Quench(obj, []float64{1}, QuenchOptions{}); err == nil {
		t.Error("a start of the wrong length: no error")
	}
	if _, err := NEB(obj, x, x, NEBOptions{}); err == nil {
		t.Error("a band between one point and itself: no error")
	}
	if _, err := Connect(obj, db, 0, 0, ConnectOptions{}); err == nil {
		t.Error("connecting a minimum to itself: no error")
	}
	if _, _, err := db.AddTransitionState(Point{X: x}, 0, 7); err == nil {
		t.Error("a transition state to a minimum that is not there: no error")
	}
	if _, _, err := db.AddMinimum(Point{X: []float64{1}}); err == nil {
		t.Error("a minimum of the wrong dimension: no error")
	}
	if _, err := NewDatabase(Header{Dim: 2, EnergyTol: -1}, nil); err == nil {
		t.Error("a negative tolerance: no error")
	}
	if _, err := BuildGraph([]float64{0, 1}, []Edge{{0, 2, 1}}, []float64{3}); err == nil {
		t.Error("an edge to a minimum that is not there: no error")
	}
	if _, err := BuildGraph([]float64{0}, nil, nil); err == nil {
		t.Error("no levels: no error")
	}
}
