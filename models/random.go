// Package models holds netgeom's networks on the compute engine: deep random
// dense networks whose weights are regenerated from Philox by (seed, layer)
// when a layer needs them, so that memory stays at one layer's weights plus
// the batch whatever the depth; their batched forward pass; and the
// forward propagation of second-order jets (value, first and second
// directional derivative) used for the curvature of manifolds. It knows
// nothing about which backend it runs on.
//
// Layout: a batch of B vectors of width N is an N x B column-major matrix on
// the backend. A jet batch is one N x 3B matrix [h | v | a]: the B values,
// then the B first derivatives, then the B second derivatives, so that a
// layer's three products share one gemm over 3B columns.
package models

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"

	"netgeom/activation"
	"netgeom/engine"
	"netgeom/engine/rng"
)

// WeightLaw is the distribution of a random network's weight matrices.
type WeightLaw int

const (
	// Gaussian weights: W_ij ~ N(0, sigma_w^2 / N_in).
	Gaussian WeightLaw = iota
	// Orthogonal weights: a Haar-random orthogonal (or partial isometry)
	// matrix scaled so that |W x|^2 / N_out = sigma_w^2 |x|^2 / N_in.
	Orthogonal
)

func (w WeightLaw) String() string {
	if w == Orthogonal {
		return "orthogonal"
	}
	return "gaussian"
}

// ParseWeightLaw reads "gaussian" or "orthogonal".
func ParseWeightLaw(s string) (WeightLaw, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "gaussian", "normal":
		return Gaussian, nil
	case "orthogonal":
		return Orthogonal, nil
	}
	return 0, fmt.Errorf("unknown weight law %q: valid laws are gaussian, orthogonal", s)
}

// RandomSpec names a random dense network. Layer l = 1..L maps width
// Widths[l-1] to Widths[l]:
//
//	h^l = W^l phi(h^{l-1}) + b^l   (ActivateInput, Poole's convention: the input is h^0, a pre-activation)
//	h^1 = W^1 x + b^1             (otherwise: the input x enters the first layer as it is)
//
// with W^l drawn from Law at scale SigmaW and b^l_i ~ N(0, SigmaB^2).
type RandomSpec struct {
	Widths        []int
	Act           activation.Func
	SigmaW        float64
	SigmaB        float64
	Law           WeightLaw
	Seed          uint64
	ActivateInput bool
}

// UniformWidths returns depth+1 copies of width: a network of `depth`
// layers of constant width.
func UniformWidths(width, depth int) []int {
	w := make([]int, depth+1)
	for i := range w {
		w[i] = width
	}
	return w
}

// Philox streams of layer l's weights and biases under the network's seed.
// Element (i, j) of W^l (N_l x N_{l-1}, column-major) is normal i + j N_l of
// stream WeightStream(l); bias i is normal i of BiasStream(l).
func WeightStream(l int) uint64 { return uint64(l) << 1 }

// BiasStream is the Philox stream of layer l's biases.
func BiasStream(l int) uint64 { return uint64(l)<<1 | 1 }

// RandomDense is a random dense network whose weights are a pure function
// of its spec. It holds no weights unless materialised.
type RandomDense struct {
	spec RandomSpec
	// materialised host weights (column-major W^l, b^l), index l-1; nil
	// when the weights are regenerated per layer.
	hostW, hostB [][]float64
}

// NewRandomDense checks spec and returns the network.
func NewRandomDense(spec RandomSpec) (*RandomDense, error) {
	if len(spec.Widths) < 1 {
		return nil, errors.New("random network: no widths: give the input width and at least zero layers")
	}
	for i, w := range spec.Widths {
		if w < 1 {
			return nil, fmt.Errorf("random network: width %d of layer %d; widths must be >= 1", w, i)
		}
	}
	if spec.Act.Phi == nil {
		return nil, errors.New("random network: no activation")
	}
	for name, v := range map[string]float64{"sigma_w": spec.SigmaW, "sigma_b": spec.SigmaB} {
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("random network: %s = %v; it must be finite and >= 0", name, v)
		}
	}
	if spec.Law != Gaussian && spec.Law != Orthogonal {
		return nil, fmt.Errorf("random network: unknown weight law %d", spec.Law)
	}
	s := spec
	s.Widths = append([]int(nil), spec.Widths...)
	return &RandomDense{spec: s}, nil
}

// Spec returns the network's spec.
func (n *RandomDense) Spec() RandomSpec { return n.spec }

// Depth is the number of layers L.
func (n *RandomDense) Depth() int { return len(n.spec.Widths) - 1 }

// Width returns N_l, l = 0..L.
func (n *RandomDense) Width(l int) int { return n.spec.Widths[l] }

// Materialise generates every layer's weights once and keeps them on the
// host, for small networks that are run many times.
func (n *RandomDense) Materialise() error {
	if n.hostW != nil {
		return nil
	}
	L := n.Depth()
	hw, hb := make([][]float64, L), make([][]float64, L)
	for l := 1; l <= L; l++ {
		w, b, err := n.HostWeights(l)
		if err != nil {
			return err
		}
		hw[l-1], hb[l-1] = w, b
	}
	n.hostW, n.hostB = hw, hb
	return nil
}

// HostWeights returns layer l's weights (N_l x N_{l-1}, column-major) and
// biases on the host, generated from the spec (the same numbers the backend
// generates: Philox normals are bit-identical on every backend).
func (n *RandomDense) HostWeights(l int) (w, b []float64, err error) {
	if l < 1 || l > n.Depth() {
		return nil, nil, fmt.Errorf("layer %d outside 1..%d", l, n.Depth())
	}
	if n.hostW != nil {
		return n.hostW[l-1], n.hostB[l-1], nil
	}
	nOut, nIn := n.spec.Widths[l], n.spec.Widths[l-1]
	w = make([]float64, nOut*nIn)
	rng.FillNormal(w, n.spec.Seed, WeightStream(l), 0)
	if n.spec.Law == Orthogonal {
		orthogonalise(w, nOut, nIn)
		scale := n.spec.SigmaW * math.Sqrt(max(1, float64(nOut)/float64(nIn)))
		for i := range w {
			w[i] *= scale
		}
	} else {
		std := n.spec.SigmaW / math.Sqrt(float64(nIn))
		for i := range w {
			w[i] *= std
		}
	}
	b = make([]float64, nOut)
	rng.FillNormal(b, n.spec.Seed, BiasStream(l), 0)
	for i := range b {
		b[i] *= n.spec.SigmaB
	}
	return w, b, nil
}

// orthogonalise replaces the column-major rows x cols Gaussian matrix g by a
// Haar-distributed matrix with orthonormal columns (rows >= cols) or rows
// (rows < cols): the Q of its QR factorisation with the signs fixed so that
// R has a positive diagonal (Mezzadri 2007), which makes Q exactly Haar.
func orthogonalise(g []float64, rows, cols int) {
	tall := rows >= cols
	m, k := rows, cols
	if !tall {
		m, k = cols, rows
	}
	// A is m x k (m >= k) in gonum's row-major Dense: A[i][j].
	a := mat.NewDense(m, k, nil)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			v := g[i+j*rows]
			if tall {
				a.Set(i, j, v)
			} else {
				a.Set(j, i, v)
			}
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	for j := 0; j < k; j++ {
		s := 1.0
		if r.At(j, j) < 0 {
			s = -1
		}
		for i := 0; i < m; i++ {
			v := s * q.At(i, j)
			if tall {
				g[i+j*rows] = v // W[i][j] = Q[i][j]
			} else {
				g[j+i*rows] = v // W = Q^T: W[j][i] = Q[i][j]
			}
		}
	}
}

// Observer is called after each layer with that layer's activations on the
// backend: an N_l x cols matrix (cols = B for a forward pass, 3B for a jet
// [h | v | a]). Layer 0 is the input. The buffer is only valid during the
// call; statistics are meant to be computed on the backend, where the data
// is, and only their results copied to the host.
type Observer func(layer int, h engine.Buffer, width, cols int) error

// RunOptions select the part of the network a pass runs.
type RunOptions struct {
	// From and To: the pass takes h^From (or the input x when From = 0) and
	// stops after layer To. Zero values mean 0 and L.
	From, To int
	// Jet propagates [h | v | a] (the input has 3B columns).
	Jet bool
}

// Run pushes a batch through layers From+1..To and returns h^To on the
// backend (the caller frees it). in is N_From x cols with cols = batch, or
// 3*batch for a jet. The weights of each layer are generated on the backend
// when the layer runs and overwritten by the next, unless the network is
// materialised. obs, when not nil, sees the input and every layer's output.
func (n *RandomDense) Run(b engine.Backend, in engine.Buffer, batch int, opt RunOptions, obs Observer) (engine.Buffer, error) {
	L := n.Depth()
	from, to := opt.From, opt.To
	if to == 0 {
		to = L
	}
	if from < 0 || to > L || from > to {
		return nil, fmt.Errorf("run: layers %d..%d outside 0..%d", from, to, L)
	}
	if batch < 1 {
		return nil, fmt.Errorf("run: batch %d; want >= 1", batch)
	}
	cols := batch
	if opt.Jet {
		cols = 3 * batch
	}
	if in.Len() != n.spec.Widths[from]*cols {
		return nil, fmt.Errorf("run: input has %d elements; want %d x %d = %d", in.Len(), n.spec.Widths[from], cols, n.spec.Widths[from]*cols)
	}
	maxW, maxWeights := 0, 0
	for l := from; l <= to; l++ {
		maxW = max(maxW, n.spec.Widths[l])
		if l > from {
			maxWeights = max(maxWeights, n.spec.Widths[l]*n.spec.Widths[l-1])
		}
	}
	var bufs []engine.Buffer
	alloc := func(size int) (engine.Buffer, error) {
		x, err := b.Alloc(engine.Float64, size)
		if err == nil {
			bufs = append(bufs, x)
		}
		return x, err
	}
	cleanup := func(keep engine.Buffer) {
		for _, x := range bufs {
			if x != keep {
				b.Free(x)
			}
		}
	}
	cur, err := alloc(maxW * cols)
	if err != nil {
		return nil, err
	}
	act, err := alloc(maxW * cols)
	if err != nil {
		cleanup(nil)
		return nil, err
	}
	var wbuf, bbuf engine.Buffer
	if to > from {
		if wbuf, err = alloc(maxWeights); err != nil {
			cleanup(nil)
			return nil, err
		}
		if bbuf, err = alloc(maxW); err != nil {
			cleanup(nil)
			return nil, err
		}
	}
	fail := func(err error) (engine.Buffer, error) {
		cleanup(nil)
		return nil, err
	}
	view := func(x engine.Buffer, size int) engine.Buffer {
		v, err := b.Slice(x, 0, size)
		if err != nil {
			panic(err) // sizes are computed above; a failure is a bug here
		}
		return v
	}
	// cur holds h^from.
	w0 := n.spec.Widths[from]
	if err := b.Copy(view(cur, w0*cols), in); err != nil {
		return fail(err)
	}
	if obs != nil {
		if err := obs(from, view(cur, w0*cols), w0, cols); err != nil {
			return fail(err)
		}
	}
	for l := from + 1; l <= to; l++ {
		nIn, nOut := n.spec.Widths[l-1], n.spec.Widths[l]
		h := view(cur, nIn*cols)
		x := view(act, nIn*cols)
		// x = phi(h) (or the input itself at the first layer without
		// ActivateInput).
		if l == 1 && !n.spec.ActivateInput {
			if err := b.Copy(x, h); err != nil {
				return fail(err)
			}
		} else if opt.Jet {
			part := func(buf engine.Buffer, k int) engine.Buffer {
				v, _ := b.Slice(buf, k*nIn*batch, nIn*batch)
				return v
			}
			if err := b.ActivateJet(n.spec.Act.ID, part(h, 0), part(h, 1), part(h, 2), part(x, 0), part(x, 1), part(x, 2)); err != nil {
				return fail(fmt.Errorf("layer %d: %w", l, err))
			}
		} else if err := b.Activate(n.spec.Act.ID, h, x); err != nil {
			return fail(fmt.Errorf("layer %d: %w", l, err))
		}
		W, bias := view(wbuf, nOut*nIn), view(bbuf, nOut)
		if err := n.loadWeights(b, l, W, bias); err != nil {
			return fail(fmt.Errorf("layer %d: %w", l, err))
		}
		out := view(cur, nOut*cols)
		if err := b.Gemm(engine.NoTrans, engine.NoTrans, nOut, cols, nIn, 1, W, nOut, x, nIn, 0, out, nOut); err != nil {
			return fail(fmt.Errorf("layer %d: %w", l, err))
		}
		// Biases shift the values only; the derivatives of a constant are 0.
		if err := b.AddBias(nOut, batch, bias, out, nOut); err != nil {
			return fail(fmt.Errorf("layer %d: %w", l, err))
		}
		if obs != nil {
			if err := obs(l, out, nOut, cols); err != nil {
				return fail(err)
			}
		}
	}
	wTo := n.spec.Widths[to]
	result, err := b.Alloc(engine.Float64, wTo*cols)
	if err != nil {
		return fail(err)
	}
	if err := b.Copy(result, view(cur, wTo*cols)); err != nil {
		b.Free(result)
		return fail(err)
	}
	cleanup(nil)
	return result, nil
}

// loadWeights fills W and bias with layer l's weights on the backend.
// Gaussian weights are drawn there directly (FillNormal, then the scale);
// orthogonal and materialised weights are computed on the host and
// uploaded.
func (n *RandomDense) loadWeights(b engine.Backend, l int, W, bias engine.Buffer) error {
	if n.hostW == nil && n.spec.Law == Gaussian {
		nIn := n.spec.Widths[l-1]
		if err := b.FillNormal(W, n.spec.Seed, WeightStream(l), 0, n.spec.SigmaW/math.Sqrt(float64(nIn))); err != nil {
			return err
		}
		return b.FillNormal(bias, n.spec.Seed, BiasStream(l), 0, n.spec.SigmaB)
	}
	w, bb, err := n.HostWeights(l)
	if err != nil {
		return err
	}
	if err := b.Upload(W, w); err != nil {
		return err
	}
	return b.Upload(bias, bb)
}
