package landscape

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
)

// connectProblem: the small census's two depth-2 end points on its data.
func connectProblem(t *testing.T) (*PathEvaluator, []float64, []float64, func()) {
	t.Helper()
	full := fullCensus(t)
	p, err := parseCensus(full, "test")
	if err != nil {
		t.Fatal(err)
	}
	b := enginetest.Open(t)
	prep, err := Prepare(b, p.census.Config)
	if err != nil {
		t.Fatal(err)
	}
	ra, _ := p.census.Find(2, 0)
	rb, _ := p.census.Find(2, 1)
	spec, _ := p.census.Config.Spec(ra.Widths)
	net, err := models.NewNetwork(b, spec)
	if err != nil {
		t.Fatal(err)
	}
	pe, err := NewPathEvaluator(net, prep.Train, prep.Test, p.census.Config.WeightDecay)
	if err != nil {
		t.Fatal(err)
	}
	return pe, ra.Theta, rb.Theta, func() { pe.Close(); net.Close(); prep.Close() }
}

// TestLinearPath: the path's ends are the two networks (their losses and
// objectives equal the census records' to 1e-12 relative), its midpoint
// the loss of (a+b)/2 evaluated directly, the barrier is max minus the
// higher end, by definition, and the Bezier curve with control point
// (a+b)/2 is the straight line (its points agree to 1e-12).
func TestLinearPath(t *testing.T) {
	pe, a, b, done := connectProblem(t)
	defer done()
	lin, err := LinearPath(pe, a, b, 11)
	if err != nil {
		t.Fatal(err)
	}
	full := fullCensus(t)
	p, _ := parseCensus(full, "test")
	ra, _ := p.census.Find(2, 0)
	rb, _ := p.census.Find(2, 1)
	ends := [][2]float64{{lin.Points[0].TrainLoss, ra.TrainLoss}, {lin.Points[10].TrainLoss, rb.TrainLoss},
		{lin.Points[0].Objective, ra.Objective}, {lin.Points[10].Objective, rb.Objective}, {lin.Points[0].TestLoss, ra.TestLoss}}
	for i, e := range ends {
		if !(math.Abs(e[0]-e[1]) <= 1e-12*e[1]) {
			t.Errorf("end %d: path %v, record %v", i, e[0], e[1])
		}
	}
	mid := make([]float64, len(a))
	for i := range mid {
		mid[i] = 0.5*a[i] + 0.5*b[i]
	}
	pm, err := pe.At(0.5, mid)
	if err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(pm.TrainLoss-lin.Points[5].TrainLoss) <= 1e-12*pm.TrainLoss) {
		t.Errorf("midpoint loss %v, direct %v", lin.Points[5].TrainLoss, pm.TrainLoss)
	}
	top := math.Inf(-1)
	for _, q := range lin.Points {
		top = math.Max(top, q.TrainLoss)
	}
	if want := top - math.Max(lin.Points[0].TrainLoss, lin.Points[10].TrainLoss); lin.Barrier != want {
		t.Errorf("barrier %v, want %v", lin.Barrier, want)
	}
	bz, err := BezierPath(pe, a, b, mid, 11)
	if err != nil {
		t.Fatal(err)
	}
	for i := range bz.Points {
		if !(math.Abs(bz.Points[i].TrainLoss-lin.Points[i].TrainLoss) <= 1e-12*lin.Points[i].TrainLoss) {
			t.Errorf("t = %v: Bezier with midpoint control %v, line %v", lin.Points[i].T, bz.Points[i].TrainLoss, lin.Points[i].TrainLoss)
		}
	}
}

// TestBezierGradient: the gradient of the Bezier objective in the control
// point against central finite differences (h = 1e-6) along 5 random
// directions, to 1e-6 relative: checks the chain-rule weight 2t(1-t) and
// the weight-decay term.
func TestBezierGradient(t *testing.T) {
	pe, a, b, done := connectProblem(t)
	defer done()
	r := rand.New(rand.NewPCG(13, 14))
	P := len(a)
	c := make([]float64, P)
	for i := range c {
		c[i] = 0.5*(a[i]+b[i]) + 0.3*r.NormFloat64()
	}
	ts := []float64{0.13, 0.5, 0.77}
	g := make([]float64, P)
	if _, err := BezierObjective(pe, a, b, c, ts, g); err != nil {
		t.Fatal(err)
	}
	scratch := make([]float64, P)
	f := func(x []float64) float64 {
		v, err := BezierObjective(pe, a, b, x, ts, scratch)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for k := 0; k < 5; k++ {
		u := randomParams(r, P)
		const h = 1e-6
		cp, cm := make([]float64, P), make([]float64, P)
		for i := range c {
			cp[i], cm[i] = c[i]+h*u[i], c[i]-h*u[i]
		}
		fd := (f(cp) - f(cm)) / (2 * h)
		if an := dot(g, u); !(math.Abs(an-fd) <= 1e-6*math.Max(math.Abs(fd), 1e-3)) {
			t.Errorf("direction %d: gradient %v, finite differences %v", k, an, fd)
		}
	}
}

// TestTrainBezier: two distinct minima of the small census whose straight
// line climbs (barrier > 0.01): training the control point lowers the mean
// objective along the curve below the straight line's and lowers the
// barrier. (A property of the optimiser on this problem, not an oracle:
// the curve starts as the line and Adam descends the averaged objective.)
func TestTrainBezier(t *testing.T) {
	pe, a, b, done := connectProblem(t)
	defer done()
	lin, err := LinearPath(pe, a, b, 21)
	if err != nil {
		t.Fatal(err)
	}
	if lin.Barrier < 0.01 {
		t.Skipf("the straight line barely climbs (barrier %v)", lin.Barrier)
	}
	res, err := TrainBezier(pe, a, b, BezierOptions{Steps: 300, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	bz, err := BezierPath(pe, a, b, res.Control, 21)
	if err != nil {
		t.Fatal(err)
	}
	mean := func(p Path) float64 {
		s := 0.0
		for _, q := range p.Points {
			s += q.Objective
		}
		return s / float64(len(p.Points))
	}
	if mean(bz) >= mean(lin) || bz.Barrier >= lin.Barrier {
		t.Errorf("Bezier mean objective %v barrier %v; line %v, %v", mean(bz), bz.Barrier, mean(lin), lin.Barrier)
	}
	t.Logf("linear barrier %.4g, Bezier barrier %.4g", lin.Barrier, bz.Barrier)
}

// TestPathEvaluatorEdges: a weight decay of 0 is allowed and a negative or
// infinite one refused; Close without a gradient ever taken frees nothing
// and succeeds; with a test set At evaluates it (the mean loss over it,
// as the evaluator gives it), without one it leaves TestLoss 0; barrier's
// t is the first of equal maxima.
func TestPathEvaluatorEdges(t *testing.T) {
	b := enginetest.Open(t)
	r := rand.New(rand.NewPCG(3, 4))
	spec := mlpSpec(t, "tanh", 4, 5, 3)
	net, err := models.NewNetwork(b, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	train, test := randomData(t, b, r, 30, 4, 3), randomData(t, b, r, 20, 4, 3)
	defer train.Close()
	defer test.Close()
	for _, wd := range []float64{-1e-3, math.Inf(1), math.NaN()} {
		if _, err := NewPathEvaluator(net, train, test, wd); err == nil {
			t.Errorf("weight decay %v: no error", wd)
		}
	}
	theta := randomParams(r, spec.NumParams())
	for _, withTest := range []bool{true, false} {
		var td *models.Data
		if withTest {
			td = test
		}
		pe, err := NewPathEvaluator(net, train, td, 0)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := pe.At(0.25, theta)
		if err != nil {
			t.Fatal(err)
		}
		e, err := net.NewEvaluator(0)
		if err != nil {
			t.Fatal(err)
		}
		wantTrain, _ := e.Loss(net.Params(), train)
		wantTest := 0.0
		if withTest {
			wantTest, _ = e.Loss(net.Params(), test)
		}
		e.Close()
		if pt.T != 0.25 || pt.TrainLoss != wantTrain || pt.Objective != wantTrain || pt.TestLoss != wantTest || (withTest && wantTest == 0) {
			t.Errorf("test set %v: point %+v, want train loss %v (= objective at weight decay 0), test loss %v", withTest, pt, wantTrain, wantTest)
		}
		if err := pe.Close(); err != nil {
			t.Errorf("Close with no gradient taken: %v", err)
		}
	}
	pts := []PathPoint{{T: 0, TrainLoss: 1}, {T: 0.25, TrainLoss: 3}, {T: 0.5, TrainLoss: 3}, {T: 1, TrainLoss: 2}}
	if h, at := barrier(pts, func(q PathPoint) float64 { return q.TrainLoss }); h != 1 || at != 0.25 {
		t.Errorf("barrier %v at %v, want 1 at 0.25 (the first maximum)", h, at)
	}
}

// TestTrainBezierOptions: one step of one t is a valid (if short)
// training; negative steps, batches and learning rates are refused.
func TestTrainBezierOptions(t *testing.T) {
	pe, a, b, done := connectProblem(t)
	defer done()
	if _, err := TrainBezier(pe, a, b, BezierOptions{Steps: 1, Batch: 1}); err != nil {
		t.Errorf("one step of one t: %v", err)
	}
	for _, o := range []BezierOptions{{Steps: -1}, {Batch: -1}, {LR: -0.1}, {LR: math.Inf(1)}} {
		if _, err := TrainBezier(pe, a, b, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
