package geometry

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
)

// tracer runs an MLP forward on chunks of inputs, keeping every layer's
// output x_l and, when tangent is set, the transposed input Jacobians
// J_l^T of every point: with D inputs, point j's block is the D x w_l
// matrix T_j = J_l(x_j)^T at columns [j w_l, (j+1) w_l) of a D x (w_l cols)
// matrix, so that
//
//	T_j(l) = T_j(l-1) W_l^T        (one strided-batched gemm, W_l shared)
//	T(l)  *= phi'(y_l) columnwise  (ScaleColumns: column j w_l + r of T(l)
//	                                is scaled by phi'(y_l)[r, j], which is
//	                                element j w_l + r of the w_l x cols
//	                                matrix phi'(y_l))
//
// starting from T_j(0) = I_D (one identity shared by all points, stride 0).
// These are exact forward-mode derivatives (no differencing).
type tracer struct {
	net     *models.Network
	b       engine.Backend
	theta   engine.Buffer
	cap, d  int
	tangent bool
	x       [2]engine.Buffer // x_l ping-pong, maxW x cap
	y, d1   engine.Buffer    // y_l and phi'(y_l), maxW x cap
	t       [2]engine.Buffer // tangents ping-pong, D maxW x cap
	eye     engine.Buffer    // I_D
	sc      *engine.Scope    // owns the buffers above
}

func newTracer(net *models.Network, theta engine.Buffer, cap int, tangent bool) (*tracer, error) {
	if net == nil || theta == nil {
		return nil, errors.New("geometry: nil network or parameters")
	}
	if theta.Len() != net.NumParams() {
		return nil, fmt.Errorf("geometry: %d parameters for a network of %d", theta.Len(), net.NumParams())
	}
	if !net.Spec().Dense() {
		return nil, fmt.Errorf("geometry: input Jacobians and the pullback metric are implemented for dense networks; %s has product or attention layers", net.Spec().Describe())
	}
	b := net.Backend()
	maxW := 0
	for l := 1; l <= net.Depth(); l++ {
		maxW = max(maxW, net.Width(l))
	}
	sc := engine.NewScope(b)
	t := &tracer{net: net, b: b, theta: theta, cap: cap, d: net.Width(0), tangent: tangent, sc: sc}
	t.x[0], t.x[1], t.y, t.d1 = sc.Alloc(maxW*cap), sc.Alloc(maxW*cap), sc.Alloc(maxW*cap), sc.Alloc(maxW*cap)
	if tangent {
		id := make([]float64, t.d*t.d)
		for i := 0; i < t.d; i++ {
			id[i*t.d+i] = 1
		}
		t.t[0], t.t[1], t.eye = sc.Alloc(t.d*maxW*cap), sc.Alloc(t.d*maxW*cap), sc.FromHost(id)
	}
	if err := sc.Err(); err != nil {
		sc.Close()
		return nil, fmt.Errorf("geometry: scratch for %d points: %w", cap, err)
	}
	return t, nil
}

func (t *tracer) free() { t.sc.Close() }

// run evaluates the network on x0, a D x cols matrix (cols <= cap), and
// calls visit for l = 1..L with x_l (w_l x cols) and, when tracing
// tangents, the tangents T(l) (D x w_l cols); both are views valid only
// during the call.
func (t *tracer) run(x0 engine.Buffer, cols int, visit func(l int, x, tan engine.Buffer) error) error {
	n, b := t.net, t.b
	L, D := n.Depth(), t.d
	act := n.Spec().Act.ID
	in := x0
	var tin engine.Buffer
	for l := 1; l <= L; l++ {
		nIn, nOut := n.Width(l-1), n.Width(l)
		wb, err := n.Spec().Block(l).Views(b, t.theta)
		if err != nil {
			return err
		}
		W, bias := wb[0], wb[1]
		y, err := b.Slice(t.y, 0, nOut*cols)
		if err != nil {
			return err
		}
		ops := engine.Ops(b)
		ops.Gemm(engine.NoTrans, engine.NoTrans, nOut, cols, nIn, 1, W, nOut, in, nIn, 0, y, nOut)
		if err := ops.AddBias(nOut, cols, bias, y, nOut); err != nil {
			return fmt.Errorf("geometry: layer %d: %w", l, err)
		}
		out := y
		var d1 engine.Buffer
		if l < L {
			if out, err = b.Slice(t.x[l%2], 0, nOut*cols); err != nil {
				return err
			}
			if err := b.ActivateDerivative(act, 0, y, out); err != nil {
				return fmt.Errorf("geometry: layer %d: %w", l, err)
			}
			if t.tangent {
				if d1, err = b.Slice(t.d1, 0, nOut*cols); err != nil {
					return err
				}
				if err := b.ActivateDerivative(act, 1, y, d1); err != nil {
					return fmt.Errorf("geometry: layer %d: %w", l, err)
				}
			}
		}
		var tout engine.Buffer
		if t.tangent {
			if tout, err = b.Slice(t.t[l%2], 0, D*nOut*cols); err != nil {
				return err
			}
			a, strideA := tin, D*nIn
			if l == 1 {
				a, strideA = t.eye, 0
			}
			err := b.GemmStridedBatched(engine.NoTrans, engine.Trans, D, nOut, nIn, 1, a, D, strideA, W, nOut, 0, 0, tout, D, D*nOut, cols)
			if err == nil && d1 != nil {
				err = b.ScaleColumns(D, nOut*cols, d1, tout, D)
			}
			if err != nil {
				return fmt.Errorf("geometry: tangents of layer %d: %w", l, err)
			}
		}
		if err := visit(l, out, tout); err != nil {
			return err
		}
		in, tin = out, tout
	}
	return nil
}

// jacobianChunk is the number of points per tangent pass: about 2^21
// tangent elements (16 MiB) per buffer.
func jacobianChunk(net *models.Network, n int) int {
	maxW := 0
	for l := 1; l <= net.Depth(); l++ {
		maxW = max(maxW, net.Width(l))
	}
	return max(1, min(n, (1<<21)/(net.Width(0)*maxW)))
}

// Jacobians computes the input Jacobian J_l(x_i) = dx_l/dx_0 of every layer
// l = 1..L (x_L the logits) at every sample i of d, by exact forward-mode
// tangents at parameters theta, and calls f(i, l, j) with j the w_l x D
// matrix J_l(x_i) row-major (j[r*D + k] = dx_l[r]/dx_0[k]); j is valid
// only during the call. chunk is the number of points per batched pass
// (0: about 2^21 tangent elements).
func Jacobians(net *models.Network, theta engine.Buffer, d *models.Data, chunk int, f func(i, l int, j []float64) error) error {
	if d == nil || d.D != net.Width(0) {
		return errors.New("geometry: data missing or of the wrong input width")
	}
	if chunk <= 0 {
		chunk = jacobianChunk(net, d.N)
	}
	chunk = min(chunk, d.N)
	tr, err := newTracer(net, theta, chunk, true)
	if err != nil {
		return err
	}
	defer tr.free()
	D := d.D
	host := make([]float64, 0)
	for lo := 0; lo < d.N; lo += chunk {
		cols := min(chunk, d.N-lo)
		x0, err := net.Backend().Slice(d.X, lo*D, cols*D)
		if err != nil {
			return err
		}
		err = tr.run(x0, cols, func(l int, _, tan engine.Buffer) error {
			w := net.Width(l)
			host = slices.Grow(host[:0], D*w*cols)[:D*w*cols]
			if err := net.Backend().Download(host, tan); err != nil {
				return err
			}
			for j := 0; j < cols; j++ {
				// Point j's block is J^T, D x w column-major: the same
				// memory as J, w x D row-major.
				if err := f(lo+j, l, host[j*D*w:(j+1)*D*w]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// PullbackOptions configure PullbackMetric.
type PullbackOptions struct {
	// Dim is k, the number of largest singular values in the log volume
	// element (0: all min(D, w_l) of them).
	Dim int
	// Chunk is the number of points per batched tangent pass (0: auto).
	Chunk int
}

// LayerPullback is the pullback metric g_l = J_l^T J_l of one layer over
// the data.
type LayerPullback struct {
	Layer int `json:"layer"`
	Width int `json:"width"`
	// K is the number of singular values summed: min(Dim, D, w_l).
	K int `json:"k"`
	// LogVolume[i] = sum_{r<K} log sigma_r(J_l(x_i)), the log of the
	// K-dimensional volume element sqrt(det g) on the K-plane of largest
	// stretching at sample i (-Inf where J_l has rank < K).
	LogVolume []float64 `json:"-"`
	// LogSigmaMax[i] = log sigma_1(J_l(x_i)), the log of the largest
	// stretching at sample i.
	LogSigmaMax []float64 `json:"-"`
	// Rank[i] is the numerical rank of J_l(x_i): the number of singular
	// values above sigma_1 max(D, w_l) 2^-52 (numpy's matrix_rank rule).
	// Singular values at or below it count as zero in LogVolume.
	Rank []int `json:"-"`
	// MeanSquaredSigma is the mean over samples of |J_l|_F^2 / D, the
	// trace of g_l per input dimension.
	MeanSquaredSigma float64 `json:"mean_squared_sigma"`
}

// PullbackMetric computes, for every layer and every sample of d, the
// singular values of the input Jacobian J_l (from Jacobians) and from them
// the log volume element of the pullback metric g_l = J_l^T J_l. When
// w_l < D (or K < D) g_l is singular on the full input space, so the
// volume element is taken on K-dimensional tangent planes: sum_{r<K} log
// sigma_r is the largest log K-volume stretch of any K-plane at x (Ky Fan
// for products of singular values), attained on the top K right singular
// vectors. Singular values come from gonum's SVD on the host.
func PullbackMetric(net *models.Network, theta engine.Buffer, d *models.Data, opt PullbackOptions) ([]LayerPullback, error) {
	if opt.Dim < 0 {
		return nil, fmt.Errorf("geometry: dimension %d; want >= 0 (0: all)", opt.Dim)
	}
	L, D := net.Depth(), net.Width(0)
	out := make([]LayerPullback, L)
	for l := 1; l <= L; l++ {
		k := min(D, net.Width(l))
		if opt.Dim > 0 {
			k = min(k, opt.Dim)
		}
		out[l-1] = LayerPullback{Layer: l, Width: net.Width(l), K: k, LogVolume: make([]float64, d.N), LogSigmaMax: make([]float64, d.N), Rank: make([]int, d.N)}
	}
	var svd mat.SVD
	err := Jacobians(net, theta, d, opt.Chunk, func(i, l int, j []float64) error {
		lp := &out[l-1]
		if !svd.Factorize(mat.NewDense(lp.Width, D, j), mat.SVDNone) {
			return fmt.Errorf("geometry: SVD of layer %d's Jacobian at sample %d did not converge", l, i)
		}
		sv := svd.Values(nil)
		tol := sv[0] * float64(max(D, lp.Width)) * 0x1p-52
		s, f2, rank := 0.0, 0.0, 0
		for r, v := range sv {
			f2 += v * v
			if v > tol {
				rank++
			} else {
				v = 0 // numerically zero: log 0 = -Inf
			}
			if r < lp.K {
				s += math.Log(v)
			}
		}
		lp.Rank[i] = rank
		lp.LogVolume[i] = s
		lp.LogSigmaMax[i] = math.Log(sv[0])
		lp.MeanSquaredSigma += f2 / float64(D) / float64(d.N)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Quantiles returns the nearest-rank quantiles of x at the probabilities
// ps: the element of rank round(p (n-1)) in increasing order (so -Inf and
// +Inf are reported as they are, never averaged). NaNs sort first.
func Quantiles(x []float64, ps []float64) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	out := make([]float64, len(ps))
	if len(s) == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	for i, p := range ps {
		r := int(math.Round(min(1, max(0, p)) * float64(len(s)-1)))
		out[i] = s[r]
	}
	return out
}
