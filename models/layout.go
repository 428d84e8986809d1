package models

import (
	"fmt"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/layerkind"
)

// Block is where one layer's parameters lie in a network's flat parameter
// vector: the numbers [Off, Off+Len), made of the layer's tensors in
// order. It is the one way to address a layer's parameters, for trained
// networks (NetworkSpec.Block) and random ones (RandomSpec.Block) alike;
// the layout per kind is
//
//	dense      W (Out x In), b (Out)
//	product    W (Out x In), b (Out), V (Out x In), c (Out)
//	attention  Wq, Wk, Wv (D x D each)
//
// every matrix column-major. The same layout holds for a gradient, a
// direction or any buffer of NumParams numbers.
type Block struct {
	Layer    int // 1..L
	Kind     layerkind.Kind
	Off, Len int
	Tensors  []Tensor
}

// Tensor is one weight matrix or bias vector of a layer: Rows x Cols
// numbers (a bias is Rows x 1), column-major, at [Off, Off+Rows Cols) of
// the flat parameter vector. Weight is false for biases. Stream is the
// Philox stream its Gaussian numbers are drawn from (under the network's
// seed, element i from index i): the random networks' weights, and the
// initialisation of trained ones.
type Tensor struct {
	Name       string // W, b, V, c; Wq, Wk, Wv
	Rows, Cols int
	Off        int
	Weight     bool
	Stream     uint64
}

// Len is Rows Cols.
func (t Tensor) Len() int { return t.Rows * t.Cols }

// View returns the view of x, a buffer in the flat parameter layout, that
// holds the block.
func (bl Block) View(b engine.Backend, x engine.Buffer) (engine.Buffer, error) {
	v, err := b.Slice(x, bl.Off, bl.Len)
	if err != nil {
		return nil, fmt.Errorf("layer %d parameters: %w", bl.Layer, err)
	}
	return v, nil
}

// Views returns the views of x that hold the block's tensors, in order.
func (bl Block) Views(b engine.Backend, x engine.Buffer) ([]engine.Buffer, error) {
	out := make([]engine.Buffer, len(bl.Tensors))
	for i, t := range bl.Tensors {
		v, err := b.Slice(x, t.Off, t.Len())
		if err != nil {
			return nil, fmt.Errorf("layer %d parameter %s: %w", bl.Layer, t.Name, err)
		}
		out[i] = v
	}
	return out, nil
}

// Weights returns the block's weight matrices (no biases), in order.
func (bl Block) Weights() []Tensor {
	var out []Tensor
	for _, t := range bl.Tensors {
		if t.Weight {
			out = append(out, t)
		}
	}
	return out
}

// layerParams is the parameter count of a layer of kind k from nIn to nOut
// features: nOut (nIn + 1) dense, twice that for a product layer, 3 D^2
// for attention over tokens of dimension D.
func layerParams(k layerkind.Kind, nIn, nOut, D int) int {
	switch k {
	case layerkind.Product:
		return 2 * nOut * (nIn + 1)
	case layerkind.Attention:
		return 3 * D * D
	}
	return nOut * (nIn + 1)
}

// newBlock lays out layer l of kind k at off.
func newBlock(l int, k layerkind.Kind, nIn, nOut, D, off int) Block {
	bl := Block{Layer: l, Kind: k, Off: off, Len: layerParams(k, nIn, nOut, D)}
	add := func(name string, rows, cols int, weight bool, stream uint64) {
		bl.Tensors = append(bl.Tensors, Tensor{Name: name, Rows: rows, Cols: cols, Off: off, Weight: weight, Stream: stream})
		off += rows * cols
	}
	switch k {
	case layerkind.Attention:
		for i, name := range []string{"Wq", "Wk", "Wv"} {
			add(name, D, D, true, AttentionStream(l, i))
		}
	case layerkind.Product:
		add("W", nOut, nIn, true, WeightStream(l))
		add("b", nOut, 1, false, BiasStream(l))
		add("V", nOut, nIn, true, FactorWeightStream(l))
		add("c", nOut, 1, false, FactorBiasStream(l))
	default:
		add("W", nOut, nIn, true, WeightStream(l))
		add("b", nOut, 1, false, BiasStream(l))
	}
	return bl
}

// Philox streams of layer l's parameters under the network's seed.
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

// AttentionStream is the Philox stream of matrix k (0: Wq, 1: Wk, 2: Wv)
// of an attention layer l: 2^60 + 4l + k, apart from the dense (2l,
// 2l + 1), product-factor (2^61 + ...) and manifold input (2^62 + ...)
// streams.
func AttentionStream(l, k int) uint64 { return 1<<60 | uint64(l)<<2 | uint64(k) }
