package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// small carve run: a few seconds at most.
var carveSmall = []string{"carve", "--width", "100", "--depth", "3", "--points", "32", "--count-depths", "1:3", "--count-widths", "8,16",
	"--count-seeds", "2", "--samples", "200", "--boundary-width", "10", "--boundary-depth", "2", "--boundary-points", "2"}

// TestCarveJSON: the matched networks reach the asked chi_1 (mean field's
// own solver, to 1e-6); the circle's layer 0 is the input circle exactly
// (q = --q, L^G = 2 pi, kbar = 1/sqrt(q), two principal components: the
// periodic trapezoid rule is exact for it, 1e-9); at layers 1..3 the
// measured q lies within 40% of StackCircle's (sqrt(8/N) = 0.28 is the
// relative sd of one point's q behind a product layer at N = 100, kurtosis
// 9; the circle's average is tighter: at most 18% over 5 seeds), which a
// network built with the wrong layer kinds misses; along the circle a
// one-layer relu network has at most two pieces per neuron (each
// pre-activation c + A cos + B sin crosses 0 at most twice) and the product
// network at most 2^(depth+1) sign changes; the relu
// network's decision boundary is flat (piecewise linear: every principal
// curvature exactly 0), as is the product network's seen from its last
// layer (a linear readout); and a figure is written.
func TestCarveJSON(t *testing.T) {
	png := filepath.Join(t.TempDir(), "carve.png")
	out, errOut, code := runCLI(t, nil, append(append([]string{}, carveSmall...), "--chi1", "3", "--q", "0.8", "--format", "json", "--plot", png)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res carveResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(res.Networks) != 3 {
		t.Fatalf("%d networks, want dense, product, mixed", len(res.Networks))
	}
	for _, n := range res.Networks {
		if math.Abs(n.Chi1-3) > 3e-6 || !(n.SigmaW > 0) {
			t.Errorf("%s: chi_1 %v at sigma_w %v; want 3", n.Name, n.Chi1, n.SigmaW)
		}
	}
	if len(res.Circle.Rows) != 3*4 {
		t.Fatalf("%d circle rows, want 3 networks x 4 layers", len(res.Circle.Rows))
	}
	for _, r := range res.Circle.Rows {
		if r.Layer != 0 {
			if math.Abs(r.Q/r.QTheory-1) > 0.4 {
				t.Errorf("%s layer %d: q %v, mean field %v", r.Network, r.Layer, r.Q, r.QTheory)
			}
			continue
		}
		if math.Abs(r.Q-0.8) > 1e-9 || math.Abs(r.GrassmannLength-2*math.Pi) > 1e-9 || math.Abs(r.KappaBar-1/math.Sqrt(0.8)) > 1e-9 || r.PCA95 == nil || *r.PCA95 != 2 {
			t.Errorf("%s layer 0: %+v; want the input circle's q 0.8, L^G 2 pi, kbar %v, pca95 2", r.Network, r, 1/math.Sqrt(0.8))
		}
	}
	if len(res.Count.Rows) != 3*2 {
		t.Fatalf("%d count rows, want 3 depths x 2 widths", len(res.Count.Rows))
	}
	for _, r := range res.Count.Rows {
		if r.ProductBound != 1<<(r.Depth+1) || r.ProductSignChanges > float64(r.ProductBound) {
			t.Errorf("depth %d width %d: product sign changes %v, bound %d", r.Depth, r.Width, r.ProductSignChanges, r.ProductBound)
		}
		if r.Depth == 1 && (r.ReLUPieces > float64(2*r.Width) || r.ReLUPieces < 1) {
			t.Errorf("width %d: one relu layer has %v pieces on a circle; at most 2 per neuron", r.Width, r.ReLUPieces)
		}
	}
	for _, r := range res.Boundary.Rows {
		flat := r.Network == "relu" || (r.Network == "product (linear)" && r.Layer == res.Boundary.Depth)
		if flat && (r.Max != 0 || r.Min != 0) {
			t.Errorf("%s layer %d: curvatures [%v, %v]; a flat boundary has 0", r.Network, r.Layer, r.Min, r.Max)
		}
		if !(r.Max >= r.Min) {
			t.Errorf("%s layer %d: max %v < min %v", r.Network, r.Layer, r.Max, r.Min)
		}
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Errorf("figure not written: %v", err)
	}
}

// TestCarveTableAndCSV: the table format prints the three sections; CSV is
// one long table with a fixed header whose rows name their section.
func TestCarveTableAndCSV(t *testing.T) {
	args := append(append([]string{}, carveSmall...), "--plot", "")
	out, errOut, code := runCLI(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, s := range []string{"circle at q = 1", "relu pieces", "decision boundaries", "product_sign_changes", "mean_abs_curvature"} {
		if !strings.Contains(out, s) {
			t.Errorf("table output lacks %q", s)
		}
	}
	out, errOut, code = runCLI(t, nil, append(args, "--format", "csv")...)
	if code != 0 {
		t.Fatalf("csv: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "section,network,depth,width,layer,quantity,value" {
		t.Errorf("CSV header %q", lines[0])
	}
	seen := map[string]bool{}
	for _, l := range lines[1:] {
		seen[strings.SplitN(l, ",", 2)[0]] = true
	}
	for _, s := range []string{"circle", "count", "boundary"} {
		if !seen[s] {
			t.Errorf("CSV has no %s rows", s)
		}
	}
}

func TestCarveErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"carve", "--chi1", "1.5"}, "jumps"},
		{[]string{"carve", "--path", "spiral"}, "--path"},
		{[]string{"carve", "--count-depths", "0:3"}, "--count-depths"},
		{[]string{"carve", "--act", "softsign"}, "--act"},
		{[]string{"carve", "--resolution", "2"}, "--resolution"},
		{[]string{"carve", "--boundary-width", "1000"}, "--boundary-width"},
		{[]string{"carve", "--q", "-1"}, "--q"},
	} {
		_, errOut, code := runCLI(t, nil, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error mentioning %q", c.args, code, errOut, c.want)
		}
	}
}
