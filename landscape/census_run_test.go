package landscape

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/options"
)

// TestTakeCensus: TakeCensus is RunCensus followed by Summarize. Its file
// equals byte for byte the straight RunCensus run of the same census, its
// summaries equal (bit for bit, compared as JSON) Summarize's of that
// file, the architectures have the parameter counts worked by hand (4-12-3:
// 48+12+36+3 = 99; 4-7-6-3: 28+7+42+6+18+3 = 104), zero options take the
// documented defaults (Threshold 1e-5; Workers one per CPU) and the counts
// of every summary add up (converged = minima + saddles <= restarts,
// distinct minima between 1 and the minima, one pair distance per pair of
// converged end points). Resumed, it runs nothing, finds the 6 restarts
// done and summarises them to the same numbers; asked for 2 restarts of
// the 3 in the file, it summarises restarts 0 and 1 only.
func TestTakeCensus(t *testing.T) {
	b := enginetest.Open(t)
	path := filepath.Join(t.TempDir(), "c.jsonl")
	opts := TakeCensusOptions{Config: testConfig(), Depths: testDepths, Restarts: testRestarts, Out: path, Workers: 1}
	res, err := TakeCensus(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, fullCensus(t)) {
		t.Fatal("TakeCensus's file differs from RunCensus's")
	}
	want, err := Summarize(b, res.Census, SummaryOptions{Threshold: DefaultThreshold, Depths: testDepths, Restarts: testRestarts})
	if err != nil {
		t.Fatal(err)
	}
	jw, _ := json.Marshal(want)
	jg, _ := json.Marshal(res.Depths)
	if !bytes.Equal(jg, jw) {
		t.Fatalf("summaries differ from Summarize's:\n%s\n%s", jg, jw)
	}
	cfg, _ := testConfig().Normalize()
	if len(res.Archs) != 2 || res.Archs[0].Params != 99 || res.Archs[1].Params != 104 || res.Ran != 6 || res.Skipped != 0 ||
		res.Restarts != testRestarts || res.Threshold != 1e-5 || res.Workers != 1 || res.Backend != "cpu" || res.Out != path ||
		res.Config != cfg || len(res.Census.Records) != 6 || len(res.Depths) != 2 {
		t.Fatalf("result: %+v", res)
	}
	for _, d := range res.Depths {
		if d.Restarts != testRestarts || d.Minima+d.Saddles != d.Converged || d.Converged > testRestarts || d.DistinctMinima < 1 ||
			d.DistinctMinima > d.Minima || len(d.PairDistances) != d.Converged*(d.Converged-1)/2 || len(d.Points) != d.Converged {
			t.Errorf("depth %d summary: %+v", d.Depth, d)
		}
	}

	opts.Resume, opts.Workers = true, 0
	again, err := TakeCensus(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(again.Depths)
	if again.Ran != 0 || again.Skipped != 6 || again.Workers != runtime.NumCPU() || !bytes.Equal(ja, jw) {
		t.Fatalf("resumed: ran %d, skipped %d, workers %d (want 0, 6, %d); summaries equal: %v",
			again.Ran, again.Skipped, again.Workers, runtime.NumCPU(), bytes.Equal(ja, jw))
	}

	// Fewer restarts than the file holds: only restarts 0 and 1 count.
	opts.Restarts = 2
	fewer, err := TakeCensus(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	want2, _ := Summarize(b, res.Census, SummaryOptions{Depths: testDepths, Restarts: 2})
	jw2, _ := json.Marshal(want2)
	jf, _ := json.Marshal(fewer.Depths)
	if fewer.Ran != 0 || fewer.Skipped != 4 || len(fewer.Census.Records) != 6 || fewer.Depths[0].Restarts != 2 || !bytes.Equal(jf, jw2) {
		t.Fatalf("2 of 3 restarts: ran %d, skipped %d, %d records, depth 1 summarises %d restarts; summaries equal Summarize's: %v",
			fewer.Ran, fewer.Skipped, len(fewer.Census.Records), fewer.Depths[0].Restarts, bytes.Equal(jf, jw2))
	}
}

// TestTakeCensusCancelled: a cancelled context runs no restart; the error
// wraps context.Canceled, the result so far comes with it (the census
// file holds only its header) and has no summaries.
func TestTakeCensusCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := TakeCensus(ctx, enginetest.Open(t), TakeCensusOptions{Config: testConfig(), Depths: testDepths, Restarts: testRestarts, Out: path})
	if !errors.Is(err, context.Canceled) || res == nil {
		t.Fatalf("cancelled census: %v, %+v", err, res)
	}
	if want := "census: interrupted: 0 restarts of 6 are in " + path + "; run it again with Resume to finish: context canceled"; err.Error() != want {
		t.Errorf("cancelled census: %q, want %q", err, want)
	}
	// The memory check comes first: a census whose records cannot fit is
	// refused before anything runs (the cancelled context would end it).
	if _, err := TakeCensus(ctx, enginetest.Open(t), TakeCensusOptions{Config: testConfig(), Depths: testDepths, Restarts: 1 << 40, Out: path + "2"}); err == nil || errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "use fewer restarts") {
		t.Errorf("a census of 2^41 records: %v, want the memory check's refusal", err)
	}
	if res.Ran != 0 || len(res.Census.Records) != 0 || res.Depths != nil {
		t.Errorf("cancelled census ran %d restarts, holds %d, has %d summaries", res.Ran, len(res.Census.Records), len(res.Depths))
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, lines(fullCensus(t))[0]) {
		t.Errorf("cancelled census wrote %q, want the header only", got)
	}
}

// TestTakeCensusOptions: zero fields take the documented defaults (depths
// 1..4, 50 restarts, one worker per CPU, threshold 1e-5); each bad option
// is an options.Error naming its field, returned before the census file is
// created.
func TestTakeCensusOptions(t *testing.T) {
	o, err := TakeCensusOptions{Out: "x"}.normalize()
	if err != nil || !slices.Equal(o.Depths, []int{1, 2, 3, 4}) || o.Restarts != 50 || o.Workers != runtime.NumCPU() || o.Threshold != 1e-5 {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "c.jsonl")
	for _, c := range []struct {
		field string
		set   func(*TakeCensusOptions)
	}{
		{"Depths", func(o *TakeCensusOptions) { o.Depths = []int{2, 1} }},
		{"Depths", func(o *TakeCensusOptions) { o.Depths = []int{1, 1} }},
		{"Depths", func(o *TakeCensusOptions) { o.Depths = []int{0, 1} }},
		{"Depths", func(o *TakeCensusOptions) { o.Depths = []int{} }},
		{"Restarts", func(o *TakeCensusOptions) { o.Restarts = -1 }},
		{"Workers", func(o *TakeCensusOptions) { o.Workers = -2 }},
		{"Threshold", func(o *TakeCensusOptions) { o.Threshold = -1e-5 }},
		{"Threshold", func(o *TakeCensusOptions) { o.Threshold = math.NaN() }},
		{"Threshold", func(o *TakeCensusOptions) { o.Threshold = math.Inf(1) }},
		{"Out", func(o *TakeCensusOptions) { o.Out = "" }},
		{"Overwrite", func(o *TakeCensusOptions) { o.Resume, o.Overwrite = true, true }},
	} {
		o := TakeCensusOptions{Config: testConfig(), Depths: testDepths, Restarts: 1, Out: out}
		c.set(&o)
		_, err := TakeCensus(context.Background(), enginetest.Open(t), o)
		var oe *options.Error
		if !errors.As(err, &oe) || oe.Field != c.field {
			t.Errorf("%s: error %v, want an options.Error for %s", c.field, err, c.field)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s: the census file was created before the options were checked", c.field)
		}
	}
}
