package landscape

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/train"
)

// TestSliceAlongEigenvector: along a unit eigenvector d of the Hessian
// with eigenvalue lambda, the loss's second difference
// (L(a) + L(-a) - 2 L(0)) / a^2 is d^T H d = lambda up to O(a^2) (Taylor;
// the fourth derivative is of order 1 here, so 1e-5 relative at a = 1e-3,
// far above rounding's 4e-16 L / a^2 ~ 1e-10). The middle point is the
// model itself.
func TestSliceAlongEigenvector(t *testing.T) {
	m := hessianTestModel(t)
	b := m.Net.Backend()
	res, err := Slice(context.Background(), b, SliceOptions{Model: m, Directions: SliceHessian, Dims: 1, Range: 1e-3, Points: 3, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Eigenvalues) != 1 || len(res.TrainLoss) != 3 || res.Alphas[0] != -1e-3 || res.Alphas[1] != 0 || res.Alphas[2] != 1e-3 {
		t.Fatalf("result %+v", res)
	}
	lambda := res.Eigenvalues[0].Value
	a := 1e-3
	second := (res.TrainLoss[0] + res.TrainLoss[2] - 2*res.TrainLoss[1]) / (a * a)
	if !(math.Abs(second-lambda) <= 1e-5*math.Abs(lambda)) {
		t.Errorf("second difference %.10g; top eigenvalue %.10g", second, lambda)
	}
	ev, err := m.Net.NewEvaluator(0)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	l0, _, err := ev.Evaluate(m.Net.Params(), m.Train)
	if err != nil {
		t.Fatal(err)
	}
	if res.TrainLoss[1] != l0 {
		t.Errorf("loss at the model %.17g; the model's own %.17g", res.TrainLoss[1], l0)
	}
	norm := 0.0
	for _, v := range res.Vectors[0] {
		norm += v * v
	}
	if !(math.Abs(norm-1) <= 1e-12) {
		t.Errorf("|d|^2 = %.15g", norm)
	}
}

// TestSliceFilterNormalised: the random directions are filter-normalised
// as Li et al. define it: every row of every weight matrix has the norm
// of the model's row (to rounding), every bias entry is zero, and the two
// directions are independent draws; the plane's centre is the model.
func TestSliceFilterNormalised(t *testing.T) {
	m := hessianTestModel(t)
	b := m.Net.Backend()
	res, err := Slice(context.Background(), b, SliceOptions{Model: m, Points: 5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Dims != 2 || len(res.TrainLoss) != 25 || len(res.TestLoss) != 25 || len(res.Vectors) != 2 {
		t.Fatalf("dims %d, %d losses, %d test losses, %d vectors", res.Dims, len(res.TrainLoss), len(res.TestLoss), len(res.Vectors))
	}
	theta, err := m.Net.HostParams()
	if err != nil {
		t.Fatal(err)
	}
	spec := m.Net.Spec()
	rows := 0
	for _, d := range res.Vectors {
		for l := 1; l < len(spec.Widths); l++ {
			for _, tn := range spec.Block(l).Tensors {
				for r := 0; r < tn.Rows; r++ {
					var dn, wn float64
					for c := 0; c < tn.Cols; c++ {
						i := tn.Off + c*tn.Rows + r
						dn += d[i] * d[i]
						wn += theta[i] * theta[i]
					}
					if !tn.Weight {
						if dn != 0 {
							t.Errorf("layer %d %s: bias direction not zero", l, tn.Name)
						}
						continue
					}
					rows++
					if !(math.Abs(math.Sqrt(dn)-math.Sqrt(wn)) <= 1e-13*math.Sqrt(wn)) {
						t.Errorf("layer %d %s row %d: |d| %.15g, |theta| %.15g", l, tn.Name, r, math.Sqrt(dn), math.Sqrt(wn))
					}
				}
			}
		}
	}
	if rows != 2*(5+3) {
		t.Errorf("%d weight rows checked; want 16 (4-5-3, two directions)", rows)
	}
	same := 0
	for i := range res.Vectors[0] {
		if res.Vectors[0][i] == res.Vectors[1][i] {
			same++
		}
	}
	if same > 3*(5+3) { // the zero biases agree; weights must not
		t.Errorf("the two directions agree in %d entries", same)
	}
	centre := 2*5 + 2 // alpha index 2 of 5, beta index 2
	if res.Alphas[2] != 0 || res.Betas[2] != 0 {
		t.Fatalf("axes %v %v", res.Alphas, res.Betas)
	}
	ev, _ := m.Net.NewEvaluator(0)
	defer ev.Close()
	l0, _, _ := ev.Evaluate(m.Net.Params(), m.Train)
	if res.TrainLoss[centre] != l0 {
		t.Errorf("loss at the centre %.17g; the model's %.17g", res.TrainLoss[centre], l0)
	}
	if res.Min.TrainLoss > l0 || res.Min.Beta == nil {
		t.Errorf("min %+v above the centre's loss %v", res.Min, l0)
	}
	// Point (alpha_i, beta_j) is theta + alpha_i d1 + beta_j d2, index
	// i 5 + j: checked at an off-axis point against the host-built sum.
	i, j := 1, 4
	th := make([]float64, len(theta))
	for k := range th {
		th[k] = theta[k] + res.Alphas[i]*res.Vectors[0][k] + res.Betas[j]*res.Vectors[1][k]
	}
	buf, _ := b.Alloc(engine.Float64, len(th))
	defer b.Free(buf)
	b.Upload(buf, th)
	l, _, err := ev.Evaluate(buf, m.Train)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.TrainLoss[i*5+j]; !(math.Abs(got-l) <= 1e-12*l) {
		t.Errorf("point (%v, %v): slice %.15g, host-built %.15g", res.Alphas[i], res.Betas[j], got, l)
	}
}

// TestSliceToModel: the line to a second model passes through both (loss
// at alpha = 1 equal to the other model's to rounding) and agrees at every
// alpha with the loss of (1 - alpha) theta_A + alpha theta_B built on the
// host (1e-12 relative: the two formulas round differently).
func TestSliceToModel(t *testing.T) {
	b := enginetest.Open(t)
	run := func(seed uint64) *train.Model {
		r, err := train.Run(context.Background(), b, train.RunOptions{Arch: []int{4, 5, 3}, Steps: 200, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Model.Close() })
		return r.Model
	}
	ma, mb := run(1), run(2)
	res, err := Slice(context.Background(), b, SliceOptions{Model: ma, Directions: SliceModel, To: mb, Points: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{-0.5, 0, 0.5, 1, 1.5}
	ta, _ := ma.Net.HostParams()
	tb, _ := mb.Net.HostParams()
	ev, _ := ma.Net.NewEvaluator(0)
	defer ev.Close()
	buf, _ := b.Alloc(engine.Float64, len(ta))
	defer b.Free(buf)
	for i, a := range res.Alphas {
		if a != want[i] {
			t.Fatalf("alphas %v; want %v", res.Alphas, want)
		}
		th := make([]float64, len(ta))
		for k := range th {
			th[k] = (1-a)*ta[k] + a*tb[k]
		}
		b.Upload(buf, th)
		l, _, err := ev.Evaluate(buf, ma.Train)
		if err != nil {
			t.Fatal(err)
		}
		if !(math.Abs(res.TrainLoss[i]-l) <= 1e-12*l) {
			t.Errorf("alpha %v: slice %.15g, host-built line %.15g", a, res.TrainLoss[i], l)
		}
	}
}

// TestSliceOptionErrors: bad options are refused, naming the field.
func TestSliceOptionErrors(t *testing.T) {
	m := hessianTestModel(t)
	b := m.Net.Backend()
	for _, o := range []SliceOptions{
		{Model: m, Dims: 3},
		{Model: m, Points: 1},
		{Model: m, Range: -1},
		{Model: m, Range: math.Inf(1)},
		{Model: m, Directions: "sideways"},
		{Model: m, Directions: SliceModel},
		{Model: m, Directions: SliceModel, To: m, Dims: 2},
		{Model: m, To: m},
		{},
	} {
		if _, err := Slice(context.Background(), b, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// TestSliceJournalResume: a slice interrupted after 37 of its 64 points
// leaves those points in its journal (with a half-written line added by
// hand, as a kill mid-write leaves one); resumed, it computes the rest and
// returns exactly (bit for bit) the straight run's values and minimum.
// The journal refuses other settings, an existing file without Resume or
// Overwrite, and a file that is not a slice journal.
func TestSliceJournalResume(t *testing.T) {
	m := hessianTestModel(t)
	b := m.Net.Backend()
	base := SliceOptions{Model: m, Points: 8, Seed: 5}
	want, err := Slice(context.Background(), b, base)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "slice.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	o := base
	o.Journal = path
	o.Progress = func(done, _ int) {
		if done == 37 {
			cancel()
		}
	}
	if _, err := Slice(ctx, b, o); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "after 37 of 64 points") {
		t.Fatalf("interrupted slice: %v", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(raw, []byte("\n")); n != 38 {
		t.Fatalf("journal has %d lines; want the header and 37 points", n)
	}
	if err := os.WriteFile(path, append(raw, `{"i":37,"train_lo`...), 0o644); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	o.Progress, o.Resume, o.Log = nil, true, &log
	got, err := Slice(context.Background(), b, o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "dropped a half-written last line") {
		t.Errorf("log %q does not report the half-written line", log.String())
	}
	same := func(what string, g, w []float64) {
		if len(g) != len(w) {
			t.Fatalf("%s: %d values, want %d", what, len(g), len(w))
		}
		for i := range w {
			if math.Float64bits(g[i]) != math.Float64bits(w[i]) {
				t.Errorf("%s[%d] = %.17g after resuming, %.17g straight", what, i, g[i], w[i])
				return
			}
		}
	}
	same("train loss", got.TrainLoss, want.TrainLoss)
	same("train accuracy", got.TrainAccuracy, want.TrainAccuracy)
	same("test loss", got.TestLoss, want.TestLoss)
	if got.Min.TrainLoss != want.Min.TrainLoss || got.Min.Alpha != want.Min.Alpha || *got.Min.Beta != *want.Min.Beta {
		t.Errorf("minimum %+v after resuming, %+v straight", got.Min, want.Min)
	}
	raw, _ = os.ReadFile(path)
	if n := bytes.Count(raw, []byte("\n")); n != 65 {
		t.Errorf("finished journal has %d lines; want the header and 64 points", n)
	}
	for _, c := range []struct {
		change func(*SliceOptions)
		want   string
	}{
		{func(o *SliceOptions) { o.Range = 2 }, "range 1 (file) against 2"},
		{func(o *SliceOptions) { o.Seed = 6 }, "directions_sha256"},
		{func(o *SliceOptions) { o.Resume = false }, "exists: give --resume to continue it, or --overwrite"},
		{func(o *SliceOptions) { o.Overwrite = true }, "Resume and Overwrite exclude each other"},
		{func(o *SliceOptions) { o.Journal = "" }, "Resume and Overwrite need the journal file"},
	} {
		oc := o
		c.change(&oc)
		if _, err := Slice(context.Background(), b, oc); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("resume with a change: %v; want an error containing %q", err, c.want)
		}
	}
	other := filepath.Join(t.TempDir(), "other.jsonl")
	if err := os.WriteFile(other, []byte("{\"format\":\"netgeom-census\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	oc := o
	oc.Journal = other
	if _, err := Slice(context.Background(), b, oc); err == nil || !strings.Contains(err.Error(), "is not a slice journal") {
		t.Errorf("resume from a census file: %v", err)
	}
}

// TestJournalNumRoundTrip: every float64, NaN and the infinities
// included, comes back from the journal's JSON with the same bits
// (NaN's payload aside).
func TestJournalNumRoundTrip(t *testing.T) {
	for _, x := range []float64{0, math.Copysign(0, -1), 1.0 / 3, math.SmallestNonzeroFloat64, math.MaxFloat64, math.Inf(1), math.Inf(-1), 5e-324, 0.1 + 0.2} {
		b, err := json.Marshal(journalNum(x))
		if err != nil {
			t.Fatal(err)
		}
		var y journalNum
		if err := json.Unmarshal(b, &y); err != nil {
			t.Fatal(err)
		}
		if math.Float64bits(float64(y)) != math.Float64bits(x) {
			t.Errorf("%v -> %s -> %v", x, b, float64(y))
		}
	}
	b, _ := json.Marshal(journalNum(math.NaN()))
	var y journalNum
	if err := json.Unmarshal(b, &y); err != nil || !math.IsNaN(float64(y)) {
		t.Errorf("NaN -> %s -> %v, %v", b, float64(y), err)
	}
	if err := json.Unmarshal([]byte(`"12"`), &y); err == nil {
		t.Error(`"12" accepted as a journal number`)
	}
}
