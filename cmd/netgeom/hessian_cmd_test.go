package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/train"
)

// trainedIris trains the defaults on iris into a model file in the test's
// temporary directory (a third of a second).
func trainedIris(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "iris.ngm")
	if _, err := execCLI(t, "train", "--data", "iris", "--out", path); err != nil {
		t.Fatal(err)
	}
	return path
}

// fdHessian is an independent dense Hessian of the model's mean training
// loss: central differences (step 1e-5) of the backpropagated gradient in
// each of the P coordinates, symmetrised, on the training set rebuilt from
// the model file. Its entries err by ~1e-10 (h^2 truncation and u/h
// rounding on O(1) gradients).
func fdHessian(t *testing.T, path string) ([]float64, int) {
	t.Helper()
	b := enginetest.Open(t)
	net, hdr, err := models.LoadNetwork(b, path)
	if err != nil {
		t.Fatal(err)
	}
	prep, err := train.Rebuild(*hdr.Data)
	if err != nil {
		t.Fatal(err)
	}
	data, err := train.Upload(b, prep.Train)
	if err != nil {
		t.Fatal(err)
	}
	e, err := net.NewEvaluator(0)
	if err != nil {
		t.Fatal(err)
	}
	p := net.NumParams()
	theta, _ := net.HostParams()
	const h = 1e-5
	H := make([]float64, p*p)
	x, _ := b.Alloc(engine.Float64, p)
	g, _ := b.Alloc(engine.Float64, p)
	grad := func(k int, s float64) []float64 {
		th := append([]float64(nil), theta...)
		th[k] += s
		if err := b.Upload(x, th); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Gradient(x, data, g); err != nil {
			t.Fatal(err)
		}
		out := make([]float64, p)
		b.Download(out, g)
		return out
	}
	for k := 0; k < p; k++ {
		gp, gm := grad(k, h), grad(k, -h)
		for i := 0; i < p; i++ {
			H[i*p+k] = (gp[i] - gm[i]) / (2 * h)
		}
	}
	for i := 0; i < p; i++ {
		for k := 0; k < i; k++ {
			s := 0.5 * (H[i*p+k] + H[k*p+i])
			H[i*p+k], H[k*p+i] = s, s
		}
	}
	return H, p
}

// descendingEigenvalues returns the eigenvalues of the symmetric p x p
// matrix H (row-major) by gonum's dense solver, largest first.
func descendingEigenvalues(t *testing.T, H []float64, p int) []float64 {
	t.Helper()
	var es mat.EigenSym
	if !es.Factorize(mat.NewSymDense(p, H), false) {
		t.Fatal("dense eigendecomposition failed")
	}
	vals := es.Values(nil)
	sort.Sort(sort.Reverse(sort.Float64Slice(vals)))
	return vals
}

// TestHessianCommand: `netgeom train` then `netgeom hessian` on iris, as a
// user types them. The JSON has the keys (eigenvalues as objects
// with value and residual, trace with value and stderr, density with grid
// and values, hvps, seconds); the top 10 eigenvalues equal those of an
// independent finite-difference Hessian (eigendecomposed densely by gonum)
// to 1e-6 of the largest (the FD entries err by ~1e-10), each with a
// relative residual at most the default tolerance 1e-8; the Hutchinson
// trace lies within 4 standard errors of the dense trace; the density
// integrates to 1 (within 1%: the grid holds all but ~1e-6 of the mass, and
// the trapezoid rule errs by far less at 4 points per sigma); the PNG is
// written.
func TestHessianCommand(t *testing.T) {
	model := trainedIris(t)
	png := filepath.Join(t.TempDir(), "esd.png")
	out, err := execCLI(t, "hessian", "--model", model, "--data", "iris", "--top", "10", "--trace", "--density", "--plot", png, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, k := range []string{"eigenvalues", "trace", "density", "hvps", "seconds"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	var eig []map[string]float64
	var tr, dens map[string]json.RawMessage
	json.Unmarshal(raw["eigenvalues"], &eig)
	json.Unmarshal(raw["trace"], &tr)
	json.Unmarshal(raw["density"], &dens)
	for _, k := range []string{"value", "stderr"} {
		if _, ok := tr[k]; !ok {
			t.Errorf("trace lacks %q: %s", k, raw["trace"])
		}
	}
	var res landscape.HessianSpectrumResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if _, ok := eig[0]["residual_bound"]; len(eig) != 10 || len(eig[0]) != 3 || !ok {
		t.Fatalf("eigenvalues: %s", raw["eigenvalues"])
	}
	if _, ok := dens["grid"]; !ok {
		t.Error("density lacks grid")
	}
	if res.HVPs < 10 || !(res.Seconds > 0) {
		t.Errorf("hvps %d, seconds %v", res.HVPs, res.Seconds)
	}

	H, p := fdHessian(t, model)
	vals := descendingEigenvalues(t, H, p)
	top := vals[0]
	for i, e := range res.Eigenvalues {
		if !(math.Abs(e.Value-vals[i]) <= 1e-6*top) {
			t.Errorf("eigenvalue %d: Lanczos %.12g, dense FD Hessian %.12g", i+1, e.Value, vals[i])
		}
		if e.Residual > 1e-8*math.Max(math.Abs(e.Value), 1e-3*top) {
			t.Errorf("eigenvalue %d: residual %.3g above the tolerance", i+1, e.Residual)
		}
	}
	trace := 0.0
	for i := 0; i < p; i++ {
		trace += H[i*p+i]
	}
	if !(math.Abs(res.Trace.Value-trace) <= 4*res.Trace.StdErr) {
		t.Errorf("trace %.6g +- %.3g; dense trace %.6g", res.Trace.Value, res.Trace.StdErr, trace)
	}
	mass := 0.0
	g, v := res.Density.Grid, res.Density.Values
	for i := 1; i < len(g); i++ {
		mass += 0.5 * (v[i] + v[i-1]) * (g[i] - g[i-1])
	}
	if !(math.Abs(mass-1) <= 0.01) {
		t.Errorf("density integrates to %.6g", mass)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Errorf("plot: %v", err)
	}

	// The table names the eigenvalues and ends with the products and time.
	table, err := execCLI(t, "hessian", "--model", model, "--top", "3")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[1], "rank") || !strings.HasPrefix(lines[5], "hvps") {
		t.Errorf("table:\n%s", table)
	}
}

// TestHessianGaussNewton: the Gauss-Newton matrix of the trained iris model
// is positive semi-definite (its smallest eigenvalues >= -1e-10 of the
// largest), and its largest eigenvalue lies within 20% of the Hessian's (at
// a good fit the residual term is small).
func TestHessianGaussNewton(t *testing.T) {
	model := trainedIris(t)
	run := func(args ...string) landscape.HessianSpectrumResult {
		out, err := execCLI(t, append([]string{"hessian", "--model", model, "--format", "json"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var r landscape.HessianSpectrumResult
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	gnTop := run("--gauss-newton", "--top", "1")
	gnLow := run("--gauss-newton", "--top", "3", "--which", "smallest")
	hTop := run("--top", "1")
	if gnTop.Operator != "gauss-newton" || hTop.Operator != "hessian" {
		t.Errorf("operators %q, %q", gnTop.Operator, hTop.Operator)
	}
	lmax := gnTop.Eigenvalues[0].Value
	for _, e := range gnLow.Eigenvalues {
		if e.Value < -1e-10*lmax {
			t.Errorf("Gauss-Newton eigenvalue %.3g < 0 (largest %.3g)", e.Value, lmax)
		}
	}
	if r := lmax / hTop.Eigenvalues[0].Value; r < 0.8 || r > 1.2 {
		t.Errorf("largest eigenvalue: Gauss-Newton %.6g, Hessian %.6g", lmax, hTop.Eigenvalues[0].Value)
	}
}

// TestHessianErrors: a missing or damaged model, another data set or
// nothing to compute are errors that say what to do.
func TestHessianErrors(t *testing.T) {
	model := trainedIris(t)
	raw, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.ngm")
	raw[len(raw)-3] ^= 0x10
	os.WriteFile(bad, raw, 0o644)
	short := filepath.Join(t.TempDir(), "short.ngm")
	os.WriteFile(short, raw[:len(raw)-100], 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"hessian"}, "--model"},
		{[]string{"hessian", "--model", bad}, "checksum"},
		{[]string{"hessian", "--model", short}, "truncated"},
		{[]string{"hessian", "--model", filepath.Join(t.TempDir(), "none.ngm")}, "no such file"},
		{[]string{"hessian", "--model", model, "--data", "wine"}, "trained on iris"},
		{[]string{"hessian", "--model", model, "--subset", "50"}, "subset"},
		{[]string{"hessian", "--model", model, "--top", "0"}, "nothing to compute"},
		{[]string{"hessian", "--model", model, "--which", "middle"}, "--which"},
		{[]string{"hessian", "--model", model, "--top", "1000"}, "only 403 parameters"},
	} {
		_, err := execCLI(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want one mentioning %q", c.args, err, c.want)
		}
	}
}

// TestHessianOverlay: --overlay implies --density and reports the law with a
// positive fitted scale (the fits themselves are tested against exact laws
// in package spinglass); a bad law or ratio is an error.
func TestHessianOverlay(t *testing.T) {
	model := trainedIris(t)
	for _, law := range []string{"mp", "semicircle"} {
		out, err := execCLI(t, "hessian", "--model", model, "--top", "0", "--gauss-newton", "--overlay", law, "--format", "json")
		if err != nil {
			t.Fatal(err)
		}
		var res landscape.HessianSpectrumResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		if res.Overlay == nil || res.Overlay.Law != law || !(res.Overlay.Scale > 0) || res.Density == nil {
			t.Fatalf("%s: overlay %+v, density present %v", law, res.Overlay, res.Density != nil)
		}
	}
	for _, args := range [][]string{{"--overlay", "gaussian"}, {"--overlay", "mp", "--mp-ratio", "0"}} {
		if _, err := execCLI(t, append([]string{"hessian", "--model", model, "--top", "0"}, args...)...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
