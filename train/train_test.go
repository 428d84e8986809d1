package train

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/datasets"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
)

func lookup(t testing.TB, name string) activation.Func {
	t.Helper()
	f, err := activation.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// regression is a linear least-squares problem: N samples of D standard
// normal features, targets A x + c + 0.01 noise (C outputs), so that the
// network with no hidden layer and squared error has the convex loss
// f(W, b) = (1/2N) |W X + b 1^T - T|^2 with Hessian ~ I (well conditioned)
// and a minimum from the normal equations.
type regression struct {
	x, t    []float64
	n, d, c int
}

func newRegression(n, d, c int, seed uint64) regression {
	r := rand.New(rand.NewPCG(seed, 1))
	reg := regression{x: make([]float64, n*d), t: make([]float64, n*c), n: n, d: d, c: c}
	a := make([]float64, c*d)
	for i := range a {
		a[i] = r.NormFloat64()
	}
	for i := range reg.x {
		reg.x[i] = r.NormFloat64()
	}
	for j := 0; j < n; j++ {
		for o := 0; o < c; o++ {
			v := 0.5*float64(o) + 0.01*r.NormFloat64()
			for k := 0; k < d; k++ {
				v += a[o*d+k] * reg.x[j*d+k]
			}
			reg.t[j*c+o] = v
		}
	}
	return reg
}

// minimum solves the normal equations for the least-squares (W, b) in the
// MLP's layout (W column-major C x D, then b) and returns it with the loss.
func (reg regression) minimum(t *testing.T) ([]float64, float64) {
	t.Helper()
	A := mat.NewDense(reg.n, reg.d+1, nil)
	for j := 0; j < reg.n; j++ {
		for k := 0; k < reg.d; k++ {
			A.Set(j, k, reg.x[j*reg.d+k])
		}
		A.Set(j, reg.d, 1)
	}
	T := mat.NewDense(reg.n, reg.c, reg.t)
	var sol mat.Dense // (D+1) x C
	if err := sol.Solve(A, T); err != nil {
		t.Fatal(err)
	}
	p := make([]float64, reg.c*reg.d+reg.c)
	for o := 0; o < reg.c; o++ {
		for k := 0; k < reg.d; k++ {
			p[o+k*reg.c] = sol.At(k, o)
		}
		p[reg.c*reg.d+o] = sol.At(reg.d, o)
	}
	var res mat.Dense
	res.Mul(A, &sol)
	res.Sub(&res, T)
	f := 0.0
	for _, v := range res.RawMatrix().Data {
		f += v * v
	}
	return p, f / (2 * float64(reg.n))
}

func (reg regression) setup(t *testing.T, b engine.Backend) (*models.Network, *models.Data) {
	t.Helper()
	net, err := models.NewNetwork(b, models.NetworkSpec{Widths: []int{reg.d, reg.c}, Act: lookup(t, "linear"), Loss: models.SquaredError})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Initialize(models.Init{Scheme: models.InitGlorot, SigmaB: 1}, 3); err != nil {
		t.Fatal(err)
	}
	d, err := models.NewData(b, reg.x, reg.d, reg.t, reg.c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return net, d
}

// TestOptimizersDecreaseLoss: on a well-conditioned convex quadratic (linear
// least squares, Hessian ~ I), every optimiser takes the excess loss
// f - f* below 1% of where it started within 300 steps, and gradient
// descent with a step below 2/L decreases the loss at every step (the
// descent lemma). The minimum f* comes from the normal equations.
func TestOptimizersDecreaseLoss(t *testing.T) {
	b := enginetest.Open(t)
	reg := newRegression(200, 5, 3, 1)
	_, fstar := reg.minimum(t)
	for _, c := range []struct {
		name string
		opt  Options
	}{
		{"gd", Options{Method: GD, LearningRate: 0.5}},
		{"sgd full batch", Options{Method: SGD, Momentum: 0.9, LearningRate: 0.05}},
		{"sgd minibatch", Options{Method: SGD, Momentum: 0.9, LearningRate: 0.02, BatchSize: 20, Seed: 4}},
		{"adam full batch", Options{Method: Adam, LearningRate: 0.05}},
		{"adam minibatch", Options{Method: Adam, LearningRate: 0.02, BatchSize: 25, Seed: 4}},
		{"lbfgs", Options{Method: LBFGS}},
	} {
		t.Run(c.name, func(t *testing.T) {
			net, d := reg.setup(t, b)
			e, _ := net.NewEvaluator(0)
			f0, _ := e.Loss(net.Params(), d)
			var losses []float64
			c.opt.Steps = 300
			c.opt.Progress = func(p Progress) { losses = append(losses, p.Loss) }
			res, err := Train(net, d, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := e.Loss(net.Params(), d)
			if f != res.Loss {
				t.Errorf("Result.Loss %v, loss at the final parameters %v", res.Loss, f)
			}
			if !(f-fstar <= 0.01*(f0-fstar)) {
				t.Errorf("excess loss %.3g after %d steps, from %.3g: not reduced 100-fold", f-fstar, res.Steps, f0-fstar)
			}
			if c.opt.Method == GD {
				for i := 1; i < len(losses); i++ {
					if losses[i] > losses[i-1]*(1+1e-13) { // rounding of the loss: ~N u relative
						t.Fatalf("gradient descent: loss rose at step %d: %v -> %v", i, losses[i-1], losses[i])
					}
				}
			}
		})
	}
}

// TestLBFGSReachesMinimum: L-BFGS on linear least squares reaches the
// normal equations' solution: parameters to 1e-8 relative and the loss to
// 1e-12 relative (the problem's condition number is ~3, so a gradient norm
// of 1e-10 leaves parameter errors ~1e-10), in at most P+1 iterations
// (BFGS with exact line searches ends on a P-dimensional quadratic within
// P steps; a curvature pair scaled wrongly takes twice as many).
func TestLBFGSReachesMinimum(t *testing.T) {
	b := enginetest.Open(t)
	reg := newRegression(300, 4, 3, 2)
	want, fstar := reg.minimum(t)
	net, d := reg.setup(t, b)
	res, err := Train(net, d, Options{Method: LBFGS, Steps: 200, GradTol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopGradient {
		t.Errorf("stopped by %q after %d steps (gradient norm %.3g); want the gradient tolerance", res.Stop, res.Steps, res.GradNorm)
	}
	if res.Steps > net.NumParams()+1 {
		t.Errorf("%d iterations for a %d-parameter quadratic; BFGS needs about P+1 at most (10 observed)", res.Steps, net.NumParams())
	}
	got, _ := net.HostParams()
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	for i := range want {
		if !(math.Abs(got[i]-want[i]) <= 1e-8*scale) {
			t.Errorf("parameter %d = %.12g, least squares %.12g", i, got[i], want[i])
		}
	}
	if !(math.Abs(res.Loss-fstar) <= 1e-12*fstar+1e-15) {
		t.Errorf("loss %.15g, minimum %.15g", res.Loss, fstar)
	}
}

// TestStoppingRules: the gradient-norm rule stops gradient descent once
// the norm is below the tolerance (and not before), the plateau rule stops
// once the loss stops improving by more than MinDelta, and the step budget
// is exact.
func TestStoppingRules(t *testing.T) {
	b := enginetest.Open(t)
	reg := newRegression(100, 3, 2, 3)
	net, d := reg.setup(t, b)
	var norms []float64
	res, err := Train(net, d, Options{Method: GD, LearningRate: 0.5, Steps: 10000, GradTol: 1e-6,
		Progress: func(p Progress) { norms = append(norms, p.GradNorm) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopGradient || res.GradNorm > 1e-6 || res.Steps >= 10000 {
		t.Errorf("gradient rule: stop %q after %d steps with norm %.3g", res.Stop, res.Steps, res.GradNorm)
	}
	for i, g := range norms[:len(norms)-1] {
		if g <= 1e-6 {
			t.Fatalf("norm %.3g <= tolerance already at check %d, but training went on", g, i)
		}
	}

	net, d = reg.setup(t, b)
	res, err = Train(net, d, Options{Method: GD, LearningRate: 0.5, Steps: 10000, Patience: 5, MinDelta: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopPlateau || res.Steps >= 10000 {
		t.Errorf("plateau rule: stop %q after %d steps", res.Stop, res.Steps)
	}

	net, d = reg.setup(t, b)
	res, err = Train(net, d, Options{Method: Adam, Steps: 37})
	if err != nil || res.Stop != StopSteps || res.Steps != 37 {
		t.Errorf("step budget 37: %d steps, stop %q, err %v", res.Steps, res.Stop, err)
	}
	net, d = reg.setup(t, b)
	res, err = Train(net, d, Options{Method: LBFGS, Steps: 3})
	if err != nil || res.Stop != StopSteps || res.Steps != 3 {
		t.Errorf("L-BFGS step budget 3: %d steps, stop %q, err %v", res.Steps, res.Stop, err)
	}
	net, d = reg.setup(t, b)
	res, err = Train(net, d, Options{Method: SGD, Steps: 23, BatchSize: 7, Seed: 1})
	if err != nil || res.Stop != StopSteps || res.Steps != 23 {
		t.Errorf("minibatch step budget 23: %d steps, stop %q, err %v", res.Steps, res.Stop, err)
	}
}

// TestSeeded: minibatch training is a function of the seed: the same seed
// gives bit-identical parameters, another seed different ones.
func TestSeeded(t *testing.T) {
	b := enginetest.Open(t)
	reg := newRegression(90, 3, 2, 5)
	run := func(seed uint64) []float64 {
		net, d := reg.setup(t, b)
		if _, err := Train(net, d, Options{Method: SGD, Momentum: 0.5, Steps: 50, BatchSize: 16, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		p, _ := net.HostParams()
		return p
	}
	a, a2, c := run(1), run(1), run(2)
	same := true
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(a2[i]) {
			t.Fatalf("same seed: parameter %d differs: %v, %v", i, a[i], a2[i])
		}
		same = same && a[i] == c[i]
	}
	if same {
		t.Error("seeds 1 and 2 gave identical parameters: the batches are not shuffled by the seed")
	}
}

// TestDiverged: a learning rate far above 2/L makes gradient descent blow
// up; Train reports ErrDiverged instead of returning NaN parameters.
func TestDiverged(t *testing.T) {
	b := enginetest.Open(t)
	reg := newRegression(50, 3, 2, 6)
	net, d := reg.setup(t, b)
	_, err := Train(net, d, Options{Method: GD, LearningRate: 1e3, Steps: 1000})
	if !errors.Is(err, ErrDiverged) {
		t.Errorf("err = %v, want ErrDiverged", err)
	}
}

// TestOptionErrors: bad options are refused with a message.
func TestOptionErrors(t *testing.T) {
	b := enginetest.Open(t)
	reg := newRegression(10, 2, 2, 7)
	net, d := reg.setup(t, b)
	for name, o := range map[string]Options{
		"no steps":         {Method: GD},
		"negative lr":      {Method: GD, Steps: 1, LearningRate: -1},
		"momentum 1":       {Method: SGD, Steps: 1, Momentum: 1},
		"unknown method":   {Method: Method(9), Steps: 1},
		"negative batch":   {Method: SGD, Steps: 1, BatchSize: -2},
		"NaN tolerance":    {Method: GD, Steps: 1, GradTol: math.NaN()},
		"negative history": {Method: LBFGS, Steps: 1, History: -1},
	} {
		if _, err := Train(net, d, o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for _, s := range MethodNames() {
		if m, err := ParseMethod(s); err != nil || m.String() != s {
			t.Errorf("ParseMethod(%q) = %v, %v", s, m, err)
		}
	}
	if _, err := ParseMethod("rmsprop"); err == nil {
		t.Error("ParseMethod(rmsprop): no error")
	}
}

// trainIris trains the `netgeom train` defaults on iris with the given
// seed (split, initialisation) and returns the test accuracy.
func trainIris(t *testing.T, b engine.Backend, seed uint64) float64 {
	t.Helper()
	prep, err := Prepare(DataSpec{Name: "iris", Seed: seed, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	widths := append(append([]int{prep.Train.D}, DefaultHidden()...), prep.Train.Classes)
	loss, _ := models.ParseLoss(DefaultLoss)
	net, err := models.NewNetwork(b, models.NetworkSpec{Widths: widths, Act: lookup(t, DefaultActivation), Loss: loss})
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	scheme, _ := models.ParseInit(DefaultInit)
	if err := net.Initialize(models.Init{Scheme: scheme}, seed); err != nil {
		t.Fatal(err)
	}
	tr, err := Upload(b, prep.Train)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	te, err := Upload(b, prep.Test)
	if err != nil {
		t.Fatal(err)
	}
	defer te.Close()
	res, err := Train(net, tr, Options{Method: DefaultMethod, Steps: DefaultSteps, WeightDecay: DefaultWeightDecay, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := net.NewEvaluator(0)
	defer e.Close()
	testLoss, acc, err := e.Evaluate(net.Params(), te)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("iris seed %d: objective %.4g after %d steps; test loss %.4g, accuracy %.4f (%d test samples)", seed, res.Loss, res.Steps, testLoss, acc, te.N)
	return acc
}

// TestIrisDefaults: the defaults of `netgeom train` (4-16-16-3 tanh,
// Glorot, cross-entropy, full-batch Adam 0.01 for 2000 steps, weight decay
// 0.01, standardised, 80/20 stratified split) reach over 95% mean test
// accuracy over seeds 1..8, and at least 90% (27 of 30) on each. Seed 1's
// split puts three of iris's well-known overlapping samples (rows 78, 134
// and 135, 1-based) in the test set, where even regularised logistic
// regression gets 90%; so the claim is about the defaults, not one split.
func TestIrisDefaults(t *testing.T) {
	b := enginetest.Open(t)
	sum := 0.0
	for seed := uint64(1); seed <= 8; seed++ {
		acc := trainIris(t, b, seed)
		if acc < 0.9 {
			t.Errorf("seed %d: test accuracy %.4f < 0.9", seed, acc)
		}
		sum += acc
	}
	if mean := sum / 8; !(mean > 0.95) {
		t.Errorf("mean test accuracy over seeds 1..8 %.4f, want > 0.95", mean)
	}
}

// TestPrepareRebuild: Rebuild from a checkpoint's record gives bit for bit
// the training and test sets Prepare made (subset, split, standardiser),
// and the record has the sizes; a subset keeps that many training samples.
func TestPrepareRebuild(t *testing.T) {
	for _, spec := range []DataSpec{
		{Name: "iris", Seed: 3, Standardize: true},
		{Name: "wine", Seed: 4, Subset: 100, TestFraction: 0.3, Standardize: true},
		{Name: "spirals", Seed: 5},
	} {
		p, err := Prepare(spec)
		if err != nil {
			t.Fatal(err)
		}
		if spec.Subset > 0 && p.Train.N+p.Test.N != spec.Subset {
			t.Errorf("%s: subset %d gave %d + %d samples", spec.Name, spec.Subset, p.Train.N, p.Test.N)
		}
		r, err := Rebuild(p.Info)
		if err != nil {
			t.Fatal(err)
		}
		for _, pair := range [][2]*datasets.Dataset{{p.Train, r.Train}, {p.Test, r.Test}} {
			if pair[0].N != pair[1].N {
				t.Fatalf("%s: %d samples rebuilt as %d", spec.Name, pair[0].N, pair[1].N)
			}
			for i := range pair[0].X {
				if math.Float64bits(pair[0].X[i]) != math.Float64bits(pair[1].X[i]) {
					t.Fatalf("%s: feature value %d rebuilt as %v, was %v", spec.Name, i, pair[1].X[i], pair[0].X[i])
				}
			}
		}
		if spec.Standardize {
			m := 0.0
			for j := 0; j < p.Train.N; j++ {
				m += p.Train.X[j*p.Train.D]
			}
			if !(math.Abs(m/float64(p.Train.N)) <= 1e-12) {
				t.Errorf("%s: standardised feature 0 has mean %v", spec.Name, m/float64(p.Train.N))
			}
		}
	}
	if _, err := Rebuild(models.CheckpointData{Name: "iris", Seed: 3, TestFraction: 0.2, Train: 121, Test: 29}); err == nil {
		t.Error("Rebuild with the wrong sample counts: no error")
	}
	if _, err := Prepare(DataSpec{Name: "no-such-set"}); err == nil {
		t.Error("unknown data set: no error")
	}
	if ok, _ := datasets.FashionMNISTAvailable(datasets.FashionMNISTDir()); ok || os.Getenv("NETGEOM_REQUIRE_DATA") == "1" {
		p, err := Prepare(DataSpec{Name: "fashion-mnist", Seed: 1, Subset: 500})
		if err != nil {
			t.Fatal(err)
		}
		if p.Train.N != 500 || p.Test.N != 10000 || p.Info.TestFraction != 0 {
			t.Errorf("fashion-mnist subset 500: %d train, %d test, fraction %v", p.Train.N, p.Test.N, p.Info.TestFraction)
		}
	}
}
