package landscape

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/internal/outfile"
	"github.com/netgeom/netgeom/models"
)

// testConfig is a small census: iris, P = 100 (depth 1: 4-12-3 with 99
// parameters, depth 2: 4-7-6-3 with 104), 100 Adam steps, then L-BFGS.
func testConfig() Config {
	return Config{Data: "iris", Budget: 100, WeightDecay: 0.01, AdamSteps: 100, LBFGSSteps: 2000, Seed: 1}
}

var testDepths = []int{1, 2}

const testRestarts = 3

// fullCensus runs the test census straight through once per test binary.
var fullCensusBytes []byte

func fullCensus(t *testing.T) []byte {
	t.Helper()
	if fullCensusBytes != nil {
		return fullCensusBytes
	}
	path := filepath.Join(t.TempDir(), "full.jsonl")
	res, err := RunCensus(context.Background(), enginetest.Open(t), testConfig(), testDepths, testRestarts, path, RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || res.Ran != 6 || res.Skipped != 0 || len(res.Census.Records) != 6 {
		t.Fatalf("full census: %+v", res)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fullCensusBytes = raw
	return raw
}

// lines splits a file into its lines, each with its newline.
func lines(raw []byte) [][]byte {
	ls := bytes.SplitAfter(raw, []byte("\n"))
	if len(ls) > 0 && len(ls[len(ls)-1]) == 0 {
		ls = ls[:len(ls)-1]
	}
	return ls
}

// TestCensusResumeIsIdentical: the resumability contract. A census run
// straight through (one worker) writes the header and 6 records in the
// canonical order. The same census stopped after 2 restarts, with half of
// the next record's line written after them (what a kill during a write
// leaves), then resumed with 2 workers, drops the half line (and says so),
// redoes that restart, and ends byte for byte equal to the straight run.
// A cancelled run (context) writes nothing but the header and resumes to
// the same bytes; a run with 3 workers, which appends in the order
// restarts finish, ends as the same bytes again, and a complete file whose
// records are out of order is rewritten in canonical order on resume.
func TestCensusResumeIsIdentical(t *testing.T) {
	full := fullCensus(t)
	ls := lines(full)
	if len(ls) != 7 {
		t.Fatalf("%d lines, want a header and 6 records", len(ls))
	}
	var hdr Config
	if err := json.Unmarshal(ls[0], &hdr); err != nil || hdr.Format != CensusFormat || hdr.Budget != 100 {
		t.Fatalf("header %s: %v", ls[0], err)
	}
	for i, l := range ls[1:] {
		var r Record
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatal(err)
		}
		if r.Depth != testDepths[i/testRestarts] || r.Restart != i%testRestarts {
			t.Fatalf("line %d is depth %d restart %d: not canonical order", i+2, r.Depth, r.Restart)
		}
	}
	b := enginetest.Open(t)
	dir := t.TempDir()

	path := filepath.Join(dir, "killed.jsonl")
	res, err := RunCensus(context.Background(), b, testConfig(), testDepths, testRestarts, path, RunOptions{Workers: 1, Limit: 2})
	if err != nil || res.Complete || res.Ran != 2 {
		t.Fatalf("limited run: %+v, %v", res, err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(ls[3][:len(ls[3])/2])
	f.Close()
	// One worker appends the rest in canonical order, so no final rewrite
	// can hide a half line left in the file.
	var log bytes.Buffer
	var progress []string
	res, err = RunCensus(context.Background(), b, testConfig(), testDepths, testRestarts, path, RunOptions{Workers: 1, Resume: true, Log: &log,
		Progress: func(done, total int) { progress = append(progress, fmt.Sprintf("%d/%d", done, total)) }})
	if err != nil || !res.Complete || res.Ran != 4 || res.Skipped != 2 {
		t.Fatalf("resumed run: %+v, %v", res, err)
	}
	if !strings.Contains(log.String(), "half-written") {
		t.Errorf("no message about the half-written line: %q", log.String())
	}
	if want := fmt.Sprintf("census: 2 of 6 restarts already in %s; running the other 4\n", path); !strings.Contains(log.String(), want) {
		t.Errorf("log %q lacks %q", log.String(), want)
	}
	// Progress counts the restarts done, those found in the file included.
	if got := strings.Join(progress, " "); got != "2/6 3/6 4/6 5/6 6/6" {
		t.Errorf("progress %s, want 2/6 3/6 4/6 5/6 6/6", got)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, full) {
		t.Fatalf("resumed census differs from the straight run:\n%s\n---\n%s", got, full)
	}

	path = filepath.Join(dir, "cancelled.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RunCensus(ctx, b, testConfig(), testDepths, testRestarts, path, RunOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, ls[0]) {
		t.Fatalf("cancelled run wrote %q, want only the header", got)
	}
	log.Reset()
	if _, err := RunCensus(context.Background(), b, testConfig(), testDepths, testRestarts, path, RunOptions{Resume: true, Log: &log}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, full) {
		t.Fatal("census resumed after a cancel differs from the straight run")
	}
	// Nothing was found in the file and nothing was dropped: nothing to say.
	if log.Len() != 0 {
		t.Errorf("resuming a census of no records logged %q", log.String())
	}

	// A complete census followed by half a line: nothing to run, the
	// half line is cut off.
	path = filepath.Join(dir, "tail.jsonl")
	os.WriteFile(path, append(append([]byte{}, full...), ls[1][:30]...), 0o644)
	if res, err := RunCensus(context.Background(), b, testConfig(), testDepths, testRestarts, path, RunOptions{Resume: true}); err != nil || res.Ran != 0 {
		t.Fatalf("resume of a complete census with a half line: %+v, %v", res, err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, full) {
		t.Fatal("the half line after a complete census was not cut off")
	}

	// A complete file in another order (as several workers may leave it)
	// is rewritten in canonical order when resumed.
	path = filepath.Join(dir, "shuffled.jsonl")
	shuffled := append([]byte{}, ls[0]...)
	for _, i := range []int{5, 2, 6, 1, 4, 3} {
		shuffled = append(shuffled, ls[i]...)
	}
	os.WriteFile(path, shuffled, 0o644)
	if res, err := RunCensus(context.Background(), b, testConfig(), testDepths, testRestarts, path, RunOptions{Resume: true}); err != nil || res.Ran != 0 {
		t.Fatalf("resume of a complete census: %+v, %v", res, err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, full) {
		t.Fatal("a complete census out of order was not rewritten in canonical order")
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("the rewritten census has mode %v, want the original 0644", st.Mode().Perm())
	}

	path = filepath.Join(dir, "workers.jsonl")
	if _, err := RunCensus(context.Background(), b, testConfig(), testDepths, testRestarts, path, RunOptions{Workers: 3}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, full) {
		t.Fatal("census with 3 workers differs from the one-worker run")
	}
	c, err := ReadCensus(path)
	if err != nil || len(c.Records) != 6 {
		t.Fatalf("read back: %v", err)
	}
}

// TestCensusFileErrors: an existing file is not overwritten without
// --resume or --overwrite; a census resumes only under its own settings
// (the error names the field that differs); a malformed line that is not
// the last one is an error, not silently dropped; an empty or header-less
// file is not a census.
func TestCensusFileErrors(t *testing.T) {
	full := fullCensus(t)
	b := enginetest.Open(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "c.jsonl")
	os.WriteFile(path, full, 0o644)
	if _, err := RunCensus(context.Background(), b, testConfig(), testDepths, testRestarts, path, RunOptions{}); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("existing file without resume: %v", err)
	}
	other := testConfig()
	other.WeightDecay = 0.02
	if _, err := RunCensus(context.Background(), b, other, testDepths, testRestarts, path, RunOptions{Resume: true}); err == nil || !strings.Contains(err.Error(), "weight_decay") {
		t.Errorf("resume with another weight decay: %v", err)
	}
	ls := lines(full)
	bad := append(append(append([]byte{}, ls[0]...), ls[1][:20]...), '\n')
	bad = append(bad, ls[2]...)
	os.WriteFile(path, bad, 0o644)
	if _, err := RunCensus(context.Background(), b, testConfig(), testDepths, testRestarts, path, RunOptions{Resume: true}); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("malformed middle line: %v", err)
	}
	dup := append(append(append([]byte{}, ls[0]...), ls[1]...), ls[1]...)
	os.WriteFile(path, dup, 0o644)
	if _, err := ReadCensus(path); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate record: %v", err)
	}
	os.WriteFile(path, nil, 0o644)
	if _, err := ReadCensus(path); err == nil {
		t.Error("empty file read as a census")
	}
	os.WriteFile(path, []byte("{\"format\":\"something-else\"}\n"), 0o644)
	if _, err := ReadCensus(path); err == nil {
		t.Error("foreign JSON read as a census")
	}
}

// TestRestartEndPoint: a restart is a pure function of its settings (two
// runs give the same JSON bytes), restarts get different seeds, and its
// record agrees with an independent evaluation of its end point: the train
// and test loss and accuracy (Evaluate), the objective (loss + wd/2
// |theta|^2) and the norm of its gradient (backpropagation plus wd theta)
// to 1e-12 relative, the gradient norm under the tolerance, and the
// Hessian's trace equal to the sum of its dense eigenvalues.
func TestRestartEndPoint(t *testing.T) {
	b := enginetest.Open(t)
	p, err := Prepare(b, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	archs, err := p.Architectures([]int{2})
	if err != nil {
		t.Fatal(err)
	}
	r1, err := p.RunRestart(b, archs[0], 1)
	if err != nil {
		t.Fatal(err)
	}
	r1b, _ := p.RunRestart(b, archs[0], 1)
	j1, _ := json.Marshal(r1)
	j1b, _ := json.Marshal(r1b)
	if !bytes.Equal(j1, j1b) {
		t.Fatal("a restart run twice gives different records")
	}
	if RestartSeed(1, 2, 1) == RestartSeed(1, 2, 2) || RestartSeed(1, 2, 1) == RestartSeed(1, 1, 1) || RestartSeed(1, 2, 1) == RestartSeed(2, 2, 1) {
		t.Error("restart seeds collide")
	}
	if !r1.Converged || r1.GradNorm > p.Config.GradTol || r1.Hessian == nil || r1.Error != "" {
		t.Fatalf("restart did not converge: %+v", r1)
	}
	spec, _ := p.Config.Spec(r1.Widths)
	net, _ := models.NewNetwork(b, spec)
	defer net.Close()
	net.SetParams(r1.Theta)
	e, _ := net.NewEvaluator(0)
	defer e.Close()
	g, _ := net.NewParams()
	defer b.Free(g)
	loss, err := e.Gradient(net.Params(), p.Train, g)
	if err != nil {
		t.Fatal(err)
	}
	wd := p.Config.WeightDecay
	b.Axpy(net.NumParams(), wd, net.Params(), 1, g, 1)
	gn, _ := b.Nrm2(net.NumParams(), g, 1)
	obj := loss + 0.5*wd*dot(r1.Theta, r1.Theta)
	trL, trA, _ := e.Evaluate(net.Params(), p.Train)
	teL, teA, _ := e.Evaluate(net.Params(), p.Test)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"objective", r1.Objective, obj}, {"gradient norm", r1.GradNorm, gn}, {"train loss", r1.TrainLoss, trL},
		{"train accuracy", r1.TrainAccuracy, trA}, {"test loss", r1.TestLoss, teL}, {"test accuracy", r1.TestAccuracy, teA}} {
		// The gradient norm is ~1e-8 of the gradient's terms, so it keeps
		// fewer digits of agreement (the same sums in the same order agree
		// exactly; 1e-6 relative allows another chunking).
		tol := 1e-12
		if c.name == "gradient norm" {
			tol = 1e-6
		}
		if !(math.Abs(c.got-c.want) <= tol*math.Abs(c.want)) {
			t.Errorf("%s: record %v, recomputed %v", c.name, c.got, c.want)
		}
	}
	_, eigs, err := MeasureCurvature(net, net.Params(), p.Train, CurvatureOptions{WeightDecay: wd})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, v := range eigs {
		sum += v
	}
	if !(math.Abs(r1.Hessian.Trace-sum) <= 1e-12*math.Abs(sum)) || r1.Hessian.Positive+r1.Hessian.Null+r1.Hessian.Index != r1.Params {
		t.Errorf("Hessian record %+v; eigenvalues sum to %v", *r1.Hessian, sum)
	}
}

// TestCensusLocked: while one process holds a census file's lock, a
// census on it fails at once, naming the holder's PID, and leaves the file
// as it was (two writers used to splice their lines into one file); once
// the lock is released the census runs.
func TestCensusLocked(t *testing.T) {
	b := enginetest.Open(t)
	path := filepath.Join(t.TempDir(), "c.jsonl")
	held, err := outfile.Acquire(path) // flock conflicts between two open files of one process too
	if err != nil {
		t.Fatal(err)
	}
	_, err = RunCensus(context.Background(), b, testConfig(), testDepths, 1, path, RunOptions{})
	var he *outfile.HeldError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), fmt.Sprintf("in use by process %d", os.Getpid())) {
		t.Fatalf("census on a locked file: %v; want a HeldError naming PID %d", err, os.Getpid())
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused census touched its file: %v", err)
	}
	held.Release()
	if _, err := RunCensus(context.Background(), b, testConfig(), testDepths, 1, path, RunOptions{}); err != nil {
		t.Fatalf("after the lock's release: %v", err)
	}
	if _, err := os.Stat(path + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the census left its lock file: %v", err)
	}
}
