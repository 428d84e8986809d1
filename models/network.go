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

// This file holds the trainable network, Network: its spec, its flat
// parameter vector and where each layer's parameters lie in it (Block),
// and its initialisation. It is evaluated (loss, gradient, Hessian-vector
// and Gauss-Newton products) by Evaluator and Hessian, eval.go, through
// the layers of layer_*.go.

// NetworkSpec names a trainable network. Layer l = 1..L maps width
// Widths[l-1] to Widths[l]; by default every layer is dense:
//
//	y_l = W_l x_{l-1} + b_l,   x_l = phi(y_l) for l < L,   z = y_L
//
// with x_0 the input: the hidden layers apply Act, the output layer is
// linear (its outputs z are the logits of the loss).
//
// Kinds[l-1] may make layer l a multiplication layer (layerkind.Product:
// x_l = (W_l x_{l-1} + b_l) * (V_l x_{l-1} + c_l), elementwise, no
// activation) or single-head dot-product self-attention
// (layerkind.Attention: the width, which must not change, is read as
// Widths[l] / TokenDim tokens of dimension TokenDim; parameters Wq, Wk,
// Wv; no activation; with Residual the input is added to the output). The
// flat parameter vector holds the layers' blocks one after the other
// (Block: dense W then b; product W, b, V, c; attention Wq, Wk, Wv).
type NetworkSpec struct {
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
func (s NetworkSpec) Kind(l int) layerkind.Kind { return kindOf(s.Kinds, l) }

func kindOf(kinds []layerkind.Kind, l int) layerkind.Kind {
	if l < 1 || l > len(kinds) {
		return layerkind.Dense
	}
	return kinds[l-1]
}

// Dense reports whether every layer is dense.
func (s NetworkSpec) Dense() bool {
	for _, k := range s.Kinds {
		if k != layerkind.Dense {
			return false
		}
	}
	return true
}

// KindsString writes the layers' kinds as "product,dense,dense" ("" when
// all are dense).
func (s NetworkSpec) KindsString() string {
	if s.Dense() {
		return ""
	}
	return layerkind.FormatList(s.Kinds)
}

// Describe writes the architecture, with the kinds when not all dense:
// "4-16-16-3", "4-16-16-3 (product,dense,dense)" or "64-64-16-10
// (attention,dense,dense; token dim 8, residual)".
func (s NetworkSpec) Describe() string {
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
func (s NetworkSpec) Check() error {
	if len(s.Widths) < 2 {
		return fmt.Errorf("network: widths %v: give the input width, any hidden widths and the output width (at least two numbers)", s.Widths)
	}
	for i, w := range s.Widths {
		if w < 1 {
			return fmt.Errorf("network: width %d at position %d; widths must be >= 1", w, i)
		}
	}
	if s.Act.Phi == nil {
		return errors.New("network: no activation")
	}
	if _, err := activation.ByID(s.Act.ID); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	if !s.Loss.valid() {
		return fmt.Errorf("network: unknown loss %d", int(s.Loss))
	}
	L := len(s.Widths) - 1
	if s.Kinds != nil && len(s.Kinds) != L {
		return fmt.Errorf("network: %d layer kinds for %d layers; give one per layer (or none: all dense)", len(s.Kinds), L)
	}
	if s.TokenDim < 0 {
		return fmt.Errorf("network: token dimension %d; it must be >= 1", s.TokenDim)
	}
	for l := 1; l <= L; l++ {
		switch k := s.Kind(l); k {
		case layerkind.Dense, layerkind.Product:
		case layerkind.Attention:
			if s.Widths[l] != s.Widths[l-1] {
				return fmt.Errorf("network: layer %d is attention, which keeps the width, but maps %d to %d features", l, s.Widths[l-1], s.Widths[l])
			}
			if s.TokenDim < 1 || s.Widths[l]%s.TokenDim != 0 {
				return fmt.Errorf("network: layer %d is attention over width %d: give a token dimension that divides it (got %d)", l, s.Widths[l], s.TokenDim)
			}
		default:
			return fmt.Errorf("network: layer %d: unknown kind %v", l, k)
		}
	}
	return nil
}

// Block returns where layer l's parameters lie in the flat parameter
// vector (l = 1..L).
func (s NetworkSpec) Block(l int) Block {
	off := 0
	for k := 1; k < l; k++ {
		off += layerParams(s.Kind(k), s.Widths[k-1], s.Widths[k], s.TokenDim)
	}
	return newBlock(l, s.Kind(l), s.Widths[l-1], s.Widths[l], s.TokenDim, off)
}

// NumParams is the number of parameters: the sum of the blocks' lengths
// (for a dense network the sum over layers of w_l (w_{l-1} + 1)).
func (s NetworkSpec) NumParams() int {
	p := 0
	for l := 1; l < len(s.Widths); l++ {
		p += layerParams(s.Kind(l), s.Widths[l-1], s.Widths[l], s.TokenDim)
	}
	return p
}

// ArchString writes the widths as "4-16-16-3".
func (s NetworkSpec) ArchString() string { return FormatArch(s.Widths) }

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

// Network is a trainable network on a backend: a sequence of layers
// (dense, product, attention) over one flat buffer of NumParams float64s,
// each layer's parameters a Block of it. The methods that evaluate the
// network (Evaluator, Hessian) take the parameters as an argument, so that
// an optimiser or a finite-difference test can evaluate any point; Params
// is the network's own point.
type Network struct {
	b      engine.Backend
	spec   NetworkSpec
	st     *stack
	params engine.Buffer
}

// NewNetwork checks spec and allocates the network's parameters (zero) on
// b.
func NewNetwork(b engine.Backend, spec NetworkSpec) (*Network, error) {
	if b == nil {
		return nil, errors.New("network: nil backend")
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
	n := &Network{b: b, spec: s, st: trainedStack(s)}
	p, err := b.Alloc(engine.DTypeOf(b), n.st.np)
	if err != nil {
		return nil, fmt.Errorf("network: %d parameters: %w", n.st.np, err)
	}
	n.params = p
	return n, nil
}

// Close releases the parameter buffer.
func (n *Network) Close() error {
	if n.params == nil {
		return nil
	}
	err := n.b.Free(n.params)
	n.params = nil
	return err
}

// Backend is the backend the network lives on.
func (n *Network) Backend() engine.Backend { return n.b }

// Spec returns a copy of the network's spec.
func (n *Network) Spec() NetworkSpec {
	s := n.spec
	s.Widths = append([]int(nil), n.spec.Widths...)
	s.Kinds = append([]layerkind.Kind(nil), n.spec.Kinds...)
	if len(s.Kinds) == 0 {
		s.Kinds = nil
	}
	return s
}

// Depth is the number of layers L (hidden layers plus the output layer).
func (n *Network) Depth() int { return len(n.spec.Widths) - 1 }

// Width returns w_l, l = 0..L.
func (n *Network) Width(l int) int { return n.spec.Widths[l] }

// NumParams is the length of the flat parameter vector.
func (n *Network) NumParams() int { return n.st.np }

// Params is the network's own parameter buffer (length NumParams).
func (n *Network) Params() engine.Buffer { return n.params }

func (n *Network) checkParams(what string, x engine.Buffer) error {
	if x == nil {
		return fmt.Errorf("network: %s: nil buffer", what)
	}
	if x.Len() != n.st.np {
		return fmt.Errorf("network: %s: %w: %d elements; the network has %d parameters", what, engine.ErrShape, x.Len(), n.st.np)
	}
	return nil
}

// NewParams allocates a zero buffer of NumParams elements (a gradient, a
// direction, an optimiser's state).
func (n *Network) NewParams() (engine.Buffer, error) { return n.b.Alloc(engine.DTypeOf(n.b), n.st.np) }

// SetParams uploads host parameters (length NumParams) into the network.
func (n *Network) SetParams(p []float64) error {
	if len(p) != n.st.np {
		return fmt.Errorf("network: set parameters: %d values for %d parameters", len(p), n.st.np)
	}
	return n.b.Upload(n.params, p)
}

// HostParams downloads the network's parameters.
func (n *Network) HostParams() ([]float64, error) {
	p := make([]float64, n.st.np)
	return p, n.b.Download(p, n.params)
}

// InitScheme names an initialisation of the weights.
type InitScheme int

const (
	// InitGaussian: W_ij ~ N(0, sigma_w^2 / fan_in), b_i ~ N(0, sigma_b^2)
	// (the random networks' convention: the same Philox streams, so a
	// Network initialised this way has exactly the weights of the
	// RandomNetwork with the same widths, kinds, sigmas and seed).
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

// Initialize sets the network's parameters from init and seed. Every
// weight matrix and bias of layer l is drawn from its Philox stream under
// seed (Tensor.Stream, the streams of a random network of the same kinds),
// on the backend except for the orthogonal scheme, whose QR factorisation
// runs on the host, so a model is reproducible from its seed on every
// backend.
func (n *Network) Initialize(init Init, seed uint64) error {
	for name, v := range map[string]float64{"sigma_w": init.SigmaW, "sigma_b": init.SigmaB} {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("network: init: %s = %v; it must be finite and >= 0", name, v)
		}
	}
	if init.Scheme < InitGaussian || init.Scheme > InitOrthogonal {
		return fmt.Errorf("network: init: unknown scheme %d", int(init.Scheme))
	}
	gain := init.SigmaW
	if gain == 0 && init.Scheme != InitGaussian {
		gain = 1
	}
	for l := 1; l <= n.Depth(); l++ {
		blk := n.st.blocks[l]
		s := engine.NewScope(n.b)
		for _, t := range blk.Tensors {
			W := s.View(n.params, t.Off, t.Len())
			if !t.Weight {
				s.FillNormal(W, seed, t.Stream, 0, init.SigmaB)
				continue
			}
			rows, cols := float64(t.Rows), float64(t.Cols)
			if init.Scheme == InitOrthogonal {
				w := make([]float64, t.Len())
				rng.FillNormal(w, seed, t.Stream, 0)
				orthogonalise(w, t.Rows, t.Cols)
				scale := gain * math.Sqrt(max(1, rows/cols))
				for i := range w {
					w[i] *= scale
				}
				s.Upload(W, w)
				continue
			}
			var std float64
			switch init.Scheme {
			case InitGaussian:
				std = init.SigmaW / math.Sqrt(cols)
			case InitGlorot:
				std = gain * math.Sqrt(2/(cols+rows))
			case InitHe:
				std = gain * math.Sqrt(2/cols)
			}
			s.FillNormal(W, seed, t.Stream, 0, std)
		}
		err := s.Err()
		s.Close()
		if err != nil {
			return fmt.Errorf("network: init layer %d: %w", l, err)
		}
	}
	return nil
}
