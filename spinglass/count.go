package spinglass

import (
	"fmt"
	"math/big"
)

// MaxCountCells bounds prod n_i in SingularTupleCount: the polynomial
// product runs on a dense grid of that many big integers.
const MaxCountCells = 1 << 17

// SingularTupleCount returns the number of singular-vector tuples of a
// generic complex tensor of format n_1 x ... x n_d, counted as points of
// P^{n_1-1} x ... x P^{n_d-1} (Friedland and Ottaviani, "The number of
// singular vector tuples and uniqueness of best rank-one approximation of
// tensors", Found. Comput. Math. 14 (2014), Theorem 1): the coefficient of
// prod_i t_i^{n_i-1} in
//
//	prod_i (T_i^{n_i} - t_i^{n_i}) / (T_i - t_i),   T_i = sum_{j != i} t_j,
//
// each factor being the polynomial sum_{k<n_i} T_i^{n_i-1-k} t_i^k. These are
// the complex critical points of the multilinear form of the tensor on the
// product of spheres (each real one is 2^d points there). It is exact
// (math/big): 1, 6, 37, 240, 1621, 11256 for n x n x n, n = 1..6, and
// min(n, m) for an n x m matrix (its singular pairs).
func SingularTupleCount(dims []int) (*big.Int, error) {
	d := len(dims)
	if d == 0 {
		return nil, fmt.Errorf("spinglass: singular tuple count: empty format")
	}
	cells := 1
	for _, n := range dims {
		if n < 1 {
			return nil, fmt.Errorf("spinglass: singular tuple count: format %v: every size must be >= 1", dims)
		}
		if cells > MaxCountCells/n {
			return nil, fmt.Errorf("spinglass: singular tuple count: format %v has more than %d cells; this exact count handles smaller formats", dims, MaxCountCells)
		}
		cells *= n
	}
	stride := make([]int, d)
	s := 1
	for i, n := range dims {
		stride[i] = s
		s *= n
	}
	decode := func(idx int, e []int) {
		for i, n := range dims {
			e[i] = idx % n
			idx /= n
		}
	}
	// factorials for the multinomial coefficients
	maxDeg := 0
	for _, n := range dims {
		maxDeg = max(maxDeg, n-1)
	}
	fact := make([]*big.Int, maxDeg+1)
	fact[0] = big.NewInt(1)
	for i := 1; i <= maxDeg; i++ {
		fact[i] = new(big.Int).Mul(fact[i-1], big.NewInt(int64(i)))
	}
	type term struct {
		idx int
		c   *big.Int
	}
	p := make([]*big.Int, cells)
	p[0] = big.NewInt(1)
	e := make([]int, d)
	f := make([]int, d)
	tmp := new(big.Int)
	for i, ni := range dims {
		// terms of factor i: exponent vectors of total degree ni-1 within
		// the caps, coefficient multinomial(sum_{j!=i} e_j; e_j, j != i)
		var terms []term
		for idx := 0; idx < cells; idx++ {
			decode(idx, e)
			tot := 0
			for _, x := range e {
				tot += x
			}
			if tot != ni-1 {
				continue
			}
			c := new(big.Int).Set(fact[ni-1-e[i]])
			for j, x := range e {
				if j != i {
					c.Quo(c, fact[x])
				}
			}
			terms = append(terms, term{idx, c})
		}
		q := make([]*big.Int, cells)
		for pidx, pc := range p {
			if pc == nil {
				continue
			}
			decode(pidx, f)
			for _, t := range terms {
				decode(t.idx, e)
				ok := true
				for j := range e {
					if e[j]+f[j] >= dims[j] {
						ok = false
						break
					}
				}
				if !ok {
					continue
				}
				k := pidx + t.idx // mixed radix: no carries within the caps
				if q[k] == nil {
					q[k] = new(big.Int)
				}
				q[k].Add(q[k], tmp.Mul(pc, t.c))
			}
		}
		p = q
	}
	if p[cells-1] == nil {
		return big.NewInt(0), nil
	}
	return p[cells-1], nil
}

// EigenvectorCount returns the number of eigenvectors (points x of
// P^{n-1} with A x^{p-1} parallel to x) of a generic complex symmetric
// tensor of order p in n variables, ((p-1)^n - 1)/(p-2), and n for p = 2
// (Cartwright and Sturmfels, "The number of eigenvalues of a tensor",
// Linear Algebra Appl. 438 (2013)). These are the complex critical points of
// the p-spin Hamiltonian on the sphere, up to sign.
func EigenvectorCount(p, n int) (*big.Int, error) {
	if p < 2 || n < 1 {
		return nil, fmt.Errorf("spinglass: eigenvector count: p = %d, n = %d; want p >= 2, n >= 1", p, n)
	}
	if p == 2 {
		return big.NewInt(int64(n)), nil
	}
	x := new(big.Int).Exp(big.NewInt(int64(p-1)), big.NewInt(int64(n)), nil)
	x.Sub(x, big.NewInt(1))
	return x.Quo(x, big.NewInt(int64(p-2))), nil
}
