package landscape

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/netgeom/netgeom/energy"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
)

// layout holds the offsets of W_l and b_l in a dense network's flat
// parameter vector (models.NetworkSpec.Block: per layer W_l, w_l x w_{l-1}
// column-major, then b_l), index l = 1..L.
type layout struct {
	widths     []int
	wOff, bOff []int
	n          int
}

func newLayout(widths []int) layout {
	L := len(widths) - 1
	spec := models.NetworkSpec{Widths: widths}
	lo := layout{widths: widths, wOff: make([]int, L+1), bOff: make([]int, L+1), n: spec.NumParams()}
	for l := 1; l <= L; l++ {
		t := spec.Block(l).Tensors
		lo.wOff[l], lo.bOff[l] = t[0].Off, t[1].Off
	}
	return lo
}

// w returns W_l(i, j) of theta.
func (lo layout) w(theta []float64, l, i, j int) float64 {
	return theta[lo.wOff[l]+i+j*lo.widths[l]]
}

// Alignment maps the hidden units of a network B onto those of a network A
// of the same architecture: unit i of hidden layer l of the aligned B is
// Sign[l][i] times unit Perm[l][i] of B (its incoming weights and bias
// multiplied by the sign, its outgoing weights by the sign too, so that the
// network computes the same function). Index l = 1..L-1; entries 0 and L
// are nil (inputs and outputs are never permuted). Signs are all +1 unless
// the activation is odd (phi(-x) = -phi(x)).
type Alignment struct {
	Perm [][]int
	Sign [][]float64
	// Sweeps counts the refinement sweeps over the hidden layers after the
	// first pass (the last one changed nothing).
	Sweeps int
}

// Identity is the alignment that changes nothing.
func Identity(widths []int) Alignment {
	L := len(widths) - 1
	al := Alignment{Perm: make([][]int, L+1), Sign: make([][]float64, L+1)}
	for l := 1; l < L; l++ {
		al.Perm[l] = make([]int, widths[l])
		al.Sign[l] = make([]float64, widths[l])
		for i := range al.Perm[l] {
			al.Perm[l][i], al.Sign[l][i] = i, 1
		}
	}
	return al
}

// check verifies that al fits widths: every Perm[l] a permutation of
// 0..w_l-1, every sign +-1.
func (al Alignment) check(widths []int) error {
	L := len(widths) - 1
	if len(al.Perm) != L+1 || len(al.Sign) != L+1 {
		return fmt.Errorf("alignment for %d layers applied to a network of %d", len(al.Perm)-1, L)
	}
	for l := 1; l < L; l++ {
		if len(al.Perm[l]) != widths[l] || len(al.Sign[l]) != widths[l] {
			return fmt.Errorf("alignment: layer %d has %d units; the network has %d", l, len(al.Perm[l]), widths[l])
		}
		seen := make([]bool, widths[l])
		for i, j := range al.Perm[l] {
			if j < 0 || j >= widths[l] || seen[j] {
				return fmt.Errorf("alignment: layer %d is not a permutation (%v)", l, al.Perm[l])
			}
			seen[j] = true
			if s := al.Sign[l][i]; s != 1 && s != -1 {
				return fmt.Errorf("alignment: layer %d unit %d has sign %v; want +-1", l, i, s)
			}
		}
	}
	return nil
}

// Apply returns theta (parameters of a network with the given widths, in
// models.Network's layout) with its hidden units permuted and sign-flipped by
// al:
//
//	W'_l(i, j) = s_l(i) s_{l-1}(j) W_l(pi_l(i), pi_{l-1}(j)),   b'_l(i) = s_l(i) b_l(pi_l(i))
//
// with pi and s the identity and +1 on the inputs and outputs. For a sign
// flip to leave the function unchanged the activation must be odd; Align
// only makes flips then.
func (al Alignment) Apply(widths []int, theta []float64) ([]float64, error) {
	lo := newLayout(widths)
	if len(theta) != lo.n {
		return nil, fmt.Errorf("alignment: %d parameters for a %s network of %d", len(theta), models.FormatArch(widths), lo.n)
	}
	if err := al.check(widths); err != nil {
		return nil, err
	}
	L := len(widths) - 1
	pi := func(l, i int) (int, float64) {
		if l == 0 || l == L {
			return i, 1
		}
		return al.Perm[l][i], al.Sign[l][i]
	}
	out := make([]float64, lo.n)
	for l := 1; l <= L; l++ {
		nOut, nIn := widths[l], widths[l-1]
		for i := 0; i < nOut; i++ {
			pi1, s1 := pi(l, i)
			out[lo.bOff[l]+i] = s1 * theta[lo.bOff[l]+pi1]
			for j := 0; j < nIn; j++ {
				pj, s0 := pi(l-1, j)
				out[lo.wOff[l]+i+j*nOut] = s1 * s0 * lo.w(theta, l, pi1, pj)
			}
		}
	}
	return out, nil
}

// maxSweeps caps Align's refinement sweeps; each sweep strictly lowers the
// distance or ends the refinement, so the cap only guards against rounding
// cycles.
const maxSweeps = 100

// Align aligns network b to network a (parameters of the same architecture
// in models.Network's layout) and returns b's aligned parameters, which compute
// the same function as b, and the alignment.
//
// It minimises |a - Apply(b)|^2 over the permutations (and, when spec's
// activation is odd, the sign flips) of each hidden layer, layer by layer:
//
//  1. a first pass from the input up matches unit i of a with unit j of b by
//     the inner product of their incoming weights and bias (b's incoming
//     weights already mapped through the previous layer's alignment), by
//     the Hungarian method (Assign) on the cost -<a_i, b_j> (for odd
//     activations -|<a_i, b_j>|, the sign of the inner product being the
//     flip);
//  2. refinement sweeps over the hidden layers then match each layer by the
//     inner product of incoming weights, bias and outgoing weights (with the
//     neighbouring layers' current alignments), which is exactly the part of
//     |a - Apply(b)|^2 that depends on that layer's alignment ("weight
//     matching", Ainsworth, Hayase and Srinivasa 2023); a layer's alignment
//     changes only when the new one lowers the distance, so the sweeps end,
//     when one changes nothing, at a coordinate-wise minimum.
//
// The first pass alone finds the exact alignment of a permuted and
// sign-flipped copy of a (every incoming weight vector distinct); the
// sweeps matter for distinct minima, where outgoing weights carry as much
// information as incoming ones.
func Align(spec models.NetworkSpec, a, b []float64) ([]float64, Alignment, error) {
	if err := spec.Check(); err != nil {
		return nil, Alignment{}, err
	}
	if !spec.Dense() {
		return nil, Alignment{}, fmt.Errorf("align: %s has product or attention layers; alignment up to hidden-unit permutations and sign flips is implemented for dense networks only (connect without --align works)", spec.Describe())
	}
	widths := spec.Widths
	lo := newLayout(widths)
	if len(a) != lo.n || len(b) != lo.n {
		return nil, Alignment{}, fmt.Errorf("align: %d and %d parameters for a %s network of %d", len(a), len(b), spec.ArchString(), lo.n)
	}
	L := len(widths) - 1
	odd := spec.Act.Odd
	al := Identity(widths)
	for l := 1; l < L; l++ {
		if _, err := al.match(lo, a, b, l, false, odd, false); err != nil {
			return nil, Alignment{}, err
		}
	}
	for al.Sweeps < maxSweeps && L > 1 {
		al.Sweeps++
		changed := false
		for l := 1; l < L; l++ {
			c, err := al.match(lo, a, b, l, true, odd, true)
			if err != nil {
				return nil, Alignment{}, err
			}
			changed = changed || c
		}
		if !changed {
			break
		}
	}
	out, err := al.Apply(widths, b)
	return out, al, err
}

// match re-aligns hidden layer l of b to a given the current alignments of
// the other layers: it builds each unit's feature vector (incoming weights
// with b's columns mapped by layer l-1, the bias, and with outgoing the
// outgoing weights with b's rows mapped by layer l+1), and solves the
// assignment maximising sum_i s_i <a_i, b_perm(i)>. With onlyBetter it keeps
// the old alignment unless the new one is better by more than rounding
// (and a better one differs from it). It reports whether it replaced the
// alignment: always without onlyBetter.
func (al *Alignment) match(lo layout, a, b []float64, l int, outgoing, odd, onlyBetter bool) (bool, error) {
	widths := lo.widths
	L := len(widths) - 1
	n, nIn := widths[l], widths[l-1]
	nNext := 0
	if outgoing {
		nNext = widths[l+1]
	}
	dim := nIn + 1 + nNext
	pi := func(m, i int) (int, float64) {
		if m == 0 || m == L {
			return i, 1
		}
		return al.Perm[m][i], al.Sign[m][i]
	}
	fa := make([]float64, n*dim) // row i: unit i of a
	fb := make([]float64, n*dim) // row j: unit j of b, mapped
	for i := 0; i < n; i++ {
		ra, rb := fa[i*dim:(i+1)*dim], fb[i*dim:(i+1)*dim]
		for k := 0; k < nIn; k++ {
			pk, s := pi(l-1, k)
			ra[k] = lo.w(a, l, i, k)
			rb[k] = s * lo.w(b, l, i, pk)
		}
		ra[nIn] = a[lo.bOff[l]+i]
		rb[nIn] = b[lo.bOff[l]+i]
		for k := 0; k < nNext; k++ {
			pk, s := pi(l+1, k)
			ra[nIn+1+k] = lo.w(a, l+1, k, i)
			rb[nIn+1+k] = s * lo.w(b, l+1, pk, i)
		}
	}
	// S = fa fb^T: S[i][j] = <a_i, b_j>.
	S := make([]float64, n*n)
	blas64.Gemm(blas.NoTrans, blas.Trans, 1,
		blas64.General{Rows: n, Cols: dim, Stride: dim, Data: fa},
		blas64.General{Rows: n, Cols: dim, Stride: dim, Data: fb},
		0, blas64.General{Rows: n, Cols: n, Stride: n, Data: S})
	score := func(i, j int) float64 {
		if odd {
			return math.Abs(S[i*n+j])
		}
		return S[i*n+j]
	}
	cost := make([]float64, n*n)
	scale := 0.0
	for i := range S {
		cost[i] = -score(i/n, i%n)
		scale += math.Abs(S[i])
	}
	perm, negTotal, err := Assign(n, cost)
	if err != nil {
		return false, fmt.Errorf("align: layer %d: %w", l, err)
	}
	if onlyBetter {
		old := 0.0
		for i, j := range al.Perm[l] {
			old += al.Sign[l][i] * S[i*n+j]
		}
		if -negTotal <= old+1e-12*scale {
			return false, nil
		}
	}
	for i, j := range perm {
		s := 1.0
		if odd && S[i*n+j] < 0 {
			s = -1
		}
		al.Perm[l][i], al.Sign[l][i] = j, s
	}
	return true, nil
}

// Distance is the Euclidean distance |a - b| of two parameter vectors.
func Distance(a, b []float64) float64 { return energy.Euclidean(a, b) }

// RelativeDistance is |a - b| / sqrt(|a|^2 + |b|^2): 0 for equal vectors,
// 1 for orthogonal ones (about 1 for independent random ones), at most
// sqrt(2). It makes distances comparable between networks of different
// scales.
func RelativeDistance(a, b []float64) float64 {
	na, nb := 0.0, 0.0
	for i := range a {
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	if na+nb == 0 {
		return 0
	}
	return Distance(a, b) / math.Sqrt(na+nb)
}

// Overlap is the cosine of the angle between a and b, <a, b>/(|a| |b|)
// (the spin-glass overlap of two configurations; 1 for parallel vectors,
// 0 for orthogonal ones), and 0 when either is zero.
func Overlap(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// FunctionDistance is the root mean square over samples of the Euclidean
// distance between two networks' outputs: sqrt((1/N) sum_j |f_a(x_j) -
// f_b(x_j)|^2), for outputs of N samples (any per-sample length) given as
// flat slices of equal length.
func FunctionDistance(fa, fb []float64, samples int) float64 {
	if samples < 1 {
		return math.NaN()
	}
	s := 0.0
	for i := range fa {
		d := fa[i] - fb[i]
		s += d * d
	}
	return math.Sqrt(s / float64(samples))
}

// Outputs returns what a network computes on d at theta, the function that
// function-space distances compare: the softmax probabilities for
// cross-entropy networks and the raw outputs for squared error, C x N
// column-major on the host (sample j at [j*C, (j+1)*C)).
func Outputs(e *models.Evaluator, theta engine.Buffer, d *models.Data) ([]float64, error) {
	z, err := e.Logits(theta, d)
	if err != nil {
		return nil, err
	}
	if e.Net().Spec().Loss == models.CrossEntropy {
		softmaxColumns(z, d.C)
	}
	return z, nil
}

// softmaxColumns replaces each length-c column of z by its softmax
// (stably: the column maximum subtracted first).
func softmaxColumns(z []float64, c int) {
	for j := 0; j+c <= len(z); j += c {
		col := z[j : j+c]
		m := math.Inf(-1)
		for _, v := range col {
			m = math.Max(m, v)
		}
		s := 0.0
		for i, v := range col {
			col[i] = math.Exp(v - m)
			s += col[i]
		}
		for i := range col {
			col[i] /= s
		}
	}
}
