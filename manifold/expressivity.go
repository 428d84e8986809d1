package manifold

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
)

// FourierTargets returns 2K functions sampled at the P parameter values t_j =
// j/(P-1) of an open curve: cos(2 pi k t) and sin(2 pi k t) for k = 1..K,
// as a P x 2K column-major matrix, and the frequency of each column.
func FourierTargets(P, K int) ([]float64, []int) {
	y := make([]float64, P*2*K)
	freq := make([]int, 2*K)
	for k := 1; k <= K; k++ {
		c, s := y[(2*k-2)*P:(2*k-1)*P], y[(2*k-1)*P:2*k*P]
		for j := 0; j < P; j++ {
			t := float64(j) / float64(P-1)
			c[j] = math.Cos(2 * math.Pi * float64(k) * t)
			s[j] = math.Sin(2 * math.Pi * float64(k) * t)
		}
		freq[2*k-2], freq[2*k-1] = k, k
	}
	return y, freq
}

// HalfCircle returns P points on half a great circle of radius sqrt(N q) in
// N dimensions (theta in [0, pi], both ends included) as an N x P matrix.
func HalfCircle(width, points int, q float64, seed uint64) ([]float64, error) {
	c, err := Circle(width, 2*(points-1), q, seed) // theta_j = 2 pi j / (2(P-1)) = pi j/(P-1)
	if err != nil {
		return nil, err
	}
	return append([]float64(nil), c.H[:width*points]...), nil
}

// FitErrors measures how well the last layer of net represents the target
// functions on the inputs: for each target y (a column of the P x T matrix
// targets), the least-squares fit yhat from the final layer's features
// phi(h^L) plus a constant is the orthogonal projection of y on their span,
// and the error is 1 - cos(y, yhat) = 1 - |yhat| / |y| (Poole et al. 2016,
// figure 5). The projection is computed from the smaller Gram matrix, in
// feature space (N+1 x N+1) or in sample space (P x P), by its
// eigendecomposition, treating eigenvalues below rangeCutoff of the largest
// as zero (numerical rank deficiency).
func FitErrors(b engine.Backend, net *models.RandomNetwork, inputs []float64, P int, targets []float64, T int) ([]float64, error) {
	N0, L := net.Width(0), net.Depth()
	N := net.Width(L)
	if len(inputs) != N0*P || len(targets) != P*T {
		return nil, fmt.Errorf("fit: %d inputs for %d x %d, %d targets for %d x %d", len(inputs), N0, P, len(targets), P, T)
	}
	in, err := engine.FromHost(b, inputs)
	if err != nil {
		return nil, err
	}
	defer b.Free(in)
	h, err := net.Run(b, in, P, models.RunOptions{}, nil)
	if err != nil {
		return nil, err
	}
	defer b.Free(h)
	// Features: phi(h^L) with a row of ones appended: (N+1) x P.
	F := N + 1
	feat, err := b.Alloc(engine.Float64, F*P)
	if err != nil {
		return nil, err
	}
	defer b.Free(feat)
	if err := b.Fill(feat, 1); err != nil {
		return nil, err
	}
	// phi(h) into a packed buffer, then copy each column into feat's rows 0..N-1.
	x, err := b.Alloc(engine.Float64, N*P)
	if err != nil {
		return nil, err
	}
	defer b.Free(x)
	if err := b.ActivateDerivative(net.Spec().Act.ID, 0, h, x); err != nil {
		return nil, err
	}
	// feat = [x; 1]: a Gemm with the identity would do it; copying columns
	// through views is exact and cheap.
	for j := 0; j < P; j++ {
		src, _ := b.Slice(x, j*N, N)
		dst, _ := b.Slice(feat, j*F, N)
		if err := b.Copy(dst, src); err != nil {
			return nil, err
		}
	}
	Y, err := b.Alloc(engine.Float64, P*T)
	if err != nil {
		return nil, err
	}
	defer b.Free(Y)
	if err := b.Upload(Y, targets); err != nil {
		return nil, err
	}
	yNorm2 := make([]float64, T)
	for k := 0; k < T; k++ {
		for _, v := range targets[k*P : (k+1)*P] {
			yNorm2[k] += v * v
		}
	}
	fitNorm2 := make([]float64, T)
	if F <= P {
		// G = X X^T (F x F), B = X Y (F x T); |yhat|^2 = B^T G^+ B.
		G, err := gram(b, engine.NoTrans, F, P, feat)
		if err != nil {
			return nil, err
		}
		Bm, err := product(b, engine.NoTrans, F, T, P, feat, F, Y, P)
		if err != nil {
			return nil, err
		}
		vals, vecs, err := rangeBasis(G, F)
		if err != nil {
			return nil, err
		}
		for k := 0; k < T; k++ {
			for e, lam := range vals {
				d := 0.0
				for i := 0; i < F; i++ {
					d += vecs.At(i, e) * Bm[i+k*F]
				}
				fitNorm2[k] += d * d / lam
			}
		}
	} else {
		// K = X^T X (P x P); yhat is y projected on K's range.
		K, err := gram(b, engine.Trans, P, F, feat)
		if err != nil {
			return nil, err
		}
		vals, vecs, err := rangeBasis(K, P)
		if err != nil {
			return nil, err
		}
		for k := 0; k < T; k++ {
			y := targets[k*P : (k+1)*P]
			for e := range vals {
				d := 0.0
				for i := 0; i < P; i++ {
					d += vecs.At(i, e) * y[i]
				}
				fitNorm2[k] += d * d
			}
		}
	}
	errs := make([]float64, T)
	for k := range errs {
		errs[k] = 1 - math.Sqrt(min(1, fitNorm2[k]/yNorm2[k]))
	}
	return errs, nil
}

// gram returns A A^T (t = NoTrans, A n x k) or A^T A (t = Trans, A k x n)
// as an n x n host matrix, A being the backend's column-major buffer.
func gram(b engine.Backend, t engine.Transpose, n, k int, a engine.Buffer) ([]float64, error) {
	lda := n
	tA, tB := engine.NoTrans, engine.Trans
	if t == engine.Trans {
		lda, tA, tB = k, engine.Trans, engine.NoTrans
	}
	g, err := b.Alloc(engine.Float64, n*n)
	if err != nil {
		return nil, err
	}
	defer b.Free(g)
	if err := b.Gemm(tA, tB, n, n, k, 1, a, lda, a, lda, 0, g, n); err != nil {
		return nil, err
	}
	out := make([]float64, n*n)
	return out, b.Download(out, g)
}

// product returns A B (A m x k, B k x n) as a host matrix.
func product(b engine.Backend, tA engine.Transpose, m, n, k int, a engine.Buffer, lda int, bb engine.Buffer, ldb int) ([]float64, error) {
	c, err := b.Alloc(engine.Float64, m*n)
	if err != nil {
		return nil, err
	}
	defer b.Free(c)
	if err := b.Gemm(tA, engine.NoTrans, m, n, k, 1, a, lda, bb, ldb, 0, c, m); err != nil {
		return nil, err
	}
	out := make([]float64, m*n)
	return out, b.Download(out, c)
}

// rangeCutoff is the relative size below which a Gram matrix's eigenvalue
// counts as zero: its own rounding is about 1e-16 of the largest, so 1e-12
// keeps every direction whose singular value exceeds 1e-6 of the largest.
const rangeCutoff = 1e-12

// rangeBasis returns the eigenvalues above rangeCutoff times the largest of
// the symmetric positive semi-definite n x n matrix g, with their
// eigenvectors as columns.
func rangeBasis(g []float64, n int) ([]float64, *mat.Dense, error) {
	s := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			s.SetSym(i, j, (g[i*n+j]+g[j*n+i])/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, nil, fmt.Errorf("fit: the eigensolver did not converge")
	}
	all := eig.Values(nil)
	var full mat.Dense
	eig.VectorsTo(&full)
	top := all[n-1]
	var vals []float64
	var cols []int
	for i, v := range all {
		if v > rangeCutoff*top {
			vals = append(vals, v)
			cols = append(cols, i)
		}
	}
	if len(vals) == 0 {
		return nil, nil, fmt.Errorf("fit: the features are all zero")
	}
	vecs := mat.NewDense(n, len(cols), nil)
	for c, i := range cols {
		for r := 0; r < n; r++ {
			vecs.Set(r, c, full.At(r, i))
		}
	}
	return vals, vecs, nil
}
