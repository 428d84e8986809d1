package manifold

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine"
)

// DefaultRankCutoff is the relative singular value below which a direction
// of the features counts as zero in a fit: 2^-23, the resolution of
// float32, in which Poole et al.'s networks computed their features (and
// in which networks are usually run). Features of a smooth curve have
// singular values that fall exponentially, so the fit errors depend on
// this cutoff: directions below it need coefficients beyond 2^23 times
// the largest to be used, which no float32 computation resolves.
const DefaultRankCutoff = 0x1p-23

// qrBlock is the panel width of the blocked Householder QR.
const qrBlock = 32

// projectionNorms returns |P y_k|^2 for each column y_k of the P x T host
// matrix y (column-major), P the orthogonal projection of R^P on the span
// of the F feature functions (the rows of the backend's F x P column-major
// matrix x) with singular values above cutoff times the largest, and the
// number of those directions (the numerical rank).
//
// It takes a blocked Householder QR of the tall orientation of the
// features on the backend (householderQR): of X^T (P x F) when F <= P,
// applying the reflections to the targets as well, so X^T = Q R and the
// span's coordinates of y are (Q^T y)[:F]; of X (F x P) otherwise, so
// X^T = R^T Q^T. The singular value decomposition of the small triangular
// factor R (order min(F, P), on the host) gives the singular values and
// directions of the features. Every product over the points and features
// is a Gemm on the backend; memory is the features, the targets and R,
// never a matrix of order width squared.
func projectionNorms(b engine.Backend, x engine.Buffer, F, P int, y []float64, T int, cutoff float64) ([]float64, int, error) {
	if F <= P {
		// X^T, P x F column-major, by a transpose through the host.
		hx := make([]float64, F*P)
		if err := b.Download(hx, x); err != nil {
			return nil, 0, err
		}
		ht := make([]float64, F*P)
		for j := 0; j < P; j++ {
			for i := 0; i < F; i++ {
				ht[j+i*P] = hx[i+j*F]
			}
		}
		a, err := engine.FromHost(b, ht)
		if err != nil {
			return nil, 0, err
		}
		defer b.Free(a)
		yb, err := engine.FromHost(b, y)
		if err != nil {
			return nil, 0, err
		}
		defer b.Free(yb)
		r, err := householderQR(b, a, P, F, yb, T)
		if err != nil {
			return nil, 0, err
		}
		qty := make([]float64, P*T)
		if err := b.Download(qty, yb); err != nil {
			return nil, 0, err
		}
		u, keep, err := triangularSVD(r, F, cutoff, false)
		if err != nil {
			return nil, 0, err
		}
		// Left singular vectors of X^T are Q U; coordinates U^T (Q^T y)[:F].
		norms := make([]float64, T)
		for t := 0; t < T; t++ {
			c := qty[t*P : t*P+F]
			for e := 0; e < keep; e++ {
				d := 0.0
				for i := 0; i < F; i++ {
					d += u.At(i, e) * c[i]
				}
				norms[t] += d * d
			}
		}
		return norms, keep, nil
	}
	// F > P: X = Q R (F x P), X^T = R^T Q^T; the span of the features in
	// R^P is R^T's range, spanned by the right singular vectors of R.
	a, err := b.Alloc(engine.DTypeOf(b), F*P)
	if err != nil {
		return nil, 0, err
	}
	defer b.Free(a)
	if err := b.Copy(a, x); err != nil {
		return nil, 0, err
	}
	r, err := householderQR(b, a, F, P, nil, 0)
	if err != nil {
		return nil, 0, err
	}
	v, keep, err := triangularSVD(r, P, cutoff, true)
	if err != nil {
		return nil, 0, err
	}
	norms := make([]float64, T)
	for t := 0; t < T; t++ {
		yt := y[t*P : (t+1)*P]
		for e := 0; e < keep; e++ {
			d := 0.0
			for i := 0; i < P; i++ {
				d += v.At(i, e) * yt[i]
			}
			norms[t] += d * d
		}
	}
	return norms, keep, nil
}

// triangularSVD returns the left (or, with right, the right) singular
// vectors of the n x n column-major matrix r as columns, largest singular
// value first, and how many singular values exceed cutoff times the
// largest.
func triangularSVD(r []float64, n int, cutoff float64, right bool) (*mat.Dense, int, error) {
	m := mat.NewDense(n, n, nil)
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			m.Set(i, j, r[i+j*n])
		}
	}
	var svd mat.SVD
	kind := mat.SVDThinU
	if right {
		kind = mat.SVDThinV
	}
	if !svd.Factorize(m, kind) {
		return nil, 0, fmt.Errorf("fit: the SVD of the features' triangular factor did not converge")
	}
	s := svd.Values(nil)
	keep := 0
	for _, v := range s {
		if v > cutoff*s[0] {
			keep++
		}
	}
	if keep == 0 {
		return nil, 0, fmt.Errorf("fit: the features are all zero")
	}
	var vecs mat.Dense
	if right {
		svd.VTo(&vecs)
	} else {
		svd.UTo(&vecs)
	}
	return &vecs, keep, nil
}

// householderQR factorises the m x n backend matrix a (column-major,
// leading dimension m, m >= n) as Q R by Householder reflections in panels
// of qrBlock columns (LAPACK's dgeqrf): each panel is factorised on the
// host (dgeqr2, with its block reflector I - V T V^T from dlarft) and
// applied to the trailing columns by three Gemms on the backend, and to the
// m x t backend matrix y (unless nil) likewise, which becomes Q^T y. It
// returns R, n x n column-major upper triangular; a is overwritten.
func householderQR(b engine.Backend, a engine.Buffer, m, n int, y engine.Buffer, t int) ([]float64, error) {
	if m < n {
		return nil, fmt.Errorf("qr: %d x %d is not tall", m, n)
	}
	r := make([]float64, n*n)
	panel := make([]float64, m*qrBlock)
	vt := make([]float64, m*qrBlock)
	tau := make([]float64, qrBlock)
	tt := make([]float64, qrBlock*qrBlock)
	view := func(buf engine.Buffer, off int) (engine.Buffer, error) { return b.Slice(buf, off, buf.Len()-off) }
	for k := 0; k < n; k += qrBlock {
		kb, mk := min(qrBlock, n-k), m-k
		p := panel[:mk*kb]
		for j := 0; j < kb; j++ {
			col, err := b.Slice(a, k+(k+j)*m, mk)
			if err != nil {
				return nil, err
			}
			if err := b.Download(p[j*mk:(j+1)*mk], col); err != nil {
				return nil, err
			}
		}
		householderPanel(p, mk, kb, tau[:kb])
		for j := 0; j < kb; j++ { // R's diagonal block
			for i := 0; i <= j; i++ {
				r[(k+i)+(k+j)*n] = p[i+j*mk]
			}
		}
		// V: unit lower trapezoidal, mk x kb.
		v := vt[:mk*kb]
		for j := 0; j < kb; j++ {
			for i := 0; i < mk; i++ {
				switch {
				case i < j:
					v[i+j*mk] = 0
				case i == j:
					v[i+j*mk] = 1
				default:
					v[i+j*mk] = p[i+j*mk]
				}
			}
		}
		blockReflector(v, mk, kb, tau[:kb], tt[:kb*kb])
		nc := n - k - kb
		if nc == 0 && y == nil {
			break
		}
		vb, err := engine.FromHost(b, v)
		if err != nil {
			return nil, err
		}
		tb, err := engine.FromHost(b, tt[:kb*kb])
		if err != nil {
			b.Free(vb)
			return nil, err
		}
		apply := func(c engine.Buffer, cols int) error { // c (mk x cols, ld m) <- (I - V T V^T)^T c
			if cols == 0 {
				return nil
			}
			w, err := b.Alloc(engine.DTypeOf(b), kb*cols)
			if err != nil {
				return err
			}
			defer b.Free(w)
			w2, err := b.Alloc(engine.DTypeOf(b), kb*cols)
			if err != nil {
				return err
			}
			defer b.Free(w2)
			if err := b.Gemm(engine.Trans, engine.NoTrans, kb, cols, mk, 1, vb, mk, c, m, 0, w, kb); err != nil {
				return err
			}
			if err := b.Gemm(engine.Trans, engine.NoTrans, kb, cols, kb, 1, tb, kb, w, kb, 0, w2, kb); err != nil {
				return err
			}
			return b.Gemm(engine.NoTrans, engine.NoTrans, mk, cols, kb, -1, vb, mk, w2, kb, 1, c, m)
		}
		err = func() error {
			defer b.Free(vb)
			defer b.Free(tb)
			if nc > 0 {
				c, err := view(a, k+(k+kb)*m)
				if err != nil {
					return err
				}
				if err := apply(c, nc); err != nil {
					return err
				}
			}
			if y != nil {
				c, err := view(y, k)
				if err != nil {
					return err
				}
				if err := apply(c, t); err != nil {
					return err
				}
			}
			return nil
		}()
		if err != nil {
			return nil, err
		}
	}
	// R above the diagonal blocks: rows 0..(block start of j) of column j,
	// final once their panels were applied.
	for j := 0; j < n; j++ {
		top := j / qrBlock * qrBlock
		if top == 0 {
			continue
		}
		col, err := b.Slice(a, j*m, top)
		if err != nil {
			return nil, err
		}
		if err := b.Download(r[j*n:j*n+top], col); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// householderPanel is LAPACK's dgeqr2 on the m x k column-major matrix p
// (leading dimension m): R on and above the diagonal, the reflectors'
// vectors below it (their first entries are an implicit 1), their scalars
// in tau: H_j = I - tau_j v_j v_j^T.
func householderPanel(p []float64, m, k int, tau []float64) {
	for j := 0; j < k; j++ {
		col := p[j*m : (j+1)*m]
		alpha := col[j]
		xnorm := 0.0
		for _, v := range col[j+1:] {
			xnorm = math.Hypot(xnorm, v)
		}
		if xnorm == 0 {
			tau[j] = 0
			continue
		}
		beta := -math.Copysign(math.Hypot(alpha, xnorm), alpha)
		tau[j] = (beta - alpha) / beta
		scale := 1 / (alpha - beta)
		for i := j + 1; i < m; i++ {
			col[i] *= scale
		}
		col[j] = beta
		for c := j + 1; c < k; c++ { // apply H_j to the panel's later columns
			cc := p[c*m : (c+1)*m]
			w := cc[j]
			for i := j + 1; i < m; i++ {
				w += col[i] * cc[i]
			}
			w *= tau[j]
			cc[j] -= w
			for i := j + 1; i < m; i++ {
				cc[i] -= w * col[i]
			}
		}
	}
}

// blockReflector is LAPACK's dlarft (forward, columnwise): the k x k upper
// triangular T (column-major) with H_0 H_1 ... H_{k-1} = I - V T V^T for
// the m x k unit lower trapezoidal V.
func blockReflector(v []float64, m, k int, tau, t []float64) {
	for i := range t {
		t[i] = 0
	}
	w := make([]float64, k)
	for i := 0; i < k; i++ {
		t[i+i*k] = tau[i]
		if i == 0 || tau[i] == 0 {
			continue
		}
		vi := v[i*m : (i+1)*m]
		for j := 0; j < i; j++ { // w_j = -tau_i V_j^T v_i
			vj := v[j*m : (j+1)*m]
			d := 0.0
			for r := i; r < m; r++ {
				d += vj[r] * vi[r]
			}
			w[j] = -tau[i] * d
		}
		for j := 0; j < i; j++ { // T[0:i, i] = T[0:i, 0:i] w
			s := 0.0
			for l := j; l < i; l++ {
				s += t[j+l*k] * w[l]
			}
			t[j+i*k] = s
		}
	}
}
