// Package layerkind names the kinds of layer a netgeom network is built
// from: dense, product (multiplication neurons) and dot-product
// self-attention. It is a leaf package so that the mean-field theory
// (package meanfield, pure scalar maths) and the networks on the compute
// engine (package models) share one type; Kind is its entry point.
package layerkind

import (
	"fmt"
	"strings"
)

// Kind is the kind of one layer of a network.
type Kind int

const (
	// Dense: an affine map, h = W x + b.
	Dense Kind = iota
	// Product (multiplication neurons): h = (W x + b) * (V x + c)
	// elementwise, two affine factors (docs/science.md section 7).
	Product
	// Attention: single-head dot-product self-attention over the tokens
	// that make up a layer (docs/science.md section 7); no bias.
	Attention
)

var names = []string{"dense", "product", "attention"}

func (k Kind) String() string {
	if k.Valid() {
		return names[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Valid reports whether k is one of Dense, Product, Attention.
func (k Kind) Valid() bool { return k >= Dense && k <= Attention }

// Names are the canonical names Parse accepts, in the order of the kinds.
func Names() []string { return append([]string(nil), names...) }

// Parse reads a layer kind: "dense" (also "d", "additive"), "product"
// (also "p", "mul", "multiplicative") or "attention" (also "a", "attn").
func Parse(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "dense", "d", "additive":
		return Dense, nil
	case "product", "p", "mul", "multiplicative":
		return Product, nil
	case "attention", "a", "attn":
		return Attention, nil
	}
	return 0, fmt.Errorf("unknown layer kind %q: valid kinds are %s", s, strings.Join(names, ", "))
}

// ParseList reads a comma list of layer kinds, such as
// "product,dense,dense".
func ParseList(s string) ([]Kind, error) {
	var out []Kind
	for _, f := range strings.Split(s, ",") {
		k, err := Parse(f)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// FormatList writes kinds as a comma list ("product,dense,dense").
func FormatList(kinds []Kind) string {
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = k.String()
	}
	return strings.Join(parts, ",")
}
