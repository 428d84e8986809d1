package train

import (
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
)

// TestUpdatesFollowPublishedFormulas pins each first-order optimiser's
// update, step by step, on a two-parameter quadratic: a network with no
// hidden layer, one input, one output, a linear activation and squared
// error, so theta = (w, b) and the objective is
//
//	f(w, b) = (1/2N) sum_j (w x_j + b - t_j)^2 + (lambda/2)(w^2 + b^2)
//
// with the gradient (1/N) sum_j r_j (x_j, 1) + lambda (w, b), r_j = w x_j +
// b - t_j, evaluated here on the host. The oracle applies the published
// updates to it:
//
//   - gradient descent: theta -= lr g;
//   - SGD with momentum (the heavy-ball form PyTorch uses): v = mu v + g,
//     theta -= lr v;
//   - Adam (Kingma and Ba 2015, algorithm 1): m = b1 m + (1-b1) g,
//     v = b2 v + (1-b2) g^2, theta -= lr (m / (1-b1^k)) / (sqrt(v/(1-b2^k)) + eps)
//     at step k = 1, 2, ...
//
// After six steps the trained parameters must equal the oracle's to 1e-12
// relative: both sum a few hundred products in a different order, so they
// agree to a few ulps, while dropping Adam's bias correction or its (1 -
// b1) factor changes the parameters at the 1e-3 level.
func TestUpdatesFollowPublishedFormulas(t *testing.T) {
	b := enginetest.Open(t)
	reg := newRegression(40, 1, 1, 7)
	const steps = 6
	for _, c := range []struct {
		name string
		opt  Options
	}{
		{"gd", Options{Method: GD, LearningRate: 0.3}},
		{"gd with weight decay", Options{Method: GD, LearningRate: 0.3, WeightDecay: 0.05}},
		{"sgd momentum", Options{Method: SGD, LearningRate: 0.1, Momentum: 0.8}},
		{"adam", Options{Method: Adam, LearningRate: 0.05}},
		{"adam betas", Options{Method: Adam, LearningRate: 0.02, Beta1: 0.5, Beta2: 0.9, Epsilon: 1e-3, WeightDecay: 0.01}},
	} {
		net, d := reg.setup(t, b)
		theta, err := net.HostParams()
		if err != nil {
			t.Fatal(err)
		}
		want := oracleSteps(reg, theta, c.opt, steps)
		opt := c.opt
		opt.Steps = steps
		if _, err := Train(net, d, opt); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := net.HostParams()
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if !(math.Abs(got[i]-want[i]) <= 1e-12*math.Max(1, math.Abs(want[i]))) {
				t.Errorf("%s: parameter %d after %d steps = %.17g, the published update gives %.17g", c.name, i, steps, got[i], want[i])
			}
		}
	}
}

// oracleSteps applies steps full-batch updates of opt to theta = (w, b).
func oracleSteps(reg regression, theta []float64, opt Options, steps int) []float64 {
	w := append([]float64(nil), theta...)
	grad := func() []float64 {
		g := make([]float64, 2)
		for j := 0; j < reg.n; j++ {
			r := w[0]*reg.x[j] + w[1] - reg.t[j]
			g[0] += r * reg.x[j]
			g[1] += r
		}
		for i := range g {
			g[i] = g[i]/float64(reg.n) + opt.WeightDecay*w[i]
		}
		return g
	}
	b1, b2, eps := opt.Beta1, opt.Beta2, opt.Epsilon
	if b1 == 0 {
		b1 = 0.9
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	vel, m, v := make([]float64, 2), make([]float64, 2), make([]float64, 2)
	for k := 1; k <= steps; k++ {
		g := grad()
		for i := range w {
			switch opt.Method {
			case GD:
				w[i] -= opt.LearningRate * g[i]
			case SGD:
				vel[i] = opt.Momentum*vel[i] + g[i]
				w[i] -= opt.LearningRate * vel[i]
			case Adam:
				m[i] = b1*m[i] + (1-b1)*g[i]
				v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
				mhat := m[i] / (1 - math.Pow(b1, float64(k)))
				vhat := v[i] / (1 - math.Pow(b2, float64(k)))
				w[i] -= opt.LearningRate * mhat / (math.Sqrt(vhat) + eps)
			}
		}
	}
	return w
}
