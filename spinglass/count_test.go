package spinglass

import (
	"math/big"
	"testing"
)

func count(t *testing.T, dims ...int) int64 {
	t.Helper()
	c, err := SingularTupleCount(dims)
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsInt64() {
		t.Fatalf("%v: count %v does not fit int64", dims, c)
	}
	return c.Int64()
}

// TestCubeCounts is the check: n x n x n tensors have 1, 6, 37, 240,
// 1621, 11256 singular-vector tuples for n = 1..6 (Friedland-Ottaviani;
// OEIS A271905), exactly.
func TestCubeCounts(t *testing.T) {
	want := []int64{1, 6, 37, 240, 1621, 11256}
	for n := 1; n <= 6; n++ {
		if got := count(t, n, n, n); got != want[n-1] {
			t.Errorf("%dx%dx%d: %d, want %d", n, n, n, got, want[n-1])
		}
	}
}

// TestMatrixCounts: a generic n x m matrix has min(n, m) singular pairs (the
// SVD); a vector (d = 1) has one.
func TestMatrixCounts(t *testing.T) {
	for n := 1; n <= 6; n++ {
		if got := count(t, n); got != 1 {
			t.Errorf("format [%d]: %d, want 1", n, got)
		}
		for m := 1; m <= 6; m++ {
			if got := count(t, n, m); got != int64(min(n, m)) {
				t.Errorf("%dx%d: %d, want %d", n, m, got, min(n, m))
			}
		}
	}
}

// TestBoundaryFormat: Friedland and Ottaviani's count stabilises once
// n3 >= n1 + n2 - 1 (their boundary format): 2x2xn gives 6 at n = 2 and 8
// from n = 3 on, and 3x4xn is constant from n = 6 on and grows before. The
// count does not depend on the order of the factors.
func TestBoundaryFormat(t *testing.T) {
	if got := count(t, 2, 2, 2); got != 6 {
		t.Errorf("2x2x2: %d, want 6", got)
	}
	for n := 3; n <= 6; n++ {
		if got := count(t, 2, 2, n); got != 8 {
			t.Errorf("2x2x%d: %d, want 8", n, got)
		}
	}
	c5, c6, c7, c8 := count(t, 3, 4, 5), count(t, 3, 4, 6), count(t, 3, 4, 7), count(t, 3, 4, 8)
	if !(c5 < c6 && c6 == c7 && c7 == c8) {
		t.Errorf("3x4xn for n = 5..8: %d %d %d %d; want growth to n = 6, then constant", c5, c6, c7, c8)
	}
	a, b, c := count(t, 2, 3, 4), count(t, 4, 2, 3), count(t, 3, 4, 2)
	if a != b || b != c {
		t.Errorf("2x3x4 %d, 4x2x3 %d, 3x4x2 %d: want equal", a, b, c)
	}
}

// TestEigenvectorCount: ((p-1)^n - 1)/(p-2) (Cartwright-Sturmfels): 7 for
// p = 3, n = 3; 13 for p = 4, n = 3; n for matrices; p for binary forms
// (n = 2); 2^100 - 1 for p = 3, n = 100 (exact).
func TestEigenvectorCount(t *testing.T) {
	for _, c := range []struct{ p, n, want int }{{3, 3, 7}, {4, 3, 13}, {2, 9, 9}, {3, 1, 1}, {5, 2, 5}} {
		got, err := EigenvectorCount(c.p, c.n)
		if err != nil || got.Int64() != int64(c.want) {
			t.Errorf("EigenvectorCount(%d, %d) = %v, %v; want %d", c.p, c.n, got, err, c.want)
		}
	}
	got, _ := EigenvectorCount(3, 100)
	want := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 100), big.NewInt(1))
	if got.Cmp(want) != 0 {
		t.Errorf("EigenvectorCount(3, 100) = %v, want 2^100 - 1", got)
	}
}

func TestCountErrors(t *testing.T) {
	for _, dims := range [][]int{nil, {3, 0}, {-1}, {100, 100, 100}} {
		if _, err := SingularTupleCount(dims); err == nil {
			t.Errorf("SingularTupleCount(%v): want an error", dims)
		}
	}
	if _, err := EigenvectorCount(1, 3); err == nil {
		t.Error("EigenvectorCount(1, 3): want an error")
	}
}
