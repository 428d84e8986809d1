package train

import (
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
)

// lineSearchFixture is the line search along steepest descent from the
// initial parameters of a linear least-squares fit, where phi(a) =
// f(x + a d) is exactly the quadratic f0 + a phi'(0) + a^2 curv / 2, so its
// minimiser a* = -phi'(0) / curv is known in closed form.
type lineSearchFixture struct {
	t        *trainer
	x, d     engine.Buffer
	f0, dphi float64
	astar    float64
}

func newLineSearchFixture(tb *testing.T) lineSearchFixture {
	tb.Helper()
	b := enginetest.Open(tb)
	reg := newRegression(60, 3, 2, 7)
	net, data := reg.setup(tb, b)
	e, err := net.NewEvaluator(0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close() })
	tr := &trainer{net: net, b: b, e: e, data: data}
	P := net.NumParams()
	x := net.Params()
	s := engine.NewScope(b)
	tb.Cleanup(func() { s.Close() })
	g, d, xt := s.Alloc(P), s.Alloc(P), s.Alloc(P)
	if err := s.Err(); err != nil {
		tb.Fatal(err)
	}
	f0, err := tr.objective(x, data, g)
	if err != nil {
		tb.Fatal(err)
	}
	s.Copy(d, g)
	s.Scal(P, -1, d, 1)
	dphi, _ := s.Dot(P, g, 1, d, 1)
	// curv = d^T H d from phi(1) = f0 + dphi + curv/2 (exact for a quadratic
	// to rounding).
	s.Copy(xt, x)
	s.Axpy(P, 1, d, 1, xt, 1)
	if err := s.Err(); err != nil {
		tb.Fatal(err)
	}
	f1, err := tr.objective(xt, data, nil)
	if err != nil {
		tb.Fatal(err)
	}
	curv := 2 * (f1 - f0 - dphi)
	return lineSearchFixture{t: tr, x: x, d: d, f0: f0, dphi: dphi, astar: -dphi / curv}
}

// search runs the line search from a first step a1 and returns its step,
// loss, success and the number of evaluations it made.
func (fx lineSearchFixture) search(tb *testing.T, a1 float64) (a, fa float64, ok bool, evals int) {
	tb.Helper()
	s := engine.NewScope(fx.t.b)
	defer s.Close()
	P := fx.t.net.NumParams()
	ls := lineSearch{t: fx.t, x: fx.x, d: fx.d, xt: s.Alloc(P), gt: s.Alloc(P), f0: fx.f0, dphi0: fx.dphi, last: -1}
	if err := s.Err(); err != nil {
		tb.Fatal(err)
	}
	before := fx.t.res.Gradients
	a, fa, ok, err := ls.run(a1)
	if err != nil {
		tb.Fatal(err)
	}
	return a, fa, ok, fx.t.res.Gradients - before
}

// TestLineSearchQuadratic pins the strong-Wolfe line search (Nocedal and
// Wright, algorithms 3.5 and 3.6; c1 = 1e-4, c2 = 0.9) on a quadratic
// phi, where every step is worked out by hand from a* = -phi'(0)/curv:
//
//   - a1 = 8 a*: phi(8 a*) = f0 - 24 a* phi'(0) > f0 violates sufficient
//     decrease, so the bracket [0, 8 a*] is zoomed; the cubic through a
//     quadratic's values and slopes is that quadratic, so its minimiser a*
//     is the next trial, where phi' = 0: accepted after 2 evaluations.
//   - a1 = a*/64: phi'(a) = (1 - a/a*) phi'(0) fails the curvature
//     condition |phi'| <= 0.9 |phi'(0)| until a >= a*/10; the search doubles
//     a*/64 -> a*/32 -> a*/16 -> a*/8 and accepts a*/8 (4 evaluations).
//   - a1 = a*: accepted at once (1 evaluation).
//   - a1 = 3 a*: phi(3 a*) = f0 - 1.5 a* phi'(0) > f0: zoomed to a* (2).
//
// The steps agree to 1e-9 relative (curv comes from differences of the
// loss, exact for a quadratic to rounding), the loss returned is the loss
// at the step, and each accepted step satisfies both Wolfe conditions.
func TestLineSearchQuadratic(t *testing.T) {
	fx := newLineSearchFixture(t)
	if !(fx.dphi < 0 && fx.astar > 0) {
		t.Fatalf("phi'(0) = %v, a* = %v: want a descent direction", fx.dphi, fx.astar)
	}
	for _, c := range []struct {
		a1, want float64
		evals    int
	}{{8 * fx.astar, fx.astar, 2}, {fx.astar / 64, fx.astar / 8, 4}, {fx.astar, fx.astar, 1}, {3 * fx.astar, fx.astar, 2}} {
		a, fa, ok, evals := fx.search(t, c.a1)
		if !ok || !(math.Abs(a-c.want) <= 1e-9*c.want) || evals != c.evals {
			t.Errorf("a1 = %.6g a*: step %.12g a* (ok %v) after %d evaluations; want %.6g a* after %d",
				c.a1/fx.astar, a/fx.astar, ok, evals, c.want/fx.astar, c.evals)
			continue
		}
		// The step's loss and slope, evaluated afresh.
		phi := fx.f0 + a*fx.dphi + 0.5*a*a*(-fx.dphi/fx.astar)
		if !(math.Abs(fa-phi) <= 1e-12*math.Abs(fx.f0)) {
			t.Errorf("a1 = %.6g a*: loss %.15g, phi(a) = %.15g", c.a1/fx.astar, fa, phi)
		}
		slope := (1 - a/fx.astar) * fx.dphi
		if fa > fx.f0+wolfeC1*a*fx.dphi || !(math.Abs(slope) <= -wolfeC2*fx.dphi*(1+1e-9)) {
			t.Errorf("a1 = %.6g a*: step %.6g a* breaks the strong Wolfe conditions", c.a1/fx.astar, a/fx.astar)
		}
	}
}

// TestLBFGSFirstStep: L-BFGS starts with steepest descent, from a first
// trial step LearningRate * min(1, 1/|g|) along -g. With the learning rate
// chosen so that this trial is half the exact line minimum a* of the
// quadratic (a*|g|/2 when |g| >= 1), the strong Wolfe conditions hold there
// at once (they hold for a in [0.1 a*, 1.9 a*]), so one step of Train lands
// on x0 + (a*/2) d, d = -g, computed here from the fixture's closed form (to
// 1e-12 relative to |x|). (At a* itself a wrong first trial could still end
// there: the zoom finds a* exactly on a quadratic.)
func TestLBFGSFirstStep(t *testing.T) {
	fx := newLineSearchFixture(t)
	P := fx.t.net.NumParams()
	x0, err := fx.t.net.HostParams()
	if err != nil {
		t.Fatal(err)
	}
	d := make([]float64, P)
	if err := fx.t.b.Download(d, fx.d); err != nil {
		t.Fatal(err)
	}
	norm := math.Sqrt(-fx.dphi) // d = -g, so phi'(0) = -|g|^2
	res, err := Train(fx.t.net, fx.t.data, Options{Method: LBFGS, Steps: 1, LearningRate: 0.5 * fx.astar * math.Max(norm, 1)})
	if err != nil || res.Steps != 1 {
		t.Fatalf("%d steps, %v", res.Steps, err)
	}
	x1, _ := fx.t.net.HostParams()
	scale := 0.0
	for i := range P {
		scale = math.Max(scale, math.Abs(x0[i]))
	}
	for i := range P {
		if want := x0[i] + 0.5*fx.astar*d[i]; !(math.Abs(x1[i]-want) <= 1e-12*scale) {
			t.Errorf("parameter %d after one step: %.15g, want x0 + (a*/2) d = %.15g", i, x1[i], want)
		}
	}
}

// TestLineSearchWolfe: on a tanh network's cross-entropy (iris, 4-6-3,
// Glorot weights), where phi is far from quadratic, the search along -g
// from first trials spanning 10^-4 to 10^4 returns a step that satisfies
// both strong Wolfe conditions (c1 = 1e-4, c2 = 0.9), checked by evaluating
// the loss and the slope there afresh, with the loss it returns equal to
// the loss there; tiny first trials are doubled up to an acceptable step,
// huge ones zoomed down, within 40 evaluations.
func TestLineSearchWolfe(t *testing.T) {
	b := enginetest.Open(t)
	p, err := Prepare(DataSpec{Name: "iris", Seed: 2, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	data, err := Upload(b, p.Train)
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	net, err := models.NewNetwork(b, models.NetworkSpec{Widths: []int{4, 6, 3}, Act: lookup(t, "tanh"), Loss: models.CrossEntropy})
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	if err := net.Initialize(models.Init{Scheme: models.InitGlorot}, 4); err != nil {
		t.Fatal(err)
	}
	e, err := net.NewEvaluator(0)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tr := &trainer{net: net, b: b, e: e, data: data}
	P := net.NumParams()
	s := engine.NewScope(b)
	defer s.Close()
	g, d, xt, gt := s.Alloc(P), s.Alloc(P), s.Alloc(P), s.Alloc(P)
	f0, err := tr.objective(net.Params(), data, g)
	if err != nil {
		t.Fatal(err)
	}
	s.Copy(d, g)
	s.Scal(P, -1, d, 1)
	dphi0, _ := s.Dot(P, g, 1, d, 1)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	for _, a1 := range []float64{1e-4, 1e-2, 1, 1e2, 1e4} {
		ls := lineSearch{t: tr, x: net.Params(), d: d, xt: s.Alloc(P), gt: s.Alloc(P), f0: f0, dphi0: dphi0, last: -1}
		before := tr.res.Gradients
		a, fa, ok, err := ls.run(a1)
		if err != nil {
			t.Fatal(err)
		}
		evals := tr.res.Gradients - before
		// The loss and slope at x + a d, afresh.
		s.Copy(xt, net.Params())
		s.Axpy(P, a, d, 1, xt, 1)
		f, err := Objective(b, e, xt, data, 0, gt)
		if err != nil {
			t.Fatal(err)
		}
		slope, _ := s.Dot(P, gt, 1, d, 1)
		if !ok || !(a > 0) || f != fa || f > f0+wolfeC1*a*dphi0 || !(math.Abs(slope) <= -wolfeC2*dphi0) || evals > 40 {
			t.Errorf("first trial %g: step %g (ok %v, %d evaluations), loss %v (returned %v) against f0 %v, slope %v against phi'(0) %v",
				a1, a, ok, evals, f, fa, f0, slope, dphi0)
		}
	}
}
