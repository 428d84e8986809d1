package pytorch

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/npy"
	"github.com/netgeom/netgeom/safetensors"
	"github.com/netgeom/netgeom/train"
)

type reference struct {
	Params      int       `json:"params"`
	Loss        float64   `json:"loss"`
	GradNorm    float64   `json:"grad_norm"`
	Eigenvalues []float64 `json:"eigenvalues"`
	Activation  string    `json:"activation"`
	Arch        []int     `json:"arch"`
}

// fixtureData loads testdata/x.npy (N x D) and y.npy (N labels) as
// netgeom data with one-hot targets.
func fixtureData(t *testing.T, b engine.Backend, classes int) *models.Data {
	t.Helper()
	x, err := npy.ReadFile(filepath.Join("testdata", "x.npy"))
	if err != nil {
		t.Fatal(err)
	}
	y, err := npy.ReadFile(filepath.Join("testdata", "y.npy"))
	if err != nil {
		t.Fatal(err)
	}
	n, d := x.Shape[0], x.Shape[1]
	tg := make([]float64, n*classes)
	labels := make([]int, n)
	for i, v := range y.Data {
		labels[i] = int(v)
		tg[i*classes+labels[i]] = 1
	}
	data, err := models.NewData(b, x.Data, d, tg, classes, labels)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { data.Close() })
	return data
}

// TestImportMatchesPyTorch: networks trained in PyTorch 1.13
// (testdata/make_fixtures.py), imported from their safetensors files,
// give PyTorch's mean cross-entropy loss (to 1e-12 relative: both sum the
// same 60 log-softmax terms in float64, in different orders), its gradient
// norm (1e-10) and the eigenvalues of its dense Hessian (1e-9 of the
// largest; netgeom's Hessian is assembled from 115 exact R-operator
// products, PyTorch's by double backward). The tanh model was saved in
// float64, the relu model in float32 (widened exactly on import). A weight
// read in the wrong orientation changes the loss in the first digits.
func TestImportMatchesPyTorch(t *testing.T) {
	b := enginetest.Open(t)
	for _, name := range []string{"tanh", "relu"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "mlp_"+name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var ref reference
		if err := json.Unmarshal(raw, &ref); err != nil {
			t.Fatal(err)
		}
		act, err := activation.Lookup(ref.Activation)
		if err != nil {
			t.Fatal(err)
		}
		spec := models.NetworkSpec{Widths: ref.Arch, Act: act, Loss: models.CrossEntropy}
		f, err := safetensors.ReadFile(filepath.Join("testdata", "mlp_"+name+".safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		params, err := Params(f, spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(params) != ref.Params {
			t.Fatalf("%s: %d parameters, PyTorch has %d", name, len(params), ref.Params)
		}
		net, err := models.NewNetwork(b, spec)
		if err != nil {
			t.Fatal(err)
		}
		defer net.Close()
		if err := net.SetParams(params); err != nil {
			t.Fatal(err)
		}
		data := fixtureData(t, b, ref.Arch[len(ref.Arch)-1])
		e, err := net.NewEvaluator(0)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		P := net.NumParams()
		g, _ := b.Alloc(engine.Float64, P)
		v, _ := b.Alloc(engine.Float64, P)
		hv, _ := b.Alloc(engine.Float64, P)
		defer b.Free(g)
		defer b.Free(v)
		defer b.Free(hv)
		loss, err := e.Gradient(net.Params(), data, g)
		if err != nil {
			t.Fatal(err)
		}
		gn, _ := b.Nrm2(P, g, 1)
		if !(math.Abs(loss-ref.Loss) <= 1e-12*ref.Loss) {
			t.Errorf("%s: loss %.17g, PyTorch %.17g", name, loss, ref.Loss)
		}
		if !(math.Abs(gn-ref.GradNorm) <= 1e-10*ref.GradNorm) {
			t.Errorf("%s: gradient norm %.17g, PyTorch %.17g", name, gn, ref.GradNorm)
		}
		H := mat.NewSymDense(P, nil)
		unit := make([]float64, P)
		col := make([]float64, P)
		for j := 0; j < P; j++ {
			clear(unit)
			unit[j] = 1
			if err := b.Upload(v, unit); err != nil {
				t.Fatal(err)
			}
			if err := e.HVP(net.Params(), data, v, hv); err != nil {
				t.Fatal(err)
			}
			if err := b.Download(col, hv); err != nil {
				t.Fatal(err)
			}
			// Column j gives H[i][j] for every i: keep the rows above the
			// diagonal for now, and average them with column i's entries
			// below it (H is symmetric to rounding).
			for i := 0; i < j; i++ {
				H.SetSym(i, j, 0.5*(col[i]+H.At(i, j)))
			}
			H.SetSym(j, j, col[j])
			for i := j + 1; i < P; i++ {
				H.SetSym(i, j, col[i])
			}
		}
		var es mat.EigenSym
		if !es.Factorize(H, false) {
			t.Fatal("eigensolver failed")
		}
		ev := es.Values(nil)
		sort.Sort(sort.Reverse(sort.Float64Slice(ev)))
		scale := math.Abs(ref.Eigenvalues[0])
		for i := 0; i < 10; i++ {
			if !(math.Abs(ev[i]-ref.Eigenvalues[i]) <= 1e-9*scale) {
				t.Errorf("%s: eigenvalue %d = %.15g, PyTorch %.15g", name, i+1, ev[i], ref.Eigenvalues[i])
			}
		}
		t.Logf("%s: loss %.6g, |g| %.3g, top eigenvalues %.6g %.6g %.6g", name, loss, gn, ev[0], ev[1], ev[2])
	}
}

// TestExportImportRoundTrip: Tensors then Params give back the parameters
// bit for bit, under nn.Sequential's names; the weight's row-major element
// (i, j) is netgeom's column-major element (i, j).
func TestExportImportRoundTrip(t *testing.T) {
	act, _ := activation.Lookup("tanh")
	spec := models.NetworkSpec{Widths: []int{3, 5, 2}, Act: act, Loss: models.CrossEntropy}
	params := make([]float64, spec.NumParams())
	for i := range params {
		params[i] = math.Sin(float64(i) + 0.5)
	}
	ts, err := Tensors(spec, params, nil, "F64")
	if err != nil {
		t.Fatal(err)
	}
	if ts[0].Name != "0.weight" || ts[2].Name != "2.weight" || ts[3].Name != "2.bias" {
		t.Fatalf("names %s %s %s", ts[0].Name, ts[2].Name, ts[3].Name)
	}
	// W_1 is 5 x 3 column-major in params: element (i=1, j=2) at 2*5+1.
	if ts[0].Data[1*3+2] != params[2*5+1] {
		t.Errorf("0.weight[1][2] = %v, want W_1(1,2) = %v", ts[0].Data[1*3+2], params[2*5+1])
	}
	back, err := Params(&safetensors.File{Tensors: ts}, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range params {
		if math.Float64bits(back[i]) != math.Float64bits(params[i]) {
			t.Fatalf("parameter %d: %v back, %v out", i, back[i], params[i])
		}
	}
}

// TestImportErrors: each mismatch names the tensor and what was expected.
func TestImportErrors(t *testing.T) {
	act, _ := activation.Lookup("tanh")
	spec := models.NetworkSpec{Widths: []int{3, 5, 2}, Act: act, Loss: models.CrossEntropy}
	good, err := Tensors(spec, make([]float64, spec.NumParams()), []string{"fc1", "fc2"}, "F64")
	if err != nil {
		t.Fatal(err)
	}
	with := func(edit func([]safetensors.Tensor) []safetensors.Tensor) *safetensors.File {
		ts := append([]safetensors.Tensor(nil), good...)
		return &safetensors.File{Tensors: edit(ts)}
	}
	for what, c := range map[string]struct {
		f        *safetensors.File
		prefixes []string
		spec     models.NetworkSpec
		want     string
	}{
		"transposed weight": {with(func(ts []safetensors.Tensor) []safetensors.Tensor {
			ts[0].Shape = []int{3, 5}
			return ts
		}), nil, spec, "fc1.weight has shape [3 5]; a 3 -> 5 layer needs [5, 3]"},
		"missing bias": {with(func(ts []safetensors.Tensor) []safetensors.Tensor { return ts[:3] }), []string{"fc1", "fc2"}, spec, `no tensor "fc2.bias"`},
		"extra tensor": {with(func(ts []safetensors.Tensor) []safetensors.Tensor {
			return append(ts, safetensors.Tensor{Name: "bn.running_mean", Shape: []int{5}, Data: make([]float64, 5)})
		}), nil, spec, `"bn.running_mean"`},
		"too few layers": {with(func(ts []safetensors.Tensor) []safetensors.Tensor { return ts[:2] }), nil, spec, "the file has 1 Linear layers (fc1)"},
		"wrong name":     {with(func(ts []safetensors.Tensor) []safetensors.Tensor { return ts }), []string{"fc1", "fc3"}, spec, `no tensor "fc3.weight"`},
		"product layer":  {with(func(ts []safetensors.Tensor) []safetensors.Tensor { return ts }), nil, models.NetworkSpec{Widths: []int{3, 5, 2}, Act: act, Loss: models.CrossEntropy, Kinds: []layerkind.Kind{layerkind.Product, layerkind.Dense}}, "layer 1 is product"},
		"bias wrong size": {with(func(ts []safetensors.Tensor) []safetensors.Tensor {
			ts[1].Shape, ts[1].Data = []int{4}, make([]float64, 4)
			return ts
		}), nil, spec, "fc1.bias has shape [4]; want [5]"},
	} {
		_, err := Params(c.f, c.spec, c.prefixes)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v; want it to say %q", what, err, c.want)
		}
	}
	// Natural order: "layers.10" follows "layers.9".
	if !naturalLess("layers.9", "layers.10") || naturalLess("layers.10", "layers.9") || !naturalLess("a.1", "b.0") {
		t.Error("naturalLess does not order numeric parts as numbers")
	}
}

// TestSliceMatchesPyTorch: the loss on a filter-normalised 2-D slice
// through each imported network (landscape.Slice, given the fixture's raw
// Gaussian directions) equals PyTorch's, computed by
// testdata/make_fixtures.py with its own filter normalisation in its own
// layout, at the 9 points alpha, beta in {-0.5, 0, 0.5}: to 1e-10 relative
// (the two sum the same terms in different orders, and the directions'
// rescaling rounds differently).
func TestSliceMatchesPyTorch(t *testing.T) {
	b := enginetest.Open(t)
	for _, name := range []string{"tanh", "relu"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "mlp_"+name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var ref struct {
			reference
			Slice struct {
				Raw       [][]float64 `json:"raw"`
				Range     float64     `json:"range"`
				Points    int         `json:"points"`
				TrainLoss []float64   `json:"train_loss"`
			} `json:"slice"`
		}
		if err := json.Unmarshal(raw, &ref); err != nil {
			t.Fatal(err)
		}
		act, _ := activation.Lookup(ref.Activation)
		spec := models.NetworkSpec{Widths: ref.Arch, Act: act, Loss: models.CrossEntropy}
		f, err := safetensors.ReadFile(filepath.Join("testdata", "mlp_"+name+".safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		params, err := Params(f, spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		net, err := models.NewNetwork(b, spec)
		if err != nil {
			t.Fatal(err)
		}
		defer net.Close()
		if err := net.SetParams(params); err != nil {
			t.Fatal(err)
		}
		m := &train.Model{Net: net, Train: fixtureData(t, b, ref.Arch[len(ref.Arch)-1])}
		res, err := landscape.Slice(context.Background(), b, landscape.SliceOptions{Model: m, Raw: ref.Slice.Raw, Range: ref.Slice.Range, Points: ref.Slice.Points})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.TrainLoss) != len(ref.Slice.TrainLoss) || len(res.TrainLoss) != 9 {
			t.Fatalf("%s: %d slice values, PyTorch %d", name, len(res.TrainLoss), len(ref.Slice.TrainLoss))
		}
		for i, want := range ref.Slice.TrainLoss {
			if got := res.TrainLoss[i]; !(math.Abs(got-want) <= 1e-10*want) {
				t.Errorf("%s: point %d (alpha %v, beta %v): loss %.15g, PyTorch %.15g", name, i, res.Alphas[i/3], res.Betas[i%3], got, want)
			}
		}
	}
}
