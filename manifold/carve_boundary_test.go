package manifold

import (
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/models"
)

// TestProductReadoutHessianMatchesJets: with product layers, the backward
// recursion's gradient and Hessian of F_l (what BoundaryCurvature uses, with
// the product layer's J = diag(r) W + diag(p) V and second-order term
// W^T diag(g) V + V^T diag(g) W) equal the independent jet-polarisation
// oracle readoutHessian (whose product-layer jets are checked against finite
// differences in package models) to 1e-10 relative, at every layer, for
// both input conventions.
func TestProductReadoutHessianMatchesJets(t *testing.T) {
	b := enginetest.Open(t)
	const N = 6
	for _, actIn := range []bool{true, false} {
		net, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(N, 4), Act: mustAct(t, "tanh"), SigmaW: 1.3, SigmaB: 0.3, Seed: 4,
			ActivateInput: actIn, Kinds: []layerkind.Kind{layerkind.Product, layerkind.Dense, layerkind.Product, layerkind.Product}})
		if err != nil {
			t.Fatal(err)
		}
		ro := NewReadout(N, 4)
		beta, _ := b.Alloc(engine.Float64, N)
		b.Upload(beta, ro.Beta)
		h0 := []float64{0.5, -1.2, 0.3, 0.9, -0.4, 1.5}
		images := make([][]float64, net.Depth()+1)
		in0, _ := engine.FromHost(b, h0)
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
		for l := 0; l <= net.Depth(); l++ {
			if l == 0 && !actIn {
				continue // the oracle's jets start at h^l as a pre-activation; the raw input is checked below
			}
			grad, hess, err := readoutHessian(b, net, beta, l, images[l], 7)
			if err != nil {
				t.Fatal(err)
			}
			scale := 0.0
			for _, v := range hess {
				scale = math.Max(scale, math.Abs(v))
			}
			for i := range hess {
				if !(math.Abs(rh[l][i]-hess[i]) <= 1e-10*(1+scale)) {
					t.Errorf("activate-input %v layer %d: recursion H[%d] = %v, jets %v", actIn, l, i, rh[l][i], hess[i])
				}
			}
			for i := range grad {
				if !(math.Abs(rg[l][i]-grad[i]) <= 1e-10*(1+math.Abs(grad[i]))) {
					t.Errorf("activate-input %v layer %d: recursion gradient[%d] = %v, jets %v", actIn, l, i, rg[l][i], grad[i])
				}
			}
		}
		if !actIn {
			// Raw input: JacobianMatrix (jets from the raw input) gives the
			// gradient oracle G = Beta . phi(h^L(x)): grad = J^T (phi'(h^L) Beta).
			J, err := net.JacobianMatrix(b, h0)
			if err != nil {
				t.Fatal(err)
			}
			for j := 0; j < N; j++ {
				want := 0.0
				for i := 0; i < N; i++ {
					want += J[j*N+i] * rg[net.Depth()][i]
				}
				if !(math.Abs(rg[0][j]-want) <= 1e-10*(1+math.Abs(want))) {
					t.Errorf("raw input: gradient[%d] = %v, J^T g_L = %v", j, rg[0][j], want)
				}
			}
		}
	}
}

// TestProductQuadricBoundary: one product layer with linear activation and
// the readout G = Beta . ((W x + b) * (V x + c)) - Beta0 is a quadric:
// its Hessian is the constant W^T diag(Beta) V + V^T diag(Beta) W, and its
// gradient J^T Beta with J = diag(V x + c) W + diag(W x + b) V (closed
// forms from the host weights; rounding only, 1e-12). BoundaryCurvature
// reports the curvatures of that quadric at the boundary points, which are
// not all 0 (a dense linear network's are, see
// TestBoundaryPointsAndLinearNetwork).
func TestProductQuadricBoundary(t *testing.T) {
	b := enginetest.Open(t)
	const N = 8
	net, _ := models.NewRandomNetwork(models.RandomSpec{Widths: []int{N, N}, Act: mustAct(t, "linear"), SigmaW: 1, SigmaB: 0.5, Seed: 3, ActivateInput: true, Kinds: []layerkind.Kind{layerkind.Product}})
	opt := BoundaryOptions{Points: 3, Q: 1, Seed: 3}
	ro, pts, err := BoundaryPoints(b, net, opt)
	if err != nil {
		t.Fatal(err)
	}
	par, err := net.HostParams(1)
	if err != nil {
		t.Fatal(err)
	}
	W, bw, V, cv := par[0], par[1], par[2], par[3]
	for p := 0; p < 3; p++ {
		x := pts[p*N : (p+1)*N]
		in, _ := engine.FromHost(b, x)
		images := make([][]float64, 2)
		out, err := net.Run(b, in, 1, models.RunOptions{}, func(l int, h engine.Buffer, _, _ int) error {
			images[l] = make([]float64, N)
			return b.Download(images[l], h)
		})
		if err != nil {
			t.Fatal(err)
		}
		b.Free(out)
		b.Free(in)
		rg, rh, err := readoutHessians(b, net, ro, images)
		if err != nil {
			t.Fatal(err)
		}
		pw, rv := append([]float64(nil), bw...), append([]float64(nil), cv...)
		for j := 0; j < N; j++ {
			for i := 0; i < N; i++ {
				pw[i] += W[i+j*N] * x[j]
				rv[i] += V[i+j*N] * x[j]
			}
		}
		for i := 0; i < N; i++ {
			gi := 0.0
			for k := 0; k < N; k++ {
				gi += ro.Beta[k] * (rv[k]*W[k+i*N] + pw[k]*V[k+i*N])
			}
			if !(math.Abs(rg[0][i]-gi) <= 1e-12*(1+math.Abs(gi))) {
				t.Errorf("point %d: gradient[%d] = %v, closed form %v", p, i, rg[0][i], gi)
			}
			for j := 0; j < N; j++ {
				hij := 0.0
				for k := 0; k < N; k++ {
					hij += ro.Beta[k] * (W[k+i*N]*V[k+j*N] + V[k+i*N]*W[k+j*N])
				}
				if !(math.Abs(rh[0][i*N+j]-hij) <= 1e-12*(1+math.Abs(hij))) {
					t.Errorf("point %d: H[%d,%d] = %v, closed form %v", p, i, j, rh[0][i*N+j], hij)
				}
			}
		}
	}
	res, err := BoundaryCurvature(b, net, ro, pts, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !(res[0].MaxMean-res[0].MinMean > 1e-3) {
		t.Errorf("quadric boundary: curvatures span [%v, %v]; expected a curved boundary", res[0].MinMean, res[0].MaxMean)
	}
}
