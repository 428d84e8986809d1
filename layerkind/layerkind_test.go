package layerkind

import (
	"strings"
	"testing"
)

// TestParse: every canonical name and alias reads back as its kind, the
// canonical names are the kinds' String, a list round-trips, and unknown
// names and kinds are refused or printed as such.
func TestParse(t *testing.T) {
	for k, aliases := range map[Kind][]string{
		Dense:     {"dense", "D", " additive "},
		Product:   {"product", "p", "mul", "multiplicative"},
		Attention: {"attention", "a", "attn"},
	} {
		for _, s := range aliases {
			got, err := Parse(s)
			if err != nil || got != k {
				t.Errorf("Parse(%q) = %v, %v; want %v", s, got, err, k)
			}
		}
		if got, err := Parse(k.String()); err != nil || got != k {
			t.Errorf("Parse(%v.String()) = %v, %v", k, got, err)
		}
	}
	if _, err := Parse("conv"); err == nil || !strings.Contains(err.Error(), "dense, product, attention") {
		t.Errorf("Parse(conv): %v; want an error listing the kinds", err)
	}
	ks, err := ParseList("product, dense,attention")
	if err != nil || FormatList(ks) != "product,dense,attention" {
		t.Errorf("ParseList: %v, %v", ks, err)
	}
	if _, err := ParseList("dense,,product"); err == nil {
		t.Error("ParseList with an empty name: no error")
	}
	if Kind(3).Valid() || Kind(-1).Valid() || Kind(3).String() != "Kind(3)" {
		t.Errorf("Kind(3): valid %v, %q", Kind(3).Valid(), Kind(3).String())
	}
	if n := Names(); len(n) != 3 || n[2] != "attention" {
		t.Errorf("Names() = %v", n)
	}
}
