package models

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/layerkind"
)

// This file holds the trainable side of the package: MLP, a dense network
// whose parameters live in one flat backend buffer, its initialisation, and
// Data, a labelled set on the backend. The loss, gradient, Hessian-vector and
// Gauss-Newton products are in mlp_eval.go.

// MLPSpec names a trainable network. Layer l = 1..L maps width
// Widths[l-1] to Widths[l]; by default every layer is dense:
//
//	y_l = W_l x_{l-1} + b_l,   x_l = phi(y_l) for l < L,   z = y_L
//
// with x_0 the input: the hidden layers apply Act, the output layer is
// linear (its outputs z are the logits of the loss).
//
// Kinds[l-1] may make layer l a multiplication layer (Product: x_l =
// (W_l x_{l-1} + b_l) * (V_l x_{l-1} + c_l), elementwise, no activation)
// or single-head dot-product self-attention (Attention: the width, which
// must not change, is read as Widths[l] / TokenDim tokens of dimension
// TokenDim; parameters Wq, Wk, Wv; no activation; with Residual the input
// is added to the output), as the layers ProductLayer and AttentionLayer
// of a Stack. A network with any such layer is evaluated as a Stack of
// those layers; an all-dense one by the batched dense passes of
// mlp_eval.go. The flat parameter vector holds the layers' blocks one after
// the other (dense: W then b; product: W, b, V, c; attention: Wq, Wk, Wv).
type MLPSpec struct {
	Widths []int
	Act    activation.Func
	Loss   Loss
	// Kinds lists the layers' kinds, one per layer (nil: all dense).
	Kinds []layerkind.Kind
	// TokenDim is the token dimension of the attention layers.
	TokenDim int
	// Residual adds each attention layer's input to its output.
	Residual bool
}

// Kind returns layer l's kind (l = 1..L).
func (s MLPSpec) Kind(l int) layerkind.Kind {
	if l < 1 || l > len(s.Kinds) {
		return layerkind.Dense
	}
	return s.Kinds[l-1]
}

// Dense reports whether every layer is dense.
func (s MLPSpec) Dense() bool {
	for _, k := range s.Kinds {
		if k != layerkind.Dense {
			return false
		}
	}
	return true
}

// KindsString writes the layers' kinds as "product,dense,dense" ("" when
// all are dense).
func (s MLPSpec) KindsString() string {
	if s.Dense() {
		return ""
	}
	return layerkind.FormatList(s.Kinds)
}

// Describe writes the architecture, with the kinds when not all dense:
// "4-16-16-3", "4-16-16-3 (product,dense,dense)" or "64-64-16-10
// (attention,dense,dense; token dim 8, residual)".
func (s MLPSpec) Describe() string {
	k := s.KindsString()
	if k == "" {
		return s.ArchString()
	}
	if slices.Contains(s.Kinds, layerkind.Attention) {
		k += fmt.Sprintf("; token dim %d", s.TokenDim)
		if s.Residual {
			k += ", residual"
		}
	}
	return s.ArchString() + " (" + k + ")"
}

// Check validates the spec: at least one layer, every width >= 1, a known
// activation and loss, one kind per layer (or none), and for every
// attention layer an unchanged width that TokenDim divides.
func (s MLPSpec) Check() error {
	if len(s.Widths) < 2 {
		return fmt.Errorf("mlp: widths %v: give the input width, any hidden widths and the output width (at least two numbers)", s.Widths)
	}
	for i, w := range s.Widths {
		if w < 1 {
			return fmt.Errorf("mlp: width %d at position %d; widths must be >= 1", w, i)
		}
	}
	if s.Act.Phi == nil {
		return errors.New("mlp: no activation")
	}
	if _, err := activation.ByID(s.Act.ID); err != nil {
		return fmt.Errorf("mlp: %w", err)
	}
	if !s.Loss.valid() {
		return fmt.Errorf("mlp: unknown loss %d", int(s.Loss))
	}
	L := len(s.Widths) - 1
	if s.Kinds != nil && len(s.Kinds) != L {
		return fmt.Errorf("mlp: %d layer kinds for %d layers; give one per layer (or none: all dense)", len(s.Kinds), L)
	}
	if s.TokenDim < 0 {
		return fmt.Errorf("mlp: token dimension %d; it must be >= 1", s.TokenDim)
	}
	for l := 1; l <= L; l++ {
		switch k := s.Kind(l); k {
		case layerkind.Dense, layerkind.Product:
		case layerkind.Attention:
			if s.Widths[l] != s.Widths[l-1] {
				return fmt.Errorf("mlp: layer %d is attention, which keeps the width, but maps %d to %d features", l, s.Widths[l-1], s.Widths[l])
			}
			if s.TokenDim < 1 || s.Widths[l]%s.TokenDim != 0 {
				return fmt.Errorf("mlp: layer %d is attention over width %d: give a token dimension that divides it (got %d)", l, s.Widths[l], s.TokenDim)
			}
		default:
			return fmt.Errorf("mlp: layer %d: unknown kind %v", l, k)
		}
	}
	return nil
}

// LayerParamCount is the number of parameters of layer l: w_l (w_{l-1} +
// 1) dense, twice that for a product layer, 3 TokenDim^2 for attention.
func (s MLPSpec) LayerParamCount(l int) int {
	nOut, nIn := s.Widths[l], s.Widths[l-1]
	switch s.Kind(l) {
	case layerkind.Product:
		return 2 * nOut * (nIn + 1)
	case layerkind.Attention:
		return 3 * s.TokenDim * s.TokenDim
	}
	return nOut * (nIn + 1)
}

// NumParams is the number of parameters: the sum of LayerParamCount (for a
// dense network sum over layers of w_l (w_{l-1} + 1)).
func (s MLPSpec) NumParams() int {
	p := 0
	for l := 1; l < len(s.Widths); l++ {
		p += s.LayerParamCount(l)
	}
	return p
}

// ArchString writes the widths as "4-16-16-3".
func (s MLPSpec) ArchString() string { return FormatArch(s.Widths) }

// FormatArch writes widths as "4-16-16-3".
func FormatArch(widths []int) string {
	parts := make([]string, len(widths))
	for i, w := range widths {
		parts[i] = fmt.Sprint(w)
	}
	return strings.Join(parts, "-")
}

// ParseArch reads "4-16-16-3" (commas work as separators too) as widths,
// each a positive integer, at least two of them.
func ParseArch(s string) ([]int, error) {
	f := strings.Split(strings.ReplaceAll(strings.TrimSpace(s), ",", "-"), "-")
	if len(f) < 2 {
		return nil, fmt.Errorf("architecture %q: write the widths from input to output separated by '-', like 4-16-16-3", s)
	}
	out := make([]int, len(f))
	for i, p := range f {
		p = strings.TrimSpace(p)
		w, err := strconv.Atoi(p)
		if err != nil || w < 1 {
			return nil, fmt.Errorf("architecture %q: %q is not a positive integer width", s, p)
		}
		out[i] = w
	}
	return out, nil
}

// MLP is a trainable dense network on a backend. Its parameters are one
// flat buffer of NumParams float64s: for each layer l = 1..L, W_l (w_l x
// w_{l-1}, column-major) and then b_l (w_l). LayerParams returns views of
// one layer's W and b in any buffer of that layout (the network's own,
// a gradient, a direction). The methods that evaluate the network take the
// parameters as an argument, so that an optimiser or a finite-difference
// test can evaluate any point; Params is the network's own point.
type MLP struct {
	b          engine.Backend
	spec       MLPSpec
	off        []int // start of layer l's block, index l = 1..L+1 (off[L+1] = NumParams)
	wOff, bOff []int // offsets of W_l and b_l (dense layers), index l = 1..L
	nParams    int
	params     engine.Buffer
}

// NewMLP checks spec and allocates the network's parameters (zero) on b.
func NewMLP(b engine.Backend, spec MLPSpec) (*MLP, error) {
	if b == nil {
		return nil, errors.New("mlp: nil backend")
	}
	if err := spec.Check(); err != nil {
		return nil, err
	}
	s := spec
	s.Widths = append([]int(nil), spec.Widths...)
	if s.Dense() {
		s.Kinds = nil
	} else {
		s.Kinds = append([]layerkind.Kind(nil), spec.Kinds...)
	}
	L := len(s.Widths) - 1
	n := &MLP{b: b, spec: s, off: make([]int, L+2), wOff: make([]int, L+1), bOff: make([]int, L+1)}
	off := 0
	for l := 1; l <= L; l++ {
		n.off[l] = off
		n.wOff[l] = off
		n.bOff[l] = off + s.Widths[l]*s.Widths[l-1]
		off += s.LayerParamCount(l)
	}
	n.off[L+1] = off
	n.nParams = off
	p, err := b.Alloc(engine.Float64, off)
	if err != nil {
		return nil, fmt.Errorf("mlp: %d parameters: %w", off, err)
	}
	n.params = p
	return n, nil
}

// Free releases the parameter buffer.
func (n *MLP) Free() error {
	if n.params == nil {
		return nil
	}
	err := n.b.Free(n.params)
	n.params = nil
	return err
}

// Backend is the backend the network lives on.
func (n *MLP) Backend() engine.Backend { return n.b }

// Spec returns a copy of the network's spec.
func (n *MLP) Spec() MLPSpec {
	s := n.spec
	s.Widths = append([]int(nil), n.spec.Widths...)
	s.Kinds = append([]layerkind.Kind(nil), n.spec.Kinds...)
	if len(s.Kinds) == 0 {
		s.Kinds = nil
	}
	return s
}

// Depth is the number of layers L (hidden layers plus the output layer).
func (n *MLP) Depth() int { return len(n.spec.Widths) - 1 }

// Width returns w_l, l = 0..L.
func (n *MLP) Width(l int) int { return n.spec.Widths[l] }

// NumParams is the length of the flat parameter vector.
func (n *MLP) NumParams() int { return n.nParams }

// Params is the network's own parameter buffer (length NumParams).
func (n *MLP) Params() engine.Buffer { return n.params }

// Offsets returns where W_l and b_l start in the flat parameter vector
// (meaningful for dense layers; LayerRange covers every kind).
func (n *MLP) Offsets(l int) (w, b int) { return n.wOff[l], n.bOff[l] }

// LayerRange returns where layer l's block starts in the flat parameter
// vector and how many parameters it holds.
func (n *MLP) LayerRange(l int) (off, size int) { return n.off[l], n.off[l+1] - n.off[l] }

// LayerParams returns views of W_l (w_l x w_{l-1}, column-major) and b_l
// in theta, a buffer of length NumParams in the network's layout. Layer l
// must be dense (LayerBlock and LayerWeights serve every kind).
func (n *MLP) LayerParams(theta engine.Buffer, l int) (W, bias engine.Buffer, err error) {
	if l < 1 || l > n.Depth() {
		return nil, nil, fmt.Errorf("mlp: layer %d outside 1..%d", l, n.Depth())
	}
	if k := n.spec.Kind(l); k != layerkind.Dense {
		return nil, nil, fmt.Errorf("mlp: layer %d is a %v layer; this needs a dense one (a single W_l and b_l)", l, k)
	}
	if err := n.checkParams("parameters", theta); err != nil {
		return nil, nil, err
	}
	nOut, nIn := n.spec.Widths[l], n.spec.Widths[l-1]
	if W, err = n.b.Slice(theta, n.wOff[l], nOut*nIn); err != nil {
		return nil, nil, err
	}
	if bias, err = n.b.Slice(theta, n.bOff[l], nOut); err != nil {
		return nil, nil, err
	}
	return W, bias, nil
}

// LayerBlock returns the view of layer l's whole parameter block in theta
// (any kind).
func (n *MLP) LayerBlock(theta engine.Buffer, l int) (engine.Buffer, error) {
	if l < 1 || l > n.Depth() {
		return nil, fmt.Errorf("mlp: layer %d outside 1..%d", l, n.Depth())
	}
	if err := n.checkParams("parameters", theta); err != nil {
		return nil, err
	}
	off, size := n.LayerRange(l)
	return n.b.Slice(theta, off, size)
}

// LayerWeights returns views of layer l's weight matrices in theta,
// without biases: [W_l] for a dense layer, [W_l, V_l] for a product layer,
// [Wq, Wk, Wv] for attention.
func (n *MLP) LayerWeights(theta engine.Buffer, l int) ([]engine.Buffer, error) {
	blk, err := n.LayerBlock(theta, l)
	if err != nil {
		return nil, err
	}
	nOut, nIn := n.spec.Widths[l], n.spec.Widths[l-1]
	switch n.spec.Kind(l) {
	case layerkind.Product:
		v, err := views(n.b, blk, nOut*nIn, nOut, nOut*nIn, nOut)
		if err != nil {
			return nil, err
		}
		return []engine.Buffer{v[0], v[2]}, nil
	case layerkind.Attention:
		dd := n.spec.TokenDim * n.spec.TokenDim
		return views(n.b, blk, dd, dd, dd)
	}
	v, err := views(n.b, blk, nOut*nIn)
	return v, err
}

func (n *MLP) checkParams(what string, x engine.Buffer) error {
	if x == nil {
		return fmt.Errorf("mlp: %s: nil buffer", what)
	}
	if x.Len() != n.nParams {
		return fmt.Errorf("mlp: %s: %w: %d elements; the network has %d parameters", what, engine.ErrShape, x.Len(), n.nParams)
	}
	return nil
}

// NewParams allocates a zero buffer of NumParams elements (a gradient, a
// direction, an optimiser's state).
func (n *MLP) NewParams() (engine.Buffer, error) { return n.b.Alloc(engine.Float64, n.nParams) }

// SetParams uploads host parameters (length NumParams) into the network.
func (n *MLP) SetParams(p []float64) error {
	if len(p) != n.nParams {
		return fmt.Errorf("mlp: set parameters: %d values for %d parameters", len(p), n.nParams)
	}
	return n.b.Upload(n.params, p)
}

// HostParams downloads the network's parameters.
func (n *MLP) HostParams() ([]float64, error) {
	p := make([]float64, n.nParams)
	return p, n.b.Download(p, n.params)
}

// InitScheme names an initialisation of the weights.
type InitScheme int

const (
	// InitGaussian: W_ij ~ N(0, sigma_w^2 / fan_in), b_i ~ N(0, sigma_b^2)
	// (the random networks' convention: the same Philox streams, so an MLP
	// initialised this way has exactly the weights of the RandomDense with
	// the same widths, sigmas and seed).
	InitGaussian InitScheme = iota
	// InitGlorot: Glorot (Xavier) normal, W_ij ~ N(0, 2 / (fan_in +
	// fan_out)), times sigma_w when it is set.
	InitGlorot
	// InitHe: He (Kaiming) normal, W_ij ~ N(0, 2 / fan_in), times sigma_w
	// when it is set.
	InitHe
	// InitOrthogonal: a Haar-random matrix with orthonormal columns (or
	// rows), scaled as the random networks' orthogonal law so that
	// |W x|^2 / fan_out = sigma_w^2 |x|^2 / fan_in (sigma_w 1 when unset).
	InitOrthogonal
)

var initNames = []string{"gaussian", "glorot", "he", "orthogonal"}

func (s InitScheme) String() string {
	if s >= 0 && int(s) < len(initNames) {
		return initNames[s]
	}
	return fmt.Sprintf("InitScheme(%d)", int(s))
}

// InitNames are the names ParseInit accepts.
func InitNames() []string { return append([]string(nil), initNames...) }

// ParseInit reads an initialisation name: gaussian (also normal), glorot
// (also xavier), he (also kaiming), orthogonal.
func ParseInit(s string) (InitScheme, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "gaussian", "normal":
		return InitGaussian, nil
	case "glorot", "xavier":
		return InitGlorot, nil
	case "he", "kaiming":
		return InitHe, nil
	case "orthogonal":
		return InitOrthogonal, nil
	}
	return 0, fmt.Errorf("unknown initialisation %q: valid names are %s", s, strings.Join(initNames, ", "))
}

// Init is an initialisation: the scheme and its scales. SigmaW is the
// weight scale of InitGaussian (required there) and an optional gain for
// the others (0 means 1); the biases are N(0, SigmaB^2) under every scheme
// (0, the default, gives zero biases).
type Init struct {
	Scheme         InitScheme
	SigmaW, SigmaB float64
}

// Initialize sets the network's parameters from init and seed. Layer l's
// weights are the Philox normals of stream WeightStream(l) and its biases
// those of BiasStream(l) under seed (drawn on the backend, except for the
// orthogonal scheme, whose QR factorisation runs on the host), so a model
// is reproducible from its seed on every backend.
func (n *MLP) Initialize(init Init, seed uint64) error {
	for name, v := range map[string]float64{"sigma_w": init.SigmaW, "sigma_b": init.SigmaB} {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("mlp: init: %s = %v; it must be finite and >= 0", name, v)
		}
	}
	if init.Scheme < InitGaussian || init.Scheme > InitOrthogonal {
		return fmt.Errorf("mlp: init: unknown scheme %d", int(init.Scheme))
	}
	gain := init.SigmaW
	if gain == 0 && init.Scheme != InitGaussian {
		gain = 1
	}
	// fill draws one rows x cols weight matrix from stream.
	fill := func(ops *engine.Recorder, W engine.Buffer, rows, cols int, stream uint64) {
		nOut, nIn := float64(rows), float64(cols)
		if init.Scheme == InitOrthogonal {
			w := make([]float64, W.Len())
			rng.FillNormal(w, seed, stream, 0)
			orthogonalise(w, rows, cols)
			scale := gain * math.Sqrt(max(1, nOut/nIn))
			for i := range w {
				w[i] *= scale
			}
			ops.Upload(W, w)
			return
		}
		var std float64
		switch init.Scheme {
		case InitGaussian:
			std = init.SigmaW / math.Sqrt(nIn)
		case InitGlorot:
			std = gain * math.Sqrt(2/(nIn+nOut))
		case InitHe:
			std = gain * math.Sqrt(2/nIn)
		}
		ops.FillNormal(W, seed, stream, 0, std)
	}
	for l := 1; l <= n.Depth(); l++ {
		nOut, nIn := n.spec.Widths[l], n.spec.Widths[l-1]
		ops := engine.Ops(n.b)
		switch n.spec.Kind(l) {
		case layerkind.Dense:
			W, bias, err := n.LayerParams(n.params, l)
			if ops.Fail(err) == nil {
				fill(ops, W, nOut, nIn, WeightStream(l))
				ops.FillNormal(bias, seed, BiasStream(l), 0, init.SigmaB)
			}
		case layerkind.Product:
			// Both factors as a dense layer each, from the streams of a
			// random product network (so the Gaussian scheme gives its
			// weights exactly).
			blk, err := n.LayerBlock(n.params, l)
			if ops.Fail(err) == nil {
				v, err := views(n.b, blk, nOut*nIn, nOut, nOut*nIn, nOut)
				if ops.Fail(err) == nil {
					fill(ops, v[0], nOut, nIn, WeightStream(l))
					ops.FillNormal(v[1], seed, BiasStream(l), 0, init.SigmaB)
					fill(ops, v[2], nOut, nIn, FactorWeightStream(l))
					ops.FillNormal(v[3], seed, FactorBiasStream(l), 0, init.SigmaB)
				}
			}
		case layerkind.Attention:
			// Wq, Wk, Wv as D x D dense layers, from the streams of a
			// random attention network; no biases.
			ws, err := n.LayerWeights(n.params, l)
			if ops.Fail(err) == nil {
				D := n.spec.TokenDim
				for k, W := range ws {
					fill(ops, W, D, D, AttentionStream(l, k))
				}
			}
		}
		if err := ops.Err(); err != nil {
			return fmt.Errorf("mlp: init layer %d: %w", l, err)
		}
	}
	return nil
}

// Data is a labelled set on a backend: inputs X (D x N) and targets T
// (C x N), one sample per column (column-major, leading dimensions D and
// C), and the class labels on the host for accuracies (nil for regression
// targets).
type Data struct {
	b       engine.Backend
	X, T    engine.Buffer
	N, D, C int
	Labels  []int
	view    bool
}

// NewData uploads x (N samples of d features, sample i at x[i*d:(i+1)*d],
// which is the D x N column-major matrix) and targets t (N x c the same
// way). labels may be nil; if not, it has N entries in [0, c).
func NewData(b engine.Backend, x []float64, d int, t []float64, c int, labels []int) (*Data, error) {
	if d < 1 || c < 1 {
		return nil, fmt.Errorf("data: %d features and %d targets per sample; want >= 1 each", d, c)
	}
	if len(x)%d != 0 {
		return nil, fmt.Errorf("data: %d input values are not a whole number of %d-feature samples", len(x), d)
	}
	n := len(x) / d
	if n < 1 {
		return nil, errors.New("data: no samples")
	}
	if len(t) != n*c {
		return nil, fmt.Errorf("data: %d target values for %d samples of %d targets", len(t), n, c)
	}
	if labels != nil {
		if len(labels) != n {
			return nil, fmt.Errorf("data: %d labels for %d samples", len(labels), n)
		}
		for i, y := range labels {
			if y < 0 || y >= c {
				return nil, fmt.Errorf("data: sample %d has label %d; want [0, %d)", i, y, c)
			}
		}
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("data: sample %d feature %d is %v; want finite values", i/d, i%d, v)
		}
	}
	s := engine.NewScope(b)
	defer s.Close()
	X, T := s.FromHost(x), s.FromHost(t)
	if err := s.Err(); err != nil {
		return nil, err
	}
	return &Data{b: b, X: s.Keep(X), T: s.Keep(T), N: n, D: d, C: c, Labels: append([]int(nil), labels...)}, nil
}

// Columns returns samples [lo, hi) as views of d (no copy; freeing the
// views is a no-op, and they are invalid once d is freed).
func (d *Data) Columns(lo, hi int) (*Data, error) {
	if lo < 0 || hi > d.N || lo >= hi {
		return nil, fmt.Errorf("data: columns [%d, %d) of %d samples", lo, hi, d.N)
	}
	X, err := d.b.Slice(d.X, lo*d.D, (hi-lo)*d.D)
	if err != nil {
		return nil, err
	}
	T, err := d.b.Slice(d.T, lo*d.C, (hi-lo)*d.C)
	if err != nil {
		return nil, err
	}
	var labels []int
	if d.Labels != nil {
		labels = d.Labels[lo:hi:hi]
	}
	return &Data{b: d.b, X: X, T: T, N: hi - lo, D: d.D, C: d.C, Labels: labels, view: true}, nil
}

// Upload replaces the contents of d (same shape) with new samples: x and t
// as for NewData, labels nil or N entries. Minibatch training reshuffles
// the samples into the same buffers this way.
func (d *Data) Upload(x, t []float64, labels []int) error {
	if len(x) != d.N*d.D || len(t) != d.N*d.C || (labels != nil && len(labels) != d.N) {
		return fmt.Errorf("data: upload of %d inputs, %d targets, %d labels into %d samples of %d features and %d targets",
			len(x), len(t), len(labels), d.N, d.D, d.C)
	}
	ops := engine.Ops(d.b)
	ops.Upload(d.X, x)
	ops.Upload(d.T, t)
	if err := ops.Err(); err != nil {
		return err
	}
	if labels != nil {
		d.Labels = append(d.Labels[:0:0], labels...)
	}
	return nil
}

// Free releases the buffers (a no-op for views made by Columns).
func (d *Data) Free() {
	if d == nil || d.view {
		return
	}
	if d.X != nil {
		d.b.Free(d.X)
	}
	if d.T != nil {
		d.b.Free(d.T)
	}
	d.X, d.T = nil, nil
}
