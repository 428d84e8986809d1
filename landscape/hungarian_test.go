package landscape

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// permutations calls f with every permutation of 0..n-1 (Heap's algorithm).
func permutations(n int, f func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k <= 1 {
			f(p)
			return
		}
		for i := 0; i < k-1; i++ {
			rec(k - 1)
			if k%2 == 0 {
				p[i], p[k-1] = p[k-1], p[i]
			} else {
				p[0], p[k-1] = p[k-1], p[0]
			}
		}
		rec(k - 1)
	}
	rec(n)
}

func bruteAssign(n int, cost []float64) float64 {
	best := math.Inf(1)
	permutations(n, func(p []int) {
		s := 0.0
		for i, j := range p {
			s += cost[i*n+j]
		}
		best = math.Min(best, s)
	})
	return best
}

// TestAssignBruteForce: on 600 random matrices of sizes 1 to 7 the
// Hungarian minimum equals the minimum over all n! permutations: exactly
// for small-integer costs (many ties; sums of integers are exact), to 1e-12
// relative for real costs (the two sums add the same numbers in other
// orders). The returned permutation is a permutation and attains the total.
func TestAssignBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 600; trial++ {
		n := 1 + trial%7
		cost := make([]float64, n*n)
		integer := trial%2 == 0
		for i := range cost {
			if integer {
				cost[i] = float64(r.IntN(5) - 2)
			} else {
				cost[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(5)-2))
			}
		}
		perm, total, err := Assign(n, cost)
		if err != nil {
			t.Fatal(err)
		}
		seen := make([]bool, n)
		sum := 0.0
		for i, j := range perm {
			if j < 0 || j >= n || seen[j] {
				t.Fatalf("trial %d: %v is not a permutation", trial, perm)
			}
			seen[j] = true
			sum += cost[i*n+j]
		}
		if sum != total {
			t.Fatalf("trial %d: total %v, but the permutation costs %v", trial, total, sum)
		}
		want := bruteAssign(n, cost)
		if integer && total != want || !integer && !(math.Abs(total-want) <= 1e-12*(1+math.Abs(want))) {
			t.Fatalf("trial %d (n %d): Hungarian %v, brute force %v", trial, n, total, want)
		}
	}
}

// TestAssignSortedMatching: for cost (x_i - y_j)^2, a convex function of
// x_i - y_j, the optimal assignment pairs the k-th smallest x with the k-th
// smallest y (the rearrangement inequality); an oracle at n = 80, beyond
// brute force.
func TestAssignSortedMatching(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 80
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i], y[i] = r.NormFloat64(), r.NormFloat64()
	}
	cost := make([]float64, n*n)
	for i := range x {
		for j := range y {
			cost[i*n+j] = (x[i] - y[j]) * (x[i] - y[j])
		}
	}
	perm, _, err := Assign(n, cost)
	if err != nil {
		t.Fatal(err)
	}
	ix, iy := argsort(x), argsort(y)
	for k := range ix {
		if perm[ix[k]] != iy[k] {
			t.Fatalf("rank %d: x[%d] got y[%d], want y[%d]", k, ix[k], perm[ix[k]], iy[k])
		}
	}
}

func argsort(v []float64) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	return idx
}

func TestAssignErrors(t *testing.T) {
	if _, _, err := Assign(2, []float64{1, 2, 3}); err == nil {
		t.Error("3 costs for 2 x 2: no error")
	}
	if _, _, err := Assign(3, []float64{1, 2, 3, 4, 5, 6, 7, math.Inf(1), 9}); err == nil || err.Error() != "assign: cost[2][1] is +Inf; want finite costs" {
		t.Errorf("infinite cost[2][1]: %v", err)
	}
	if _, _, err := Assign(2, []float64{1, math.NaN(), 3, 4}); err == nil {
		t.Error("NaN cost: no error")
	}
	if p, total, err := Assign(0, nil); err != nil || len(p) != 0 || total != 0 {
		t.Errorf("empty problem: %v %v %v", p, total, err)
	}
}
