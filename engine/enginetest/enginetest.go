package enginetest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/rng"
)

// eps is the unit roundoff of float64 (2^-53).
const eps = 0x1p-53

// precision is what the suite needs of a backend's dtype: the unit
// roundoff u of its products and sums (BLAS), the roundoff store of the
// one rounding that every op computed in float64 suffers when it stores a
// float32 result (0 for float64), and the rounding of host numbers to the
// dtype (inputs are rounded before the references are computed, so the
// references see the numbers the backend holds).
type precision struct {
	dt       engine.DType
	u, store float64
	// scalars is the number of extra roundings of alpha and beta (a
	// float32 BLAS takes them rounded).
	scalars int
}

func prec(b engine.Backend) precision {
	if engine.DTypeOf(b) == engine.Float32 {
		return precision{dt: engine.Float32, u: 0x1p-24, store: 0x1p-24, scalars: 2}
	}
	return precision{dt: engine.Float64, u: eps}
}

// round is x as the backend stores it.
func (p precision) round(x float64) float64 {
	if p.dt == engine.Float32 {
		return float64(float32(x))
	}
	return x
}

// roundAll rounds v in place and returns it.
func (p precision) roundAll(v []float64) []float64 {
	for i := range v {
		v[i] = p.round(v[i])
	}
	return v
}

// randIn is randVec with the numbers rounded to b's dtype.
func randIn(b engine.Backend, r *rand.Rand, n int) []float64 {
	return prec(b).roundAll(randVec(r, n))
}

// Opener opens a fresh backend for one test.
type Opener func(t *testing.T) engine.Backend

// Run runs the whole suite against the backends that open returns.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		f    func(*testing.T, engine.Backend)
	}{
		{"Buffers", testBuffers},
		{"Views", testViews},
		{"Errors", testErrors},
		{"Gemm", testGemm},
		{"GemmStridedBatched", testGemmBatched},
		{"Gemv", testGemv},
		{"Level1", testLevel1},
		{"Nrm2Scaling", testNrm2Scaling},
		{"FillNormal", testFillNormal},
		{"Activations", testActivations},
		{"ActivateJet", testActivateJet},
		{"Elementwise", testElementwise},
		{"ColumnDots", testColumnDots},
		{"Softmax", testSoftmax},
		{"Repeatable", testRepeatable},
		{"Closed", testClosed},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := open(t)
			defer b.Close()
			tc.f(t, b)
		})
	}
}

// --- helpers ---------------------------------------------------------------

func randVec(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return v
}

func upload(t *testing.T, b engine.Backend, v []float64) engine.Buffer {
	t.Helper()
	buf, err := b.Alloc(engine.DTypeOf(b), len(v))
	if err != nil {
		t.Fatalf("alloc %d: %v", len(v), err)
	}
	if err := b.Upload(buf, v); err != nil {
		t.Fatalf("upload: %v", err)
	}
	return buf
}

func download(t *testing.T, b engine.Backend, x engine.Buffer) []float64 {
	t.Helper()
	v := make([]float64, x.Len())
	if err := b.Download(v, x); err != nil {
		t.Fatalf("download: %v", err)
	}
	return v
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// within checks |got - want| <= bound elementwise.
func within(t *testing.T, what string, got, want, bound []float64) {
	t.Helper()
	bad := 0
	for i := range want {
		if !(math.Abs(got[i]-want[i]) <= bound[i]) {
			if bad < 5 {
				t.Errorf("%s[%d] = %v, want %v (bound %.3g)", what, i, got[i], want[i], bound[i])
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d elements out of bounds in all", what, bad)
	}
}

func bitsEqual(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d elements, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s[%d] = %v (%016x), want %v (%016x) bit for bit", what, i, got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
		}
	}
}

func at(a []float64, ld int, t engine.Transpose, i, j int) float64 {
	if t == engine.Trans {
		return a[j+i*ld]
	}
	return a[i+j*ld]
}

// refGemm computes C = alpha op(A) op(B) + beta C column-major, and a bound
// on the rounding error of any summation order: (k+2) u (|alpha| sum|a||b| +
// |beta c|), the standard gamma_{k+2} bound on a dot product of length k
// plus the scaling and the final sum.
func refGemm(p precision, tA, tB engine.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) (want, bound []float64) {
	want = append([]float64(nil), c...)
	bound = make([]float64, len(c))
	for j := 0; j < n; j++ {
		for i := 0; i < m; i++ {
			s, abs := 0.0, 0.0
			for l := 0; l < k; l++ {
				p := at(a, lda, tA, i, l) * at(b, ldb, tB, l, j)
				s += p
				abs += math.Abs(p)
			}
			old := 0.0
			if beta != 0 {
				old = beta * c[i+j*ldc]
			}
			want[i+j*ldc] = alpha*s + old
			bound[i+j*ldc] = float64(k+2+p.scalars)*p.u*(math.Abs(alpha)*abs+math.Abs(old)) + 1e-300
		}
	}
	return want, bound
}

// --- buffers ---------------------------------------------------------------

func testBuffers(t *testing.T, b engine.Backend) {
	for _, n := range []int{0, 1, 7, 100000} {
		x, err := b.Alloc(engine.DTypeOf(b), n)
		must(t, err)
		if x.Len() != n || x.DType() != engine.DTypeOf(b) {
			t.Fatalf("alloc %d: Len %d dtype %v", n, x.Len(), x.DType())
		}
		for i, v := range download(t, b, x) {
			if v != 0 {
				t.Fatalf("alloc %d: element %d = %v, want 0 (zero-filled)", n, i, v)
			}
		}
		must(t, b.Fill(x, 2.5))
		for i, v := range download(t, b, x) {
			if v != 2.5 {
				t.Fatalf("fill: element %d = %v", i, v)
			}
		}
		src := randIn(b, rand.New(rand.NewPCG(1, uint64(n))), n)
		must(t, b.Upload(x, src))
		y, err := b.Alloc(engine.DTypeOf(b), n)
		must(t, err)
		must(t, b.Copy(y, x))
		bitsEqual(t, "copy", download(t, b, y), src)
		must(t, b.Free(x))
		must(t, b.Free(y))
	}
}

func testViews(t *testing.T, b engine.Backend) {
	r := rand.New(rand.NewPCG(2, 2))
	src := randIn(b, r, 20)
	x := upload(t, b, src)
	v, err := b.Slice(x, 5, 10)
	must(t, err)
	if v.Len() != 10 {
		t.Fatalf("view Len %d, want 10", v.Len())
	}
	bitsEqual(t, "view download", download(t, b, v), src[5:15])
	must(t, b.Fill(v, -1))
	got := download(t, b, x)
	for i := range got {
		want := src[i]
		if i >= 5 && i < 15 {
			want = -1
		}
		if got[i] != want {
			t.Fatalf("after filling view [5,15): element %d = %v, want %v", i, got[i], want)
		}
	}
	vv, err := b.Slice(v, 2, 3) // a view of a view
	must(t, err)
	must(t, b.Scal(3, 2, vv, 1))
	if g := download(t, b, x); g[7] != -2 || g[9] != -2 || g[10] != -1 {
		t.Fatalf("view of view: elements 7..10 = %v", g[7:11])
	}
	empty, err := b.Slice(x, 20, 0)
	must(t, err)
	if empty.Len() != 0 {
		t.Fatal("empty view has elements")
	}
	for _, bad := range [][2]int{{-1, 2}, {19, 2}, {0, 21}, {3, -1}} {
		if _, err := b.Slice(x, bad[0], bad[1]); !errors.Is(err, engine.ErrShape) {
			t.Errorf("Slice(%d, %d) of 20: err = %v, want ErrShape", bad[0], bad[1], err)
		}
	}
	if err := b.Free(v); err == nil {
		t.Error("freeing a view: no error")
	}
	must(t, b.Free(x))
	if err := b.Fill(v, 0); !errors.Is(err, engine.ErrFreed) {
		t.Errorf("using a view of a freed buffer: err = %v, want ErrFreed", err)
	}
}

// foreign is a buffer no backend made.
type foreign struct{ n int }

func (f foreign) Len() int            { return f.n }
func (f foreign) DType() engine.DType { return engine.Float64 }

type foreign32 struct{ foreign }

func (f foreign32) DType() engine.DType { return engine.Float32 }

// foreignOf is a buffer no backend made, of b's dtype.
func foreignOf(b engine.Backend, n int) engine.Buffer {
	if engine.DTypeOf(b) == engine.Float32 {
		return foreign32{foreign{n}}
	}
	return foreign{n}
}

func testErrors(t *testing.T, b engine.Backend) {
	// A backend computes in one dtype: the other one is refused, and a
	// buffer of its own dtype that it did not make is foreign.
	dt := engine.DTypeOf(b)
	other, same, alien := engine.Float32, engine.Buffer(foreign{4}), engine.Buffer(foreign32{foreign{4}})
	if dt == engine.Float32 {
		other, same, alien = engine.Float64, foreign32{foreign{4}}, foreign{4}
	}
	if _, err := b.Alloc(other, 4); !errors.Is(err, engine.ErrDType) {
		t.Errorf("Alloc(%v) on a %v backend: err = %v, want ErrDType", other, dt, err)
	}
	if err := b.Fill(alien, 0); !errors.Is(err, engine.ErrDType) {
		t.Errorf("Fill(%v buffer) on a %v backend: err = %v, want ErrDType", other, dt, err)
	}
	if _, err := b.Alloc(dt, -1); !errors.Is(err, engine.ErrShape) {
		t.Errorf("Alloc(-1): err = %v, want ErrShape", err)
	}
	if err := b.Fill(same, 0); !errors.Is(err, engine.ErrForeign) {
		t.Errorf("Fill(foreign buffer): err = %v, want ErrForeign", err)
	}
	x := upload(t, b, make([]float64, 12))
	y := upload(t, b, make([]float64, 12))
	c := upload(t, b, make([]float64, 12))
	shapeErrs := map[string]error{
		"upload length":        b.Upload(x, make([]float64, 11)),
		"download length":      b.Download(make([]float64, 13), x),
		"gemm lda < rows":      b.Gemm(engine.NoTrans, engine.NoTrans, 4, 3, 3, 1, x, 3, y, 4, 0, c, 4),
		"gemm A too short":     b.Gemm(engine.NoTrans, engine.NoTrans, 4, 3, 4, 1, x, 4, y, 4, 0, c, 4),
		"gemm negative m":      b.Gemm(engine.NoTrans, engine.NoTrans, -1, 3, 3, 1, x, 3, y, 3, 0, c, 3),
		"gemv x too short":     b.Gemv(engine.NoTrans, 2, 6, 1, x, 2, y, 3, 0, c, 1),
		"dot inc 0":            errOnly(b.Dot(3, x, 0, y, 1)),
		"axpy y too short":     b.Axpy(7, 1, x, 1, y, 2),
		"hadamard lengths":     b.Hadamard(x, y, upload(t, b, make([]float64, 3))),
		"add bias short":       b.AddBias(5, 3, upload(t, b, make([]float64, 4)), c, 5),
		"column dots out":      b.ColumnDots(4, 3, x, 4, y, 4, upload(t, b, make([]float64, 2))),
		"batched C overlap":    b.GemmStridedBatched(engine.NoTrans, engine.NoTrans, 2, 2, 1, 1, x, 2, 2, y, 1, 2, 0, c, 2, 3, 2),
		"batched beyond end":   b.GemmStridedBatched(engine.NoTrans, engine.NoTrans, 2, 2, 2, 1, x, 2, 4, y, 2, 4, 0, c, 2, 4, 4),
		"jet lengths":          b.ActivateJet(activation.Tanh, x, y, c, x, y, upload(t, b, make([]float64, 5))),
		"activate out lengths": b.ActivateDerivative(activation.Tanh, 0, x, upload(t, b, make([]float64, 5))),
		"slice beyond end":     errOnlyBuf(b.Slice(x, 8, 5)),
		"slice negative":       errOnlyBuf(b.Slice(x, -1, 2)),
	}
	for what, err := range shapeErrs {
		if !errors.Is(err, engine.ErrShape) {
			t.Errorf("%s: err = %v, want ErrShape", what, err)
		}
	}
	if err := b.ActivateDerivative(activation.ID(999), 0, x, y); err == nil {
		t.Error("unknown activation: no error")
	}
	if err := b.ActivateDerivative(activation.Tanh, 4, x, y); err == nil {
		t.Error("derivative order 4: no error")
	}
	if err := b.FillNormal(x, 1, 0, 0, math.NaN()); err == nil {
		t.Error("FillNormal with std NaN: no error")
	}
	if err := b.Fill(nil, 0); err == nil {
		t.Error("Fill(nil): no error")
	}
	if err := b.Axpy(3, 1, x, 1, nil, 1); err == nil {
		t.Error("Axpy into nil: no error")
	}
	v, err := b.Slice(x, 2, 4)
	must(t, err)
	if err := b.Free(v); err == nil {
		t.Error("Free of a view: no error")
	}
	must(t, b.Free(x))
	if err := b.Fill(x, 1); !errors.Is(err, engine.ErrFreed) {
		t.Errorf("Fill after Free: err = %v, want ErrFreed", err)
	}
	if err := b.Fill(v, 1); !errors.Is(err, engine.ErrFreed) {
		t.Errorf("Fill of a view after its parent's Free: err = %v, want ErrFreed", err)
	}
	if _, err := b.Dot(3, x, 1, y, 1); !errors.Is(err, engine.ErrFreed) {
		t.Errorf("Dot after Free: err = %v, want ErrFreed", err)
	}
	if err := b.Free(x); !errors.Is(err, engine.ErrFreed) {
		t.Errorf("second Free: err = %v, want ErrFreed", err)
	}
}

func errOnly(_ float64, err error) error { return err }

func errOnlyBuf(_ engine.Buffer, err error) error { return err }

// testClosed: after Close every op fails with ErrClosed, on buffers made
// before it too, and a second Close is a no-op.
func testClosed(t *testing.T, b engine.Backend) {
	x := upload(t, b, make([]float64, 4))
	must(t, b.Close())
	if _, err := b.Alloc(engine.DTypeOf(b), 4); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("Alloc after Close: err = %v, want ErrClosed", err)
	}
	if err := b.Fill(x, 1); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("Fill after Close: err = %v, want ErrClosed", err)
	}
	if err := b.Download(make([]float64, 4), x); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("Download after Close: err = %v, want ErrClosed", err)
	}
	if err := b.Free(x); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("Free after Close: err = %v, want ErrClosed", err)
	}
	must(t, b.Close())
}

// --- BLAS ------------------------------------------------------------------

type gemmCase struct {
	m, n, k, padA, padB, padC int
}

var gemmCases = []gemmCase{
	{1, 1, 1, 0, 0, 0},
	{3, 5, 4, 0, 0, 0},
	{64, 3, 17, 0, 0, 0},  // tall
	{3, 64, 17, 0, 0, 0},  // wide
	{2, 3, 200, 0, 0, 0},  // long inner dimension
	{33, 31, 29, 3, 5, 7}, // leading dimensions larger than the rows
	{130, 70, 90, 1, 0, 2},
	{0, 5, 3, 0, 0, 0}, // zero sizes
	{5, 0, 3, 0, 0, 0},
	{5, 3, 0, 0, 0, 0},
}

func testGemm(t *testing.T, b engine.Backend) {
	r := rand.New(rand.NewPCG(3, 3))
	scalars := [][2]float64{{1, 0}, {-0.7, 1.3}, {2, 1}}
	for _, c := range gemmCases {
		for _, tA := range []engine.Transpose{engine.NoTrans, engine.Trans} {
			for _, tB := range []engine.Transpose{engine.NoTrans, engine.Trans} {
				for _, s := range scalars {
					name := fmt.Sprintf("%dx%dx%d %v%v pad%d,%d,%d alpha %v beta %v", c.m, c.n, c.k, tA, tB, c.padA, c.padB, c.padC, s[0], s[1])
					checkGemm(t, b, r, name, tA, tB, c, s[0], s[1])
				}
			}
		}
	}
}

func checkGemm(t *testing.T, b engine.Backend, r *rand.Rand, name string, tA, tB engine.Transpose, c gemmCase, alpha, beta float64) {
	t.Helper()
	ar, ac := engine.StoredShape(tA, c.m, c.k)
	br, bc := engine.StoredShape(tB, c.k, c.n)
	lda, ldb, ldc := max(1, ar)+c.padA, max(1, br)+c.padB, max(1, c.m)+c.padC
	a := randIn(b, r, lda*max(ac, 1))
	bb := randIn(b, r, ldb*max(bc, 1))
	cc := randIn(b, r, ldc*max(c.n, 1))
	if beta == 0 {
		for i := range cc {
			cc[i] = math.NaN() // beta = 0 must overwrite C, NaN included
		}
	}
	want, bound := refGemm(prec(b), tA, tB, c.m, c.n, c.k, alpha, a, lda, bb, ldb, beta, cc, ldc)
	if beta == 0 { // padding rows keep their NaN; compare them as bits below
		for i := range want {
			if math.IsNaN(want[i]) {
				want[i], bound[i] = 0, 0
			}
		}
	}
	A, B, C := upload(t, b, a), upload(t, b, bb), upload(t, b, cc)
	if err := b.Gemm(tA, tB, c.m, c.n, c.k, alpha, A, lda, B, ldb, beta, C, ldc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got := download(t, b, C)
	for j := 0; j < max(c.n, 1); j++ {
		for i := 0; i < ldc; i++ {
			idx := i + j*ldc
			inside := i < c.m && j < c.n
			if !inside {
				// Padding and unused columns must be left alone.
				if math.Float64bits(got[idx]) != math.Float64bits(cc[idx]) && !(math.IsNaN(got[idx]) && math.IsNaN(cc[idx])) {
					t.Fatalf("%s: C[%d,%d] outside the m x n block changed: %v -> %v", name, i, j, cc[idx], got[idx])
				}
				got[idx], want[idx], bound[idx] = 0, 0, 0
			}
		}
	}
	within(t, name, got, want, bound)
	for _, x := range []engine.Buffer{A, B, C} {
		must(t, b.Free(x))
	}
}

func testGemmBatched(t *testing.T, b engine.Backend) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, tc := range []struct {
		tA, tB                     engine.Transpose
		m, n, k, batch             int
		padStrideA, zeroStrideB    int
		alpha, beta                float64
		name                       string
		strideAOverride, strideBOv int
	}{
		{tA: engine.NoTrans, tB: engine.NoTrans, m: 4, n: 3, k: 5, batch: 3, alpha: 1, beta: 0, name: "NN"},
		{tA: engine.Trans, tB: engine.NoTrans, m: 7, n: 2, k: 6, batch: 4, padStrideA: 5, alpha: 0.5, beta: 2, name: "TN padded stride"},
		{tA: engine.NoTrans, tB: engine.Trans, m: 3, n: 3, k: 3, batch: 5, zeroStrideB: 1, alpha: -1, beta: 1, name: "NT shared B (stride 0)"},
		{tA: engine.Trans, tB: engine.Trans, m: 1, n: 1, k: 1, batch: 2, alpha: 1, beta: 0, name: "TT 1x1"},
		{tA: engine.Trans, tB: engine.Trans, m: 10, n: 10, k: 10, batch: 40, alpha: 0.3, beta: 0.7, name: "TT 10x10x10 (attention-sized)"},
		{tA: engine.NoTrans, tB: engine.Trans, m: 20, n: 18, k: 15, batch: 3, alpha: 1, beta: 0.5, name: "NT 20x18x15 (past the CPU's small-product path)"},
	} {
		ar, ac := engine.StoredShape(tc.tA, tc.m, tc.k)
		br, bc := engine.StoredShape(tc.tB, tc.k, tc.n)
		lda, ldb, ldc := ar, br, tc.m
		sA := ar*ac + tc.padStrideA
		sB := br * bc
		if tc.zeroStrideB == 1 {
			sB = 0
		}
		sC := tc.m * tc.n
		a := randIn(b, r, sA*(tc.batch-1)+ar*ac)
		bb := randIn(b, r, sB*(tc.batch-1)+br*bc)
		cc := randIn(b, r, sC*tc.batch)
		A, B, C := upload(t, b, a), upload(t, b, bb), upload(t, b, cc)
		must(t, b.GemmStridedBatched(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, A, lda, sA, B, ldb, sB, tc.beta, C, ldc, sC, tc.batch))
		got := download(t, b, C)
		for i := 0; i < tc.batch; i++ {
			want, bound := refGemm(prec(b), tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a[i*sA:], lda, bb[i*sB:], ldb, tc.beta, cc[i*sC:(i+1)*sC], ldc)
			within(t, fmt.Sprintf("%s batch %d", tc.name, i), got[i*sC:(i+1)*sC], want, bound)
		}
	}
	// beta = 0 does not read C: NaN there does not reach the result.
	one := upload(t, b, []float64{1, 2, 3, 4})
	nan := upload(t, b, []float64{math.NaN(), math.NaN()})
	must(t, b.GemmStridedBatched(engine.NoTrans, engine.NoTrans, 1, 1, 2, 1, one, 1, 2, one, 2, 2, 0, nan, 1, 1, 2))
	if got := download(t, b, nan); got[0] != 1*1+2*2 || got[1] != 3*3+4*4 {
		t.Errorf("batched gemm with beta 0 over NaN C: %v, want [5 25]", got)
	}
	// batch = 0 is a no-op.
	x := upload(t, b, []float64{1})
	must(t, b.GemmStridedBatched(engine.NoTrans, engine.NoTrans, 1, 1, 1, 1, x, 1, 1, x, 1, 1, 0, x, 1, 1, 0))
	if download(t, b, x)[0] != 1 {
		t.Error("batch 0 changed C")
	}
}

func testGemv(t *testing.T, b engine.Backend) {
	r := rand.New(rand.NewPCG(5, 5))
	p := prec(b)
	for _, c := range []struct{ m, n, pad, incx, incy int }{
		{1, 1, 0, 1, 1}, {7, 5, 0, 1, 1}, {5, 7, 3, 2, 3}, {100, 3, 1, 1, 2}, {0, 4, 0, 1, 1}, {4, 0, 0, 1, 1},
	} {
		for _, tA := range []engine.Transpose{engine.NoTrans, engine.Trans} {
			for _, s := range [][2]float64{{1, 0}, {-1.5, 0.25}} {
				lda := max(1, c.m) + c.pad
				xn, yn := c.n, c.m
				if tA == engine.Trans {
					xn, yn = c.m, c.n
				}
				a := randIn(b, r, lda*max(c.n, 1))
				x := randIn(b, r, max(1, engine.VectorSpan(xn, c.incx)))
				y := randIn(b, r, max(1, engine.VectorSpan(yn, c.incy)))
				want := append([]float64(nil), y...)
				bound := make([]float64, len(y))
				for i := 0; i < yn; i++ {
					sum, abs := 0.0, 0.0
					for l := 0; l < xn; l++ {
						var p float64
						if tA == engine.Trans {
							p = a[l+i*lda] * x[l*c.incx]
						} else {
							p = a[i+l*lda] * x[l*c.incx]
						}
						sum += p
						abs += math.Abs(p)
					}
					old := 0.0
					if s[1] != 0 {
						old = s[1] * y[i*c.incy]
					}
					want[i*c.incy] = s[0]*sum + old
					bound[i*c.incy] = float64(xn+2+p.scalars)*p.u*(math.Abs(s[0])*abs+math.Abs(old)) + 1e-300
				}
				A, X, Y := upload(t, b, a), upload(t, b, x), upload(t, b, y)
				name := fmt.Sprintf("gemv %v %dx%d lda %d incx %d incy %d alpha %v beta %v", tA, c.m, c.n, lda, c.incx, c.incy, s[0], s[1])
				must(t, b.Gemv(tA, c.m, c.n, s[0], A, lda, X, c.incx, s[1], Y, c.incy))
				within(t, name, download(t, b, Y), want, bound)
			}
		}
	}
}

func testLevel1(t *testing.T, b engine.Backend) {
	r := rand.New(rand.NewPCG(6, 6))
	p := prec(b)
	for _, c := range []struct{ n, incx, incy int }{{0, 1, 1}, {1, 1, 1}, {10, 1, 1}, {1000, 2, 3}, {100001, 1, 1}} {
		x := randIn(b, r, max(1, engine.VectorSpan(c.n, c.incx)))
		y := randIn(b, r, max(1, engine.VectorSpan(c.n, c.incy)))
		X, Y := upload(t, b, x), upload(t, b, y)
		name := fmt.Sprintf("n %d incx %d incy %d", c.n, c.incx, c.incy)

		// Dot: bound gamma_n sum |x y|.
		want, abs, sq := 0.0, 0.0, 0.0
		for i := 0; i < c.n; i++ {
			p := x[i*c.incx] * y[i*c.incy]
			want += p
			abs += math.Abs(p)
			sq += x[i*c.incx] * x[i*c.incx]
		}
		got, err := b.Dot(c.n, X, c.incx, Y, c.incy)
		must(t, err)
		within(t, "dot "+name, []float64{got}, []float64{want}, []float64{float64(c.n+1)*eps*abs + 1e-300})

		// Nrm2: relative bound (n+2) u.
		nrm, err := b.Nrm2(c.n, X, c.incx)
		must(t, err)
		within(t, "nrm2 "+name, []float64{nrm}, []float64{math.Sqrt(sq)}, []float64{float64(c.n+2)*eps*math.Sqrt(sq) + 1e-300})

		// Axpy: one product and one sum per element: |err| <= 2u(|alpha x| + |y|).
		alpha := -0.37
		wantY := append([]float64(nil), y...)
		bound := make([]float64, len(y))
		for i := 0; i < c.n; i++ {
			wantY[i*c.incy] = y[i*c.incy] + alpha*x[i*c.incx]
			bound[i*c.incy] = 2*eps*(math.Abs(alpha*x[i*c.incx])+math.Abs(y[i*c.incy])) + p.store*math.Abs(wantY[i*c.incy])
		}
		must(t, b.Axpy(c.n, alpha, X, c.incx, Y, c.incy))
		within(t, "axpy "+name, download(t, b, Y), wantY, bound)

		// Scal: one rounding per element, so exact against the reference.
		wantX := append([]float64(nil), x...)
		for i := 0; i < c.n; i++ {
			wantX[i*c.incx] = p.round(1.75 * x[i*c.incx])
		}
		must(t, b.Scal(c.n, 1.75, X, c.incx))
		bitsEqual(t, "scal "+name, download(t, b, X), wantX)
	}
}

// testNrm2Scaling: a norm must not overflow or underflow where the answer is
// representable (BLAS scales; a naive sqrt(sum x^2) gives Inf or 0 here).
func testNrm2Scaling(t *testing.T, b engine.Backend) {
	scales := []float64{1e200, 1e-200}
	if prec(b).dt == engine.Float32 { // the squares overflow and underflow float32
		scales = []float64{1e30, 1e-30}
	}
	for _, v := range scales {
		X := upload(t, b, []float64{3 * v, 4 * v})
		got, err := b.Nrm2(2, X, 1)
		must(t, err)
		if math.Abs(got-5*v) > 4*prec(b).u*5*v {
			t.Errorf("nrm2 of (3, 4) x %v = %v, want %v", v, got, 5*v)
		}
	}
}

// --- random numbers ---------------------------------------------------------

func testFillNormal(t *testing.T, b engine.Backend) {
	for _, c := range []struct {
		seed, stream, start uint64
		n                   int
		std                 float64
	}{
		{1, 0, 0, 1, 1}, {1, 0, 0, 100001, 1}, {42, 7, 12345, 1001, 0.5}, {0xdeadbeef, 3, 1<<40 + 1, 33, 2.5}, {5, 5, 3, 0, 1},
	} {
		x, err := b.Alloc(engine.DTypeOf(b), c.n)
		must(t, err)
		must(t, b.FillNormal(x, c.seed, c.stream, c.start, c.std))
		want := make([]float64, c.n)
		for i := range want {
			want[i] = prec(b).round(c.std * rng.Normal(c.seed, c.stream, c.start+uint64(i)))
		}
		bitsEqual(t, fmt.Sprintf("FillNormal seed %d stream %d start %d n %d std %v", c.seed, c.stream, c.start, c.n, c.std), download(t, b, x), want)
	}
	// A view filled at an offset equals the tail of a whole fill.
	whole, err := b.Alloc(engine.DTypeOf(b), 50)
	must(t, err)
	must(t, b.FillNormal(whole, 9, 1, 0, 1))
	part, err := b.Alloc(engine.DTypeOf(b), 80)
	must(t, err)
	view, err := b.Slice(part, 10, 37)
	must(t, err)
	must(t, b.FillNormal(view, 9, 1, 13, 1))
	bitsEqual(t, "FillNormal into a view from an odd start", download(t, b, part)[10:47], download(t, b, whole)[13:50])
}

// --- elementwise ------------------------------------------------------------

// actTol is the tolerance of the activation ops against the scalar functions
// of package activation: 0 would demand the same libm; a backend's own
// elementary functions (a GPU's) may differ by a few ulps, so allow 8 ulps of
// the larger of |value| and 1e-300, plus 1e-15 absolute for values that
// cancel to near zero (tanh derivatives of large arguments).
func actTol(want float64) float64 {
	return 8*eps*math.Abs(want) + 1e-15
}

// storeTol adds to a bound the final rounding of a float32 result.
func (p precision) storeTol(bound, want float64) float64 {
	return bound + p.store*math.Abs(want)
}

var actSample = []float64{-40, -5, -2.5, -1, -1e-3, 0, 1e-8, 0.3, 1, 1.5, 3, 7, 40}

func testActivations(t *testing.T, b engine.Backend) {
	r := rand.New(rand.NewPCG(7, 7))
	p := prec(b)
	h := append(randVec(r, 40000), actSample...)
	for i := range h[:40000] {
		h[i] *= 3
	}
	p.roundAll(h)
	H := upload(t, b, h)
	out, err := b.Alloc(engine.DTypeOf(b), len(h))
	must(t, err)
	for _, name := range activation.Names() {
		f, err := activation.Lookup(name)
		must(t, err)
		fs := []func(float64) float64{f.Phi, f.D1, f.D2, f.D3}
		for order := 0; order <= 3; order++ {
			must(t, b.ActivateDerivative(f.ID, order, H, out))
			want, bound := make([]float64, len(h)), make([]float64, len(h))
			for i, v := range h {
				want[i] = fs[order](v)
				bound[i] = p.storeTol(actTol(want[i]), want[i])
			}
			within(t, fmt.Sprintf("%s derivative %d", name, order), download(t, b, out), want, bound)
		}
		// Backward: gh = phi'(h) gx, one rounding after phi'.
		gx := randIn(b, r, len(h))
		GX := upload(t, b, gx)
		must(t, b.ActivateBackward(f.ID, H, GX, out))
		want, bound := make([]float64, len(h)), make([]float64, len(h))
		for i, v := range h {
			want[i] = f.D1(v) * gx[i]
			bound[i] = p.storeTol(actTol(want[i])+8*eps*math.Abs(gx[i])*1e-15, want[i])
		}
		within(t, name+" backward", download(t, b, out), want, bound)
		must(t, b.Free(GX))
	}
}

func testActivateJet(t *testing.T, b engine.Backend) {
	r := rand.New(rand.NewPCG(8, 8))
	p := prec(b)
	n := 3*chunkHint + 17
	h, v, a := randIn(b, r, n), randIn(b, r, n), randIn(b, r, n)
	H, V, A := upload(t, b, h), upload(t, b, v), upload(t, b, a)
	X, DX, DDX := upload(t, b, make([]float64, n)), upload(t, b, make([]float64, n)), upload(t, b, make([]float64, n))
	for _, name := range activation.Names() {
		f, err := activation.Lookup(name)
		must(t, err)
		must(t, b.ActivateJet(f.ID, H, V, A, X, DX, DDX))
		wx, wdx, wddx := make([]float64, n), make([]float64, n), make([]float64, n)
		bx, bdx, bddx := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range h {
			d1, d2 := f.D1(h[i]), f.D2(h[i])
			wx[i] = f.Phi(h[i])
			wdx[i] = d1 * v[i]
			wddx[i] = d2*v[i]*v[i] + d1*a[i]
			bx[i] = p.storeTol(actTol(wx[i]), wx[i])
			bdx[i] = p.storeTol(actTol(d1)*math.Abs(v[i]), wdx[i])
			bddx[i] = p.storeTol(actTol(d2)*v[i]*v[i]+actTol(d1)*math.Abs(a[i])+4*eps*(math.Abs(d2*v[i]*v[i])+math.Abs(d1*a[i])), wddx[i])
		}
		within(t, name+" jet x", download(t, b, X), wx, bx)
		within(t, name+" jet dx", download(t, b, DX), wdx, bdx)
		within(t, name+" jet ddx", download(t, b, DDX), wddx, bddx)
	}
}

// chunkHint is a size larger than any backend's inline threshold, so the
// parallel paths run.
const chunkHint = 1 << 15

func testElementwise(t *testing.T, b engine.Backend) {
	r := rand.New(rand.NewPCG(9, 9))
	p := prec(b)
	n := 2*chunkHint + 5
	x, y := randIn(b, r, n), randIn(b, r, n)
	X, Y := upload(t, b, x), upload(t, b, y)
	Z, err := b.Alloc(engine.DTypeOf(b), n)
	must(t, err)
	must(t, b.Hadamard(X, Y, Z))
	want := make([]float64, n)
	for i := range want {
		want[i] = p.round(x[i] * y[i])
	}
	bitsEqual(t, "hadamard", download(t, b, Z), want) // one IEEE product: exact
	must(t, b.Hadamard(X, Y, X))                      // in place
	bitsEqual(t, "hadamard in place", download(t, b, X), want)

	for _, c := range []struct{ m, n, pad int }{{1, 1, 0}, {5, 3, 2}, {1000, 70, 1}, {0, 3, 0}, {4, 0, 0}} {
		ldc := max(1, c.m) + c.pad
		bias := randIn(b, r, max(c.m, 1))
		cc := randIn(b, r, ldc*max(c.n, 1))
		wantC := append([]float64(nil), cc...)
		for j := 0; j < c.n; j++ {
			for i := 0; i < c.m; i++ {
				wantC[i+j*ldc] = p.round(wantC[i+j*ldc] + bias[i])
			}
		}
		B, C := upload(t, b, bias), upload(t, b, cc)
		must(t, b.AddBias(c.m, c.n, B, C, ldc))
		bitsEqual(t, fmt.Sprintf("add bias %dx%d ldc %d", c.m, c.n, ldc), download(t, b, C), wantC)
	}
}

func testColumnDots(t *testing.T, b engine.Backend) {
	r := rand.New(rand.NewPCG(10, 10))
	p := prec(b)
	for _, c := range []struct{ m, n, padA, padB int }{{1, 1, 0, 0}, {7, 3, 0, 0}, {100, 2000, 3, 0}, {30000, 3, 0, 5}, {0, 4, 0, 0}, {5, 0, 0, 0}} {
		lda, ldb := max(1, c.m)+c.padA, max(1, c.m)+c.padB
		a, bb := randIn(b, r, lda*max(c.n, 1)), randIn(b, r, ldb*max(c.n, 1))
		want, bound := make([]float64, max(c.n, 1)), make([]float64, max(c.n, 1))
		for j := 0; j < c.n; j++ {
			abs := 0.0
			for i := 0; i < c.m; i++ {
				p := a[i+j*lda] * bb[i+j*ldb]
				want[j] += p
				abs += math.Abs(p)
			}
			bound[j] = p.storeTol(float64(c.m+1)*eps*abs+1e-300, want[j])
		}
		A, B := upload(t, b, a), upload(t, b, bb)
		out := upload(t, b, make([]float64, max(c.n, 1)))
		must(t, b.ColumnDots(c.m, c.n, A, lda, B, ldb, out))
		within(t, fmt.Sprintf("column dots %dx%d", c.m, c.n), download(t, b, out), want, bound)
	}
}

// --- reproducibility ---------------------------------------------------------

// testRepeatable: the same call twice gives the same bits (threaded BLAS and
// parallel reductions included).
func testRepeatable(t *testing.T, b engine.Backend) {
	r := rand.New(rand.NewPCG(11, 11))
	const m, n, k = 300, 257, 311
	a, bb := randIn(b, r, m*k), randIn(b, r, k*n)
	A, B := upload(t, b, a), upload(t, b, bb)
	run := func() [][]float64 {
		C, err := b.Alloc(engine.DTypeOf(b), m*n)
		must(t, err)
		must(t, b.Gemm(engine.NoTrans, engine.NoTrans, m, n, k, 1, A, m, B, k, 0, C, m))
		out, err := b.Alloc(engine.DTypeOf(b), n)
		must(t, err)
		must(t, b.ColumnDots(m, n, C, m, C, m, out))
		dot, err := b.Dot(m*k, A, 1, A, 1)
		must(t, err)
		nrm, err := b.Nrm2(m*n, C, 1)
		must(t, err)
		y, err := b.Alloc(engine.DTypeOf(b), m)
		must(t, err)
		must(t, b.Gemv(engine.NoTrans, m, k, 1, A, m, B, 1, 0, y, 1))
		g, err := b.Alloc(engine.DTypeOf(b), 3*m*n)
		must(t, err)
		must(t, b.FillNormal(g, 77, 1, 0, 1))
		return [][]float64{download(t, b, C), download(t, b, out), {dot, nrm}, download(t, b, y), download(t, b, g)}
	}
	first, second := run(), run()
	for i := range first {
		bitsEqual(t, fmt.Sprintf("repeat, output %d", i), second[i], first[i])
	}
}

// testConcurrent: a Backend is safe for concurrent use. Goroutines share
// one read-only buffer (as the census's workers share the data) and run
// ops on buffers of their own, allocating and freeing as they go, while
// Close comes in from another goroutine: every goroutine gets the results
// of its own ops until its first error, which must wrap ErrClosed. Under
// the race detector this fails when the backend's bookkeeping is not
// guarded (the closed flag that every op reads and Close writes).
func testConcurrent(t *testing.T, b engine.Backend) {
	const workers, n = 4, 300
	shared := make([]float64, n)
	for i := range shared {
		shared[i] = float64(i%7) - 3
	}
	w := upload(t, b, shared)
	norm2 := 0.0
	for _, v := range shared {
		norm2 += v * v
	}
	started := make(chan struct{}, workers)
	errs := make(chan error, workers)
	for g := range workers {
		go func() {
			errs <- concurrentWorker(b, w, n, float64(g+1), norm2, started)
		}()
	}
	for range workers {
		<-started // every worker has run its ops at least once
	}
	must(t, b.Close())
	for range workers {
		if err := <-errs; !errors.Is(err, engine.ErrClosed) {
			t.Errorf("worker ended with %v; want an error wrapping ErrClosed", err)
		}
	}
}

// concurrentWorker runs ops until the first error and returns it; it
// signals started after its first full round.
func concurrentWorker(b engine.Backend, w engine.Buffer, n int, scale, norm2 float64, started chan<- struct{}) error {
	for round := 0; ; round++ {
		x, err := b.Alloc(engine.DTypeOf(b), n)
		if err != nil {
			return err
		}
		// x = scale w, then <x, w> = scale |w|^2 exactly (small integers).
		if err := b.Copy(x, w); err != nil {
			return err
		}
		if err := b.Scal(n, scale, x, 1); err != nil {
			return err
		}
		v, err := b.Slice(x, 0, n)
		if err != nil {
			return err
		}
		d, err := b.Dot(n, v, 1, w, 1)
		if err != nil {
			return err
		}
		if d != scale*norm2 {
			return fmt.Errorf("round %d: <%v w, w> = %v, want %v", round, scale, d, scale*norm2)
		}
		if err := b.Free(x); err != nil {
			return err
		}
		if round == 0 {
			started <- struct{}{}
		}
	}
}
