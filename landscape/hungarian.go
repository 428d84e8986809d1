package landscape

import (
	"fmt"
	"math"
)

// Assign solves the linear assignment problem for the n x n cost matrix
// cost (row-major: cost[i*n+j] is the cost of giving column j to row i):
// it returns the permutation perm (row i gets column perm[i]) that
// minimises sum_i cost[i*n+perm[i]], and that minimum. It is the Hungarian
// method in its O(n^3) form with row and column potentials (Kuhn 1955,
// Munkres 1957; the shortest-augmenting-path formulation of Jonker and
// Volgenant 1987). Costs must be finite.
func Assign(n int, cost []float64) ([]int, float64, error) {
	if n < 0 || len(cost) != n*n {
		return nil, 0, fmt.Errorf("assign: %d costs for a %d x %d matrix", len(cost), n, n)
	}
	for k, c := range cost {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return nil, 0, fmt.Errorf("assign: cost[%d][%d] is %v; want finite costs", k/n, k%n, c)
		}
	}
	// 1-based arrays; column 0 is a virtual column holding the row being
	// inserted. p[j] is the row assigned to column j (0: none), u and v the
	// potentials with cost[i][j] - u[i] - v[j] >= 0 on every edge and = 0
	// on the matching.
	u := make([]float64, n+1)
	v := make([]float64, n+1)
	p := make([]int, n+1)
	way := make([]int, n+1)
	minv := make([]float64, n+1)
	used := make([]bool, n+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j] = math.Inf(1)
			used[j] = false
		}
		for {
			used[j0] = true
			i0, delta, j1 := p[j0], math.Inf(1), 0
			row := cost[(i0-1)*n:]
			for j := 1; j <= n; j++ {
				if used[j] {
					continue
				}
				if cur := row[j-1] - u[i0] - v[j]; cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= n; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 { // augment along the alternating path
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	perm := make([]int, n)
	for j := 1; j <= n; j++ {
		perm[p[j]-1] = j - 1
	}
	total := 0.0
	for i, j := range perm {
		total += cost[i*n+j]
	}
	return perm, total, nil
}
