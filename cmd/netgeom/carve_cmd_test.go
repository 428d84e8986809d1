package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/manifold"
)

// small carve run: a few seconds at most.
var carveSmall = []string{"carve", "--width", "100", "--depth", "3", "--points", "32", "--count-depths", "1:3", "--count-widths", "8,16",
	"--count-seeds", "2", "--samples", "200", "--boundary-width", "10", "--boundary-depth", "2", "--boundary-points", "2"}

// TestCarveJSON: --format json prints manifold.CarveResult (its numbers
// are pinned by manifold's TestCarveSmall) under the flags' names and
// values: the three matched networks at --chi1 (mean field's solver, to
// 3e-6), the input circle at layer 0 (q = --q, 1e-9), the count grid of
// --count-depths by --count-widths with the circle's bound 2^(depth+1), the
// boundary's five networks over --boundary-depth + 1 layers with the relu
// network's exactly flat; and --plot writes the figure.
func TestCarveJSON(t *testing.T) {
	png := filepath.Join(t.TempDir(), "carve.png")
	out, errOut, code := runCLI(t, nil, append(append([]string{}, carveSmall...), "--chi1", "3", "--q", "0.8", "--format", "json", "--plot", png)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res manifold.CarveResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if res.Chi1 != 3 || res.Q != 0.8 || res.SigmaB != 0.3 || res.Activation != "tanh" || len(res.Networks) != 3 {
		t.Fatalf("header: chi1 %v q %v sigma_b %v act %q, %d networks", res.Chi1, res.Q, res.SigmaB, res.Activation, len(res.Networks))
	}
	for _, n := range res.Networks {
		if !(math.Abs(n.Chi1-3) <= 3e-6) {
			t.Errorf("%s: chi_1 %v; want 3", n.Name, n.Chi1)
		}
	}
	if len(res.Circle.Rows) != 3*4 || res.Circle.Rows[0].Layer != 0 || !(math.Abs(res.Circle.Rows[0].Q-0.8) <= 1e-9) {
		t.Errorf("circle: %d rows (want 12), first %+v", len(res.Circle.Rows), res.Circle.Rows[0])
	}
	if len(res.Count.Rows) != 3*2 || res.Count.Seeds != 2 || res.Count.Samples != 200 || res.Count.Path != "circle" {
		t.Errorf("count: %d rows (want 6), %+v", len(res.Count.Rows), res.Count)
	}
	for _, r := range res.Count.Rows {
		if r.ProductBound != 1<<(r.Depth+1) {
			t.Errorf("depth %d: bound %d", r.Depth, r.ProductBound)
		}
	}
	if len(res.Boundary.Rows) != 5*3 {
		t.Errorf("boundary: %d rows, want 5 networks x 3 layers", len(res.Boundary.Rows))
	}
	for _, r := range res.Boundary.Rows {
		if r.Network == "relu" && (r.Max != 0 || r.Min != 0) {
			t.Errorf("relu layer %d: curvatures [%v, %v]; a flat boundary has 0", r.Layer, r.Min, r.Max)
		}
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Errorf("figure not written: %v", err)
	}
}

// TestCarveNoDefaultPlot: without --plot carve writes no file.
func TestCarveNoDefaultPlot(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], carveSmall...)
	cmd.Env, cmd.Dir = append(os.Environ(), "NETGEOM_TEST_AS_MAIN=1"), dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Errorf("carve without --plot left %v in its directory (%v)", ents, err)
	}
}

// TestCarveTableAndCSV: the table format prints the three sections; CSV is
// one long table with a fixed header whose rows name their section.
func TestCarveTableAndCSV(t *testing.T) {
	args := append([]string{}, carveSmall...)
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
		{[]string{"carve", "--q", "0"}, "--q 0"},
		{[]string{"carve", "--relu-sigma-w", "0"}, "--relu-sigma-w 0"},
		{[]string{"carve", "--count-widths", "1,8"}, "--count-widths"},
		{[]string{"carve", "--plot", "carve.pdf"}, "--plot"},
	} {
		_, errOut, code := runCLI(t, nil, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error mentioning %q", c.args, code, errOut, c.want)
		}
	}
}
