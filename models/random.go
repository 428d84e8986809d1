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
//	h^l = Attention(x^{l-1})  (+ x^{l-1} when Residual)
//
// with Wq, Wk, Wv ~ N(0, SigmaW^2 / D) elementwise, always Gaussian
// whatever Law says; it has no bias (SigmaB does not enter). TokenDim must
// divide the widths of every attention layer; it is unused by networks
// without one. Every weight matrix and bias is drawn from its own Philox
// stream under Seed (Block(l).Tensors[i].Stream).
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

// Kind returns the kind of layer l = 1..L (Dense outside that range).
func (s RandomSpec) Kind(l int) layerkind.Kind { return kindOf(s.Kinds, l) }

// Block returns where layer l's parameters lie in the network's flat
// parameter layout (the layout of a trained network of the same widths and
// kinds; a random network does not keep the vector, it draws each block
// when the layer runs).
func (s RandomSpec) Block(l int) Block {
	off := 0
	for k := 1; k < l; k++ {
		off += layerParams(s.Kind(k), s.Widths[k-1], s.Widths[k], s.TokenDim)
	}
	return newBlock(l, s.Kind(l), s.Widths[l-1], s.Widths[l], s.TokenDim, off)
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

// RandomNetwork is a random network (dense, product and attention layers)
// whose weights are a pure function of its spec: it holds none unless
// materialised, and draws each layer's when the layer runs, so that memory
// stays at one layer's weights whatever the depth.
type RandomNetwork struct {
	spec RandomSpec
	st   *stack
	// host holds the materialised parameters: host[l-1][i] is tensor i of
	// layer l's block (nil for attention layers, which are drawn on the
	// backend); nil when the weights are regenerated per layer.
	host [][][]float64
	// stored holds every layer's parameters on storedOn, in the flat
	// layout (Store); nil when they are drawn per layer.
	stored   engine.Buffer
	storedOn engine.Backend
}

// NewRandomNetwork checks spec and returns the network.
func NewRandomNetwork(spec RandomSpec) (*RandomNetwork, error) {
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
	n := &RandomNetwork{spec: s}
	if len(s.Widths) > 1 {
		n.st = randomStack(s)
	}
	return n, nil
}

// Spec returns the network's spec (a copy: changing its slices does not
// change the network).
func (n *RandomNetwork) Spec() RandomSpec {
	s := n.spec
	s.Widths = append([]int(nil), n.spec.Widths...)
	if n.spec.Kinds != nil {
		s.Kinds = append([]layerkind.Kind(nil), n.spec.Kinds...)
	}
	return s
}

// Depth is the number of layers L.
func (n *RandomNetwork) Depth() int { return len(n.spec.Widths) - 1 }

// Width returns N_l, l = 0..L.
func (n *RandomNetwork) Width(l int) int { return n.spec.Widths[l] }

// StoredBytes is the memory Store takes on the backend: 8 bytes per
// parameter of every layer.
func (n *RandomNetwork) StoredBytes() int64 {
	if n.st == nil {
		return 0
	}
	return 8 * int64(n.st.np)
}

// Store draws every layer's parameters once onto b and keeps them there,
// so that each later Run on b reads them instead of drawing them again
// (the same numbers: a pass gives the same bits stored or not). It pays
// where a network runs more than once (curves in chunks, bisections,
// benchmarks); a single pass draws each layer once either way. Close
// frees them; Store again is a no-op.
func (n *RandomNetwork) Store(b engine.Backend) error {
	if n.stored != nil || n.st == nil {
		return nil
	}
	buf, err := b.Alloc(engine.DTypeOf(b), n.st.np)
	if err != nil {
		return fmt.Errorf("store the weights of %d parameters: %w", n.st.np, err)
	}
	for l := 1; l <= n.Depth(); l++ {
		blk := n.st.blocks[l]
		v, err := b.Slice(buf, blk.Off, blk.Len)
		if err == nil {
			err = n.draw(b, l, v, blk.Off, blk.Off+blk.Len)
		}
		if err != nil {
			b.Free(buf)
			return fmt.Errorf("store layer %d: %w", l, err)
		}
	}
	n.stored, n.storedOn = buf, b
	return nil
}

// Stored reports whether the weights are kept on a backend (Store).
func (n *RandomNetwork) Stored() bool { return n.stored != nil }

// Close frees the stored weights, if any; the network then draws them
// per layer again.
func (n *RandomNetwork) Close() error {
	if n.stored == nil {
		return nil
	}
	err := n.storedOn.Free(n.stored)
	n.stored, n.storedOn = nil, nil
	return err
}

// Materialise generates every dense and product layer's parameters once
// and keeps them on the host, for small networks that are run many times
// (attention layers are still drawn on the backend).
func (n *RandomNetwork) Materialise() error {
	if n.host != nil {
		return nil
	}
	host := make([][][]float64, n.Depth())
	for l := 1; l <= n.Depth(); l++ {
		if n.spec.Kind(l) == layerkind.Attention {
			continue
		}
		p, err := n.HostParams(l)
		if err != nil {
			return err
		}
		host[l-1] = p
	}
	n.host = host
	return nil
}

// HostParams returns layer l's parameters on the host, one slice per
// tensor of Block(l) in its order (W, b; W, b, V, c; Wq, Wk, Wv): the same
// numbers the backend draws (Philox normals are bit-identical on every
// backend).
func (n *RandomNetwork) HostParams(l int) ([][]float64, error) {
	if l < 1 || l > n.Depth() {
		return nil, fmt.Errorf("layer %d outside 1..%d", l, n.Depth())
	}
	if n.host != nil && n.host[l-1] != nil {
		return n.host[l-1], nil
	}
	blk := n.st.blocks[l]
	out := make([][]float64, len(blk.Tensors))
	for i, t := range blk.Tensors {
		v := make([]float64, t.Len())
		rng.FillNormal(v, n.spec.Seed, t.Stream, 0)
		std := n.spec.SigmaB
		if t.Weight {
			std = n.spec.SigmaW / math.Sqrt(float64(t.Cols))
			if n.spec.Law == Orthogonal && blk.Kind != layerkind.Attention {
				orthogonalise(v, t.Rows, t.Cols)
				std = n.spec.SigmaW * math.Sqrt(max(1, float64(t.Rows)/float64(t.Cols)))
			}
		}
		for j := range v {
			v[j] *= std
		}
		out[i] = v
	}
	return out, nil
}

// drawn gives a layer of a random network its parameters part by part,
// drawn into one buffer (so that a part is valid until the next is drawn).
type drawn struct {
	n   *RandomNetwork
	b   engine.Backend
	l   int
	buf engine.Buffer
}

func (d drawn) part(k int) (engine.Buffer, error) {
	sizes := d.n.st.steps[d.n.st.last[d.l]].parts()
	lo := d.n.st.blocks[d.l].Off
	for _, s := range sizes[:k] {
		lo += s
	}
	if d.n.stored != nil && d.n.storedOn == d.b {
		return d.b.Slice(d.n.stored, lo, sizes[k])
	}
	if err := d.n.draw(d.b, d.l, d.buf, lo, lo+sizes[k]); err != nil {
		return nil, err
	}
	return d.b.Slice(d.buf, 0, sizes[k])
}

// draw writes the tensors of layer l that lie in [lo, hi) of the flat
// layout into dst (tensor t at t.Off - lo): Gaussian weights drawn on the
// backend (attention's always), orthogonal and materialised ones uploaded
// from the host.
func (n *RandomNetwork) draw(b engine.Backend, l int, dst engine.Buffer, lo, hi int) error {
	blk := n.st.blocks[l]
	s := engine.NewScope(b)
	var host [][]float64
	for i, t := range blk.Tensors {
		if t.Off < lo || t.Off >= hi {
			continue
		}
		v := s.View(dst, t.Off-lo, t.Len())
		if blk.Kind == layerkind.Attention || (n.host == nil && n.spec.Law == Gaussian) {
			std := n.spec.SigmaB
			if t.Weight {
				std = n.spec.SigmaW / math.Sqrt(float64(t.Cols))
			}
			s.FillNormal(v, n.spec.Seed, t.Stream, 0, std)
			continue
		}
		if host == nil {
			var err error
			if host, err = n.HostParams(l); err != nil {
				return err
			}
		}
		s.Upload(v, host[i])
	}
	return s.Err()
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
// 3*batch for a jet. The weights of each layer are drawn on the backend
// when the layer runs and overwritten by the next, unless the network is
// materialised. obs, when not nil, sees the input and every layer's output.
func (n *RandomNetwork) Run(b engine.Backend, in engine.Buffer, batch int, opt RunOptions, obs Observer) (engine.Buffer, error) {
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
	first, last := 0, -1 // the steps of layers from+1..to
	if to > from {
		first, last = n.st.last[from]+1, n.st.last[to]
		if from == 0 {
			first = 0
		}
	}
	maxW, maxPart := 0, 0
	for l := from; l <= to; l++ {
		maxW = max(maxW, n.spec.Widths[l])
	}
	for i := first; i <= last; i++ {
		for _, p := range n.st.steps[i].parts() {
			maxPart = max(maxPart, p)
		}
	}
	// Everything lives in sc and is freed when the pass ends; the result is
	// handed over with Keep.
	sc := engine.NewScope(b)
	defer sc.Close()
	buf := [2]engine.Buffer{sc.Alloc(maxW * cols), sc.Alloc(maxW * cols)}
	var par engine.Buffer
	if maxPart > 0 && !(n.stored != nil && n.storedOn == b) {
		par = sc.Alloc(maxPart)
	}
	w0 := n.spec.Widths[from]
	h := sc.View(buf[0], 0, w0*cols)
	sc.Copy(h, in)
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if obs != nil {
		if err := obs(from, h, w0, cols); err != nil {
			return nil, err
		}
	}
	cur := 0
	for i := first; i <= last; i++ {
		s := n.st.steps[i]
		f := &frame{cols: batch, x: sc.View(buf[cur], 0, s.inDim()*cols), y: sc.View(buf[1-cur], 0, s.outDim()*cols), sc: sc, spare: buf[cur]}
		src := drawn{n: n, b: b, l: s.num, buf: par}
		if opt.Jet {
			s.jet(f, src)
		} else {
			s.forward(f, src, needValues)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("layer %d: %w", s.num, err)
		}
		cur = 1 - cur
		if obs != nil && i == n.st.last[s.num] {
			if err := obs(s.num, f.y, s.outDim(), cols); err != nil {
				return nil, err
			}
		}
	}
	wTo := n.spec.Widths[to]
	if wTo == maxW {
		// The last output fills its buffer: hand the buffer over.
		return sc.Keep(buf[cur]), nil
	}
	result := sc.Alloc(wTo * cols)
	sc.Copy(result, sc.View(buf[cur], 0, wTo*cols))
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return sc.Keep(result), nil
}
