package models

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/layerkind"
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

// RandomSpec names a random network. Layer l = 1..L maps width
// Widths[l-1] to Widths[l]. With x^{l-1} = phi(h^{l-1}) (ActivateInput, or
// l > 1: Poole's convention, the input is h^0, a pre-activation) or the raw
// input x (l = 1 without ActivateInput), a dense layer computes
//
//	h^l = W^l x^{l-1} + b^l
//
// and a product layer
//
//	h^l = (W^l x^{l-1} + b^l) * (V^l x^{l-1} + c^l)   (elementwise)
//
// with W^l and V^l drawn independently from Law at scale SigmaW and the
// biases b^l_i, c^l_i ~ N(0, SigmaB^2). Kinds[l-1] is layer l's kind; nil
// means every layer is dense.
//
// An attention layer l keeps the width (N_l = N_{l-1} = N) and reads
// x^{l-1} as T = N / D tokens of dimension D = TokenDim (token i is
// coordinates i D .. i D + D - 1), and computes
//
//	h^l = AttentionLayer(x^{l-1})  (+ x^{l-1} when Residual)
//
// with Wq, Wk, Wv ~ N(0, SigmaW^2 / D) elementwise, always Gaussian
// whatever Law says, drawn by AttentionLayer.InitRandom from
// AttentionStream(l, k) under Seed; it has no bias (SigmaB does not enter).
// TokenDim must divide the widths of every attention layer; it is unused
// by networks without one.
type RandomSpec struct {
	Widths        []int
	Act           activation.Func
	SigmaW        float64
	SigmaB        float64
	Law           WeightLaw
	Seed          uint64
	ActivateInput bool
	Kinds         []layerkind.Kind
	// TokenDim is the token dimension D of the attention layers.
	TokenDim int
	// Residual adds each attention layer's input to its output.
	Residual bool
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

// FactorWeightStream is the Philox stream of the second factor's weights
// V^l of a product layer l (laid out as W^l in WeightStream(l)); the first
// factor's weights and biases are those of WeightStream(l) and
// BiasStream(l), so a product layer's first factor is the dense layer of
// the same spec. The streams lie at 2^61 + 2l and 2^61 + 2l + 1, apart from
// the dense streams (2l, 2l + 1) and the input streams of package
// manifold (2^62 + k).
func FactorWeightStream(l int) uint64 { return 1<<61 | uint64(l)<<1 }

// FactorBiasStream is the Philox stream of the second factor's biases c^l of
// a product layer l.
func FactorBiasStream(l int) uint64 { return 1<<61 | uint64(l)<<1 | 1 }

// RandomDense is a random network (dense layers, and product layers when the
// spec names them) whose weights are a pure function of its spec. It holds
// no weights unless materialised.
type RandomDense struct {
	spec RandomSpec
	// materialised host weights (column-major W^l, b^l), index l-1; nil
	// when the weights are regenerated per layer. hostV, hostC hold the
	// second factors of product layers (nil entries for dense layers).
	hostW, hostB [][]float64
	hostV, hostC [][]float64
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
	if spec.Kinds != nil && len(spec.Kinds) != len(spec.Widths)-1 {
		return nil, fmt.Errorf("random network: %d layer kinds for %d layers; give one per layer (or none: all dense)", len(spec.Kinds), len(spec.Widths)-1)
	}
	for l, k := range spec.Kinds {
		switch k {
		case layerkind.Dense, layerkind.Product:
		case layerkind.Attention:
			nIn, nOut := spec.Widths[l], spec.Widths[l+1]
			if nIn != nOut {
				return nil, fmt.Errorf("random network: attention layer %d maps width %d to %d; attention keeps the width", l+1, nIn, nOut)
			}
			if spec.TokenDim < 1 {
				return nil, fmt.Errorf("random network: attention layer %d: token dimension %d; give TokenDim >= 1", l+1, spec.TokenDim)
			}
			if nIn%spec.TokenDim != 0 {
				return nil, fmt.Errorf("random network: attention layer %d: width %d is not a whole number of tokens of dimension %d", l+1, nIn, spec.TokenDim)
			}
		default:
			return nil, fmt.Errorf("random network: layer %d has unknown kind %d", l+1, int(k))
		}
	}
	s := spec
	s.Widths = append([]int(nil), spec.Widths...)
	if spec.Kinds != nil {
		s.Kinds = append([]layerkind.Kind(nil), spec.Kinds...)
	}
	return &RandomDense{spec: s}, nil
}

// Kind returns the kind of layer l = 1..L (Dense outside that range).
func (n *RandomDense) Kind(l int) layerkind.Kind {
	if l < 1 || l > len(n.spec.Kinds) {
		return layerkind.Dense
	}
	return n.spec.Kinds[l-1]
}

// HasProduct reports whether any layer is a product layer.
func (n *RandomDense) HasProduct() bool {
	for _, k := range n.spec.Kinds {
		if k == layerkind.Product {
			return true
		}
	}
	return false
}

// Spec returns the network's spec (a copy: changing its slices does not
// change the network).
func (n *RandomDense) Spec() RandomSpec {
	s := n.spec
	s.Widths = append([]int(nil), n.spec.Widths...)
	if n.spec.Kinds != nil {
		s.Kinds = append([]layerkind.Kind(nil), n.spec.Kinds...)
	}
	return s
}

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
	hv, hc := make([][]float64, L), make([][]float64, L)
	for l := 1; l <= L; l++ {
		if n.Kind(l) == layerkind.Attention {
			continue // drawn on the backend by the layer itself
		}
		w, b, err := n.HostWeights(l)
		if err != nil {
			return err
		}
		hw[l-1], hb[l-1] = w, b
		if n.Kind(l) == layerkind.Product {
			if hv[l-1], hc[l-1], err = n.HostFactorWeights(l); err != nil {
				return err
			}
		}
	}
	n.hostW, n.hostB, n.hostV, n.hostC = hw, hb, hv, hc
	return nil
}

// HostWeights returns layer l's weights (N_l x N_{l-1}, column-major) and
// biases on the host, generated from the spec (the same numbers the backend
// generates: Philox normals are bit-identical on every backend). For a
// product layer these are the first factor's W^l and b^l; HostFactorWeights
// returns the second's. An attention layer has none: an error.
func (n *RandomDense) HostWeights(l int) (w, b []float64, err error) {
	if l < 1 || l > n.Depth() {
		return nil, nil, fmt.Errorf("layer %d outside 1..%d", l, n.Depth())
	}
	if n.Kind(l) == layerkind.Attention {
		return nil, nil, fmt.Errorf("layer %d is an attention layer: it has no dense weights", l)
	}
	if n.hostW != nil {
		return n.hostW[l-1], n.hostB[l-1], nil
	}
	w, b = n.hostDraw(l, WeightStream(l), BiasStream(l))
	return w, b, nil
}

// HostFactorWeights returns the second factor (V^l, c^l) of the product
// layer l on the host, laid out as HostWeights; an error for a dense layer.
func (n *RandomDense) HostFactorWeights(l int) (v, c []float64, err error) {
	if l < 1 || l > n.Depth() {
		return nil, nil, fmt.Errorf("layer %d outside 1..%d", l, n.Depth())
	}
	if n.Kind(l) != layerkind.Product {
		return nil, nil, fmt.Errorf("layer %d is %v: only product layers have a second factor", l, n.Kind(l))
	}
	if n.hostV != nil {
		return n.hostV[l-1], n.hostC[l-1], nil
	}
	v, c = n.hostDraw(l, FactorWeightStream(l), FactorBiasStream(l))
	return v, c, nil
}

// hostDraw draws one affine map of layer l from the weight and bias streams
// ws and bs.
func (n *RandomDense) hostDraw(l int, ws, bs uint64) (w, b []float64) {
	nOut, nIn := n.spec.Widths[l], n.spec.Widths[l-1]
	w = make([]float64, nOut*nIn)
	rng.FillNormal(w, n.spec.Seed, ws, 0)
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
	rng.FillNormal(b, n.spec.Seed, bs, 0)
	for i := range b {
		b[i] *= n.spec.SigmaB
	}
	return w, b
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
	maxW, maxWeights, product, attention := 0, 0, false, false
	for l := from; l <= to; l++ {
		maxW = max(maxW, n.spec.Widths[l])
		if l > from {
			if n.Kind(l) == layerkind.Attention {
				attention = true
			} else {
				maxWeights = max(maxWeights, n.spec.Widths[l]*n.spec.Widths[l-1])
			}
			product = product || n.Kind(l) == layerkind.Product
		}
	}
	// Scratch lives in sc and is freed when the pass ends; the result is
	// handed over with Keep.
	sc := engine.NewScope(b)
	defer sc.Close()
	cur, act := sc.Alloc(maxW*cols), sc.Alloc(maxW*cols)
	var wbuf, bbuf engine.Buffer
	if maxWeights > 0 {
		wbuf, bbuf = sc.Alloc(maxWeights), sc.Alloc(maxW)
	}
	// A product layer's second factor (its jet, for a jet pass) waits in
	// fac while the first is computed in cur; dense-only passes skip it.
	var fac engine.Buffer
	if product {
		fac = sc.Alloc(maxW * cols)
	}
	// Attention layers draw their 3 D^2 weights into theta and run in one
	// AttentionLayer, freed at the end of the pass.
	var theta engine.Buffer
	var attn *AttentionLayer
	if attention {
		D := n.spec.TokenDim
		theta = sc.Alloc(3 * D * D)
		if sc.Err() == nil {
			var err error
			if attn, err = NewAttentionLayer(b, D, maxW/D, n.spec.Residual); err != nil {
				return nil, err
			}
			defer attn.Free()
		}
	}
	if err := sc.Err(); err != nil {
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
		return nil, err
	}
	if obs != nil {
		if err := obs(from, view(cur, w0*cols), w0, cols); err != nil {
			return nil, err
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
				return nil, err
			}
		} else if opt.Jet {
			part := func(buf engine.Buffer, k int) engine.Buffer {
				v, _ := b.Slice(buf, k*nIn*batch, nIn*batch)
				return v
			}
			if err := b.ActivateJet(n.spec.Act.ID, part(h, 0), part(h, 1), part(h, 2), part(x, 0), part(x, 1), part(x, 2)); err != nil {
				return nil, fmt.Errorf("layer %d: %w", l, err)
			}
		} else if err := b.ActivateDerivative(n.spec.Act.ID, 0, h, x); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l, err)
		}
		out := view(cur, nOut*cols)
		if n.Kind(l) == layerkind.Attention {
			if err := n.attention(b, attn, theta, l, x, out, batch, opt.Jet); err != nil {
				return nil, fmt.Errorf("layer %d: %w", l, err)
			}
			if obs != nil {
				if err := obs(l, out, nOut, cols); err != nil {
					return nil, err
				}
			}
			continue
		}
		W, bias := view(wbuf, nOut*nIn), view(bbuf, nOut)
		affine := func(second bool, out engine.Buffer) error {
			if err := n.loadWeights(b, l, second, W, bias); err != nil {
				return err
			}
			if err := b.Gemm(engine.NoTrans, engine.NoTrans, nOut, cols, nIn, 1, W, nOut, x, nIn, 0, out, nOut); err != nil {
				return err
			}
			// Biases shift the values only; the derivatives of a constant are 0.
			return b.AddBias(nOut, batch, bias, out, nOut)
		}
		if err := affine(false, out); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l, err)
		}
		if n.Kind(l) == layerkind.Product {
			f := view(fac, nOut*cols)
			if err := affine(true, f); err != nil {
				return nil, fmt.Errorf("layer %d: %w", l, err)
			}
			// x is no longer needed: its first N_l B elements are scratch.
			if err := multiplyJets(b, out, f, view(act, nOut*batch), nOut*batch, opt.Jet); err != nil {
				return nil, fmt.Errorf("layer %d: %w", l, err)
			}
		}
		if obs != nil {
			if err := obs(l, out, nOut, cols); err != nil {
				return nil, err
			}
		}
	}
	wTo := n.spec.Widths[to]
	result := sc.Alloc(wTo * cols)
	sc.Copy(result, view(cur, wTo*cols))
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return sc.Keep(result), nil
}

// attention runs the attention layer l on x (N x batch, or the jet
// [x | v | a] of 3 such blocks) into out, of the same shape: a forward pass
// or the layer's Jet. attn is an AttentionLayer of token dimension
// TokenDim over at least N / TokenDim tokens; it is rebuilt for this
// layer's token count when that differs.
func (n *RandomDense) attention(b engine.Backend, attn *AttentionLayer, theta engine.Buffer, l int, x, out engine.Buffer, batch int, jet bool) error {
	N, D := n.spec.Widths[l], n.spec.TokenDim
	if attn.Tokens() != N/D {
		// Only the token count differs: same backend, dimension, residual.
		attn.Free()
		*attn = AttentionLayer{b: b, d: D, t: N / D, residual: n.spec.Residual, sc: attn.sc}
	}
	if err := attn.InitRandom(theta, n.spec.Seed, l, n.spec.SigmaW); err != nil {
		return err
	}
	if !jet {
		return attn.Forward(theta, x, batch, out)
	}
	part := func(buf engine.Buffer, k int) engine.Buffer {
		v, err := b.Slice(buf, k*N*batch, N*batch)
		if err != nil {
			panic(err) // sizes are computed by Run; a failure is a bug here
		}
		return v
	}
	return attn.Jet(theta, part(x, 0), part(x, 1), part(x, 2), batch, part(out, 0), part(out, 1), part(out, 2))
}

// multiplyJets replaces the jet of u (value, first and second derivative)
// in U by that of the product u * w, with the jet of w in V, elementwise:
//
//	h = u w,  h' = u' w + u w',  h'' = u'' w + 2 u' w' + u w''
//
// Each of U and V holds three blocks of n elements (one block when jet is
// false: h = u w only); S is scratch of n elements. The blocks are
// overwritten second derivatives first, then first derivatives, then
// values, so each uses only blocks of u not yet replaced.
func multiplyJets(b engine.Backend, U, V, S engine.Buffer, n int, jet bool) error {
	blk := func(x engine.Buffer, k int) engine.Buffer {
		v, err := b.Slice(x, k*n, n)
		if err != nil {
			panic(err) // sizes are computed by Run; a failure is a bug here
		}
		return v
	}
	u0, v0 := blk(U, 0), blk(V, 0)
	ops := engine.Ops(b)
	if jet {
		u1, u2, v1, v2 := blk(U, 1), blk(U, 2), blk(V, 1), blk(V, 2)
		ops.Hadamard(u2, v0, u2) // u'' w
		ops.Hadamard(u1, v1, S)  // u' w'
		ops.Axpy(n, 2, S, 1, u2, 1)
		ops.Hadamard(u0, v2, S) // u w''
		ops.Axpy(n, 1, S, 1, u2, 1)
		ops.Hadamard(u1, v0, u1) // u' w
		ops.Hadamard(u0, v1, S)  // u w'
		ops.Axpy(n, 1, S, 1, u1, 1)
	}
	ops.Hadamard(u0, v0, u0)
	return ops.Err()
}

// loadWeights fills W and bias with layer l's weights on the backend (the
// second factor's when second is true). Gaussian weights are drawn there
// directly (FillNormal, then the scale); orthogonal and materialised
// weights are computed on the host and uploaded.
func (n *RandomDense) loadWeights(b engine.Backend, l int, second bool, W, bias engine.Buffer) error {
	if n.Kind(l) == layerkind.Attention {
		return fmt.Errorf("layer %d is an attention layer: it has no dense weights", l)
	}
	ws, bs := WeightStream(l), BiasStream(l)
	if second {
		ws, bs = FactorWeightStream(l), FactorBiasStream(l)
	}
	if n.hostW == nil && n.spec.Law == Gaussian {
		nIn := n.spec.Widths[l-1]
		if err := b.FillNormal(W, n.spec.Seed, ws, 0, n.spec.SigmaW/math.Sqrt(float64(nIn))); err != nil {
			return err
		}
		return b.FillNormal(bias, n.spec.Seed, bs, 0, n.spec.SigmaB)
	}
	var w, bb []float64
	var err error
	if second {
		w, bb, err = n.HostFactorWeights(l)
	} else {
		w, bb, err = n.HostWeights(l)
	}
	if err != nil {
		return err
	}
	if err := b.Upload(W, w); err != nil {
		return err
	}
	return b.Upload(bias, bb)
}
