package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/landscape"
)

// TestLandscapeCompareCommand: the claims view has a row per claim, and its
// CSV cells read back as the JSON's numbers; the census files are in --dir
// under their documented names; --view all with CSV, one depth and a
// negative decay are refused before any work.
func TestLandscapeCompareCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cmp")
	args := []string{"landscape", "compare", "--data", "iris", "--budget", "100", "--depths", "1:2", "--restarts", "4", "--adam-steps", "100",
		"--bootstrap", "200", "--dir", dir}
	js, err := execCLI(t, append(args, "--format", "json")...)
	if err != nil {
		t.Fatal(err)
	}
	var r landscape.CompareResult
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	if len(r.Runs) != 1 || len(r.Runs[0].Claims) != 4 || len(r.Runs[0].Depths) != 2 {
		t.Fatalf("result: %s", js)
	}
	if _, err := os.Stat(filepath.Join(dir, "iris-wd0.01.jsonl")); err != nil {
		t.Error(err)
	}
	out, err := execCLI(t, append(args, "--resume", "--view", "claims", "--format", "csv")...)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 5 || rows[0][2] != "claim" || rows[0][7] != "verdict" {
		t.Fatalf("claims CSV: %v\n%s", err, out)
	}
	for i, c := range r.Runs[0].Claims {
		if rows[i+1][2] != c.Name || rows[i+1][7] != c.Verdict {
			t.Errorf("row %d: %v; JSON claim %+v", i+1, rows[i+1], c)
		}
		if c.Difference != nil && rows[i+1][4] != fmtFloat(c.Difference.Value) {
			t.Errorf("row %d difference %s; JSON %v", i+1, rows[i+1][4], c.Difference.Value)
		}
	}
	for _, bad := range [][]string{
		{"--view", "all", "--format", "csv"},
		{"--depths", "2"},
		{"--weight-decay", "-1"},
		{"--view", "both"},
	} {
		a := append(append([]string{}, args...), bad...)
		a[len(a)-len(bad)-1] = filepath.Join(t.TempDir(), "x") // a fresh --dir
		if _, err := execCLI(t, a...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// TestLandscapeExploreGraph: explore writes a database that graph reads:
// graph's JSON has one row per minimum with the barriers of the explore
// summary, --barrier at the largest barrier reaches every minimum and
// just below it does not, and --plot draws a PNG; a database without
// network settings cannot be coloured by test accuracy.
func TestLandscapeExploreGraph(t *testing.T) {
	dir := t.TempDir()
	db, png := filepath.Join(dir, "l.db.jsonl"), filepath.Join(dir, "g.png")
	js, err := execCLI(t, "landscape", "explore", "--data", "iris", "--arch", "4-2-2-3", "--weight-decay", "0.001", "--steps", "10",
		"--step-size", "2", "--temperature", "0.2", "--connect", "3", "--db", db, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var ex landscape.ExploreResult
	if err := json.Unmarshal([]byte(js), &ex); err != nil {
		t.Fatal(err)
	}
	if ex.Summary.Minima < 2 || ex.Summary.TransitionStates < 1 {
		t.Fatalf("explore: %+v", ex.Summary)
	}
	largest := 0.0
	for _, b := range ex.Summary.Barriers {
		if b != nil {
			largest = max(largest, *b)
		}
	}
	var gr graphResult
	out, err := execCLI(t, "landscape", "graph", "--db", db, "--plot", png, "--format", "json", "--barrier", fmtFloat(largest))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &gr); err != nil {
		t.Fatal(err)
	}
	if len(gr.Minima) != ex.Summary.Minima || len(gr.Transitions) != ex.Summary.TransitionStates || len(gr.Levels) != 20 {
		t.Fatalf("graph: %d minima, %d transition states, %d levels", len(gr.Minima), len(gr.Transitions), len(gr.Levels))
	}
	for i, m := range gr.Minima {
		want := ex.Summary.Barriers[i]
		if (m.Barrier == nil) != (want == nil) || (want != nil && *m.Barrier != *want) || m.MinimumMeasure == nil {
			t.Errorf("minimum %d: %+v; explore's barrier %v", i, m, want)
		}
	}
	reach := gr.Reachable != nil && *gr.Reachable
	if ex.Summary.Components == 1 && !reach {
		t.Errorf("one component, barrier %v: reachable %v (not from %v)", largest, gr.Reachable, gr.Unreachable)
	}
	if raw, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(raw, []byte("\x89PNG")) {
		t.Errorf("plot: %v", err)
	}
	if ex.Summary.Components == 1 && largest > 0 {
		out, err := execCLI(t, "landscape", "graph", "--db", db, "--format", "json", "--barrier", fmtFloat(largest*0.999))
		if err != nil {
			t.Fatal(err)
		}
		var below graphResult
		if err := json.Unmarshal([]byte(out), &below); err != nil || below.Reachable == nil || *below.Reachable || len(below.Unreachable) == 0 {
			t.Errorf("barrier just below the largest: %v, reachable %v", err, below.Reachable)
		}
	}
	// A database of another program: no settings to rebuild a network.
	plain := filepath.Join(dir, "plain.jsonl")
	if err := os.WriteFile(plain, []byte(`{"format":"netgeom-energy-db-1","dim":2,"energy_tol":0,"distance_tol":0,"distance":"euclidean"}`+"\n"+
		`{"minimum":{"id":0,"x":[0,0],"energy":1,"grad_norm":0,"index":0,"zero":0,"log_abs_det":0,"lowest":1}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := execCLI(t, "landscape", "graph", "--db", plain, "--color", "test-accuracy"); err == nil || !strings.Contains(err.Error(), "records no network") {
		t.Errorf("plain database coloured by test accuracy: %v", err)
	}
	if _, err := execCLI(t, "landscape", "graph", "--db", plain, "--color", "energy"); err != nil {
		t.Errorf("plain database coloured by energy: %v", err)
	}
}
