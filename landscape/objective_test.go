package landscape

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/energy"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/train"
)

// objectiveModel trains a 4-2-3 tanh network (19 parameters) on iris for
// a few steps, for its architecture and data.
func objectiveModel(t *testing.T) *train.Model {
	t.Helper()
	r, err := train.Run(context.Background(), enginetest.Open(t), train.RunOptions{Arch: []int{4, 2, 3}, Steps: 50, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Model.Close() })
	return r.Model
}

// TestObjectiveDerivatives: the adapter's value is the evaluator's mean
// loss plus (wd/2)|theta|^2 (to rounding), its gradient matches central
// differences of its value (step 1e-6: error ~1e-10 relative to the
// gradient's scale) and its Hessian-vector product central differences of
// its gradient (1e-7).
func TestObjectiveDerivatives(t *testing.T) {
	m := objectiveModel(t)
	const wd = 0.05
	obj, err := NewObjective(m.Net, m.Train, wd, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	x, _ := m.Net.HostParams()
	n := obj.Dim()
	ev, _ := m.Net.NewEvaluator(0)
	defer ev.Close()
	loss, _ := ev.Loss(m.Net.Params(), m.Train)
	sq := 0.0
	for _, v := range x {
		sq += v * v
	}
	g := make([]float64, n)
	if f := obj.ValueGrad(x, g); !(math.Abs(f-(loss+0.5*wd*sq)) <= 1e-14*f) {
		t.Errorf("value %.17g; loss + penalty %.17g", f, loss+0.5*wd*sq)
	}
	gmax := 0.0
	for _, v := range g {
		gmax = math.Max(gmax, math.Abs(v))
	}
	const h = 1e-6
	for i := 0; i < n; i++ {
		xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
		xp[i] += h
		xm[i] -= h
		fd := (obj.ValueGrad(xp, nil) - obj.ValueGrad(xm, nil)) / (2 * h)
		if !(math.Abs(fd-g[i]) <= 1e-7*math.Max(gmax, 1)) {
			t.Errorf("gradient %d: %.10g; differences %.10g", i, g[i], fd)
		}
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = math.Sin(float64(i) + 0.5)
	}
	hv := make([]float64, n)
	obj.HessVec(x, v, hv)
	gp, gm := make([]float64, n), make([]float64, n)
	xp, xm := make([]float64, n), make([]float64, n)
	const e = 1e-5
	for i := range x {
		xp[i], xm[i] = x[i]+e*v[i], x[i]-e*v[i]
	}
	obj.ValueGrad(xp, gp)
	obj.ValueGrad(xm, gm)
	for i := range hv {
		if fd := (gp[i] - gm[i]) / (2 * e); !(math.Abs(fd-hv[i]) <= 1e-6*math.Max(1, math.Abs(fd))) {
			t.Errorf("Hv %d: %.10g; differences of the gradient %.10g", i, hv[i], fd)
		}
	}
	if obj.Err() != nil {
		t.Fatal(obj.Err())
	}
}

// TestBasinHopOnANetwork: basin-hopping on the 19-parameter network's
// objective finds several minima (4 with this seed), and each is one: its
// gradient norm is below 1e-7 and the dense Hessian (from the adapter's
// exact products, column by column) is positive definite apart from
// rounding (smallest eigenvalue > -1e-8 of the largest).
func TestBasinHopOnANetwork(t *testing.T) {
	m := objectiveModel(t)
	obj, err := NewObjective(m.Net, m.Train, 0.05, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	x0, _ := m.Net.HostParams()
	db, err := energy.NewDatabase(energy.Header{Dim: obj.Dim(), EnergyTol: 1e-9, DistanceTol: 1e-4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := energy.BasinHop(context.Background(), obj, x0, db, energy.HopOptions{Seed: 1, Steps: 20, StepSize: 1.5, Temperature: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if obj.Err() != nil {
		t.Fatal(obj.Err())
	}
	mins := db.Minima()
	if len(mins) < 2 || res.Steps != 20 {
		t.Fatalf("%d minima in %d steps", len(mins), res.Steps)
	}
	n := obj.Dim()
	for _, mn := range mins {
		g := make([]float64, n)
		obj.ValueGrad(mn.X, g)
		if norm := mat.Norm(mat.NewVecDense(n, g), 2); norm > 1e-7 {
			t.Errorf("minimum %d: gradient norm %.3g", mn.ID, norm)
		}
		H := mat.NewSymDense(n, nil)
		col := make([]float64, n)
		for j := 0; j < n; j++ {
			e := make([]float64, n)
			e[j] = 1
			obj.HessVec(mn.X, e, col)
			for i := 0; i <= j; i++ {
				H.SetSym(i, j, 0.5*(H.At(i, j)+col[i]))
			}
		}
		var es mat.EigenSym
		es.Factorize(H, false)
		vals := es.Values(nil)
		if vals[0] < -1e-8*math.Abs(vals[n-1]) {
			t.Errorf("minimum %d: smallest Hessian eigenvalue %.3g (largest %.3g)", mn.ID, vals[0], vals[n-1])
		}
	}
	t.Logf("%d minima, energies %v..., %d accepted of %d", len(mins), mins[0].Energy, res.Accepted, res.Steps)
}
