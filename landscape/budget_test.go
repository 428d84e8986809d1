package landscape

import (
	"math"
	"testing"

	"github.com/netgeom/netgeom/models"
)

// TestBudgetWidthsIris: the iris architectures at P = 500, with their
// parameter counts worked by hand (sum over layers of w_l (w_{l-1} + 1)):
//
//	4-62-3           62*5 + 3*63                          = 499
//	4-18-18-3        18*5 + 18*19 + 3*19                  = 489
//	4-14-13-13-3     14*5 + 13*15 + 13*14 + 3*14          = 489
//	4-12-11-11-11-3  12*5 + 11*13 + 11*12 + 11*12 + 3*12  = 503
//
// and no network of the family (hidden widths w or w+1, wider first), for
// w up to 200, is nearer 500.
func TestBudgetWidthsIris(t *testing.T) {
	want := map[int]struct {
		arch string
		p    int
	}{1: {"4-62-3", 499}, 2: {"4-18-18-3", 489}, 3: {"4-14-13-13-3", 489}, 4: {"4-12-11-11-11-3", 503}}
	archs, err := Architectures(4, 3, 500, 0.05, []int{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range archs {
		w := want[a.Depth]
		got := models.FormatArch(a.Widths)
		if got != w.arch || a.Params != w.p {
			t.Errorf("depth %d: %s with %d parameters, want %s with %d", a.Depth, got, a.Params, w.arch, w.p)
		}
		for wd := 1; wd <= 200; wd++ {
			for k := 0; k < a.Depth; k++ {
				ws := []int{4}
				for i := 1; i <= a.Depth; i++ {
					if i <= k {
						ws = append(ws, wd+1)
					} else {
						ws = append(ws, wd)
					}
				}
				ws = append(ws, 3)
				p := 0
				for l := 1; l < len(ws); l++ {
					p += ws[l] * (ws[l-1] + 1)
				}
				if abs(p-500) < abs(a.Params-500) {
					t.Errorf("depth %d: %v has %d parameters, nearer 500 than %d", a.Depth, ws, p, a.Params)
				}
			}
		}
	}
	if _, err := Architectures(4, 3, 10, 0.05, []int{4}); err == nil { // the smallest, 4-1-1-1-1-3, has 17
		t.Error("depth 4 in 10 parameters: no error")
	}
	want1 := "architectures: depth 3: the nearest network to 500 parameters, 4-14-13-13-3, has 489 (2.2% off; the tolerance is 1.0%)"
	if _, err := Architectures(4, 3, 500, 0.01, []int{3}); err == nil || err.Error() != want1 {
		t.Errorf("depth 3 at 2.2%% off with a 1%% tolerance: %v", err)
	}
	// A tolerance of 0 admits exact counts only: 4-19-18-3 has 512.
	if archs, err := Architectures(4, 3, 512, 0, []int{2}); err != nil || len(archs) != 1 || archs[0].Params != 512 {
		t.Errorf("an exact count with tolerance 0: %v, %v", archs, err)
	}
	for _, tol := range []float64{-0.1, math.NaN(), math.Inf(1)} {
		if _, err := Architectures(4, 3, 512, tol, []int{2}); err == nil {
			t.Errorf("tolerance %v: no error", tol)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestBudgetWidthsEdges: every argument at its smallest (1 input, 1 output,
// depth 1, budget 1: the count of 1-w-1 is 3w + 1, nearest 1 at w = 1, 4
// parameters), and budgets whose nearest network has the wider layers
// first and all but one of them wider: 4-19-18-3 has 19*5 + 18*20 + 3*19 =
// 512 parameters exactly (4-18-19-3, narrower first, has 511; the uniform
// 4-18-18-3 and 4-19-19-3 have 489 and 532), and 2-5-5-4-1 has 5*3 + 5*6 +
// 4*6 + 1*5 = 74.
func TestBudgetWidthsEdges(t *testing.T) {
	for _, c := range []struct {
		in, out, depth, budget int
		want                   string
		p                      int
	}{
		{1, 1, 1, 1, "1-1-1", 4},
		{1, 1, 1, 10, "1-3-1", 10},
		{4, 3, 2, 512, "4-19-18-3", 512},
		{2, 1, 3, 74, "2-5-5-4-1", 74},
		// 1-w-w-1 has w^2 + 4w + 1 parameters, 1-(w+1)-w-1 w^2 + 5w + 3:
		// 9 and 13 are equally near 11, and the smaller wins.
		{1, 1, 2, 11, "1-2-1-1", 9},
	} {
		ws, p, err := BudgetWidths(c.in, c.out, c.depth, c.budget)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if got := models.FormatArch(ws); got != c.want || p != c.p {
			t.Errorf("BudgetWidths(%d, %d, %d, %d) = %s with %d parameters, want %s with %d", c.in, c.out, c.depth, c.budget, got, p, c.want, c.p)
		}
	}
	for _, bad := range [][4]int{{0, 1, 1, 10}, {1, 0, 1, 10}, {1, 1, 0, 10}, {1, 1, 1, 0}} {
		if _, _, err := BudgetWidths(bad[0], bad[1], bad[2], bad[3]); err == nil {
			t.Errorf("BudgetWidths%v: no error", bad)
		}
	}
}
