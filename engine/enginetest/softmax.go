package enginetest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/netgeom/netgeom/engine"
)

// refSoftmax computes the column-wise softmax or log-softmax of the m x n
// matrix x (leading dimension ld) into a dense m x n result, with a bound on
// the error of any implementation that subtracts the column maximum, sums
// exp(d_k) in any order and uses an exp and log accurate to a few ulps:
//
//   - softmax: exp(d_i) carries a relative error u |d_i| from the rounding
//     of d_i = x_i - max, plus a few ulps of its own; the sum adds (m+1) u
//     relatively, the division one more. Bound: p_i u (|d_i| + m + 16).
//   - log-softmax: out_i = d_i - log s has absolute error u |d_i| (from
//     d_i), u (m + 16) (the relative error of s becomes absolute under the
//     log), and a few ulps of |log s| and |out_i|.
func refSoftmax(p precision, m, n int, x []float64, ld int, log bool) (want, bound []float64) {
	want, bound = make([]float64, m*n), make([]float64, m*n)
	for j := 0; j < n; j++ {
		col := x[j*ld : j*ld+m]
		mx := math.Inf(-1)
		for _, v := range col {
			mx = math.Max(mx, v)
		}
		s := 0.0
		for _, v := range col {
			s += math.Exp(v - mx)
		}
		ls := math.Log(s)
		for i, v := range col {
			d := v - mx
			k := i + j*m
			if log {
				want[k] = d - ls
				bound[k] = p.storeTol(eps*(math.Abs(d)+float64(m)+16+4*math.Abs(ls)+4*math.Abs(want[k]))+1e-300, want[k])
			} else {
				want[k] = math.Exp(d) / s
				bound[k] = p.storeTol(want[k]*eps*(math.Abs(d)+float64(m)+16)+1e-300, want[k])
			}
		}
	}
	return want, bound
}

// dense extracts the m x n block of a matrix with leading dimension ld.
func dense(m, n int, a []float64, ld int) []float64 {
	out := make([]float64, m*n)
	for j := 0; j < n; j++ {
		copy(out[j*m:(j+1)*m], a[j*ld:j*ld+m])
	}
	return out
}

// checkPadding fails if an element outside the m x n block of got differs
// from before (bit for bit).
func checkPadding(t *testing.T, what string, m, n, ld int, got, before []float64) {
	t.Helper()
	for k := range got {
		i, j := k%ld, k/ld
		if (i >= m || j >= n) && math.Float64bits(got[k]) != math.Float64bits(before[k]) {
			t.Fatalf("%s: element (%d, %d) outside the %d x %d block changed: %v -> %v", what, i, j, m, n, before[k], got[k])
		}
	}
}

// testSoftmax checks Softmax against refSoftmax on random matrices (with
// leading dimensions larger than m, in place and out of place, sizes that
// run the parallel path) and on the columns where a naive exp overflows or
// underflows: logits of +-1e3, equal logits, 1 x n and m x 1; ScaleColumns
// bit for bit (one rounding per element); zero sizes; shape errors; and bit
// equality of repeated calls.
func testSoftmax(t *testing.T, b engine.Backend) {
	r := rand.New(rand.NewPCG(12, 12))
	type tc struct {
		name             string
		m, n, padX, padO int
		x                []float64 // column-major with ld m+padX; nil: random
	}
	cases := []tc{
		{name: "1x1", m: 1, n: 1},
		{name: "1 x n", m: 1, n: 37, padX: 2, padO: 1},
		{name: "m x 1", m: 300, n: 1},
		{name: "small", m: 5, n: 7},
		{name: "ld > m", m: 10, n: 33, padX: 3, padO: 5},
		{name: "parallel", m: 10, n: 5000, padX: 1},
		{name: "tall", m: 20000, n: 3, padO: 2},
		{name: "logits 1e3", m: 4, n: 2, x: []float64{1000, 999, 1001, 1000, 1e3, 1e3 - 30, 1e3 - 800, 1e3 + 0.5}},
		{name: "logits -1e3", m: 3, n: 2, x: []float64{-1000, -1001, -999.5, -1e3, -1e3, -1e3}},
		{name: "equal logits", m: 6, n: 3, x: []float64{2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, -7.5, -7.5, -7.5, -7.5, -7.5, -7.5}},
		{name: "spread 1e3 to -1e3", m: 2, n: 2, x: []float64{1e3, -1e3, -1e3, 1e3}},
	}
	for _, c := range cases {
		ldx, ldo := c.m+c.padX, c.m+c.padO
		x := c.x
		if x == nil {
			x = randIn(b, r, ldx*c.n)
			for i := range x {
				x[i] *= 4
			}
		}
		for _, log := range []bool{false, true} {
			name := fmt.Sprintf("%s (%d x %d, ldx %d, ldo %d) log=%v", c.name, c.m, c.n, ldx, ldo, log)
			want, bound := refSoftmax(prec(b), c.m, c.n, x, ldx, log)
			X := upload(t, b, x)
			before := randIn(b, r, ldo*c.n)
			O := upload(t, b, before)
			must(t, b.Softmax(c.m, c.n, X, ldx, O, ldo, log))
			got := download(t, b, O)
			checkPadding(t, name, c.m, c.n, ldo, got, before)
			g := dense(c.m, c.n, got, ldo)
			for k, v := range g {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s: element %d is %v (overflow)", name, k, v)
				}
			}
			within(t, name, g, want, bound)
			bitsEqual(t, name+": input untouched", download(t, b, X), x)

			// In place, with X's leading dimension.
			must(t, b.Softmax(c.m, c.n, X, ldx, X, ldx, log))
			inPlace := download(t, b, X)
			checkPadding(t, name+" in place", c.m, c.n, ldx, inPlace, x)
			within(t, name+" in place", dense(c.m, c.n, inPlace, ldx), want, bound)

			// Run to run: the same bits.
			O2 := upload(t, b, before)
			X2 := upload(t, b, x)
			must(t, b.Softmax(c.m, c.n, X2, ldx, O2, ldo, log))
			bitsEqual(t, name+" repeated", download(t, b, O2), got)
			for _, buf := range []engine.Buffer{X, O, X2, O2} {
				must(t, b.Free(buf))
			}
		}
	}

	// Exact values where the answer is representable: a 1 x n softmax is 1
	// and its log 0; equal logits give 1/m and -log m to a few ulps; the
	// spread 1e3 / -1e3 gives 1 and exp(-2000) = 0, log 0 and -2000.
	exact := []struct {
		name    string
		m       int
		x, want []float64
		log     bool
	}{
		{"1 x 3 softmax", 1, []float64{-5, 0, 800}, []float64{1, 1, 1}, false},
		{"1 x 3 log-softmax", 1, []float64{-5, 0, 800}, []float64{0, 0, 0}, true},
		{"spread softmax", 2, []float64{1e3, -1e3}, []float64{1, 0}, false},
		{"spread log-softmax", 2, []float64{1e3, -1e3}, []float64{0, -2000}, true},
	}
	for _, e := range exact {
		X := upload(t, b, e.x)
		O := upload(t, b, make([]float64, len(e.x)))
		must(t, b.Softmax(e.m, len(e.x)/e.m, X, e.m, O, e.m, e.log))
		bitsEqual(t, e.name, download(t, b, O), e.want)
	}
	for _, m := range []int{3, 6, 1000} {
		x := make([]float64, m)
		X := upload(t, b, x)
		O := upload(t, b, x)
		must(t, b.Softmax(m, 1, X, m, O, m, false))
		p := download(t, b, O)
		must(t, b.Softmax(m, 1, X, m, O, m, true))
		lp := download(t, b, O)
		for i := range p {
			pr, lm := prec(b), math.Log(float64(m))
			if math.Abs(p[i]-1/float64(m)) > pr.storeTol(4*eps/float64(m), p[i]) || math.Abs(lp[i]+lm) > pr.storeTol(4*eps*lm, lm) {
				t.Fatalf("equal logits, m = %d: softmax %v (want %v), log-softmax %v (want %v)", m, p[i], 1/float64(m), lp[i], -math.Log(float64(m)))
			}
		}
	}

	// ScaleColumns: one rounding per element, so bit for bit.
	for _, c := range []struct{ m, n, pad int }{{1, 1, 0}, {7, 5, 2}, {1, 40, 0}, {500, 300, 1}, {0, 3, 0}, {4, 0, 0}} {
		ld := max(1, c.m) + c.pad
		x := randIn(b, r, ld*max(c.n, 1))
		s := randIn(b, r, max(c.n, 1))
		want := append([]float64(nil), x...)
		for j := 0; j < c.n; j++ {
			for i := 0; i < c.m; i++ {
				want[i+j*ld] = prec(b).round(want[i+j*ld] * s[j])
			}
		}
		X, S := upload(t, b, x), upload(t, b, s)
		must(t, b.ScaleColumns(c.m, c.n, S, X, ld))
		bitsEqual(t, fmt.Sprintf("scale columns %d x %d ld %d", c.m, c.n, ld), download(t, b, X), want)
	}

	// Zero sizes are no-ops.
	Z := upload(t, b, []float64{3, 4})
	must(t, b.Softmax(0, 5, Z, 1, Z, 1, false))
	must(t, b.Softmax(2, 0, Z, 2, Z, 2, true))
	bitsEqual(t, "zero-size softmax", download(t, b, Z), []float64{3, 4})

	// Bad shapes.
	x := upload(t, b, make([]float64, 12))
	o := upload(t, b, make([]float64, 12))
	for what, err := range map[string]error{
		"softmax ldx < m":      b.Softmax(4, 3, x, 3, o, 4, false),
		"softmax X too short":  b.Softmax(4, 4, x, 4, o, 4, false),
		"softmax Out short":    b.Softmax(3, 4, x, 3, o, 4, true),
		"softmax negative n":   b.Softmax(3, -1, x, 3, o, 3, false),
		"scale columns s":      b.ScaleColumns(3, 4, upload(t, b, make([]float64, 3)), x, 3),
		"scale columns X":      b.ScaleColumns(4, 4, upload(t, b, make([]float64, 4)), x, 4),
		"scale columns ld < m": b.ScaleColumns(4, 2, upload(t, b, make([]float64, 2)), x, 3),
	} {
		if !errors.Is(err, engine.ErrShape) {
			t.Errorf("%s: err = %v, want ErrShape", what, err)
		}
	}
	if err := b.Softmax(1, 1, foreignOf(b, 1), 1, o, 1, false); !errors.Is(err, engine.ErrForeign) {
		t.Errorf("softmax of a foreign buffer: err = %v, want ErrForeign", err)
	}
	must(t, b.Free(x))
	if err := b.ScaleColumns(1, 1, o, x, 1); !errors.Is(err, engine.ErrFreed) {
		t.Errorf("scale columns of a freed buffer: err = %v, want ErrFreed", err)
	}
}
