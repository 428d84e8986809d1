// Package pytorch maps networks trained in PyTorch onto netgeom's and back,
// through the safetensors files PyTorch users save state dicts in. A
// multilayer perceptron built as nn.Sequential(nn.Linear, activation,
// nn.Linear, ..., nn.Linear) has the tensors "0.weight", "0.bias",
// "2.weight", "2.bias", ...: layer l of netgeom's dense network (y_l = W_l
// x_{l-1} + b_l, models.NetworkSpec) takes the l-th Linear's weight, which
// PyTorch stores out x in in row-major order, and its bias.
//
// Entry points: Params turns a safetensors file into the flat parameter
// vector of a models.NetworkSpec (the layout models.Network and the .ngm
// checkpoint use: per layer W column-major, then b); Tensors is the
// reverse. Layers are matched to tensors by their name prefixes, found
// automatically (every "P.weight" with a "P.bias", in natural order of P)
// or given; every mismatch (a missing, extra or misshapen tensor) is an
// error naming the tensor. Only dense layers map: netgeom's product and
// attention layers have no single PyTorch module with the same
// parameters.
package pytorch

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/safetensors"
)

// Prefixes returns the layer prefixes of f's tensors: every P with a 2-D
// "P.weight" and a 1-D "P.bias", in natural order (numeric parts compared
// as numbers, so "10" follows "9").
func Prefixes(f *safetensors.File) []string {
	var out []string
	for _, t := range f.Tensors {
		p, ok := strings.CutSuffix(t.Name, ".weight")
		if !ok || len(t.Shape) != 2 {
			continue
		}
		if b, ok := f.Lookup(p + ".bias"); ok && len(b.Shape) == 1 {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return naturalLess(out[i], out[j]) })
	return out
}

// naturalLess orders dotted names with numeric parts compared as numbers.
func naturalLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] == pb[i] {
			continue
		}
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		if ea == nil && eb == nil {
			return na < nb
		}
		return pa[i] < pb[i]
	}
	return len(pa) < len(pb)
}

// checkDense refuses a spec with layers that are not dense.
func checkDense(spec models.NetworkSpec) error {
	if err := spec.Check(); err != nil {
		return err
	}
	for l, k := range spec.Kinds {
		if k != layerkind.Dense {
			return fmt.Errorf("pytorch: layer %d is %s; only dense layers (nn.Linear) map between PyTorch and netgeom", l+1, k)
		}
	}
	return nil
}

// Params returns the parameters of a network of the given spec from f:
// layer l from the tensors prefixes[l-1] + ".weight" (shape [w_l,
// w_{l-1}]) and ".bias" (shape [w_l]). nil prefixes means Prefixes(f).
// Every tensor of f must be used.
func Params(f *safetensors.File, spec models.NetworkSpec, prefixes []string) ([]float64, error) {
	if err := checkDense(spec); err != nil {
		return nil, err
	}
	L := len(spec.Widths) - 1
	if prefixes == nil {
		prefixes = Prefixes(f)
	}
	if len(prefixes) != L {
		return nil, fmt.Errorf("pytorch: the file has %d Linear layers (%s), the network %s has %d; give the layers' names",
			len(prefixes), strings.Join(prefixes, ", "), spec.Describe(), L)
	}
	used := map[string]bool{}
	params := make([]float64, 0, spec.NumParams())
	for l := 1; l <= L; l++ {
		out, in := spec.Widths[l], spec.Widths[l-1]
		wn, bn := prefixes[l-1]+".weight", prefixes[l-1]+".bias"
		w, ok := f.Lookup(wn)
		if !ok {
			return nil, fmt.Errorf("pytorch: layer %d: no tensor %q", l, wn)
		}
		b, ok := f.Lookup(bn)
		if !ok {
			return nil, fmt.Errorf("pytorch: layer %d: no tensor %q (netgeom's layers have biases; save zeros for a Linear without one)", l, bn)
		}
		if len(w.Shape) != 2 || w.Shape[0] != out || w.Shape[1] != in {
			return nil, fmt.Errorf("pytorch: layer %d: %s has shape %v; a %d -> %d layer needs [%d, %d] (PyTorch's out x in)", l, wn, w.Shape, in, out, out, in)
		}
		if len(b.Shape) != 1 || b.Shape[0] != out {
			return nil, fmt.Errorf("pytorch: layer %d: %s has shape %v; want [%d]", l, bn, b.Shape, out)
		}
		used[wn], used[bn] = true, true
		// PyTorch's row-major out x in is netgeom's column-major out x in
		// transposed: element (i, j) moves from i*in + j to j*out + i.
		for j := 0; j < in; j++ {
			for i := 0; i < out; i++ {
				params = append(params, w.Data[i*in+j])
			}
		}
		params = append(params, b.Data...)
	}
	for _, t := range f.Tensors {
		if !used[t.Name] {
			return nil, fmt.Errorf("pytorch: tensor %q (shape %v) belongs to no layer of %s; remove it or name the layers", t.Name, t.Shape, spec.Describe())
		}
	}
	return params, nil
}

// Tensors returns params of a network of the given spec as PyTorch state
// dict tensors: prefixes[l-1] + ".weight" and ".bias" per layer (nil
// prefixes means nn.Sequential's "0", "2", "4", ...), of dtype "F64" or
// "F32" (F32 refuses values that are not float32 exactly).
func Tensors(spec models.NetworkSpec, params []float64, prefixes []string, dtype string) ([]safetensors.Tensor, error) {
	if err := checkDense(spec); err != nil {
		return nil, err
	}
	L := len(spec.Widths) - 1
	if prefixes == nil {
		for l := 0; l < L; l++ {
			prefixes = append(prefixes, strconv.Itoa(2*l))
		}
	}
	if len(prefixes) != L {
		return nil, fmt.Errorf("pytorch: %d names for the %d layers of %s", len(prefixes), L, spec.Describe())
	}
	if len(params) != spec.NumParams() {
		return nil, fmt.Errorf("pytorch: %d parameters for %s, which has %d", len(params), spec.Describe(), spec.NumParams())
	}
	var out []safetensors.Tensor
	at := 0
	for l := 1; l <= L; l++ {
		o, in := spec.Widths[l], spec.Widths[l-1]
		w := make([]float64, o*in)
		for j := 0; j < in; j++ {
			for i := 0; i < o; i++ {
				w[i*in+j] = params[at+j*o+i]
			}
		}
		at += o * in
		b := append([]float64(nil), params[at:at+o]...)
		at += o
		out = append(out,
			safetensors.Tensor{Name: prefixes[l-1] + ".weight", DType: dtype, Shape: []int{o, in}, Data: w},
			safetensors.Tensor{Name: prefixes[l-1] + ".bias", DType: dtype, Shape: []int{o}, Data: b})
	}
	return out, nil
}
