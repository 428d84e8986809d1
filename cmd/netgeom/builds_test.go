package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestSameResultsAcrossGOAMD64 is README's reproducibility contract between
// builds: a GOAMD64=v3 build (where the Go compiler fuses multiply-adds,
// in netgeom's code and in gonum's alike) may differ from the default v1
// build in the last bits of continuous results, never in a discrete one.
// Both builds run meanfield, phase, curvature, train and a small census;
// every number must agree to a relative 1e-12 (the differences measured
// were below 1e-14: a few roundings of the 2^-53 unit, grown through a
// few layers), except the census's end points, which L-BFGS determines
// only to its gradient tolerance: there every count, index, cluster label,
// representative and the list of near-threshold pairs must be identical,
// the objective agree to 1e-9 relative and the data losses to 1e-5.
func TestSameResultsAcrossGOAMD64(t *testing.T) {
	if testing.Short() {
		t.Skip("builds netgeom a second time")
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "GOAMD64" && s.Value != "v1" {
				t.Skipf("this test binary is itself a GOAMD64=%s build", s.Value)
			}
		}
	}
	cpu, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip("no /proc/cpuinfo to tell whether this CPU runs GOAMD64=v3 code")
	}
	for _, f := range []string{"avx2", "fma", "bmi2", "movbe"} {
		if !strings.Contains(string(cpu), " "+f) {
			t.Skipf("this CPU lacks %s: it cannot run a GOAMD64=v3 build", f)
		}
	}
	v3 := filepath.Join(t.TempDir(), "netgeom-v3")
	build := exec.Command("go", "build", "-o", v3, ".")
	build.Env = append(os.Environ(), "GOAMD64=v3")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("GOAMD64=v3 go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		rel  func(path string) float64 // tolerance by JSON path; 0: exact
	}{
		{"meanfield", []string{"meanfield", "--sigma-w", "2.5", "--sigma-b", "0.3", "--layers", "20"}, continuous},
		{"phase", []string{"phase", "--sigma-w", "1:4:7", "--sigma-b", "0:1:3"}, continuous},
		{"curvature", []string{"curvature", "--width", "300", "--depth", "8", "--points", "100"}, continuous},
		{"train", []string{"train", "--data", "iris", "--steps", "300", "--out", "OUT.ngm"}, continuous},
		{"census", []string{"census", "--data", "iris", "--depths", "1:2", "--restarts", "6", "--out", "OUT.jsonl"}, censusTolerance},
	}
	for _, c := range cases {
		var outs [2]any
		for i, bin := range []string{os.Args[0], v3} {
			args := make([]string, len(c.args))
			for k, a := range c.args {
				args[k] = strings.Replace(a, "OUT", filepath.Join(dir, fmt.Sprintf("%s-%d", c.name, i)), 1)
			}
			cmd := exec.Command(bin, append(args, "--format", "json")...)
			cmd.Env = append(os.Environ(), "NETGEOM_TEST_AS_MAIN=1")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s (build %d): %v", c.name, i, err)
			}
			if err := json.Unmarshal(out, &outs[i]); err != nil {
				t.Fatalf("%s (build %d): %v", c.name, i, err)
			}
		}
		n, worst := compareJSON(t, c.name, "", outs[0], outs[1], c.rel)
		t.Logf("%s: %d numbers compared, largest relative difference %.2g", c.name, n, worst)
	}
}

// continuous: every number to a relative 1e-12, timings aside.
func continuous(path string) float64 {
	if strings.HasSuffix(path, ".seconds") {
		return math.Inf(1)
	}
	return 1e-12
}

// censusTolerance: counts, indices, cluster labels and near-threshold
// pairs exactly; losses to 1e-9; distances, eigenvalues and statistics of
// the end points (set by L-BFGS's gradient tolerance, not by rounding)
// are not compared.
func censusTolerance(path string) float64 {
	last := path[strings.LastIndex(path, ".")+1:]
	switch last {
	case "restarts", "failed", "converged", "minima", "saddles", "distinct_stationary", "distinct_minima",
		"index", "cluster", "restart", "a", "b", "depth", "params", "budget":
		return 0
	case "objective":
		// Stationary there: it moves at second order in the end point's
		// error.
		return 1e-9
	case "train_loss", "test_loss":
		// The data losses move at first order (the weight-decay term
		// balances their gradient): measured 7e-7.
		if !strings.Contains(path, "_loss.") { // a point's losses, not Stats of them
			return 1e-5
		}
	}
	if strings.HasPrefix(last, "widths") {
		return 0
	}
	return math.Inf(1)
}

// compareJSON walks two decoded JSON documents of the same shape and fails
// on any difference beyond tol(path); it returns how many numbers it
// compared and the largest relative difference among them.
func compareJSON(t *testing.T, name, path string, a, b any, tol func(string) float64) (int, float64) {
	t.Helper()
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			t.Errorf("%s %s: objects of different shape", name, path)
			return 0, 0
		}
		n, w := 0, 0.0
		for k, v := range x {
			if k == "out" || k == "model" || k == "path" {
				continue // the file each build wrote
			}
			dn, dw := compareJSON(t, name, path+"."+k, v, y[k], tol)
			n, w = n+dn, max(w, dw)
		}
		return n, w
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			t.Errorf("%s %s: arrays of lengths %d and %d", name, path, len(x), len(y))
			return 0, 0
		}
		n, w := 0, 0.0
		for i := range x {
			dn, dw := compareJSON(t, name, fmt.Sprintf("%s[%d]", path, i), x[i], y[i], tol)
			n, w = n+dn, max(w, dw)
		}
		return n, w
	case float64:
		y, ok := b.(float64)
		if !ok {
			t.Errorf("%s %s: %v against %v", name, path, a, b)
			return 0, 0
		}
		limit := tol(strings.TrimRight(path, "[]0123456789"))
		if math.IsInf(limit, 1) {
			return 0, 0
		}
		rel := math.Abs(x-y) / max(math.Abs(x), math.Abs(y), 1e-300)
		if x == y {
			rel = 0
		}
		if rel > limit {
			t.Errorf("%s %s: %v (GOAMD64=v1) against %v (v3): relative difference %.2g, allowed %g", name, path, x, y, rel, limit)
		}
		return 1, rel
	default:
		if a != b {
			t.Errorf("%s %s: %v (GOAMD64=v1) against %v (v3)", name, path, a, b)
		}
		return 0, 0
	}
}

// TestJSONRepeatsApartFromSeconds: a command's JSON output, run again with
// the same flags, is the same bytes once the members named "seconds" (the
// only timing fields, by README's contract) are removed, and those are
// the only members that differ.
func TestJSONRepeatsApartFromSeconds(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.ngm")
	for _, args := range [][]string{
		{"train", "--data", "iris", "--steps", "200", "--out", model, "--force"},
		{"hessian", "--model", model, "--top", "3", "--trace", "--trace-samples", "10"},
		{"curvature", "--width", "100", "--depth", "4", "--points", "50"},
		{"jacobian", "--width", "100", "--depths", "2,4"},
		{"spinglass", "--n", "20", "--starts", "20"},
	} {
		var runs [2]string
		for i := range runs {
			out, stderr, code := runCLI(t, nil, append(args, "--format", "json")...)
			if code != 0 {
				t.Fatalf("%s: exit %d: %s", args[0], code, stderr)
			}
			runs[i] = out
		}
		var a, b any
		if err := json.Unmarshal([]byte(runs[0]), &a); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal([]byte(runs[1]), &b)
		if dropSeconds(a) == 0 && args[0] != "jacobian" { // jacobian reports no timing
			t.Errorf("%s: no seconds member: the test would not see a timing", args[0])
		}
		dropSeconds(b)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("%s: two runs differ apart from seconds:\n%s\n%s", args[0], ja, jb)
		}
	}
}

// dropSeconds removes every member named "seconds" from a decoded JSON
// document and returns how many it removed.
func dropSeconds(v any) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["seconds"]; ok {
			delete(x, "seconds")
			n++
		}
		for _, e := range x {
			n += dropSeconds(e)
		}
	case []any:
		for _, e := range x {
			n += dropSeconds(e)
		}
	}
	return n
}
