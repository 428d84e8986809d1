package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/npy"
)

// readNpyIndex reads DIR/index.json strictly.
func readNpyIndex(t *testing.T, dir string) npyIndex {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx npyIndex
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

// The walk over a result: lists of numbers are arrays, a field over a list
// of objects is a column, equal shapes stack, a number missing from some
// elements is NaN, unequal shapes give one array per element, json "-"
// and unexported fields and strings are left out, scalars alone too, and
// "+Inf" (how netgeom's JSON writes an infinity) is a number.
func TestNpyArraysOfAResult(t *testing.T) {
	type row struct {
		Q      float64   `json:"q"`
		C      *float64  `json:"c,omitempty"`
		Spec   []float64 `json:"spec"`
		Ragged []int     `json:"ragged"`
		Name   string    `json:"name"`
	}
	one := 1.5
	v := struct {
		Scalar float64     `json:"scalar"`
		Grid   []float64   `json:"grid"`
		Rows   []row       `json:"rows"`
		Matrix [][]float64 `json:"matrix"`
		Hidden []float64   `json:"-"`
		Empty  []float64   `json:"empty"`
		Inf    []any       `json:"inf"`
		secret []float64
	}{
		Scalar: 3, Grid: []float64{0, 0.5, 1},
		Rows: []row{
			{Q: 1, C: &one, Spec: []float64{1, 2}, Ragged: []int{7}},
			{Q: 2, Spec: []float64{3, 4}, Ragged: []int{8, 9}},
		},
		Matrix: [][]float64{{1, 2, 3}, {4, 5, 6}},
		Hidden: []float64{9}, Empty: []float64{}, Inf: []any{"+Inf", 2}, secret: []float64{1},
	}
	got := map[string]npyArray{}
	var names []string
	arrays, err := npyArrays(&v)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arrays {
		got[a.Name] = a
		names = append(names, a.Name)
	}
	want := []struct {
		name, json string
		shape      []int
		data       []float64
	}{
		{"grid", "grid[]", []int{3}, []float64{0, 0.5, 1}},
		{"rows.q", "rows[].q", []int{2}, []float64{1, 2}},
		{"rows.c", "rows[].c", []int{2}, []float64{1.5, math.NaN()}},
		{"rows.spec", "rows[].spec[]", []int{2, 2}, []float64{1, 2, 3, 4}},
		{"rows.0.ragged", "rows[0].ragged[]", []int{1}, []float64{7}},
		{"rows.1.ragged", "rows[1].ragged[]", []int{2}, []float64{8, 9}},
		{"matrix", "matrix[][]", []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
		{"empty", "empty[]", []int{0}, []float64{}},
		{"inf", "inf[]", []int{2}, []float64{math.Inf(1), 2}},
	}
	if len(names) != len(want) {
		t.Errorf("arrays %q; want %d", names, len(want))
	}
	for _, w := range want {
		a, ok := got[w.name]
		if !ok {
			t.Errorf("no array %s (have %q)", w.name, names)
			continue
		}
		if a.JSON != w.json || !slices.Equal(a.Shape, w.shape) || !slices.EqualFunc(a.data, w.data, sameFloat) {
			t.Errorf("%s: json %s shape %v data %v; want %s %v %v", w.name, a.JSON, a.Shape, a.data, w.json, w.shape, w.data)
		}
	}
	if d := got["rows.spec"].Description; !strings.Contains(d, "axis 0: the elements of rows, axis 1: the elements of rows[].spec") {
		t.Errorf("description %q does not say the axes", d)
	}
}

func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// jsonPath evaluates an index.json "json" path ("layers[].q", "rows[1].x[]")
// on a decoded JSON value, flattening the lists in C order; null (a field
// an element omits) is NaN.
func jsonPath(t *testing.T, v any, path string) []float64 {
	t.Helper()
	tok := regexp.MustCompile(`\[\d*\]|[^.\[]+`).FindAllString(path, -1)
	var walk func(v any, tok []string) []float64
	walk = func(v any, tok []string) []float64 {
		if len(tok) == 0 {
			switch x := v.(type) {
			case float64:
				return []float64{x}
			case nil:
				return []float64{math.NaN()}
			case string: // netgeom's JSON writes infinities as "+Inf", "-Inf"
				if f, err := strconv.ParseFloat(x, 64); err == nil && (math.IsInf(f, 0) || math.IsNaN(f)) {
					return []float64{f}
				}
			}
			t.Fatalf("%s: %T at the end of the path", path, v)
		}
		switch s := tok[0]; {
		case s == "[]":
			var out []float64
			for _, e := range v.([]any) {
				out = append(out, walk(e, tok[1:])...)
			}
			return out
		case strings.HasPrefix(s, "["):
			i, _ := strconv.Atoi(s[1 : len(s)-1])
			return walk(v.([]any)[i], tok[1:])
		default:
			if v == nil { // an object missing from some elements of a list: NaN
				return []float64{math.NaN()}
			}
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s: %T where %s should be", path, v, s)
			}
			return walk(m[s], tok[1:])
		}
	}
	return walk(v, tok)
}

// checkNpyDir reads every array index.json lists with the npy reader and
// compares it, bit for bit, with the values at its JSON path in out (the
// command's --format json output, an independent encoding of the same
// numbers). It returns the arrays by name.
func checkNpyDir(t *testing.T, dir, command, out string) map[string]*npy.Array {
	t.Helper()
	idx := readNpyIndex(t, dir)
	if idx.Format != npyIndexFormat || idx.Command != command {
		t.Fatalf("%s: index format %q command %q", dir, idx.Format, idx.Command)
	}
	var res any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	arrays := map[string]*npy.Array{}
	for _, a := range idx.Arrays {
		if a.File != a.Name+".npy" || a.Dtype != "float64" || a.Description == "" {
			t.Errorf("%s: %+v", command, a)
		}
		arr, err := npy.ReadFile(filepath.Join(dir, a.File))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(arr.Shape, a.Shape) {
			t.Errorf("%s %s: file shape %v, index %v", command, a.Name, arr.Shape, a.Shape)
		}
		arrays[a.Name] = arr
		if a.JSON == "" {
			continue
		}
		if want := jsonPath(t, res, a.JSON); !slices.EqualFunc(arr.Data, want, sameFloat) {
			t.Errorf("%s %s: %v in the file, %v at %s in the JSON", command, a.Name, head(arr.Data), head(want), a.JSON)
		}
	}
	return arrays
}

func head(v []float64) []float64 { return v[:min(len(v), 6)] }

// Every analysis command writes its arrays with --npy: each file reads
// back with the npy reader and equals, bit for bit, the numbers at its
// JSON path in the same run's --format json output.
func TestNpyEveryCommand(t *testing.T) {
	model := trainedIris(t)
	model2 := filepath.Join(t.TempDir(), "iris2.ngm")
	if _, err := execCLI(t, "train", "--data", "iris", "--init-seed", "7", "--steps", "200", "--out", model2); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	for _, c := range []struct {
		args []string
		want []string // arrays that must be there
	}{
		{[]string{"curvature", "--depth", "3", "--width", "40", "--points", "40"}, []string{"layers.q", "layers.kappa_bar"}},
		{[]string{"propagate", "--sigma-w", "2.5", "--width", "40", "--depth", "3", "--pairs", "3"}, []string{"layers.c"}},
		{[]string{"jacobian", "--width", "20", "--depths", "2,4", "--inputs", "1"}, []string{"rows.mean_sq_sv"}},
		{[]string{"boundary", "--width", "20", "--depth", "2"}, []string{"layers.max_curvature"}},
		{[]string{"carve", "--count-depths", "1:2", "--count-widths", "20", "--count-seeds", "1", "--boundary-width", "10", "--boundary-depth", "2", "--depth", "3", "--points", "40"}, []string{"circle.rows.q"}},
		{[]string{"expressivity", "--depths", "1,3", "--width", "30", "--functions", "4", "--input-dim", "8", "--points", "100", "--repeats", "1", "--shallow-widths", "20", "--readout", "0"}, []string{"networks.errors"}},
		{[]string{"meanfield", "--sigma-w", "2.5", "--sigma-b", "0.3", "--layers", "5"}, nil},
		{[]string{"phase", "--sigma-w", "1:3:3", "--sigma-b", "0:1:2"}, []string{"points.chi1"}},
		{[]string{"hessian", "--model", model, "--top", "3", "--density", "--grid", "50"}, []string{"eigenvalues.value", "density.values"}},
		{[]string{"sensitivity", "--model", model, "--draws", "1"}, []string{"layers.reinit.loss"}},
		{[]string{"pullback", "--model", model}, []string{"layers.log_volume_quantiles"}},
		{[]string{"connect", "--model", model, "--model", model2, "--steps", "0", "--points", "4"}, []string{"linear.points.train_loss"}},
		{[]string{"census", "--data", "iris", "--budget", "100", "--depths", "1", "--restarts", "2", "--adam-steps", "50", "--workers", "1", "--out", filepath.Join(tmp, "c.jsonl")}, []string{"depths.params"}},
		{[]string{"spinglass", "--p", "3", "--n", "8", "--starts", "10"}, []string{"points.energy"}},
		{[]string{"landscape", "compare", "--data", "iris", "--budget", "100", "--depths", "1:2", "--restarts", "3", "--adam-steps", "50", "--workers", "1",
			"--bootstrap", "100", "--dir", filepath.Join(tmp, "cmp")}, []string{"runs.depths.params"}},
		{[]string{"slice", "--model", model, "--points", "4"}, []string{"alphas", "betas", "train_loss"}},
	} {
		dir := filepath.Join(tmp, c.args[0])
		out, err := execCLI(t, append(c.args, "--npy", dir, "--format", "json")...)
		if err != nil {
			t.Fatalf("%s: %v", c.args[0], err)
		}
		name := c.args[0]
		if name == "landscape" {
			name += " " + c.args[1] // the command's path below the root
		}
		arrays := checkNpyDir(t, dir, name, out)
		for _, w := range c.want {
			if arrays[w] == nil {
				t.Errorf("%s: no array %s", c.args[0], w)
			}
		}
		if c.args[0] == "meanfield" && len(arrays) == 0 {
			t.Errorf("meanfield --layers: no arrays")
		}
	}
	// Commands without --npy are the ones that analyse nothing (groups:
	// their subcommands).
	root := newRootCmd()
	for _, name := range []string{"compare", "explore", "graph"} {
		sub, _, err := root.Find([]string{"landscape", name})
		if err != nil || sub.Flags().Lookup("npy") == nil {
			t.Errorf("landscape %s: no --npy (%v)", name, err)
		}
	}
	for _, sub := range root.Commands() {
		has := sub.Flags().Lookup("npy") != nil
		analysis := !slices.Contains([]string{"train", "import", "export", "datasets", "devices", "version", "reproduce", "sweep", "landscape", "completion", "help"}, sub.Name())
		if has != analysis {
			t.Errorf("%s: --npy %v, want %v", sub.Name(), has, analysis)
		}
	}
}

// hessian --npy --vectors: the eigenvectors, row i that of eigenvalue i in
// the model file's parameter order, satisfy H v = lambda v for an
// independent Hessian (central differences of the gradient, entries good
// to ~1e-10), are unit vectors and orthogonal.
func TestNpyHessianVectors(t *testing.T) {
	model := trainedIris(t)
	dir := filepath.Join(t.TempDir(), "out")
	out, err := execCLI(t, "hessian", "--model", model, "--top", "3", "--vectors", "--npy", dir, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	arrays := checkNpyDir(t, dir, "hessian", out)
	vals, vecs := arrays["eigenvalues.value"], arrays["eigenvectors"]
	if vals == nil || vecs == nil {
		t.Fatalf("arrays %v", slices.Collect(func(yield func(string) bool) {
			for k := range arrays {
				yield(k)
			}
		}))
	}
	H, p := fdHessian(t, model)
	if !slices.Equal(vecs.Shape, []int{3, p}) {
		t.Fatalf("eigenvectors of shape %v, want [3 %d]", vecs.Shape, p)
	}
	for i := range 3 {
		v := vecs.Data[i*p : (i+1)*p]
		var norm, res float64
		for r := range p {
			hv := 0.0
			for c := range p {
				hv += H[r*p+c] * v[c]
			}
			d := hv - vals.Data[i]*v[r]
			res += d * d
			norm += v[r] * v[r]
		}
		// ~1e-10 per entry of H over p = 403 coordinates: |H_fd v - H v| ~ 1e-8.
		if !(math.Abs(norm-1) <= 1e-12) || math.Sqrt(res) > 1e-6*math.Abs(vals.Data[0]) {
			t.Errorf("eigenvector %d: |v|^2 = %v, |H v - lambda v| = %g (lambda %g)", i, norm, math.Sqrt(res), vals.Data[i])
		}
		for j := range i {
			dot := 0.0
			for r := range p {
				dot += v[r] * vecs.Data[j*p+r]
			}
			if !(math.Abs(dot) <= 1e-8) {
				t.Errorf("eigenvectors %d and %d: dot %g", i, j, dot)
			}
		}
	}
	if _, err := execCLI(t, "hessian", "--model", model, "--top", "3", "--vectors"); err == nil || !strings.Contains(err.Error(), "--vectors writes the --top eigenvectors to --npy DIR") {
		t.Errorf("--vectors without --npy: %v", err)
	}
}

// pythonWithNumpy is a Python that imports numpy: $NETGEOM_PYTHON,
// python3 on the path, or Debian's /usr/bin/python3 (python3-numpy), which
// a pyenv or virtualenv python3 on the path may hide; "" if none.
func pythonWithNumpy() string {
	for _, py := range []string{os.Getenv("NETGEOM_PYTHON"), "python3", "/usr/bin/python3"} {
		if py != "" && exec.Command(py, "-c", "import numpy").Run() == nil {
			return py
		}
	}
	return ""
}

// numpy reads the files: np.load of every array equals the npy reader's
// values bit for bit (compared as float.hex), with the same shape. Skipped
// where no python3 with numpy is installed.
func TestNpyNumpyLoads(t *testing.T) {
	py := pythonWithNumpy()
	if py == "" {
		t.Skip("no python3 with numpy installed (set NETGEOM_PYTHON to one)")
	}
	model := trainedIris(t)
	dir := filepath.Join(t.TempDir(), "out")
	out, err := execCLI(t, "hessian", "--model", model, "--top", "2", "--vectors", "--density", "--grid", "20", "--npy", dir, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	arrays := checkNpyDir(t, dir, "hessian", out)
	script := `
import json, sys, os
import numpy as np
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
out = {}
for a in idx["arrays"]:
    x = np.load(os.path.join(d, a["file"]), allow_pickle=False)
    assert x.dtype == np.float64 and x.flags["C_CONTIGUOUS"], (a, x.dtype)
    out[a["name"]] = {"shape": list(x.shape), "hex": [float(v).hex() for v in x.ravel()]}
json.dump(out, sys.stdout)
`
	cmd := exec.Command(py, "-c", script, dir)
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var got map[string]struct {
		Shape []int    `json:"shape"`
		Hex   []string `json:"hex"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(arrays) || len(got) < 5 {
		t.Fatalf("numpy read %d arrays, the index has %d", len(got), len(arrays))
	}
	for name, a := range arrays {
		g := got[name]
		if !slices.Equal(g.Shape, a.Shape) || len(g.Hex) != len(a.Data) {
			t.Fatalf("%s: numpy shape %v (%d values), npy reader %v", name, g.Shape, len(g.Hex), a.Shape)
		}
		for i, h := range g.Hex {
			if v := parseHexFloat(t, h); !sameFloat(v, a.Data[i]) {
				t.Fatalf("%s[%d]: numpy %s, npy reader %v", name, i, h, a.Data[i])
			}
		}
	}
}

// parseHexFloat reads Python's float.hex ("0x1.8p+1", "inf", "nan").
func parseHexFloat(t *testing.T, h string) float64 {
	t.Helper()
	switch h {
	case "inf":
		return math.Inf(1)
	case "-inf":
		return math.Inf(-1)
	case "nan":
		return math.NaN()
	}
	v, err := strconv.ParseFloat(h, 64)
	if err != nil {
		t.Fatalf("%q: %v", h, err)
	}
	return v
}
