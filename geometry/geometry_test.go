package geometry

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/models"
)

// newNet builds widths with activation act, initialised from init and seed.
func newNet(t *testing.T, b engine.Backend, widths []int, act string, init models.Init, seed uint64) *models.Network {
	t.Helper()
	return newKindsNet(t, b, widths, nil, act, init, seed)
}

// newKindsNet is newNet with layer kinds (attention layers with tokens of
// dimension 2).
func newKindsNet(t *testing.T, b engine.Backend, widths []int, kinds []layerkind.Kind, act string, init models.Init, seed uint64) *models.Network {
	t.Helper()
	f, err := activation.Lookup(act)
	if err != nil {
		t.Fatal(err)
	}
	net, err := models.NewNetwork(b, models.NetworkSpec{Widths: widths, Act: f, Loss: models.CrossEntropy, Kinds: kinds, TokenDim: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { net.Close() })
	if err := net.Initialize(init, seed); err != nil {
		t.Fatal(err)
	}
	return net
}

// randomData uploads n Gaussian inputs with random labels.
func randomData(t *testing.T, b engine.Backend, n, d, c int, seed uint64) (*models.Data, []float64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 3))
	x := make([]float64, n*d)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	tt := make([]float64, n*c)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = r.IntN(c)
		tt[i*c+labels[i]] = 1
	}
	data, err := models.NewData(b, x, d, tt, c, labels)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { data.Close() })
	return data, x
}

// hostForward is an independent plain-Go forward pass: the outputs x_l,
// l = 1..L, of the network with host parameters p at input x (W_l
// column-major, as models documents the layout; a product layer's block is
// W, b, V, c and its output (W x + b) * (V x + c)).
func hostForward(net *models.Network, p, x []float64) [][]float64 {
	phi := net.Spec().Act.Phi
	outs := [][]float64{nil}
	in := x
	for l := 1; l <= net.Depth(); l++ {
		off := net.Spec().Block(l).Off
		nOut, nIn := net.Width(l), net.Width(l-1)
		affine := func(wo int) []float64 {
			y := make([]float64, nOut)
			for r := range nOut {
				s := p[wo+nOut*nIn+r]
				for c := 0; c < nIn; c++ {
					s += p[wo+r+nOut*c] * in[c]
				}
				y[r] = s
			}
			return y
		}
		y := affine(off)
		if net.Spec().Kind(l) == layerkind.Product {
			v := affine(off + nOut*(nIn+1))
			for r := range y {
				y[r] *= v[r]
			}
		} else if l < net.Depth() {
			for r := range y {
				y[r] = phi(y[r])
			}
		}
		outs = append(outs, y)
		in = y
	}
	return outs
}

// TestJacobiansFiniteDifference checks the forward-mode input Jacobians of
// every layer against central differences of hostForward (independent
// code). Step 1e-5 on O(1) tanh/softplus layers: truncation ~h^2 |phi3| ~
// 1e-10, rounding ~u/h ~ 1e-11, so 1e-7 absolute is a wide margin that a
// wrong layer, sign or transposition (O(1) errors) cannot pass. Chunk 4
// over 9 points crosses chunk boundaries, including a partial one.
func TestJacobiansFiniteDifference(t *testing.T) {
	b := enginetest.Open(t)
	for _, act := range []string{"tanh", "softplus"} {
		net := newNet(t, b, []int{5, 7, 6, 3}, act, models.Init{Scheme: models.InitGaussian, SigmaW: 1.5, SigmaB: 0.3}, 11)
		data, x := randomData(t, b, 9, 5, 3, 2)
		p, _ := net.HostParams()
		const h = 1e-5
		checked := 0
		err := Jacobians(net, net.Params(), data, 4, func(i, l int, j []float64) error {
			D, w := 5, net.Width(l)
			for k := 0; k < D; k++ {
				xp := append([]float64(nil), x[i*D:(i+1)*D]...)
				xm := append([]float64(nil), xp...)
				xp[k] += h
				xm[k] -= h
				fp, fm := hostForward(net, p, xp)[l], hostForward(net, p, xm)[l]
				for r := 0; r < w; r++ {
					fd := (fp[r] - fm[r]) / (2 * h)
					if got := j[r*D+k]; !(math.Abs(got-fd) <= 1e-7) {
						t.Errorf("%s: sample %d layer %d: dx[%d]/dx0[%d] = %.12g, finite differences %.12g", act, i, l, r, k, got, fd)
					}
				}
			}
			checked++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if checked != 9*3 {
			t.Fatalf("%s: %d (sample, layer) Jacobians, want 27", act, checked)
		}
	}
}

// TestPullbackKnownCase: a linear 3-3-3 network with W_1 = 2I, W_2 =
// diag(1, 3, 5) permuted with a sign flip, zero biases: J_1 = 2I and
// J_2 = W_2 W_1 with singular values 10, 6, 2 at every input, so the log
// volume elements are 3 log 2 and log 120 (top 1: log 2 and log 10). Exact
// up to rounding in SVD (1e-12).
func TestPullbackKnownCase(t *testing.T) {
	b := enginetest.Open(t)
	net := newNet(t, b, []int{3, 3, 3}, "linear", models.Init{Scheme: models.InitGaussian, SigmaW: 1}, 1)
	p := make([]float64, net.NumParams())
	w1 := net.Spec().Block(1).Off
	w2 := net.Spec().Block(2).Off
	for i := 0; i < 3; i++ {
		p[w1+i+3*i] = 2
	}
	// column-major W_2: row r, column c at r + 3c. Rows: (0,0,5), (-3,0,0), (0,1,0).
	p[w2+0+3*2], p[w2+1+3*0], p[w2+2+3*1] = 5, -3, 1
	if err := net.SetParams(p); err != nil {
		t.Fatal(err)
	}
	data, _ := randomData(t, b, 5, 3, 3, 4)
	for _, c := range []struct {
		dim  int
		want [2]float64
	}{{0, [2]float64{3 * math.Log(2), math.Log(120)}}, {1, [2]float64{math.Log(2), math.Log(10)}}} {
		res, err := PullbackMetric(net, net.Params(), data, PullbackOptions{Dim: c.dim})
		if err != nil {
			t.Fatal(err)
		}
		for l, lp := range res {
			for i, v := range lp.LogVolume {
				if !(math.Abs(v-c.want[l]) <= 1e-12) {
					t.Errorf("dim %d layer %d sample %d: log volume %.15g, want %.15g", c.dim, l+1, i, v, c.want[l])
				}
			}
		}
		if got, want := res[1].MeanSquaredSigma, (100.0+36+4)/3; !(math.Abs(got-want) <= 1e-12) {
			t.Errorf("layer 2 mean squared singular value %g, want %g", got, want)
		}
		if got := res[1].LogSigmaMax[0]; !(math.Abs(got-math.Log(10)) <= 1e-12) {
			t.Errorf("layer 2 log sigma_max %g, want log 10", got)
		}
	}
}

// TestReinitReproducesInitial: regenerating the initial parameters with
// the recorded scheme and seed gives the initial model bit for bit, and
// re-initialising every layer of a "trained" (perturbed) copy reproduces
// the initial model's logits exactly (== on float64, no tolerance: the
// same Philox streams and the same ops in the same order).
func TestReinitReproducesInitial(t *testing.T) {
	for _, kinds := range [][]layerkind.Kind{nil, {layerkind.Attention, layerkind.Product, layerkind.Dense}} {
		t.Run(fmt.Sprint(kinds), func(t *testing.T) { reinitReproducesInitial(t, kinds) })
	}
}

func reinitReproducesInitial(t *testing.T, kinds []layerkind.Kind) {
	b := enginetest.Open(t)
	init := models.Init{Scheme: models.InitGlorot, SigmaB: 0.1}
	net := newKindsNet(t, b, []int{4, 4, 8, 3}, kinds, "tanh", init, 7)
	data, _ := randomData(t, b, 20, 4, 3, 5)
	e, err := net.NewEvaluator(0)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	z0, err := e.Logits(net.Params(), data)
	if err != nil {
		t.Fatal(err)
	}
	// "Train": move every parameter.
	p, _ := net.HostParams()
	r := rand.New(rand.NewPCG(1, 1))
	for i := range p {
		p[i] += 0.3 * r.NormFloat64()
	}
	if err := net.SetParams(p); err != nil {
		t.Fatal(err)
	}
	n0, err := Initial(net, init, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer n0.Close()
	work, _ := net.NewParams()
	defer b.Free(work)
	b.Copy(work, net.Params())
	for l := 1; l <= net.Depth(); l++ {
		if err := copyLayer(net, work, n0.Params(), l); err != nil {
			t.Fatal(err)
		}
	}
	z, err := e.Logits(work, data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range z {
		if z[i] != z0[i] {
			t.Fatalf("logit %d after re-initialising every layer: %v, initial model %v", i, z[i], z0[i])
		}
	}
}

// TestSensitivityKnownCase: a network equal to its initial point except
// layer 2 (perturbed). Re-initialising layers 1 and 3 changes nothing, so
// their rows equal the trained evaluation exactly; re-initialising layer 2
// gives exactly the initial network's evaluation; re-randomising layer 2
// changes it. This pins the layer indexing and the restore after each swap.
func TestSensitivityKnownCase(t *testing.T) {
	b := enginetest.Open(t)
	init := models.Init{Scheme: models.InitHe, SigmaB: 0.05}
	net := newNet(t, b, []int{4, 8, 8, 3}, "relu", init, 3)
	data, _ := randomData(t, b, 40, 4, 3, 6)
	e, _ := net.NewEvaluator(0)
	defer e.Close()
	l0, a0, err := e.Evaluate(net.Params(), data)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := net.HostParams()
	wo := net.Spec().Block(2).Off
	for i := wo; i < wo+64; i++ {
		p[i] *= -2
	}
	net.SetParams(p)
	trained, rows, err := Sensitivity(net, data, SensitivityOptions{Init: init, InitSeed: 3, RerandomSeeds: []uint64{4, 5}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	for _, l := range []int{0, 2} {
		if rows[l].Reinit != trained {
			t.Errorf("layer %d untouched by training: re-initialised %+v, trained %+v", l+1, rows[l].Reinit, trained)
		}
	}
	if rows[1].Reinit.Loss != l0 || rows[1].Reinit.Accuracy != a0 {
		t.Errorf("layer 2 re-initialised %+v, initial network loss %v accuracy %v", rows[1].Reinit, l0, a0)
	}
	if rows[1].Rerandom.Loss == trained.Loss || rows[1].RerandomStd.Loss == 0 {
		t.Errorf("layer 2 re-randomised %+v (std %+v): no change", rows[1].Rerandom, rows[1].RerandomStd)
	}
	after, _ := net.HostParams()
	for i := range p {
		if after[i] != p[i] {
			t.Fatal("Sensitivity changed the network's parameters")
		}
	}
	if _, _, err := Sensitivity(net, data, SensitivityOptions{Init: init, InitSeed: 3, RerandomSeeds: []uint64{3}}); err == nil {
		t.Error("a re-randomisation seed equal to the init seed was accepted")
	}
}

// TestLayerNormsAndDistances: mean |x_l| against hostForward (1e-12
// relative: the same sums in another order), and weight distances of a
// parameter vector from itself plus a known shift.
func TestLayerNormsAndDistances(t *testing.T) {
	for _, kinds := range [][]layerkind.Kind{nil, {layerkind.Product, layerkind.Dense}} {
		t.Run(fmt.Sprint(kinds), func(t *testing.T) { layerNormsAndDistances(t, kinds) })
	}
}

func layerNormsAndDistances(t *testing.T, kinds []layerkind.Kind) {
	b := enginetest.Open(t)
	net := newKindsNet(t, b, []int{5, 6, 4}, kinds, "erf", models.Init{Scheme: models.InitGaussian, SigmaW: 2, SigmaB: 0.5}, 9)
	data, x := randomData(t, b, 13, 5, 4, 8)
	p, _ := net.HostParams()
	got, err := LayerNorms(net, net.Params(), data, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, 2)
	for i := 0; i < 13; i++ {
		outs := hostForward(net, p, x[i*5:(i+1)*5])
		for l := 1; l <= 2; l++ {
			s := 0.0
			for _, v := range outs[l] {
				s += v * v
			}
			want[l-1] += math.Sqrt(s) / 13
		}
	}
	for l := range want {
		if !(math.Abs(got[l]-want[l]) <= 1e-12*want[l]) {
			t.Errorf("layer %d mean norm %.15g, want %.15g", l+1, got[l], want[l])
		}
	}
	q := append([]float64(nil), p...)
	wo := net.Spec().Block(2).Off
	bo := wo + 6*4
	q[wo] += 3
	q[wo+1] += 4
	q[bo] += 100 // biases do not count
	want0 := 0.0
	if len(kinds) > 0 {
		// Layer 1 is a product layer: W (6 x 5), b, V, c; V counts, c not.
		q[6*5+6] += 12
		q[2*6*5+6+1] += 100
		want0 = 12
	}
	other, _ := net.NewParams()
	defer b.Free(other)
	b.Upload(other, q)
	dist, _, err := WeightDistances(net, other, net.Params())
	if err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(dist[0]-want0) <= 1e-12) || !(math.Abs(dist[1]-5) <= 1e-12) {
		t.Errorf("weight distances %v, want [%v 5]", dist, want0)
	}
}

// TestFisherRaoHomogeneous: for bias-free networks positively homogeneous
// of degree L in theta (linear and relu hidden layers), J theta = L z, so
// theta^T G theta = L^2 mean_x z^T (diag p - p p^T) z with z and p from
// hostForward. 1e-10 relative: both sides are O(1) sums of a few hundred
// rounded terms; a missing factor, a wrong loss Hessian or a bias leak
// would be O(1) off.
func TestFisherRaoHomogeneous(t *testing.T) {
	b := enginetest.Open(t)
	for _, act := range []string{"linear", "relu"} {
		net := newNet(t, b, []int{4, 6, 5, 3}, act, models.Init{Scheme: models.InitHe}, 21)
		data, x := randomData(t, b, 30, 4, 3, 9)
		p, _ := net.HostParams()
		got, err := FisherRao(net, net.Params(), data, 7)
		if err != nil {
			t.Fatal(err)
		}
		want := 0.0
		for i := 0; i < 30; i++ {
			z := hostForward(net, p, x[i*4:(i+1)*4])[3]
			m := math.Max(z[0], math.Max(z[1], z[2]))
			pr, s := make([]float64, 3), 0.0
			for k := range z {
				pr[k] = math.Exp(z[k] - m)
				s += pr[k]
			}
			pz := 0.0
			for k := range pr {
				pr[k] /= s
				pz += pr[k] * z[k]
			}
			v := 0.0
			for k := range z {
				v += pr[k] * z[k] * z[k]
			}
			want += 9 * (v - pz*pz) / 30
		}
		if !(math.Abs(got-want) <= 1e-10*math.Abs(want)) {
			t.Errorf("%s: Fisher-Rao norm %.15g, want L^2 E[z^T H z] = %.15g", act, got, want)
		}
	}
}

func TestQuantiles(t *testing.T) {
	got := Quantiles([]float64{5, math.Inf(-1), 1, 3, 2}, []float64{0, 0.25, 0.5, 1})
	want := []float64{math.Inf(-1), 1, 2, 5}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("quantiles %v, want %v", got, want)
		}
	}
}

// TestPullbackRankDeficient: the known case of TestPullbackKnownCase with
// W_2's third row scaled to 1e-18: J_2 has singular values 10, 6 and
// 2e-18, below the rank tolerance 10 * 3 * 2^-52 ~ 7e-15, so its numerical
// rank is 2, the full (k = 3) log volume is -Inf (not the rounding-level
// log(120e-18)) and the k = 2 one is log 60 (to SVD rounding, 1e-12).
func TestPullbackRankDeficient(t *testing.T) {
	b := enginetest.Open(t)
	net := newNet(t, b, []int{3, 3, 3}, "linear", models.Init{Scheme: models.InitGaussian, SigmaW: 1}, 1)
	p := make([]float64, net.NumParams())
	w1 := net.Spec().Block(1).Off
	w2 := net.Spec().Block(2).Off
	for i := 0; i < 3; i++ {
		p[w1+i+3*i] = 2
	}
	p[w2+0+3*2], p[w2+1+3*0], p[w2+2+3*1] = 5, -3, 1e-18
	if err := net.SetParams(p); err != nil {
		t.Fatal(err)
	}
	data, _ := randomData(t, b, 4, 3, 3, 4)
	full, err := PullbackMetric(net, net.Params(), data, PullbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	two, err := PullbackMetric(net, net.Params(), data, PullbackOptions{Dim: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < data.N; i++ {
		if full[1].Rank[i] != 2 || full[0].Rank[i] != 3 {
			t.Errorf("sample %d: ranks %d, %d; want 3, 2", i, full[0].Rank[i], full[1].Rank[i])
		}
		if !math.IsInf(full[1].LogVolume[i], -1) {
			t.Errorf("sample %d: k = 3 log volume %v, want -Inf", i, full[1].LogVolume[i])
		}
		if v := two[1].LogVolume[i]; !(math.Abs(v-math.Log(60)) <= 1e-12) {
			t.Errorf("sample %d: k = 2 log volume %.15g, want log 60", i, v)
		}
	}
}
