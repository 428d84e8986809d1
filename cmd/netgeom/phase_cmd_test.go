package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPhaseCSVAndPlot: a small tanh grid as CSV has one row per point with
// the documented header; the ordered/chaotic split agrees with the critical
// curve (sigma_w = 1 at sigma_b = 0: points left of it ordered, right of it
// chaotic); the PNG and SVG files are written and start with their magic.
func TestPhaseCSVAndPlot(t *testing.T) {
	dir := t.TempDir()
	png := filepath.Join(dir, "p.png")
	out, err := execCLI(t, "phase", "--act", "tanh", "--sigma-w", "0.5:2.5:5", "--sigma-b", "0:1:3", "--format", "csv", "--plot", png)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+15 || strings.Join(rows[0], ",") != "sigma_w,sigma_b,q_star,c_star,chi1,xi_c_layers,phase,iterations" {
		t.Fatalf("csv:\n%s", out)
	}
	for _, r := range rows[1:] {
		sw, _ := strconv.ParseFloat(r[0], 64)
		sb, _ := strconv.ParseFloat(r[1], 64)
		if sb == 0 && (sw < 1) != (r[6] == "ordered") {
			t.Errorf("row %v: phase does not match sigma_w vs 1", r)
		}
	}
	b, err := os.ReadFile(png)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("png not written: %v", err)
	}
	svg := filepath.Join(dir, "p.svg")
	if _, err := execCLI(t, "phase", "--sigma-w", "1:3:3", "--sigma-b", "0:1:2", "--plot", svg, "--format", "json"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(svg); err != nil || !bytes.Contains(b[:200], []byte("<svg")) {
		t.Errorf("svg not written: %v", err)
	}
	if _, err := execCLI(t, "phase", "--plot", filepath.Join(dir, "p.gif")); err == nil {
		t.Error("--plot .gif accepted")
	}
}

// TestPhaseCritical: --critical prints the critical curve; tanh's is exactly
// 1 at sigma_b = 0 and rises with sigma_b, and its CSV keeps full precision.
func TestPhaseCritical(t *testing.T) {
	out, err := execCLI(t, "phase", "--act", "tanh", "--critical", "--sigma-b", "0:2:5", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var c criticalJSON
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Points) != 5 || c.Points[0].CriticalSigmaW != 1 {
		t.Fatalf("%s", out)
	}
	for i := 1; i < 5; i++ {
		if c.Points[i].CriticalSigmaW <= c.Points[i-1].CriticalSigmaW {
			t.Errorf("not rising: %v", c.Points)
		}
	}
	// The CSV carries every digit: each cell reads back as the JSON value.
	out, err = execCLI(t, "phase", "--act", "tanh", "--critical", "--sigma-b", "0:2:5", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 6 {
		t.Fatalf("csv: %v\n%s", err, out)
	}
	for i, r := range rows[1:] {
		if v, err := strconv.ParseFloat(r[1], 64); err != nil || v != c.Points[i].CriticalSigmaW {
			t.Errorf("sigma_b %s: CSV %q, JSON %v", r[0], r[1], c.Points[i].CriticalSigmaW)
		}
	}
}
