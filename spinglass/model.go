package spinglass

import (
	"fmt"

	"github.com/netgeom/netgeom/engine"
)

// Philox streams under a model's seed.
const (
	// CouplingStream holds the couplings: J element i (column-major, first
	// index fastest) is normal i of this stream.
	CouplingStream uint64 = 0x53504e47 // "SPNG"
	// StartStream holds the random starts of a census: start k uses the
	// normals k*(d+1) .. k*(d+1)+d of this stream (d coordinates, then one
	// for its target energy).
	StartStream uint64 = CouplingStream + 1
)

// MaxTensorElements bounds the number of couplings (N^p for the p-spin,
// prod n_l for the layered model): 2^25 float64s, 256 MiB, on the host and on
// the backend. It caps N at 322 for p = 3 and 76 for p = 4.
const MaxTensorElements = 1 << 25

// workBudget bounds the bytes of per-batch work buffers; it sets how many
// points one eval call takes.
const workBudget = 128 << 20

// model is what the census needs from a landscape on a product of spheres.
type model interface {
	geom() spheres
	// eval computes, for the m points in the columns of x (d x m), the
	// energies e (m), Euclidean gradients eg (d x m) and Euclidean Hessians
	// eh (d*d x m; each d x d, symmetric).
	eval(x []float64, m int, e, eg, eh []float64) error
	// maxBatch is the largest m eval takes.
	maxBatch() int
	// flips reports whether negating the last block negates the energy (a
	// symmetry that maps index k to d - L - k).
	flips() bool
}

// Local is the geometry of a landscape at one point of its product of
// spheres. Matrices are d x d, row-major (they are symmetric).
type Local struct {
	// Energy is E (H for the p-spin), not divided by the dimension.
	Energy float64 `json:"energy"`
	// Gradient and Hessian are the Euclidean derivatives of E in R^d.
	Gradient []float64 `json:"gradient"`
	Hessian  []float64 `json:"hessian"`
	// RiemannianGradient is P grad E (P the blockwise tangent projector).
	RiemannianGradient []float64 `json:"riemannian_gradient"`
	// RiemannianHessian is P (Hess E) P - diag(lambda_l P_l), lambda_l =
	// w_l . grad_l E / n_l: its quadratic form on a tangent vector is the
	// second derivative of E along the geodesic with that velocity.
	RiemannianHessian []float64 `json:"riemannian_hessian"`
	// Eigenvalues are those of the Riemannian Hessian on the tangent space
	// (d - L of them), ascending; Index counts the negative ones.
	Eigenvalues []float64 `json:"eigenvalues"`
	Index       int       `json:"index"`
}

// at evaluates a model at one point.
func at(m model, x []float64) (Local, error) {
	g := m.geom()
	if err := g.check(x); err != nil {
		return Local{}, err
	}
	e := make([]float64, 1)
	eg := make([]float64, g.d)
	eh := make([]float64, g.d*g.d)
	if err := m.eval(x, 1, e, eg, eh); err != nil {
		return Local{}, err
	}
	loc := g.riem(x, e[0], eg)
	if err := g.eigen(loc, eh); err != nil {
		return Local{}, err
	}
	k, _ := index(loc.eig)
	return Local{Energy: e[0], Gradient: eg, Hessian: eh, RiemannianGradient: g.riemGradient(x, eg),
		RiemannianHessian: g.riemHessian(x, eg, eh), Eigenvalues: loc.eig, Index: k}, nil
}

// couplings fills a new backend buffer with n Philox normals of
// CouplingStream under seed.
func couplings(b engine.Backend, n int, seed uint64) (engine.Buffer, error) {
	if b == nil {
		return nil, fmt.Errorf("spinglass: nil backend")
	}
	j, err := b.Alloc(engine.DTypeOf(b), n)
	if err != nil {
		return nil, fmt.Errorf("spinglass: couplings: %w", err)
	}
	if err := b.FillNormal(j, seed, CouplingStream, 0, 1); err != nil {
		_ = b.Free(j)
		return nil, fmt.Errorf("spinglass: couplings: %w", err)
	}
	return j, nil
}
