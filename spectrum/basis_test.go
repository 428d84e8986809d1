package spectrum

import (
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
)

// TestBasisCombineBlocks: combine's rotation V[:, :k] <- V[:, :j] S,
// computed in row blocks through a bounded scratch, equals the product
// formed here on the host, whether the scratch holds all n rows or only
// two of them at a time (7 rows: blocks of 2, 2, 2 and 1). The entries are
// small integers, so every product and sum is exact and the comparison is
// bit for bit.
func TestBasisCombineBlocks(t *testing.T) {
	b := enginetest.Open(t)
	const n, cols, j, k = 7, 4, 3, 2
	v := make([]float64, n*cols)
	for i := range v {
		v[i] = float64(i%5 - 2)
	}
	sm := []float64{1, -2, 3, 2, 0, -1} // j x k, column-major
	want := make([]float64, n*k)
	for c := range k {
		for r := range n {
			for l := range j {
				want[c*n+r] += v[l*n+r] * sm[c*j+l]
			}
		}
	}
	defer func(old int) { combineScratch = old }(combineScratch)
	for _, scratch := range []int{1 << 22, 2 * k} {
		combineScratch = scratch
		s, err := newBasis(b, n, cols)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Upload(s.v, v); err != nil {
			t.Fatal(err)
		}
		if err := s.combine(j, k, sm); err != nil {
			t.Fatal(err)
		}
		got := make([]float64, n*cols)
		if err := b.Download(got, s.v); err != nil {
			t.Fatal(err)
		}
		s.free()
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("scratch %d: element %d (row %d, column %d) is %v, want %v", scratch, i, i%n, i/n, got[i], want[i])
			}
		}
		for i := n * k; i < n*cols; i++ {
			if got[i] != v[i] {
				t.Errorf("scratch %d: column %d, row %d changed: %v, was %v", scratch, i/n, i%n, got[i], v[i])
			}
		}
	}
}

// TestBasisFresh: fresh fills columns with random unit vectors orthogonal
// to those before them, so three columns in R^3 are orthonormal (V^T V = I
// to 1e-15), and a fourth cannot be found: the columns span the space,
// and fresh reports false after its three tries.
func TestBasisFresh(t *testing.T) {
	b := enginetest.Open(t)
	const n = 3
	s, err := newBasis(b, n, n+1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.free()
	scratch := make([]float64, n+1)
	for j := range n {
		clear(scratch)
		ok, err := s.fresh(j, 7, 1, scratch)
		if err != nil || !ok {
			t.Fatalf("column %d: ok %v, %v", j, ok, err)
		}
	}
	v := make([]float64, n*(n+1))
	if err := b.Download(v, s.v); err != nil {
		t.Fatal(err)
	}
	for a := range n {
		for c := range n {
			dot := 0.0
			for r := range n {
				dot += v[a*n+r] * v[c*n+r]
			}
			want := 0.0
			if a == c {
				want = 1
			}
			if !(math.Abs(dot-want) <= 1e-15) {
				t.Errorf("column %d . column %d = %v, want %v", a, c, dot, want)
			}
		}
	}
	clear(scratch)
	if ok, err := s.fresh(n, 7, 1, scratch); err != nil || ok {
		t.Errorf("a fourth vector in R^3: ok %v, %v; want none found", ok, err)
	}
}
