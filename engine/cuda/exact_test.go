package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/cpu"
	"github.com/netgeom/netgeom/kernels"
)

// exactOrders lists, per activation, the derivative orders the kernels
// compute from + - * / and Go's exp alone (no erf, erfc, log1p, sin or
// cos), which must therefore equal package activation's to the bit on an
// amd64 host: activation.cu transcribes Go's exp and tanh.
var exactOrders = map[activation.ID][]int{
	activation.Tanh:     {0, 1, 2, 3},
	activation.Sigmoid:  {0, 1, 2, 3},
	activation.Swish:    {0, 1, 2, 3},
	activation.Softplus: {1, 2, 3},
	activation.Erf:      {1, 2, 3},
	activation.GELU:     {2, 3},
	activation.ReLU:     {0, 1, 2, 3},
	activation.Linear:   {0, 1, 2, 3},
	activation.HardTanh: {0, 1, 2, 3},
}

// checkExactActivations compares those orders bit for bit, and the jet and
// backward pass of tanh (whose third derivative the suite's tolerance
// cannot absorb otherwise). On a float32 backend the inputs are float32
// numbers and each expected value is the float64 one rounded once, as the
// CPU backend's float32 computes it.
func checkExactActivations(t *testing.T, b engine.Backend) {
	t.Helper()
	dt := engine.DTypeOf(b)
	round := func(x float64) float64 {
		if dt == engine.Float32 {
			return float64(float32(x))
		}
		return x
	}
	r := rand.New(rand.NewPCG(21, 22))
	h := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 0.625, -0.625, 0.6249999999999999, 44.01, -44.02, 700, -700, 745, -746, 1e6, -1e6}
	for len(h) < 1<<16 {
		h = append(h, r.NormFloat64()*3, r.NormFloat64()*0.3, (r.Float64()-0.5)*100)
	}
	for i := range h {
		h[i] = round(h[i])
	}
	H, err := b.Alloc(dt, len(h))
	if err != nil {
		t.Fatal(err)
	}
	out, err := b.Alloc(dt, len(h))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Upload(H, h); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, len(h))
	bits := func(what string, got []float64, want func(i int) float64) {
		t.Helper()
		for i := range got {
			w := round(want(i))
			if math.Float64bits(got[i]) != math.Float64bits(w) && !(math.IsNaN(got[i]) && math.IsNaN(w)) {
				t.Errorf("%v %s at h = %v: %v (%016x), CPU %v (%016x)", dt, what, h[i], got[i], math.Float64bits(got[i]), w, math.Float64bits(w))
				return
			}
		}
	}
	for id, orders := range exactOrders {
		f, err := activation.ByID(id)
		if err != nil {
			t.Fatal(err)
		}
		fs := []func(float64) float64{f.Phi, f.D1, f.D2, f.D3}
		for _, o := range orders {
			if err := b.ActivateDerivative(id, o, H, out); err != nil {
				t.Fatal(err)
			}
			if err := b.Download(got, out); err != nil {
				t.Fatal(err)
			}
			bits(fmt.Sprintf("%s derivative %d", f.Name, o), got, func(i int) float64 { return fs[o](h[i]) })
		}
	}
	// The tanh jet and backward pass, with v and a from the data.
	f, _ := activation.ByID(activation.Tanh)
	n := len(h)
	v, a := make([]float64, n), make([]float64, n)
	for i := range v {
		v[i], a[i] = round(r.NormFloat64()), round(r.NormFloat64())
	}
	bufs := make([]engine.Buffer, 5)
	for i := range bufs {
		if bufs[i], err = b.Alloc(dt, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Upload(bufs[0], v); err != nil {
		t.Fatal(err)
	}
	if err := b.Upload(bufs[1], a); err != nil {
		t.Fatal(err)
	}
	if err := b.ActivateJet(activation.Tanh, H, bufs[0], bufs[1], bufs[2], bufs[3], bufs[4]); err != nil {
		t.Fatal(err)
	}
	if err := b.Download(got, bufs[2]); err != nil {
		t.Fatal(err)
	}
	bits("tanh jet x", got, func(i int) float64 { return f.Phi(h[i]) })
	if err := b.Download(got, bufs[3]); err != nil {
		t.Fatal(err)
	}
	bits("tanh jet dx", got, func(i int) float64 { return f.D1(h[i]) * v[i] })
	if err := b.Download(got, bufs[4]); err != nil {
		t.Fatal(err)
	}
	bits("tanh jet ddx", got, func(i int) float64 {
		d1, d2 := f.D1(h[i]), f.D2(h[i])
		return float64(float64(d2*v[i])*v[i]) + float64(d1*a[i])
	})
	if err := b.ActivateBackward(activation.Tanh, H, bufs[0], out); err != nil {
		t.Fatal(err)
	}
	if err := b.Download(got, out); err != nil {
		t.Fatal(err)
	}
	bits("tanh backward", got, func(i int) float64 { return f.D1(h[i]) * v[i] })
}

func TestFakeExactActivations(t *testing.T) {
	fakeGPU(t)
	mode, why := hostExpFMA()
	if mode == 1 && why != "Go's amd64 exp, FMA path (as this CPU)" {
		t.Skip("SKIP: this host's math.Exp is not a transcribed path: " + why)
	}
	for _, dt := range dtypes {
		b := openFake(t, Options{BLAS: "kernels", DType: dt})
		checkExactActivations(t, b)
		b.Close()
	}
}

func TestGPUExactActivations(t *testing.T) {
	if _, why := hostExpFMA(); why != "Go's amd64 exp, FMA path (as this CPU)" && why != "Go's amd64 exp, SSE2 path (as this CPU)" {
		t.Skip("SKIP: " + why)
	}
	for _, dt := range dtypes {
		b := openGPU(t, Options{DType: dt})
		checkExactActivations(t, b)
		b.Close()
	}
}

// TestLaunchConstantsMatchKernels: the block sizes the Go side launches
// with are the ones the kernels are written for.
func TestLaunchConstantsMatchKernels(t *testing.T) {
	for _, c := range []struct {
		module, name string
		want         int
	}{{"reduce", "NG_RB", blockSize}, {"gemm", "NG_TS", gemmTile}} {
		m, err := kernels.Lookup(c.module)
		if err != nil {
			t.Fatal(err)
		}
		s := regexp.MustCompile(`(?m)^#define ` + c.name + ` (\d+)$`).FindStringSubmatch(m.Source)
		if s == nil {
			t.Fatalf("%s.cu does not #define %s", c.module, c.name)
		}
		if v, _ := strconv.Atoi(s[1]); v != c.want {
			t.Errorf("%s.cu: %s = %d, the Go side uses %d", c.module, c.name, v, c.want)
		}
	}
	if maxPartials > blockSize*blockSize {
		t.Errorf("maxPartials %d: the final reductions sum at most %d partials well", maxPartials, blockSize*blockSize)
	}
}

// checkSoftmaxMatchesCPU compares Softmax (both modes, in place and not,
// padded leading dimensions) and ScaleColumns with the CPU backend's of the
// same dtype, bit for bit (they share the summation order and, on amd64,
// exp and log, and both round a float32 result once).
func checkSoftmaxMatchesCPU(t *testing.T, b engine.Backend) {
	t.Helper()
	dt := engine.DTypeOf(b)
	c, err := cpu.New(cpu.Options{BLAS: "gonum", Threads: 2, DType: dt})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(31, 32))
	both := func(x []float64) (engine.Buffer, engine.Buffer) {
		g, err := b.Alloc(dt, len(x))
		if err != nil {
			t.Fatal(err)
		}
		h, _ := c.Alloc(dt, len(x))
		if err := b.Upload(g, x); err != nil {
			t.Fatal(err)
		}
		_ = c.Upload(h, x)
		return g, h
	}
	same := func(what string, g, h engine.Buffer) {
		t.Helper()
		gv, hv := make([]float64, g.Len()), make([]float64, h.Len())
		if err := b.Download(gv, g); err != nil {
			t.Fatal(err)
		}
		_ = c.Download(hv, h)
		for i := range hv {
			if math.Float64bits(gv[i]) != math.Float64bits(hv[i]) && !(math.IsNaN(gv[i]) && math.IsNaN(hv[i])) {
				t.Fatalf("%v %s: element %d = %v, CPU %v", dt, what, i, gv[i], hv[i])
			}
		}
	}
	for _, sh := range []struct{ m, n, pad int }{{1, 1, 0}, {3, 7, 2}, {10, 300, 0}, {1000, 5, 3}, {0, 4, 0}, {4, 0, 0}} {
		ld := max(1, sh.m) + sh.pad
		x := make([]float64, ld*max(1, sh.n))
		for i := range x {
			x[i] = r.NormFloat64() * 20
			if i%17 == 0 {
				x[i] = 700 * math.Copysign(1, x[i]) // would overflow exp without the max
			}
		}
		for _, log := range []bool{false, true} {
			what := fmt.Sprintf("softmax %dx%d ld %d log %v", sh.m, sh.n, ld, log)
			gx, hx := both(x)
			go_, ho := both(make([]float64, len(x)))
			if err := b.Softmax(sh.m, sh.n, gx, ld, go_, ld, log); err != nil {
				t.Fatal(err)
			}
			if err := c.Softmax(sh.m, sh.n, hx, ld, ho, ld, log); err != nil {
				t.Fatal(err)
			}
			same(what, go_, ho)
			// In place.
			if err := b.Softmax(sh.m, sh.n, gx, ld, gx, ld, log); err != nil {
				t.Fatal(err)
			}
			_ = c.Softmax(sh.m, sh.n, hx, ld, hx, ld, log)
			same(what+" in place", gx, hx)
		}
		s := make([]float64, max(1, sh.n))
		for i := range s {
			s[i] = r.NormFloat64()
		}
		gx, hx := both(x)
		gs, hs := both(s)
		if err := b.ScaleColumns(sh.m, sh.n, gs, gx, ld); err != nil {
			t.Fatal(err)
		}
		_ = c.ScaleColumns(sh.m, sh.n, hs, hx, ld)
		same(fmt.Sprintf("scale columns %dx%d ld %d", sh.m, sh.n, ld), gx, hx)
	}
	// The same bad calls get the same errors.
	x3, _ := b.Alloc(dt, 3)
	h3, _ := c.Alloc(dt, 3)
	for _, f := range []func(be engine.Backend, x engine.Buffer) error{
		func(be engine.Backend, x engine.Buffer) error { return be.Softmax(2, 2, x, 2, x, 2, false) },
		func(be engine.Backend, x engine.Buffer) error { return be.Softmax(2, 1, x, 1, x, 2, true) },
		func(be engine.Backend, x engine.Buffer) error { return be.ScaleColumns(1, 4, x, x, 1) },
	} {
		ge, he := f(b, x3), f(c, h3)
		if ge == nil || he == nil || ge.Error() != he.Error() {
			t.Errorf("bad call: CUDA %v, CPU %v", ge, he)
		}
	}
}

func TestFakeSoftmaxMatchesCPU(t *testing.T) {
	fakeGPU(t)
	if _, why := hostExpFMA(); why != "Go's amd64 exp, FMA path (as this CPU)" && why != "Go's amd64 exp, SSE2 path (as this CPU)" {
		t.Skip("SKIP: " + why)
	}
	for _, dt := range dtypes {
		b := openFake(t, Options{BLAS: "kernels", DType: dt})
		checkSoftmaxMatchesCPU(t, b)
		b.Close()
	}
}

func TestGPUSoftmaxMatchesCPU(t *testing.T) {
	if _, why := hostExpFMA(); why != "Go's amd64 exp, FMA path (as this CPU)" && why != "Go's amd64 exp, SSE2 path (as this CPU)" {
		t.Skip("SKIP: " + why)
	}
	for _, dt := range dtypes {
		b := openGPU(t, Options{DType: dt})
		checkSoftmaxMatchesCPU(t, b)
		b.Close()
	}
}
