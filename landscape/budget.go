package landscape

import (
	"fmt"
	"math"

	"github.com/netgeom/netgeom/models"
)

// Arch is one architecture of a census: Depth hidden layers with the given
// widths (input, hidden..., output) and its parameter count.
type Arch struct {
	Depth  int   `json:"depth"`
	Widths []int `json:"widths"`
	Params int   `json:"params"`
}

// BudgetWidths returns the widths of a network with depth hidden layers
// between in inputs and out outputs whose parameter count is nearest to
// budget, with hidden widths as equal as possible: each is w or w+1, the
// wider ones first. Among equally near counts it takes the smaller. It also
// returns the parameter count.
func BudgetWidths(in, out, depth, budget int) ([]int, int, error) {
	if in < 1 || out < 1 || depth < 1 || budget < 1 {
		return nil, 0, fmt.Errorf("budget widths: %d inputs, %d outputs, depth %d, budget %d; want all >= 1", in, out, depth, budget)
	}
	widths := func(w, k int) []int {
		ws := make([]int, depth+2)
		ws[0], ws[depth+1] = in, out
		for i := 1; i <= depth; i++ {
			ws[i] = w
			if i <= k {
				ws[i] = w + 1
			}
		}
		return ws
	}
	count := func(ws []int) int { return models.NetworkSpec{Widths: ws}.NumParams() }
	var best []int
	bestP, bestGap := 0, math.MaxInt
	// The patterns come in increasing count (with k, then with w: (w, k)
	// has fewer parameters than (w+1, 0)), so the first of equally near
	// counts is the smaller, and the search stops once the narrowest
	// pattern of width w overshoots the budget by more than the best gap
	// (w = 1 always sets a best).
	for w := 1; ; w++ {
		if p := count(widths(w, 0)); p-budget > bestGap {
			break
		}
		for k := 0; k < depth; k++ {
			ws := widths(w, k)
			p := count(ws)
			if gap := max(p-budget, budget-p); gap < bestGap {
				best, bestP, bestGap = ws, p, gap
			}
		}
	}
	return best, bestP, nil
}

// Architectures returns, for each depth, the BudgetWidths architecture; it
// fails when a depth's parameter count is off the budget by more than
// tolerance (relative: |P_depth - budget| <= tolerance * budget).
func Architectures(in, out, budget int, tolerance float64, depths []int) ([]Arch, error) {
	if !(tolerance >= 0) || math.IsInf(tolerance, 0) {
		return nil, fmt.Errorf("architectures: tolerance %v; want a finite number >= 0", tolerance)
	}
	if len(depths) == 0 {
		return nil, fmt.Errorf("architectures: no depths")
	}
	var archs []Arch
	for _, d := range depths {
		ws, p, err := BudgetWidths(in, out, d, budget)
		if err != nil {
			return nil, err
		}
		if math.Abs(float64(p-budget)) > tolerance*float64(budget) {
			return nil, fmt.Errorf("architectures: depth %d: the nearest network to %d parameters, %s, has %d (%.1f%% off; the tolerance is %.1f%%)",
				d, budget, models.FormatArch(ws), p, 100*math.Abs(float64(p-budget))/float64(budget), 100*tolerance)
		}
		archs = append(archs, Arch{Depth: d, Widths: ws, Params: p})
	}
	return archs, nil
}
