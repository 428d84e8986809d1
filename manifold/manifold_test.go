package manifold

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
)

func mustAct(t testing.TB, name string) activation.Func {
	f, err := activation.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// run pushes curve c through net and returns the recorded stats.
func run(t *testing.T, b engine.Backend, net *models.RandomNetwork, c *Curve, opt RecorderOptions) []LayerStats {
	t.Helper()
	rec := NewRecorder(b, c, opt)
	in, err := b.Alloc(engine.Float64, 3*c.Width*c.Points)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Upload(in, c.Jet()); err != nil {
		t.Fatal(err)
	}
	out, err := net.Run(b, in, c.Points, models.RunOptions{Jet: true}, rec.Observe)
	if err != nil {
		t.Fatal(err)
	}
	b.Free(out)
	b.Free(in)
	st, err := rec.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestInputCircle: the input great circle has kappa = 1/sqrt(N q) at every
// point, L^G = 2 pi, L^E = 2 pi sqrt(N q), autocorrelation cos(dtheta), and
// two principal components of variance N q / 2 each. The periodic trapezoid
// rule is exact for these trigonometric integrands at B >= 3, so the only
// error is rounding: 1e-10.
func TestInputCircle(t *testing.T) {
	b := enginetest.Open(t)
	const N, q = 300, 0.7
	for _, B := range []int{64, 100, 257} {
		c, err := Circle(N, B, q, 5)
		if err != nil {
			t.Fatal(err)
		}
		net, _ := models.NewRandomNetwork(models.RandomSpec{Widths: []int{N}, Act: mustAct(t, "tanh"), SigmaW: 1})
		st := run(t, b, net, c, RecorderOptions{Gram: true, KeepKappa: true})
		s := st[0]
		near := func(what string, got, want float64) {
			t.Helper()
			if !(math.Abs(got-want) <= 1e-10*math.Abs(want)) {
				t.Errorf("B=%d: %s = %.15g, want %.15g", B, what, got, want)
			}
		}
		for j, k := range s.Kappa {
			near("kappa at point "+itoa(j), k, 1/math.Sqrt(N*q))
		}
		near("L^G", s.GrassmannLength, 2*math.Pi)
		near("L^E", s.Length, 2*math.Pi*math.Sqrt(N*q))
		near("q", s.Q, q)
		near("gbar", s.GBar, q)
		near("kbar", s.KappaBar, 1/math.Sqrt(q))
		for k, ck := range s.Autocorr {
			if !(math.Abs(ck-math.Cos(2*math.Pi*float64(k)/float64(B))) <= 1e-12) {
				t.Errorf("B=%d: autocorrelation at offset %d = %v, want cos(2 pi %d/%d)", B, k, ck, k, B)
			}
		}
		near("first principal variance", s.PCA[0], N*q/2)
		near("second principal variance", s.PCA[1], N*q/2)
		if s.PCA[2] > 1e-9*N*q || s.PCA95 != 2 || !(math.Abs(s.ParticipationRatio-2) <= 1e-9) {
			t.Errorf("B=%d: third variance %v, pca95 %d, participation ratio %v; want ~0, 2, 2", B, s.PCA[2], s.PCA95, s.ParticipationRatio)
		}
	}
}

func itoa(i int) string {
	return string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
}

// TestLinearNetworkKeepsGrassmannLength: a linear network maps the circle to
// an ellipse (plus a shift), whose unit tangent turns once: L^G = 2 pi at
// every depth. The integrand is smooth and periodic, so the trapezoid rule
// converges geometrically; with 256 points the error is at rounding level
// for the ellipses of these networks: 1e-10.
func TestLinearNetworkKeepsGrassmannLength(t *testing.T) {
	b := enginetest.Open(t)
	const N = 200
	c, err := Circle(N, 256, 1, 7)
	if err != nil {
		t.Fatal(err)
	}
	net, _ := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(N, 12), Act: mustAct(t, "linear"), SigmaW: 1.3, SigmaB: 0.5, Seed: 2, ActivateInput: true})
	for _, s := range run(t, b, net, c, RecorderOptions{}) {
		if !(math.Abs(s.GrassmannLength-2*math.Pi) <= 1e-10) {
			t.Errorf("layer %d: L^G = %.15g, want 2 pi", s.Layer, s.GrassmannLength)
		}
	}
	// A tanh network is not linear: L^G must grow in the chaotic phase (a
	// check that the test above can fail).
	chaotic, _ := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(N, 6), Act: mustAct(t, "tanh"), SigmaW: 4, SigmaB: 0.3, Seed: 2, ActivateInput: true})
	st := run(t, b, chaotic, c, RecorderOptions{})
	if st[6].GrassmannLength < 4*math.Pi {
		t.Errorf("tanh sigma_w 4: L^G at layer 6 = %v; expected it to have grown well past 2 pi", st[6].GrassmannLength)
	}
}

// TestChunkedEqualsWhole: running the curve in chunks of points gives the
// same per-point measures. Not bit for bit: OpenBLAS's dgemm takes
// different kernel paths (and summation orders) for different numbers of
// columns, so a column's rounding depends on the batch it is in. Over 5
// layers at sigma_w = 2.5 rounding grows by about sqrt(chi_1) per layer:
// 1e-12 relative is ample.
func TestChunkedEqualsWhole(t *testing.T) {
	b := enginetest.Open(t)
	const N, B = 80, 60
	c, _ := Circle(N, B, 0.5, 3)
	net, _ := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(N, 5), Act: mustAct(t, "tanh"), SigmaW: 2.5, SigmaB: 0.3, Seed: 8, ActivateInput: true})
	whole := run(t, b, net, c, RecorderOptions{KeepKappa: true})
	rec := NewRecorder(b, c, RecorderOptions{KeepKappa: true})
	jet := c.Jet()
	for off := 0; off < B; off += 25 {
		n := min(25, B-off)
		part := make([]float64, 0, 3*N*n)
		for k := 0; k < 3; k++ {
			part = append(part, jet[k*N*B+off*N:k*N*B+(off+n)*N]...)
		}
		in, _ := b.Alloc(engine.Float64, len(part))
		b.Upload(in, part)
		if err := rec.SetChunk(off, n); err != nil {
			t.Fatal(err)
		}
		out, err := net.Run(b, in, n, models.RunOptions{Jet: true}, rec.Observe)
		if err != nil {
			t.Fatal(err)
		}
		b.Free(out)
	}
	chunked, err := rec.Stats()
	if err != nil {
		t.Fatal(err)
	}
	for l := range whole {
		for j := range whole[l].Kappa {
			if !(math.Abs(whole[l].Kappa[j]-chunked[l].Kappa[j]) <= 1e-12*whole[l].Kappa[j]) {
				t.Fatalf("layer %d point %d: kappa %v whole, %v chunked", l, j, whole[l].Kappa[j], chunked[l].Kappa[j])
			}
		}
	}
}

func TestCurveErrors(t *testing.T) {
	for _, f := range []func() error{
		func() error { _, err := Circle(1, 10, 1, 1); return err },
		func() error { _, err := Circle(10, 2, 1, 1); return err },
		func() error { _, err := Circle(10, 10, 0, 1); return err },
		func() error { _, err := Circle(10, 10, math.Inf(1), 1); return err },
		func() error {
			c := &Curve{Width: 2, Points: 2, H: make([]float64, 4), V: make([]float64, 3), A: make([]float64, 4), Period: 1}
			return c.Check()
		},
		func() error {
			c := &Curve{Width: 1, Points: 2, H: []float64{0, math.NaN()}, V: make([]float64, 2), A: make([]float64, 2), Period: 1}
			return c.Check()
		},
	} {
		if f() == nil {
			t.Error("bad curve: no error")
		}
	}
}

// TestReadCurve: a circle written as CSV reads back as the same curve (the
// numbers go through strconv's shortest round-trip form: exact), and a
// network run on it gives the circle's L^G = 2 pi; malformed files are
// errors that name the line.
func TestReadCurve(t *testing.T) {
	c, _ := Circle(4, 16, 1, 2)
	var sb strings.Builder
	sb.WriteString("# a circle\n")
	for j := 0; j < c.Points; j++ {
		var row []string
		for _, m := range [][]float64{c.H, c.V, c.A} {
			for i := 0; i < c.Width; i++ {
				row = append(row, strconv.FormatFloat(m[j*c.Width+i], 'g', -1, 64))
			}
		}
		sb.WriteString(strings.Join(row, ",") + "\n")
	}
	got, err := ReadCurve(strings.NewReader(sb.String()), "c.csv", true, 2*math.Pi)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.H {
		if got.H[i] != c.H[i] || got.V[i] != c.V[i] || got.A[i] != c.A[i] {
			t.Fatalf("element %d differs after the round trip", i)
		}
	}
	for _, bad := range []struct{ text, want string }{
		{"1,2\n", "line 1"},
		{"1,2,3\n1,2\n", "line 2"},
		{"1,2,x\n", "column 3"},
		{"1,2,NaN\n", "column 3"},
		{"1,2,3\n", "at least 2 points"},
	} {
		if _, err := ReadCurve(strings.NewReader(bad.text), "c.csv", true, 1); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v; want one mentioning %q", bad.text, err, bad.want)
		}
	}
}

// TestStoreWeightsChoice: a chunked curvature run gives the same numbers,
// bit for bit, with its weights stored and drawn per chunk (the Philox
// normals are a pure function of their index), and says which it was; a
// network that runs once is not stored under auto; a bad mode is an error.
func TestStoreWeightsChoice(t *testing.T) {
	b := enginetest.Open(t)
	o := CurvatureOptions{Width: 60, Depth: 3, Points: 40, Chunk: 15, SigmaB: 0.3, Seed: 4}
	res := map[string]*CurvatureResult{}
	for _, mode := range []string{StoreAlways, StoreNever, StoreAuto} {
		o.StoreWeights = mode
		r, err := Curvature(context.Background(), b, o)
		if err != nil {
			t.Fatal(err)
		}
		res[mode] = r
	}
	if !res[StoreAlways].WeightsStored || res[StoreNever].WeightsStored || !res[StoreAuto].WeightsStored {
		t.Errorf("weights stored: always %v, never %v, auto %v; want true, false, true (a few KiB fit)",
			res[StoreAlways].WeightsStored, res[StoreNever].WeightsStored, res[StoreAuto].WeightsStored)
	}
	for l, a := range res[StoreAlways].Layers {
		n := res[StoreNever].Layers[l]
		if math.Float64bits(a.Q) != math.Float64bits(n.Q) || math.Float64bits(a.KappaBar) != math.Float64bits(n.KappaBar) || math.Float64bits(a.GrassmannLength) != math.Float64bits(n.GrassmannLength) {
			t.Fatalf("layer %d: stored %+v, drawn %+v", l, a, n)
		}
	}
	net, _ := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(10, 2), Act: mustAct(t, "tanh"), SigmaW: 1, Seed: 1})
	if stored, release, err := StoreWeights(b, net, StoreAuto, false); err != nil || stored || net.Stored() {
		t.Errorf("auto for a single run: stored %v (%v), network stored %v", stored, err, net.Stored())
	} else {
		release()
	}
	if _, _, err := StoreWeights(b, net, "sometimes", true); err == nil {
		t.Error("mode \"sometimes\" accepted")
	}
	o.StoreWeights = "sometimes"
	if _, err := Curvature(context.Background(), b, o); err == nil || !strings.Contains(err.Error(), "want auto, always or never") {
		t.Errorf("curvature with a bad mode: %v", err)
	}
}
