package manifold

import (
	"fmt"
	"math"
	"sort"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/cpu"
	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
)

// Readout is a linear decision function on a network's last layer:
// G = Beta . phi(h^L) - Beta0. Its decision boundary is G = 0.
type Readout struct {
	Beta  []float64
	Beta0 float64
}

// BoundaryOptions control a decision-boundary curvature measurement.
type BoundaryOptions struct {
	Points int     // boundary points to measure
	Q      float64 // squared length per coordinate of the random inputs
	Seed   uint64
	// Progress, when set, is called after each point.
	Progress options.Progress
}

// BoundaryLayer holds the principal curvatures of the decision boundary as
// seen from the input of one layer: F_l(h^l) = G(the network from layer l
// on), at the images of the boundary points.
type BoundaryLayer struct {
	Layer int
	// Curvatures[p] are the N-1 principal curvatures at point p, ascending.
	Curvatures [][]float64
	// Mean over points of the largest and smallest principal curvature, and
	// of the mean absolute principal curvature.
	MaxMean, MinMean, AbsMean float64
}

// BoundaryStream is the Philox stream of the readout and the random inputs.
const BoundaryStream = uint64(1)<<62 + 2

// NewReadout draws Beta ~ N(0, 1/N) from Philox and returns the readout
// with Beta0 unset.
func NewReadout(width int, seed uint64) Readout {
	beta := make([]float64, width)
	rng.FillNormal(beta, seed, BoundaryStream, 0)
	for i := range beta {
		beta[i] /= math.Sqrt(float64(width))
	}
	return Readout{Beta: beta}
}

// readoutValues returns G + Beta0 = Beta . phi(h) for every column of the
// N x cols matrix h (the caller subtracts Beta0).
func readoutValues(b engine.Backend, net *models.RandomNetwork, beta engine.Buffer, h engine.Buffer, N, cols int) ([]float64, error) {
	x, err := b.Alloc(engine.DTypeOf(b), N*cols)
	if err != nil {
		return nil, err
	}
	defer b.Free(x)
	if err := b.ActivateDerivative(net.Spec().Act.ID, 0, h, x); err != nil {
		return nil, err
	}
	out, err := b.Alloc(engine.DTypeOf(b), cols)
	if err != nil {
		return nil, err
	}
	defer b.Free(out)
	if err := b.Gemv(engine.Trans, N, cols, 1, x, N, beta, 1, 0, out, 1); err != nil {
		return nil, err
	}
	host := make([]float64, cols)
	return host, b.Download(host, out)
}

// BoundaryPoints finds opt.Points inputs on the decision boundary of net
// with a random readout: random inputs of squared length N q are drawn,
// Beta0 is set to the median of Beta . phi(h^L) over them (so the boundary
// splits them in half), and each boundary point is found by bisection on
// the chord between an input with G < 0 and one with G > 0, to relative
// position 2^-50. It returns the readout and the points (N x Points).
func BoundaryPoints(b engine.Backend, net *models.RandomNetwork, opt BoundaryOptions) (Readout, []float64, error) {
	N, L := net.Width(0), net.Depth()
	if N != net.Width(L) {
		return Readout{}, nil, fmt.Errorf("boundary: input width %d and output width %d differ; widths must be equal", N, net.Width(L))
	}
	if opt.Points < 1 || !(opt.Q > 0) {
		return Readout{}, nil, fmt.Errorf("boundary: %d points at q = %v; want at least 1 point and q > 0", opt.Points, opt.Q)
	}
	ro := NewReadout(net.Width(L), opt.Seed)
	beta, err := b.Alloc(engine.DTypeOf(b), N)
	if err != nil {
		return ro, nil, err
	}
	defer b.Free(beta)
	if err := b.Upload(beta, ro.Beta); err != nil {
		return ro, nil, err
	}
	values := func(x []float64, cols int) ([]float64, error) {
		in, err := engine.FromHost(b, x)
		if err != nil {
			return nil, err
		}
		defer b.Free(in)
		h, err := net.Run(b, in, cols, models.RunOptions{}, nil)
		if err != nil {
			return nil, err
		}
		defer b.Free(h)
		return readoutValues(b, net, beta, h, N, cols)
	}
	// Random inputs on the sphere of radius sqrt(N q).
	M := 2 * opt.Points
	x := make([]float64, N*M)
	rng.FillNormal(x, opt.Seed, BoundaryStream, uint64(N))
	for j := 0; j < M; j++ {
		col := x[j*N : (j+1)*N]
		s := 0.0
		for _, v := range col {
			s += v * v
		}
		f := math.Sqrt(float64(N) * opt.Q / s)
		for i := range col {
			col[i] *= f
		}
	}
	g, err := values(x, M)
	if err != nil {
		return ro, nil, err
	}
	sorted := append([]float64(nil), g...)
	sort.Float64s(sorted)
	ro.Beta0 = (sorted[M/2-1] + sorted[M/2]) / 2
	var neg, pos []int
	for j, v := range g {
		if v < ro.Beta0 {
			neg = append(neg, j)
		} else if v > ro.Beta0 {
			pos = append(pos, j)
		}
	}
	P := min(len(neg), len(pos), opt.Points)
	if P < opt.Points {
		return ro, nil, fmt.Errorf("boundary: only %d inputs fall on each side of the boundary; the readout is degenerate (constant network output?)", P)
	}
	// Bisection on t in [0, 1] along x_neg + t (x_pos - x_neg), all chords
	// in one batch per step.
	lo, hi := make([]float64, P), make([]float64, P)
	for p := range hi {
		hi[p] = 1
	}
	point := func(p int, t float64, dst []float64) {
		a, c := x[neg[p]*N:(neg[p]+1)*N], x[pos[p]*N:(pos[p]+1)*N]
		for i := range dst {
			dst[i] = a[i] + t*(c[i]-a[i])
		}
	}
	mid := make([]float64, N*P)
	for it := 0; it < 50; it++ {
		for p := 0; p < P; p++ {
			point(p, (lo[p]+hi[p])/2, mid[p*N:(p+1)*N])
		}
		gm, err := values(mid, P)
		if err != nil {
			return ro, nil, err
		}
		for p := 0; p < P; p++ {
			if gm[p] < ro.Beta0 {
				lo[p] = (lo[p] + hi[p]) / 2
			} else {
				hi[p] = (lo[p] + hi[p]) / 2
			}
		}
	}
	for p := 0; p < P; p++ {
		point(p, (lo[p]+hi[p])/2, mid[p*N:(p+1)*N])
	}
	return ro, mid, nil
}

// BoundaryCurvature measures the principal curvatures of the decision
// boundary of net's readout at the given boundary points (N x P, inputs),
// with respect to the input of every layer l = 0..L. The gradient and
// Hessian of F_l(h^l) = Beta . phi(network_{l..L}(h^l)) come exactly (no
// finite differences) from one backward sweep of the chain rule per point
// (readoutHessians, for dense and product layers); the tests check them
// against the independent
// jet-polarisation Hessian (readoutHessian). The principal curvatures are the
// eigenvalues of P H P / |grad F| on the tangent space P = I - n n^T,
// n = grad F / |grad F|.
func BoundaryCurvature(b engine.Backend, net *models.RandomNetwork, ro Readout, points []float64, opt BoundaryOptions) ([]BoundaryLayer, error) {
	N, L := net.Width(0), net.Depth()
	if len(points)%N != 0 || len(points) == 0 {
		return nil, fmt.Errorf("boundary: %d numbers of points; want a multiple of the width %d", len(points), N)
	}
	for l := 0; l <= L; l++ {
		if net.Width(l) != N {
			return nil, fmt.Errorf("boundary: layer %d has width %d; the curvature measurement needs constant width %d", l, net.Width(l), N)
		}
	}
	P := len(points) / N
	// Images of the points at every layer.
	images := make([][]float64, L+1)
	in, err := engine.FromHost(b, points)
	if err != nil {
		return nil, err
	}
	defer b.Free(in)
	out, err := net.Run(b, in, P, models.RunOptions{}, func(l int, h engine.Buffer, _, _ int) error {
		images[l] = make([]float64, N*P)
		return b.Download(images[l], h)
	})
	if err != nil {
		return nil, err
	}
	b.Free(out)
	res := make([]BoundaryLayer, L+1)
	for l := range res {
		res[l].Layer = l
	}
	done, total := 0, P
	for p := 0; p < P; p++ {
		at := make([][]float64, L+1)
		for l := range at {
			at[l] = images[l][p*N : (p+1)*N]
		}
		grads, hessians, err := readoutHessians(b, net, ro, at)
		if err != nil {
			return nil, fmt.Errorf("point %d: %w", p, err)
		}
		for l := 0; l <= L; l++ {
			k, err := principalCurvatures(grads[l], hessians[l], N)
			if err != nil {
				return nil, fmt.Errorf("layer %d point %d: %w", l, p, err)
			}
			res[l].Curvatures = append(res[l].Curvatures, k)
			res[l].MinMean += k[0] / float64(P)
			res[l].MaxMean += k[len(k)-1] / float64(P)
			abs := 0.0
			for _, v := range k {
				abs += math.Abs(v)
			}
			res[l].AbsMean += abs / float64(len(k)) / float64(P)
		}
		done++
		if opt.Progress != nil {
			opt.Progress(done, total)
		}
	}
	return res, nil
}

// readoutHessians returns the gradient and Hessian (row-major N x N) of
// F_l at h[l] for every layer l = 0..L, by the exact backward recursion
//
//	F_L(h) = Beta . phi(h) - Beta0:  g_L = phi'(h) * Beta,  H_L = diag(phi''(h) * Beta)
//	F_l(h) = F_{l+1}(y(phi(h))):     u = J^T g_{l+1},  g_l = phi'(h) * u,
//	                                 H_l = D (J^T H_{l+1} J + S) D + diag(phi''(h) * u),  D = diag(phi'(h))
//
// with y the affine or product map of layer l+1 and J its Jacobian at
// x = phi(h): J = W and S = 0 for a dense layer; for a product layer
// y = (W x + b) * (V x + c) with factors p = W x + b, r = V x + c,
// J = diag(r) W + diag(p) V and the second-order term
// S = sum_i g_i d^2 y_i/dx^2 = W^T diag(g) V + V^T diag(g) W. At l = 0
// without ActivateInput the first layer sees h itself: phi is the
// identity there (D = I, no second-derivative term). The products with H_{l+1} (and
// S) run on the backend; the diagonal scalings on the host.
func readoutHessians(b engine.Backend, net *models.RandomNetwork, ro Readout, h [][]float64) ([][]float64, [][]float64, error) {
	L, N := net.Depth(), net.Width(0)
	spec := net.Spec()
	act := spec.Act
	grads, hess := make([][]float64, L+1), make([][]float64, L+1)
	grads[L], hess[L] = make([]float64, N), make([]float64, N*N)
	for i, x := range h[L] {
		grads[L][i] = act.D1(x) * ro.Beta[i]
		hess[L][i*N+i] = act.D2(x) * ro.Beta[i]
	}
	bufs := make([]engine.Buffer, 3)
	for i := range bufs {
		x, err := b.Alloc(engine.DTypeOf(b), N*N)
		if err != nil {
			return nil, nil, err
		}
		defer b.Free(x)
		bufs[i] = x
	}
	W, H, M := bufs[0], bufs[1], bufs[2]
	for l := L - 1; l >= 0; l-- {
		raw := l == 0 && !spec.ActivateInput
		d1, d2, x := make([]float64, N), make([]float64, N), make([]float64, N)
		for i, v := range h[l] {
			if raw {
				d1[i], x[i] = 1, v
			} else {
				d1[i], d2[i], x[i] = act.D1(v), act.D2(v), act.Phi(v)
			}
		}
		par, err := net.HostParams(l + 1)
		if err != nil {
			return nil, nil, err
		}
		w, bias := par[0], par[1]
		g := grads[l+1]
		// jac is J (N x N column-major): W, or diag(r) W + diag(p) V.
		jac := w
		var v []float64
		product := spec.Kind(l+1) == layerkind.Product
		if product {
			var c []float64
			v, c = par[2], par[3]
			p, r := append([]float64(nil), bias...), append([]float64(nil), c...)
			for j := 0; j < N; j++ {
				for i := 0; i < N; i++ {
					p[i] += w[i+j*N] * x[j]
					r[i] += v[i+j*N] * x[j]
				}
			}
			jac = make([]float64, N*N)
			for j := 0; j < N; j++ {
				for i := 0; i < N; i++ {
					jac[i+j*N] = r[i]*w[i+j*N] + p[i]*v[i+j*N]
				}
			}
		}
		// u = J^T g_{l+1} on the host.
		u := make([]float64, N)
		for j := 0; j < N; j++ {
			s := 0.0
			for i := 0; i < N; i++ {
				s += jac[i+j*N] * g[i]
			}
			u[j] = s
		}
		if err := b.Upload(W, jac); err != nil {
			return nil, nil, err
		}
		if err := b.Upload(H, hess[l+1]); err != nil { // symmetric: row- and column-major agree
			return nil, nil, err
		}
		// M = H J, then H' = J^T M.
		if err := b.Gemm(engine.NoTrans, engine.NoTrans, N, N, N, 1, H, N, W, N, 0, M, N); err != nil {
			return nil, nil, err
		}
		if err := b.Gemm(engine.Trans, engine.NoTrans, N, N, N, 1, W, N, M, N, 0, H, N); err != nil {
			return nil, nil, err
		}
		hl := make([]float64, N*N)
		if err := b.Download(hl, H); err != nil {
			return nil, nil, err
		}
		if product {
			// S = W^T diag(g) V + its transpose: M = diag(g) V, H = W^T M.
			gv := make([]float64, N*N)
			for j := 0; j < N; j++ {
				for i := 0; i < N; i++ {
					gv[i+j*N] = g[i] * v[i+j*N]
				}
			}
			if err := b.Upload(W, w); err != nil {
				return nil, nil, err
			}
			if err := b.Upload(M, gv); err != nil {
				return nil, nil, err
			}
			if err := b.Gemm(engine.Trans, engine.NoTrans, N, N, N, 1, W, N, M, N, 0, H, N); err != nil {
				return nil, nil, err
			}
			sw := make([]float64, N*N) // column-major W^T diag(g) V: element (i, j) at i + j N
			if err := b.Download(sw, H); err != nil {
				return nil, nil, err
			}
			for i := 0; i < N; i++ {
				for j := 0; j < N; j++ {
					hl[i*N+j] += sw[i+j*N] + sw[j+i*N]
				}
			}
		}
		gl := make([]float64, N)
		for i := 0; i < N; i++ {
			gl[i] = d1[i] * u[i]
			for j := 0; j < N; j++ {
				hl[i*N+j] *= d1[i] * d1[j]
			}
			hl[i*N+i] += d2[i] * u[i]
		}
		// Symmetrise the rounding of the two products.
		for i := 0; i < N; i++ {
			for j := i + 1; j < N; j++ {
				s := (hl[i*N+j] + hl[j*N+i]) / 2
				hl[i*N+j], hl[j*N+i] = s, s
			}
		}
		grads[l], hess[l] = gl, hl
	}
	return grads, hess, nil
}

// principalCurvatures returns the N-1 eigenvalues, ascending, of
// P H P / |g| restricted to the tangent space of the level set (the plane
// orthogonal to the gradient g).
func principalCurvatures(g, hess []float64, N int) ([]float64, error) {
	norm := 0.0
	for _, v := range g {
		norm += v * v
	}
	norm = math.Sqrt(norm)
	if !(norm > 0) {
		return nil, fmt.Errorf("the gradient vanishes: the level set is singular here")
	}
	n := make([]float64, N)
	for i := range n {
		n[i] = g[i] / norm
	}
	// Hn = H n, then P H P = H - n (Hn)^T - (Hn) n^T + (n.Hn) n n^T.
	hn := make([]float64, N)
	for i := 0; i < N; i++ {
		for j := 0; j < N; j++ {
			hn[i] += hess[i*N+j] * n[j]
		}
	}
	nhn := 0.0
	for i := range n {
		nhn += n[i] * hn[i]
	}
	s := make([]float64, N*N)
	for i := 0; i < N; i++ {
		for j := i; j < N; j++ {
			v := hess[i*N+j] - n[i]*hn[j] - hn[i]*n[j] + nhn*n[i]*n[j]
			s[i*N+j], s[j*N+i] = v/norm, v/norm
		}
	}
	vals := make([]float64, N)
	if err := cpu.SymEigen(N, s, vals, true); err != nil {
		return nil, err
	}
	// Drop the eigenvalue of the normal direction (P n = 0): the one whose
	// eigenvector (column k of s, column-major) lies most along n.
	drop, best := 0, -1.0
	for k := 0; k < N; k++ {
		d := 0.0
		for i := 0; i < N; i++ {
			d += s[k*N+i] * n[i]
		}
		if math.Abs(d) > best {
			drop, best = k, math.Abs(d)
		}
	}
	out := make([]float64, 0, N-1)
	for k, v := range vals {
		if k != drop {
			out = append(out, v)
		}
	}
	return out, nil
}
