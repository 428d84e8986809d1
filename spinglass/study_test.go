package spinglass

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/engine/rng"
)

// TestPSpinStudyP2: for p = 2 the critical points are the N eigenvectors of
// the symmetrised coupling matrix A (up to sign), at u = lambda_k / sqrt(N)
// with index k (eigenvalues ascending, gonum's dense solver as the oracle;
// energies to 1e-10, Newton polishes |grad| below 1e-9 sqrt N). The study
// reports each once, unmirrored, one per index row, with the minimum as
// the range of the minima; Cartwright-Sturmfels gives N complex critical
// points for p = 2, E_inf(2) = sqrt 2, and the finite-size scale is
// E_inf N^{-2/3}.
func TestPSpinStudyP2(t *testing.T) {
	const n, seed = 6, 3
	res, err := PSpinStudy(context.Background(), enginetest.Open(t), PSpinStudyOptions{P: 2, N: n, Seed: seed,
		Census: StudyCensusOptions{MinimaStarts: 20, SaddleStarts: 80}})
	if err != nil {
		t.Fatal(err)
	}
	a := make([]float64, n*n)
	for i := range n {
		for j := range n {
			a[i*n+j] = 0.5 * (rng.Normal(seed, CouplingStream, uint64(i+n*j)) + rng.Normal(seed, CouplingStream, uint64(j+n*i)))
		}
	}
	lam := denseEigen(t, a, n)
	if res.Distinct != n || len(res.Points) != n || res.Mirrored || len(res.ByIndex) != n {
		t.Fatalf("%d distinct, %d points, %d index rows (mirrored %v); want %d unmirrored", res.Distinct, len(res.Points), len(res.ByIndex), res.Mirrored, n)
	}
	for k, p := range res.Points {
		want := lam[k] / math.Sqrt(n)
		if !(math.Abs(p.Energy-want) <= 1e-10) || p.Index != k {
			t.Errorf("point %d: u = %v index %d; want u = %v index %d", k, p.Energy, p.Index, want, k)
		}
		if r := res.ByIndex[k]; r.Index != k || r.Count != 1 || !(math.Abs(r.UMean-want) <= 1e-10) {
			t.Errorf("index row %d: %+v; want one point at u = %v", k, r, want)
		}
	}
	if m := res.Minima; m.Count != 1 || m.UMin != res.Points[0].Energy || m.UMax != m.UMin || m.UMean != m.UMin {
		t.Errorf("minima %+v; want the one point at u = %v", m, res.Points[0].Energy)
	}
	if res.ComplexCriticalPoints != "6" || res.EInf != math.Sqrt2 || !(math.Abs(res.FiniteSize-math.Sqrt2*math.Pow(n, -2.0/3)) <= 1e-15) {
		t.Errorf("complex %s, E_inf %v, finite size %v", res.ComplexCriticalPoints, res.EInf, res.FiniteSize)
	}
	if res.Model != "p-spin" || res.MinimaStarts != 20 || res.SaddleStarts != 80 || res.Tol != 1e-9 || res.Converged+res.Failed != 100 || res.Backend != "cpu" {
		t.Errorf("model %q, starts %d + %d, tol %v, converged %d + failed %d, backend %q",
			res.Model, res.MinimaStarts, res.SaddleStarts, res.Tol, res.Converged, res.Failed, res.Backend)
	}
}

// TestPSpinStudyTheory: the analytic part of a 3-spin study. E_inf =
// 2 sqrt(2/3) (rounding: 1e-15) and E_0 = 1.657 (ABC 2013, to the 1e-4 of
// the published digits); Cartwright-Sturmfels' 2^N - 1 = 4095 complex
// critical points at N = 12. The complexity curves sample [-E_0 - 0.04,
// -E_inf + 0.06]; there ABC's closed forms hold to rounding (1e-14):
// Theta_k = 1/2 log 2 - 1/3 for every k above -E_inf, ThetaTotal =
// 1/2 log 2 - u^2/8 between -E_inf and 0, Theta_0 = ThetaTotal below -E_inf;
// each Theta_k changes sign at -E_k, within one grid step (0.1/400). The
// index curve is 0 up to -E_inf and (N-1)/2 = 5.5 at u = 0 (the semicircle
// is symmetric). Every point lies at u <= 0 (odd p: mirrored) with
// |grad| <= Tol, and the index rows add up to the distinct points.
func TestPSpinStudyTheory(t *testing.T) {
	const n = 12
	res, err := PSpinStudy(context.Background(), enginetest.Open(t), PSpinStudyOptions{N: n, Seed: 1,
		Census: StudyCensusOptions{MinimaStarts: 30, SaddleStarts: 30}})
	if err != nil {
		t.Fatal(err)
	}
	einf := 2 * math.Sqrt(2.0/3)
	if res.P != 3 || !(math.Abs(res.EInf-einf) <= 1e-15) || len(res.Ek) != 5 || !(math.Abs(res.Ek[0]-1.657) <= 1e-4) {
		t.Fatalf("p %d, E_inf %v, E_k %v", res.P, res.EInf, res.Ek)
	}
	if res.ComplexCriticalPoints != "4095" {
		t.Errorf("complex critical points %s, want 4095", res.ComplexCriticalPoints)
	}
	cx := res.Complexity
	if len(cx.U) != CurvePoints || len(cx.Total) != CurvePoints || len(cx.Index) != ComplexityIndices {
		t.Fatalf("complexity grid %d, total %d, %d indices", len(cx.U), len(cx.Total), len(cx.Index))
	}
	if !(math.Abs(cx.U[0]-(-res.Ek[0]-0.04)) <= 1e-15) || !(math.Abs(cx.U[CurvePoints-1]-(-einf+0.06)) <= 1e-15) {
		t.Errorf("complexity grid [%v, %v], want [-E_0 - 0.04, -E_inf + 0.06]", cx.U[0], cx.U[CurvePoints-1])
	}
	flat := 0.5*math.Log(2) - 1.0/3
	for i, u := range cx.U {
		switch {
		case u > -einf:
			if want := 0.5*math.Log(2) - u*u/8; !(math.Abs(cx.Total[i]-want) <= 1e-14) {
				t.Errorf("ThetaTotal(%v) = %v, want %v", u, cx.Total[i], want)
			}
			for k := range ComplexityIndices {
				if !(math.Abs(cx.Index[k][i]-flat) <= 1e-14) {
					t.Errorf("Theta_%d(%v) = %v, want %v", k, u, cx.Index[k][i], flat)
				}
			}
		case !(math.Abs(cx.Index[0][i]-cx.Total[i]) <= 1e-14):
			t.Errorf("u = %v: Theta_0 %v, ThetaTotal %v; want equal below -E_inf", u, cx.Index[0][i], cx.Total[i])
		}
	}
	for k := range ComplexityIndices {
		th := cx.Index[k]
		i := slices.IndexFunc(th, func(y float64) bool { return y >= 0 })
		if i < 1 {
			t.Errorf("Theta_%d has no sign change on the grid", k)
			continue
		}
		root := cx.U[i-1] - th[i-1]*(cx.U[i]-cx.U[i-1])/(th[i]-th[i-1])
		if step := cx.U[1] - cx.U[0]; !(math.Abs(root+res.Ek[k]) <= step) {
			t.Errorf("Theta_%d changes sign at %v, want -E_%d = %v within %v", k, root, k, -res.Ek[k], step)
		}
	}
	ic := res.IndexCurve
	last := len(ic.X) - 1
	if len(ic.X) != CurvePoints || ic.X[last] != 0 || !(math.Abs(ic.Y[last]-5.5) <= 1e-12) {
		t.Fatalf("index curve: %d points ending at (%v, %v), want %d ending at (0, 5.5)", len(ic.X), ic.X[last], ic.Y[last], CurvePoints)
	}
	if want := min(res.Points[0].Energy, -res.Ek[0]) - 0.05; ic.X[0] != want {
		t.Errorf("index curve starts at %v, want %v", ic.X[0], want)
	}
	for i, u := range ic.X {
		if u <= -einf && ic.Y[i] != 0 {
			t.Errorf("index curve at %v = %v, want 0 below -E_inf", u, ic.Y[i])
		}
	}
	sum := 0
	for _, r := range res.ByIndex {
		sum += r.Count
		if want := float64(n-1) * IndexFraction(3, r.UMean); r.IndexTheory != want {
			t.Errorf("index %d: theory %v, want (N-1) IndexFraction(u_mean) = %v", r.Index, r.IndexTheory, want)
		}
	}
	if !res.Mirrored || sum != res.Distinct || res.Distinct != len(res.Points) || res.Distinct == 0 || res.Converged+res.Failed != 60 {
		t.Errorf("mirrored %v, index rows %d, distinct %d, points %d, converged %d + failed %d",
			res.Mirrored, sum, res.Distinct, len(res.Points), res.Converged, res.Failed)
	}
	for _, p := range res.Points {
		if p.Energy > 0 || p.GradNorm > 1e-9 || p.Index < 0 || p.Index > n-1 {
			t.Errorf("point %+v: want u <= 0, |grad| <= 1e-9, 0 <= index <= N-1", p)
		}
	}
}

// TestLayeredStudy: total dimension 9 over 1, 2 and 3 layers (SplitDims:
// 9, 5x4, 3x3x3). One layer is a linear form c J.w on |w| = 3 with
// c = sqrt(D/n) = 1: one point up to sign, a minimum at u = -3|J|/9 =
// -|J|/3. Two layers are the singular pairs of the 5x4 coupling matrix
// (gonum's SVD as the oracle): 4 points, u_k = -c sqrt(20) sigma_k / 9 =
// -sigma_k/3 with index k, so one minimum, 3 saddles, mean index 1.5 and
// ground energy -sigma_1/3 (energies to 1e-10). Three layers: at most
// Friedland-Ottaviani's 37 real tuples, of its parity. The complex counts
// are 1, 4 and 37.
func TestLayeredStudy(t *testing.T) {
	const seed = 5
	res, err := LayeredStudy(context.Background(), enginetest.Open(t), LayeredStudyOptions{Layers: []int{1, 2, 3}, Dim: 9, Seed: seed,
		Census: StudyCensusOptions{MinimaStarts: 100, SaddleStarts: 300}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 3 || res.Model != "layered" || res.Dim != 9 || res.MinimaStarts != 100 || res.SaddleStarts != 300 {
		t.Fatalf("%d rows, model %q, dim %d, starts %d + %d", len(res.Rows), res.Model, res.Dim, res.MinimaStarts, res.SaddleStarts)
	}
	wantDims := [][]int{{9}, {5, 4}, {3, 3, 3}}
	wantComplex := []string{"1", "4", "37"}
	for i, r := range res.Rows {
		if r.Layers != i+1 || !slices.Equal(r.Dims, wantDims[i]) || r.ComplexCriticalPoints != wantComplex[i] || r.Starts != 400 ||
			r.Converged+r.Failed != 400 || r.Saddles != r.Distinct-r.Minima.Count {
			t.Errorf("row %d: layers %d, dims %v, complex %s, starts %d, converged %d + failed %d, saddles %d of %d",
				i, r.Layers, r.Dims, r.ComplexCriticalPoints, r.Starts, r.Converged, r.Failed, r.Saddles, r.Distinct)
		}
	}
	var jn float64
	for i := range 9 {
		x := rng.Normal(seed, CouplingStream, uint64(i))
		jn += x * x
	}
	if r := res.Rows[0]; r.Distinct != 1 || r.Minima.Count != 1 || !(math.Abs(r.UGround+math.Sqrt(jn)/3) <= 1e-10) {
		t.Errorf("one layer: %d points, %d minima, ground %v; want 1, 1, %v", r.Distinct, r.Minima.Count, r.UGround, -math.Sqrt(jn)/3)
	}
	j := mat.NewDense(5, 4, nil)
	for i := range 5 {
		for k := range 4 {
			j.Set(i, k, rng.Normal(seed, CouplingStream, uint64(i+5*k)))
		}
	}
	var svd mat.SVD
	if !svd.Factorize(j, mat.SVDNone) {
		t.Fatal("SVD failed")
	}
	sig := svd.Values(nil)
	r2 := res.Rows[1]
	if r2.Distinct != 4 || r2.Minima.Count != 1 || r2.Saddles != 3 || r2.MeanIndex != 1.5 || !(math.Abs(r2.UGround+sig[0]/3) <= 1e-10) {
		t.Fatalf("two layers: %d points, %d minima, %d saddles, mean index %v, ground %v; want 4, 1, 3, 1.5, %v",
			r2.Distinct, r2.Minima.Count, r2.Saddles, r2.MeanIndex, r2.UGround, -sig[0]/3)
	}
	for k, p := range r2.Points {
		if !(math.Abs(p.Energy+sig[k]/3) <= 1e-10) || p.Index != k {
			t.Errorf("two layers: point %d at u = %v index %d, want %v index %d", k, p.Energy, p.Index, -sig[k]/3, k)
		}
	}
	if r3 := res.Rows[2]; r3.Distinct > 37 || r3.Distinct%2 != 1 {
		t.Errorf("three layers: %d points, want <= 37 and odd", r3.Distinct)
	}
}

// TestStudyProgress: Progress counts every start once, up to the total
// (the p-spin's starts; the layered study's starts over all its layer
// counts), never backwards.
func TestStudyProgress(t *testing.T) {
	b := enginetest.Open(t)
	check := func(name string, total int, run func(func(done, total int)) error) {
		t.Helper()
		calls, last := 0, 0
		err := run(func(done, tot int) {
			calls++
			if tot != total || done < last || done > tot {
				t.Errorf("%s: progress %d/%d after %d; want a total of %d, done increasing", name, done, tot, last, total)
			}
			last = done
		})
		if err != nil {
			t.Fatal(err)
		}
		if last != total || calls != total {
			t.Errorf("%s: %d calls, last %d; want %d, ending at %d", name, calls, last, total, total)
		}
	}
	check("p-spin", 30, func(f func(int, int)) error {
		_, err := PSpinStudy(context.Background(), b, PSpinStudyOptions{N: 8, Census: StudyCensusOptions{MinimaStarts: 10, SaddleStarts: 20}, Progress: f})
		return err
	})
	check("layered", 3*12, func(f func(int, int)) error {
		_, err := LayeredStudy(context.Background(), b, LayeredStudyOptions{Layers: []int{1, 2, 4}, Dim: 8,
			Census: StudyCensusOptions{MinimaStarts: 6, SaddleStarts: 6}, Progress: f})
		return err
	})
}

// TestStudyCancel: a done context stops a study before its first backend
// call, and a context cancelled at the first finished start stops it at
// the next backend call (the remaining starts of the batch are never
// finished); the error is the context's.
func TestStudyCancel(t *testing.T) {
	b := enginetest.Open(t)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	co := StudyCensusOptions{MinimaStarts: 20, SaddleStarts: 20, Batch: 4}
	if _, err := PSpinStudy(done, b, PSpinStudyOptions{N: 8, Census: co}); !errors.Is(err, context.Canceled) {
		t.Errorf("p-spin, done context: %v, want context.Canceled", err)
	}
	if _, err := LayeredStudy(done, b, LayeredStudyOptions{Layers: []int{2}, Dim: 8, Census: co}); !errors.Is(err, context.Canceled) {
		t.Errorf("layered, done context: %v, want context.Canceled", err)
	}
	if _, err := FormatCounts(done, FormatCountsOptions{Formats: [][]int{{3, 3, 3}}}); !errors.Is(err, context.Canceled) {
		t.Errorf("format counts, done context: %v, want context.Canceled", err)
	}
	for _, name := range []string{"p-spin", "layered"} {
		ctx, cancel := context.WithCancel(context.Background())
		finished := 0
		progress := func(int, int) { finished++; cancel() }
		var err error
		if name == "p-spin" {
			_, err = PSpinStudy(ctx, b, PSpinStudyOptions{N: 8, Census: co, Progress: progress})
		} else {
			_, err = LayeredStudy(ctx, b, LayeredStudyOptions{Layers: []int{2, 3}, Dim: 8, Census: co, Progress: progress})
		}
		cancel()
		if !errors.Is(err, context.Canceled) || finished >= 40 {
			t.Errorf("%s cancelled at the first start: %v after %d finished starts; want context.Canceled before all 40", name, err, finished)
		}
	}
}

// TestStudyOptions: zero options take the documented defaults; each bad
// field gets an error that names it.
func TestStudyOptions(t *testing.T) {
	co, err := StudyCensusOptions{}.resolve("test", DefaultPSpinStarts)
	if err != nil || co.MinimaStarts != 500 || co.SaddleStarts != 500 || co.Tol != 1e-9 {
		t.Errorf("p-spin defaults: %+v, %v; want 500 + 500 starts, Tol 1e-9", co, err)
	}
	co, err = StudyCensusOptions{}.resolve("test", DefaultLayeredStarts)
	if err != nil || co.MinimaStarts != 150 || co.SaddleStarts != 150 {
		t.Errorf("layered defaults: %+v, %v; want 150 + 150 starts", co, err)
	}
	co, err = StudyCensusOptions{MinimaStarts: 7}.resolve("test", DefaultPSpinStarts)
	if err != nil || co.MinimaStarts != 7 || co.SaddleStarts != 0 {
		t.Errorf("7 minima starts: %+v, %v; want 7 + 0", co, err)
	}
	b := enginetest.Open(t)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		err  func() error
		msg  string
	}{
		{"P", func() error { _, err := PSpinStudy(ctx, b, PSpinStudyOptions{P: 1}); return err }, "P = 1"},
		{"P", func() error { _, err := PSpinStudy(ctx, b, PSpinStudyOptions{P: 11}); return err }, "P = 11"},
		{"N", func() error { _, err := PSpinStudy(ctx, b, PSpinStudyOptions{N: 1}); return err }, "N = 1"},
		{"N^p", func() error { _, err := PSpinStudy(ctx, b, PSpinStudyOptions{P: 4, N: 80}); return err }, "N <= 76"},
		{"Tol", func() error {
			_, err := PSpinStudy(ctx, b, PSpinStudyOptions{Census: StudyCensusOptions{Tol: -1}})
			return err
		}, "Tol -1"},
		{"Tol", func() error {
			_, err := PSpinStudy(ctx, b, PSpinStudyOptions{Census: StudyCensusOptions{Tol: math.Inf(1)}})
			return err
		}, "Tol +Inf"},
		{"MaxIter", func() error {
			_, err := PSpinStudy(ctx, b, PSpinStudyOptions{Census: StudyCensusOptions{MaxIter: -1}})
			return err
		}, "MaxIter -1"},
		{"Batch", func() error {
			_, err := PSpinStudy(ctx, b, PSpinStudyOptions{Census: StudyCensusOptions{Batch: -2}})
			return err
		}, "Batch -2"},
		{"Workers", func() error {
			_, err := PSpinStudy(ctx, b, PSpinStudyOptions{Census: StudyCensusOptions{Workers: -1}})
			return err
		}, "Workers -1"},
		{"starts", func() error {
			_, err := LayeredStudy(ctx, b, LayeredStudyOptions{Census: StudyCensusOptions{MinimaStarts: -1}})
			return err
		}, "MinimaStarts -1"},
		{"Layers", func() error {
			_, err := LayeredStudy(ctx, b, LayeredStudyOptions{Layers: []int{2, 7}, Dim: 5})
			return err
		}, "Layers holds 7 with Dim 5"},
		{"Layers", func() error { _, err := LayeredStudy(ctx, b, LayeredStudyOptions{Layers: []int{0}}); return err }, "Layers holds 0"},
		{"Layers", func() error { _, err := LayeredStudy(ctx, b, LayeredStudyOptions{Layers: []int{}}); return err }, "Layers is empty"},
		{"Dim", func() error { _, err := LayeredStudy(ctx, b, LayeredStudyOptions{Dim: -3}); return err }, "Dim -3"},
		{"backend", func() error {
			_, err := LayeredStudy(ctx, nil, LayeredStudyOptions{Layers: []int{1}, Dim: 3})
			return err
		}, "nil backend"},
		{"Formats", func() error { _, err := FormatCounts(ctx, FormatCountsOptions{}); return err }, "Formats is empty"},
	} {
		if err := c.err(); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.msg)
		}
	}
}

// TestFormatCounts: Friedland and Ottaviani's exact counts in the three
// spellings of a format: n x n x n gives 37 and 240 for n = 3, 4, and an
// n x m matrix min(n, m) singular pairs (2x5: 2); FormatName writes the
// format back as ParseFormat reads it.
func TestFormatCounts(t *testing.T) {
	var formats [][]int
	for _, s := range []string{"3x3x3", "4^3", "2,5", " 2*3*4 "} {
		dims, err := ParseFormat(s)
		if err != nil {
			t.Fatal(err)
		}
		formats = append(formats, dims)
	}
	rows, err := FormatCounts(context.Background(), FormatCountsOptions{Formats: formats})
	if err != nil {
		t.Fatal(err)
	}
	want := []FormatCount{{"3x3x3", []int{3, 3, 3}, "37"}, {"4x4x4", []int{4, 4, 4}, "240"}, {"2x5", []int{2, 5}, "2"}, {"2x3x4", []int{2, 3, 4}, ""}}
	for i, r := range rows {
		if r.Format != want[i].Format || !slices.Equal(r.Dims, want[i].Dims) || (want[i].Count != "" && r.Count != want[i].Count) {
			t.Errorf("row %d: %+v, want %+v", i, r, want[i])
		}
		if back, err := ParseFormat(r.Format); err != nil || !slices.Equal(back, r.Dims) {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", r.Format, back, err, r.Dims)
		}
	}
	if n, _ := SingularTupleCount([]int{2, 3, 4}); len(rows) != 4 || rows[3].Count != n.String() {
		t.Errorf("2x3x4: %v, want SingularTupleCount's %v", rows, n)
	}
	for _, c := range []struct{ in, msg string }{
		{"3xx", "not a size"}, {"0x3", "not a size"}, {"3^0", "n^d"}, {"3^65", "n^d"}, {"", "no sizes"},
	} {
		if _, err := ParseFormat(c.in); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseFormat(%q): %v, want an error containing %q", c.in, err, c.msg)
		}
	}
	if _, err := FormatCounts(context.Background(), FormatCountsOptions{Formats: [][]int{{100, 100, 100}}}); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("100x100x100: %v, want a 'more than' error", err)
	}
}
