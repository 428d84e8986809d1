package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/spinglass"
)

// TestSpinglassCount: the exact Friedland-Ottaviani counts the issue fixes
// (3x3x3: 37, 4x4x4: 240), a matrix (min(n, m) singular pairs: 2x5 gives
// 2), in the three spellings of a format.
func TestSpinglassCount(t *testing.T) {
	out, err := execCLI(t, "spinglass", "--count", "3x3x3", "--count", "4^3", "--count", "2,5", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []spinglass.FormatCount
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := map[string]string{"3x3x3": "37", "4x4x4": "240", "2x5": "2"}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3: %s", len(rows), out)
	}
	for _, r := range rows {
		if want[r.Format] != r.Count {
			t.Errorf("%s: %s, want %s", r.Format, r.Count, want[r.Format])
		}
	}
	tab, err := execCLI(t, "spinglass", "--count", "6x6x6")
	if err != nil || !strings.Contains(tab, "11256") {
		t.Errorf("table: %v\n%s", err, tab)
	}
}

// TestSpinglassPSpinJSON: the analytic values in the JSON are ABC's (E_inf
// = 2 sqrt(2/3) to rounding, E_0 = 1.657 to 1e-4), the complex count is
// Cartwright-Sturmfels' 2^12 - 1, every reported point is critical to
// --tol and lies at u <= 0 (odd p: mirrored), and the per-index rows add up
// to the distinct points.
func TestSpinglassPSpinJSON(t *testing.T) {
	out, err := execCLI(t, "spinglass", "--p", "3", "--n", "12", "--starts", "60", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var r spinglass.PSpinStudyResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !(math.Abs(r.EInf-2*math.Sqrt(2.0/3)) <= 1e-15) || !(math.Abs(r.Ek[0]-1.657) <= 1e-4) || len(r.Ek) != 5 {
		t.Errorf("e_inf %v, e_k %v", r.EInf, r.Ek)
	}
	if r.ComplexCriticalPoints != "4095" {
		t.Errorf("complex critical points %s, want 4095", r.ComplexCriticalPoints)
	}
	if r.MinimaStarts != 30 || r.SaddleStarts != 30 || r.Converged+r.Failed != 60 || !r.Mirrored {
		t.Errorf("starts %d + %d, converged %d, failed %d, mirrored %v", r.MinimaStarts, r.SaddleStarts, r.Converged, r.Failed, r.Mirrored)
	}
	sum := 0
	for _, row := range r.ByIndex {
		sum += row.Count
	}
	if sum != r.Distinct || len(r.Points) != r.Distinct || r.Distinct == 0 {
		t.Errorf("by-index counts %d, points %d, distinct %d", sum, len(r.Points), r.Distinct)
	}
	for _, p := range r.Points {
		if p.Energy > 0 || p.GradNorm > 1e-9 || p.Index < 0 || p.Index > 11 {
			t.Errorf("point %+v: want u <= 0, |grad| <= 1e-9, 0 <= index <= N-1", p)
		}
	}
	tab, err := execCLI(t, "spinglass", "--p", "3", "--n", "8", "--starts", "10")
	if err != nil || !strings.Contains(tab, "E_inf 1.632993") || !strings.Contains(tab, "index_theory") {
		t.Errorf("table: %v\n%s", err, tab)
	}
}

// TestSpinglassP2: for p = 2 the critical points are the N eigenvectors of
// the coupling matrix (up to sign), one of each index 0..N-1.
func TestSpinglassP2(t *testing.T) {
	out, err := execCLI(t, "spinglass", "--p", "2", "--n", "6", "--starts", "80", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var r spinglass.PSpinStudyResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Distinct != 6 || r.Mirrored {
		t.Fatalf("%d points (mirrored %v), want 6 unmirrored", r.Distinct, r.Mirrored)
	}
	for k, p := range r.Points {
		if p.Index != k {
			t.Errorf("point %d has index %d", k, p.Index)
		}
	}
}

// TestSpinglassLayersJSON: at total dimension 9, one layer (a linear form on
// a sphere) has one critical point up to sign, a minimum; two layers (5 x 4,
// a matrix) have min(5, 4) = 4 singular pairs of indices 0..3; three layers
// (3x3x3) at most Friedland-Ottaviani's 37, of its parity. The complex
// counts are 1, 4, 37.
func TestSpinglassLayersJSON(t *testing.T) {
	out, err := execCLI(t, "spinglass", "--layers", "1:3", "--dim", "9", "--starts", "400", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var r spinglass.LayeredStudyResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(r.Rows) != 3 {
		t.Fatalf("%d rows, want 3", len(r.Rows))
	}
	wantDims := []string{"9", "5x4", "3x3x3"}
	wantComplex := []string{"1", "4", "37"}
	for i, row := range r.Rows {
		if spinglass.FormatName(row.Dims) != wantDims[i] || row.ComplexCriticalPoints != wantComplex[i] || row.Starts != 400 {
			t.Errorf("row %d: dims %v, complex %s, starts %d", i, row.Dims, row.ComplexCriticalPoints, row.Starts)
		}
	}
	if r1 := r.Rows[0]; r1.Distinct != 1 || r1.Minima.Count != 1 {
		t.Errorf("one layer: %d points, %d minima; want 1, 1", r1.Distinct, r1.Minima.Count)
	}
	if r2 := r.Rows[1]; r2.Distinct != 4 {
		t.Errorf("two layers: %d points, want 4", r2.Distinct)
	} else {
		for k, p := range r2.Points {
			if p.Index != k {
				t.Errorf("two layers: point %d has index %d", k, p.Index)
			}
		}
	}
	if r3 := r.Rows[2]; r3.Distinct > 37 || r3.Distinct%2 != 1 {
		t.Errorf("three layers: %d points, want <= 37 and odd", r3.Distinct)
	}
}

// TestSpinglassPlots: --plot writes PNG files for both censuses.
func TestSpinglassPlots(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"spinglass", "--p", "3", "--n", "10", "--starts", "40", "--plot", filepath.Join(dir, "p.png")},
		{"spinglass", "--layers", "1:3", "--dim", "9", "--starts", "40", "--plot", filepath.Join(dir, "l.png")},
	} {
		if _, err := execCLI(t, args...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		b, err := os.ReadFile(args[len(args)-1])
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%v: no PNG written (%v)", args, err)
		}
	}
}

// TestSpinglassErrors: bad input gets a clear error, never a panic.
func TestSpinglassErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--count", "3xx"}, "not a size"},
		{[]string{"--count", "0x3"}, "not a size"},
		{[]string{"--count", "3^0"}, "n^d"},
		{[]string{"--count", "100x100x100"}, "more than"},
		{[]string{"--count", "3x3", "--layers", "2"}, "separate jobs"},
		{[]string{"--layers", "3:1"}, "hi < lo"},
		{[]string{"--layers", "x"}, "not a number of layers"},
		{[]string{"--layers", "7", "--dim", "5"}, "at least one dimension"},
		{[]string{"--p", "1"}, "--p 1"},
		{[]string{"--n", "1"}, "--n 1"},
		{[]string{"--p", "4", "--n", "80"}, "N <= 76"},
		{[]string{"--saddle-frac", "2"}, "saddle-frac"},
		{[]string{"--tol", "0"}, "--tol"},
		{[]string{"--starts", "0"}, "--starts"},
		{[]string{"--batch", "-1"}, "--batch"},
	} {
		_, err := execCLI(t, append([]string{"spinglass"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.msg)
		}
	}
}

// TestSpinglassCountBackendNote: --count computes exact integers without
// the compute engine, so an explicit --backend gets a one-line note on
// stderr (as engine-free commands get from the root); without --backend,
// or in a mode that uses the engine, there is no note.
func TestSpinglassCountBackendNote(t *testing.T) {
	const note = "netgeom: spinglass --count does not use the compute engine (exact counts); --backend cpu has no effect\n"
	for _, c := range []struct {
		args []string
		note bool
	}{
		{[]string{"spinglass", "--count", "3x3x3", "--backend", "cpu"}, true},
		{[]string{"--backend", "cpu", "spinglass", "--count", "2,5", "--format", "json"}, true},
		{[]string{"spinglass", "--count", "3x3x3"}, false},
		{[]string{"spinglass", "--p", "2", "--n", "4", "--starts", "10", "--backend", "cpu"}, false},
	} {
		root := newRootCmd()
		var out, errb bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errb)
		root.SetArgs(c.args)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if got := errb.String(); (got == note) != c.note || (!c.note && strings.Contains(got, "compute engine")) {
			t.Errorf("%v: stderr %q; want the note: %v", c.args, got, c.note)
		}
		if out.Len() == 0 {
			t.Errorf("%v: no output", c.args)
		}
	}
}
