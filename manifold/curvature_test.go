package manifold

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/models"
)

// TestCurvatureInputLayer: layer 0 is the great circle itself, so its
// measures are closed forms of q = q* (taken from meanfield.FixedLength,
// an independent solver): q = q*, L^E = 2 pi sqrt(N q*), kbar = 1/sqrt(q*),
// L^G = 2 pi, two principal components; the theory columns equal the same
// closed forms. Tolerance 1e-9 relative: sums over 64 points in float64.
func TestCurvatureInputLayer(t *testing.T) {
	b := enginetest.Open(t)
	res, err := Curvature(context.Background(), b, CurvatureOptions{SigmaW: 2.5, SigmaB: 0.3, Width: 50, Depth: 3, Points: 64, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := meanfield.New(mustAct(t, "tanh"), 2.5, 0.3, meanfield.Options{})
	fp, err := m.FixedLength(1)
	if err != nil {
		t.Fatal(err)
	}
	if res.QInput != fp.Q {
		t.Fatalf("q_input %v, meanfield q* %v", res.QInput, fp.Q)
	}
	if len(res.Layers) != 4 || len(res.Stats) != 4 || res.Activation != "tanh" || res.Weights != "gaussian" || res.Points != 64 {
		t.Fatalf("%d layers, %d stats, %s, %s, %d points", len(res.Layers), len(res.Stats), res.Activation, res.Weights, res.Points)
	}
	q := fp.Q
	l0 := res.Layers[0]
	for _, c := range []struct {
		name       string
		got, want  float64
		theory     *float64
		wantTheory float64
	}{
		{"q", l0.Q, q, l0.QTheory, q},
		{"length", l0.Length, 2 * math.Pi * math.Sqrt(50*q), l0.LengthTheory, 2 * math.Pi * math.Sqrt(50*q)},
		{"kappa_bar", l0.KappaBar, 1 / math.Sqrt(q), l0.KappaBarTheory, 1 / math.Sqrt(q)},
		{"grassmann_length", l0.GrassmannLength, 2 * math.Pi, l0.GrassmannLengthTheory, 2 * math.Pi},
	} {
		if !(math.Abs(c.got-c.want) <= 1e-9*c.want) {
			t.Errorf("layer 0 %s = %.12g, want %.12g", c.name, c.got, c.want)
		}
		if c.theory == nil || !(math.Abs(*c.theory-c.wantTheory) <= 1e-9*c.wantTheory) {
			t.Errorf("layer 0 %s theory = %v, want %.12g", c.name, c.theory, c.wantTheory)
		}
	}
	if l0.PCA95 == nil || *l0.PCA95 != 2 {
		t.Errorf("layer 0 pca95 = %v, want 2 (a circle spans a plane)", l0.PCA95)
	}
	for _, l := range res.Layers {
		if l.QTheory == nil || l.PCA95 == nil {
			t.Errorf("layer %d: theory %v, pca95 %v; want both", l.Layer, l.QTheory, l.PCA95)
		}
	}
}

// TestCurvatureMatchesSimulate: Curvature's own chunk loop (which checks
// the context) measures exactly what Simulate, the tested pass, measures
// for the same network and circle, in one batch and in chunks of 7 points
// (bit for bit: the same products in the same order).
func TestCurvatureMatchesSimulate(t *testing.T) {
	b := enginetest.Open(t)
	for _, chunk := range []int{0, 7} {
		opts := CurvatureOptions{Activation: "relu", SigmaW: 1.5, SigmaB: 0.1, Width: 20, Depth: 3, Points: 30, Chunk: chunk, Q: 0.7,
			Weights: models.Orthogonal, Seed: 5, Figure: true}
		res, err := Curvature(context.Background(), b, opts)
		if err != nil {
			t.Fatal(err)
		}
		net, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(20, 3), Act: mustAct(t, "relu"), SigmaW: 1.5, SigmaB: 0.1,
			Law: models.Orthogonal, Seed: 5, ActivateInput: true})
		if err != nil {
			t.Fatal(err)
		}
		c, err := Circle(20, 30, 0.7, 5)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Simulate(context.Background(), b, net, c, SimOptions{Chunk: chunk, Gram: true})
		if err != nil {
			t.Fatal(err)
		}
		for l, s := range want {
			g := res.Stats[l]
			if g.Q != s.Q || g.Length != s.Length || g.KappaBar != s.KappaBar || g.GrassmannLength != s.GrassmannLength || g.PCA95 != s.PCA95 {
				t.Errorf("chunk %d layer %d: Curvature %+v, Simulate %+v", chunk, l, g, s)
			}
			if r := res.Layers[l]; r.Q != s.Q || r.Length != s.Length || r.KappaBar != s.KappaBar || r.GrassmannLength != s.GrassmannLength {
				t.Errorf("chunk %d layer %d: row %+v differs from the stats", chunk, l, r)
			}
		}
		chunked := chunk > 0
		if chunked != (res.Layers[1].PCA95 == nil) || chunked != (len(res.Autocorrelations) == 0) || chunked != (len(res.Projections) == 0) {
			t.Errorf("chunk %d: pca95 %v, %d autocorrelations, %d projections; want them exactly when unchunked",
				chunk, res.Layers[1].PCA95, len(res.Autocorrelations), len(res.Projections))
		}
	}
}

// TestCurvatureAutocorrelationTheory: the figure's autocorrelations are at
// layers Depth/4, Depth/2, 3 Depth/4 (1, 2, 3 of 4); at offset 0 both the
// measured and the predicted correlation are 1 (1e-12); and at width 800,
// tanh sigma_w = 2.5 (chaotic), the measured c(dtheta) follows mean
// field's c^l at c^0 = cos dtheta within 2/sqrt(N) = 0.071: one pair's
// correlation spreads by about (1 - c^2)/sqrt(N) <= 0.035 at finite width,
// and each measured value averages 100 such pairs along the circle
// (measured worst case over seeds 2, 3, 4: 0.008, 0.021, 0.007; taking the
// prediction of the layer before instead misses by 0.12).
func TestCurvatureAutocorrelationTheory(t *testing.T) {
	res, err := Curvature(context.Background(), enginetest.Open(t), CurvatureOptions{SigmaW: 2.5, SigmaB: 0.3, Width: 800, Depth: 4, Points: 100, Seed: 2, Figure: true})
	if err != nil {
		t.Fatal(err)
	}
	// Without Figure, the rows are the same and the figure's extras absent.
	bare, err := Curvature(context.Background(), enginetest.Open(t), CurvatureOptions{SigmaW: 2.5, SigmaB: 0.3, Width: 800, Depth: 4, Points: 100, Seed: 2})
	if err != nil || len(bare.Autocorrelations) != 0 || len(bare.Projections) != 0 || !reflect.DeepEqual(bare.Layers, res.Layers) {
		t.Fatalf("without Figure: err %v, %d autocorrelations, %d projections, rows equal %v", err, len(bare.Autocorrelations), len(bare.Projections), reflect.DeepEqual(bare.Layers, res.Layers))
	}
	if len(res.Autocorrelations) != 3 || len(res.Projections) != 3 {
		t.Fatalf("%d autocorrelations, %d projections; want 3 of each", len(res.Autocorrelations), len(res.Projections))
	}
	worst := 0.0
	for i, want := range []int{1, 2, 3} {
		ac, pr := res.Autocorrelations[i], res.Projections[i]
		if ac.Layer != want || pr.Layer != want || len(pr.PC1) != 100 || len(pr.PC2) != 100 {
			t.Fatalf("panel %d: layers %d and %d, %d projected points; want layer %d, 100 points", i, ac.Layer, pr.Layer, len(pr.PC1), want)
		}
		if len(ac.Theory) != len(ac.Offsets) || len(ac.Measured) != len(ac.Offsets) || len(ac.Offsets) < 20 {
			t.Fatalf("layer %d: %d offsets, %d measured, %d theory", want, len(ac.Offsets), len(ac.Measured), len(ac.Theory))
		}
		if ac.Offsets[0] != 0 || !(math.Abs(ac.Measured[0]-1) <= 1e-12) || !(math.Abs(ac.Theory[0]-1) <= 1e-12) {
			t.Errorf("layer %d offset %v: measured %v, theory %v; want 1", want, ac.Offsets[0], ac.Measured[0], ac.Theory[0])
		}
		for k := range ac.Offsets {
			worst = math.Max(worst, math.Abs(ac.Measured[k]-ac.Theory[k]))
		}
	}
	t.Logf("worst |measured - mean field| = %.3g", worst)
	if tol := 2 / math.Sqrt(800); worst > tol {
		t.Errorf("autocorrelation departs from mean field by %.3g; want <= %.3g", worst, tol)
	}
}

// TestCurvatureKindsAndCurve: theory is null exactly at and after the first
// attention layer (and so in the autocorrelation there), and a user curve
// (a circle of radius 2 in the plane) has no theory, q_input 0, its own
// number of points, L^E = 4 pi and L^G = 2 pi at layer 0 (1e-12: the
// periodic trapezoid rule is exact for it).
func TestCurvatureKindsAndCurve(t *testing.T) {
	b := enginetest.Open(t)
	res, err := Curvature(context.Background(), b, CurvatureOptions{SigmaW: 1.5, Width: 24, Depth: 4, Points: 40,
		Kinds: []layerkind.Kind{layerkind.Dense, layerkind.Attention}, TokenDim: 4, Residual: true, Figure: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kinds != "dense,attention" || res.TokenDim != 4 || !res.Residual {
		t.Errorf("kinds %q, token dim %d, residual %v", res.Kinds, res.TokenDim, res.Residual)
	}
	for _, l := range res.Layers {
		if (l.QTheory == nil) != (l.Layer >= 2) || (l.GrassmannLengthTheory == nil) != (l.Layer >= 2) {
			t.Errorf("layer %d: theory %v; want null exactly from the attention layer 2", l.Layer, l.QTheory)
		}
	}
	for _, ac := range res.Autocorrelations {
		if (ac.Theory == nil) != (ac.Layer >= 2) {
			t.Errorf("autocorrelation at layer %d: theory %v", ac.Layer, ac.Theory != nil)
		}
	}

	const B = 32
	c := &Curve{Width: 2, Points: B, Closed: true, Period: 2 * math.Pi, H: make([]float64, 2*B), V: make([]float64, 2*B), A: make([]float64, 2*B)}
	for j := 0; j < B; j++ {
		th := 2 * math.Pi * float64(j) / B
		cs, sn := math.Cos(th), math.Sin(th)
		c.H[2*j], c.H[2*j+1] = 2*cs, 2*sn
		c.V[2*j], c.V[2*j+1] = -2*sn, 2*cs
		c.A[2*j], c.A[2*j+1] = -2*cs, -2*sn
	}
	res, err = Curvature(context.Background(), b, CurvatureOptions{SigmaB: 0.3, Width: 30, Depth: 2, Points: 500, Curve: c})
	if err != nil {
		t.Fatal(err)
	}
	l0 := res.Layers[0]
	if res.QInput != 0 || res.Points != B || l0.QTheory != nil || res.NoTheory != "" ||
		!(math.Abs(l0.Length-4*math.Pi) <= 1e-12) || !(math.Abs(l0.GrassmannLength-2*math.Pi) <= 1e-12) {
		t.Errorf("user curve: q_input %v, %d points, layer 0 %+v, no-theory %q", res.QInput, res.Points, l0, res.NoTheory)
	}
}

// TestCurvatureDefaults: the zero options are the documented defaults.
func TestCurvatureDefaults(t *testing.T) {
	o, act, err := CurvatureOptions{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if act.Name != "tanh" || o.SigmaW != 4 || o.SigmaB != 0 || o.Width != 1000 || o.Depth != 20 || o.Points != 500 || o.Weights != models.Gaussian {
		t.Errorf("defaults %+v (%s)", o, act.Name)
	}
}

// TestCurvatureErrors: bad options name the field and the value; a
// length map without a fixed point matches ErrNoQStar; a cancelled context
// stops the run.
func TestCurvatureErrors(t *testing.T) {
	b := enginetest.Open(t)
	small := CurvatureOptions{Width: 10, Depth: 2, Points: 8}
	for _, c := range []struct {
		edit func(*CurvatureOptions)
		want string
	}{
		{func(o *CurvatureOptions) { o.Width = 1 }, "Width 1"},
		{func(o *CurvatureOptions) { o.Depth = -1 }, "Depth -1"},
		{func(o *CurvatureOptions) { o.Points = 2 }, "Points 2"},
		{func(o *CurvatureOptions) { o.Chunk = -1 }, "Chunk -1"},
		{func(o *CurvatureOptions) { o.Q = -1 }, "Q -1"},
		{func(o *CurvatureOptions) { o.Activation = "cube" }, "Activation"},
		{func(o *CurvatureOptions) { o.Weights = 7 }, "Weights 7"},
		{func(o *CurvatureOptions) { o.Kinds = []layerkind.Kind{layerkind.Attention} }, "TokenDim"},
		{func(o *CurvatureOptions) { o.Curve = &Curve{Width: 2, Points: 1} }, "Curve"},
	} {
		o := small
		c.edit(&o)
		if _, err := Curvature(context.Background(), b, o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %q", o, err, c.want)
		}
	}
	o := small
	o.Activation, o.SigmaW, o.SigmaB = "relu", 2, 1
	if _, err := Curvature(context.Background(), b, o); !errors.Is(err, ErrNoQStar) || !errors.Is(err, meanfield.ErrNoFixedPoint) {
		t.Errorf("relu at sigma_w 2, sigma_b 1 (q grows without bound): error %v, want ErrNoQStar", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Curvature(ctx, b, small); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error %v", err)
	}
}
