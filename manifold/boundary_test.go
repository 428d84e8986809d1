package manifold

import (
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
)

// TestReadoutHessianMatchesFiniteDifferences: the backward-recursion
// Hessian and gradient of F_l (what BoundaryCurvature uses) equal, to 1e-10
// relative, the independent Hessian from jets and polarisation
// (readoutHessian, below), and both equal central finite differences of F
// (step 1e-3, error O(step^2) of the fourth derivative, ~1e-6 relative).
func TestReadoutHessianMatchesFiniteDifferences(t *testing.T) {
	b := enginetest.Open(t)
	const N = 6
	net, _ := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(N, 3), Act: mustAct(t, "tanh"), SigmaW: 2, SigmaB: 0.3, Seed: 4, ActivateInput: true})
	ro := NewReadout(N, 4)
	beta, _ := b.Alloc(engine.Float64, N)
	b.Upload(beta, ro.Beta)
	h0 := []float64{0.5, -1.2, 0.3, 0.9, -0.4, 1.5}
	// Images of h0 at every layer, for the recursion.
	images := make([][]float64, net.Depth()+1)
	in0, _ := b.Alloc(engine.Float64, N)
	b.Upload(in0, h0)
	o, err := net.Run(b, in0, 1, models.RunOptions{}, func(l int, x engine.Buffer, _, _ int) error {
		images[l] = make([]float64, N)
		return b.Download(images[l], x)
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Free(o)
	rg, rh, err := readoutHessians(b, net, ro, images)
	if err != nil {
		t.Fatal(err)
	}
	F := func(x []float64, from int) float64 {
		in, _ := b.Alloc(engine.Float64, N)
		b.Upload(in, x)
		out, err := net.Run(b, in, 1, models.RunOptions{From: from}, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, err := readoutValues(b, net, beta, out, N, 1)
		if err != nil {
			t.Fatal(err)
		}
		return v[0]
	}
	for _, l := range []int{0, 2, 3} {
		h := images[l]
		grad, hess, err := readoutHessian(b, net, beta, l, h, 7) // chunk 7 < 21 directions: chunking exercised
		if err != nil {
			t.Fatal(err)
		}
		for i := range hess {
			if !(math.Abs(rh[l][i]-hess[i]) <= 1e-10*(1+math.Abs(hess[i]))) {
				t.Errorf("layer %d: recursion H[%d] = %v, jets %v", l, i, rh[l][i], hess[i])
			}
		}
		for i := range grad {
			if !(math.Abs(rg[l][i]-grad[i]) <= 1e-10*(1+math.Abs(grad[i]))) {
				t.Errorf("layer %d: recursion gradient[%d] = %v, jets %v", l, i, rg[l][i], grad[i])
			}
		}
		const s = 1e-3
		shift := func(i, j int, si, sj float64) float64 {
			x := append([]float64(nil), h...)
			x[i] += si
			x[j] += sj
			return F(x, l)
		}
		scale := 0.0
		for _, v := range hess {
			scale = math.Max(scale, math.Abs(v))
		}
		for i := 0; i < N; i++ {
			gi := (shift(i, i, s/2, s/2) - shift(i, i, -s/2, -s/2)) / (2 * s)
			if !(math.Abs(grad[i]-gi) <= 1e-6*(1+math.Abs(gi))) {
				t.Errorf("layer %d: gradient[%d] = %v, finite difference %v", l, i, grad[i], gi)
			}
			for j := 0; j < N; j++ {
				var fd float64
				if i == j {
					fd = (shift(i, i, s/2, s/2) - 2*F(h, l) + shift(i, i, -s/2, -s/2)) / (s * s)
				} else {
					fd = (shift(i, j, s, s) - shift(i, j, s, -s) - shift(i, j, -s, s) + shift(i, j, -s, -s)) / (4 * s * s)
				}
				if !(math.Abs(hess[i*N+j]-fd) <= 1e-5*(1+scale)) {
					t.Errorf("layer %d: H[%d,%d] = %v, finite difference %v", l, i, j, hess[i*N+j], fd)
				}
			}
		}
	}
}

// TestPrincipalCurvaturesOfSphere: the level set |x|^2/2 = R^2/2 is a sphere
// of radius R: gradient x (|x| = R), Hessian I, principal curvatures 1/R.
func TestPrincipalCurvaturesOfSphere(t *testing.T) {
	const N, R = 5, 2.5
	x := []float64{1, -1, 0.5, 1.5, 0}
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	for i := range x {
		x[i] *= R / math.Sqrt(s)
	}
	hess := make([]float64, N*N)
	for i := 0; i < N; i++ {
		hess[i*N+i] = 1
	}
	k, err := principalCurvatures(x, hess, N)
	if err != nil {
		t.Fatal(err)
	}
	if len(k) != N-1 {
		t.Fatalf("%d curvatures, want %d", len(k), N-1)
	}
	for _, v := range k {
		if !(math.Abs(v-1/R) <= 1e-14) {
			t.Errorf("principal curvature %v, want 1/R = %v", v, 1/R)
		}
	}
}

// TestBoundaryPointsAndLinearNetwork: the points found lie on G = 0 (to the
// bisection's resolution), and a linear network has a flat boundary: all
// principal curvatures 0 (the jets' second derivatives vanish exactly up
// to rounding; 1e-12 of the curvature scale 1/sqrt(N q)).
func TestBoundaryPointsAndLinearNetwork(t *testing.T) {
	b := enginetest.Open(t)
	const N = 12
	for _, name := range []string{"linear", "tanh"} {
		net, _ := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(N, 4), Act: mustAct(t, name), SigmaW: 1.5, SigmaB: 0.3, Seed: 6, ActivateInput: true})
		opt := BoundaryOptions{Points: 3, Q: 1, Seed: 6}
		ro, pts, err := BoundaryPoints(b, net, opt)
		if err != nil {
			t.Fatal(err)
		}
		beta, _ := b.Alloc(engine.Float64, N)
		b.Upload(beta, ro.Beta)
		in, _ := b.Alloc(engine.Float64, len(pts))
		b.Upload(in, pts)
		out, _ := net.Run(b, in, 3, models.RunOptions{}, nil)
		g, _ := readoutValues(b, net, beta, out, N, 3)
		for p, v := range g {
			if !(math.Abs(v-ro.Beta0) <= 1e-9*(1+math.Abs(ro.Beta0))) {
				t.Errorf("%s: point %d has G = %v, not on the boundary", name, p, v-ro.Beta0)
			}
		}
		res, err := BoundaryCurvature(b, net, ro, pts, opt)
		if err != nil {
			t.Fatal(err)
		}
		maxAbs := 0.0
		for _, layer := range res {
			for _, k := range layer.Curvatures {
				for _, v := range k {
					maxAbs = math.Max(maxAbs, math.Abs(v))
				}
			}
		}
		if name == "linear" && maxAbs > 1e-12 {
			t.Errorf("linear network: largest |principal curvature| %v, want 0", maxAbs)
		}
		if name == "tanh" && maxAbs < 1e-3 {
			t.Errorf("tanh network: largest |principal curvature| %v; a curved boundary was expected", maxAbs)
		}
	}
}

// readoutHessian, the tests' oracle, returns the gradient and the (row-major N x N) Hessian of
// F_l at h (width N) by jets along e_i and e_i + e_j.
func readoutHessian(b engine.Backend, net *models.RandomNetwork, beta engine.Buffer, l int, h []float64, chunk int) ([]float64, []float64, error) {
	N := len(h)
	type dir struct{ i, j int } // e_i (j < 0) or e_i + e_j
	dirs := make([]dir, 0, N*(N+1)/2)
	for i := 0; i < N; i++ {
		dirs = append(dirs, dir{i, -1})
	}
	for i := 0; i < N; i++ {
		for j := i + 1; j < N; j++ {
			dirs = append(dirs, dir{i, j})
		}
	}
	first := make([]float64, len(dirs))  // directional first derivative
	second := make([]float64, len(dirs)) // directional second derivative
	for off := 0; off < len(dirs); off += chunk {
		C := min(chunk, len(dirs)-off)
		jet := make([]float64, 3*N*C)
		for c := 0; c < C; c++ {
			copy(jet[c*N:(c+1)*N], h)
			d := dirs[off+c]
			jet[N*C+c*N+d.i] = 1
			if d.j >= 0 {
				jet[N*C+c*N+d.j] = 1
			}
		}
		in, err := b.Alloc(engine.Float64, len(jet))
		if err != nil {
			return nil, nil, err
		}
		if err := b.Upload(in, jet); err != nil {
			b.Free(in)
			return nil, nil, err
		}
		hva, err := net.Run(b, in, C, models.RunOptions{From: l, Jet: true}, nil)
		b.Free(in)
		if err != nil {
			return nil, nil, err
		}
		// The readout's jet: phi on the last layer, then Beta^T.
		x, err := b.Alloc(engine.Float64, 3*N*C)
		if err != nil {
			b.Free(hva)
			return nil, nil, err
		}
		part := func(buf engine.Buffer, k int) engine.Buffer {
			v, _ := b.Slice(buf, k*N*C, N*C)
			return v
		}
		err = b.ActivateJet(net.Spec().Act.ID, part(hva, 0), part(hva, 1), part(hva, 2), part(x, 0), part(x, 1), part(x, 2))
		b.Free(hva)
		if err != nil {
			b.Free(x)
			return nil, nil, err
		}
		g, err := b.Alloc(engine.Float64, 3*C)
		if err != nil {
			b.Free(x)
			return nil, nil, err
		}
		err = b.Gemv(engine.Trans, N, 3*C, 1, x, N, beta, 1, 0, g, 1)
		b.Free(x)
		host := make([]float64, 3*C)
		if err == nil {
			err = b.Download(host, g)
		}
		b.Free(g)
		if err != nil {
			return nil, nil, err
		}
		copy(first[off:off+C], host[C:2*C])
		copy(second[off:off+C], host[2*C:3*C])
	}
	grad := first[:N]
	hess := make([]float64, N*N)
	for i := 0; i < N; i++ {
		hess[i*N+i] = second[i]
	}
	for k := N; k < len(dirs); k++ {
		d := dirs[k]
		v := (second[k] - second[d.i] - second[d.j]) / 2
		hess[d.i*N+d.j], hess[d.j*N+d.i] = v, v
	}
	return append([]float64(nil), grad...), hess, nil
}
