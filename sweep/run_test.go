package sweep

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// testSpec is a 4 x 5 grid (20 points) of a command that is never run:
// the tests' tasks compute the points' results themselves.
func testSpec() Spec {
	return Spec{Format: Format, Version: "test", Steps: [][]string{{"curvature", "--width", "50"}},
		Grid: Grid{{"sigma-w", []string{"1", "1.5", "2", "2.5"}}, {"sigma-b", []string{"0", "0.1", "0.2", "0.3", "0.4"}}},
		Seed: 7, Threads: 1, Points: 20}
}

// fakeTask's result is a function of the point alone, with a wall time
// that differs from run to run (as real timings do) inside it.
func fakeTask(sp *Spec, calls *atomic.Int64) Task {
	return func(ctx context.Context, i int) (json.RawMessage, error) {
		n := calls.Add(1)
		return json.RawMessage(fmt.Sprintf(`{"point":%q,"seed":%d,"square":%d,"seconds":0.%d,"layers":[{"q":%d,"seconds":1}]}`,
			sp.Label(i), sp.PointSeed(i), i*i, n, i)), nil
	}
}

func runAll(t *testing.T, sp Spec, out string, jobs int) *RunResult {
	t.Helper()
	var calls atomic.Int64
	res, err := Run(context.Background(), RunOptions{Spec: sp, Out: out, Task: fakeTask(&sp, &calls), Jobs: jobs})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
}

func stripped(t *testing.T, path string) string {
	t.Helper()
	var b bytes.Buffer
	for _, l := range readLines(t, path) {
		s, err := StripTiming(bytes.TrimSuffix(l, []byte("\n")))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(s)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestMergeEqualsSerial: the done criterion "a merged sweep equals the
// serial run for any shard count". A sweep run whole (one job) writes the
// header and 20 records by index; run as 1, 3 and 7 shards (the 3 with 3
// jobs each, appending in the order points finish) and merged, it is the
// same file once the seconds fields are left out (the fake task's
// timings differ between runs, so the raw files differ); merged with
// --no-timing it is those bytes exactly. Every record's seed is the
// derived one and reached the task.
func TestMergeEqualsSerial(t *testing.T) {
	dir := t.TempDir()
	serial := filepath.Join(dir, "serial.jsonl")
	res := runAll(t, testSpec(), serial, 1)
	if !res.Complete || res.Ran != 20 || res.Points != 20 || res.Path != serial {
		t.Fatalf("serial run: %+v", res)
	}
	ls := readLines(t, serial)
	if len(ls) != 21 {
		t.Fatalf("%d lines, want a header and 20 records", len(ls))
	}
	sp := testSpec()
	for i, l := range ls[1:] {
		var r Record
		if err := json.Unmarshal(l, &r); err != nil || r.Index != i || r.Seed != sp.PointSeed(i) || !strings.Contains(string(r.Result), fmt.Sprintf(`"seed":%d,`, r.Seed)) {
			t.Fatalf("line %d: %s (%v)", i+2, l, err)
		}
	}
	want := stripped(t, serial)
	for _, n := range []int{1, 3, 7} {
		out := filepath.Join(dir, fmt.Sprintf("split%d.jsonl", n))
		for i := range n {
			sp := testSpec()
			sp.Shard = Shard{i, n}
			r := runAll(t, sp, out, 3)
			if r.Path != ShardPath(out, sp.Shard) || r.Points != (20-i+n-1)/n {
				t.Fatalf("shard %d/%d: %+v", i, n, r)
			}
		}
		st, recs, err := Merge(out, MergeOptions{})
		if err != nil || !st.Complete() || len(recs) != 20 || len(st.Shards) != n {
			t.Fatalf("merge of %d shards: %+v, %v", n, st, err)
		}
		if got := stripped(t, out); got != want {
			t.Fatalf("merge of %d shards differs from the serial run:\n%s\n---\n%s", n, got, want)
		}
		if raw, _ := os.ReadFile(out); bytes.Equal(raw, []byte(want)) {
			t.Fatal("the merged file has no timings to strip: the test would not see them")
		}
		if _, _, err := Merge(out, MergeOptions{NoTiming: true}); err != nil {
			t.Fatal(err)
		}
		if raw, _ := os.ReadFile(out); string(raw) != want {
			t.Fatalf("merge --no-timing of %d shards is not the serial run without timings", n)
		}
	}
}

// TestResumeAfterKill: a shard whose run stops after 5 points (a task
// "killed", which is not recorded), with half of a record's line after
// them, resumes: the half line is dropped (and said so), only the 15
// missing points run, the first 5 records keep their bytes (timings
// included: they were not run again), and the file ends equal to the
// straight run apart from timings.
func TestResumeAfterKill(t *testing.T) {
	dir := t.TempDir()
	straight := filepath.Join(dir, "straight.jsonl")
	runAll(t, testSpec(), straight, 1)
	out := filepath.Join(dir, "killed.jsonl")
	sp := testSpec()
	var calls atomic.Int64
	task := fakeTask(&sp, &calls)
	killer := func(ctx context.Context, i int) (json.RawMessage, error) {
		if i == 5 {
			return nil, errors.New("signal: killed")
		}
		return task(ctx, i)
	}
	res, err := Run(context.Background(), RunOptions{Spec: sp, Out: out, Task: killer})
	if err == nil || !strings.Contains(err.Error(), "point 5 (sigma-w=1.5 sigma-b=0): signal: killed") || res.Ran != 5 || res.Complete {
		t.Fatalf("killed run: %+v, %v", res, err)
	}
	before := readLines(t, out)
	f, _ := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(readLines(t, straight)[7][:40])
	f.Close()
	var log bytes.Buffer
	calls.Store(0)
	res, err = Run(context.Background(), RunOptions{Spec: sp, Out: out, Task: task, Log: &log})
	if err != nil || res.Ran != 15 || res.Skipped != 5 || !res.Complete || calls.Load() != 15 {
		t.Fatalf("resumed run: %+v, %d calls, %v", res, calls.Load(), err)
	}
	if !strings.Contains(log.String(), "half-written") || !strings.Contains(log.String(), "5 of 20 points already done") {
		t.Errorf("log: %q", log.String())
	}
	after := readLines(t, out)
	for k := range before {
		if !bytes.Equal(bytes.TrimSuffix(before[k], []byte("\n")), bytes.TrimSuffix(after[k], []byte("\n"))) {
			t.Errorf("line %d changed on resume:\n%s\n%s", k+1, before[k], after[k])
		}
	}
	if stripped(t, out) != stripped(t, straight) {
		t.Fatal("the resumed sweep differs from the straight run")
	}
	// Resumed again, complete: nothing runs.
	if res, err := Run(context.Background(), RunOptions{Spec: sp, Out: out, Task: task}); err != nil || res.Ran != 0 || res.Skipped != 20 {
		t.Fatalf("resume of a complete sweep: %+v, %v", res, err)
	}
}

// TestFailures: a point whose command fails is recorded with its error;
// without KeepGoing the run stops starting points and names it; with it
// the other points run and the run still fails; resumed with a task that
// now succeeds, the failure is retried and superseded, and the complete
// file is rewritten without it; status and merge report failures.
func TestFailures(t *testing.T) {
	dir := t.TempDir()
	sp := testSpec()
	var calls atomic.Int64
	ok := fakeTask(&sp, &calls)
	bad := func(ctx context.Context, i int) (json.RawMessage, error) {
		if i == 3 {
			return nil, &PointError{Msg: "curvature: exit status 1: netgeom: overflow"}
		}
		return ok(ctx, i)
	}
	out := filepath.Join(dir, "f.jsonl")
	res, err := Run(context.Background(), RunOptions{Spec: sp, Out: out, Task: bad})
	if err == nil || !strings.Contains(err.Error(), "point 3 (sigma-w=1 sigma-b=0.3) failed: curvature: exit status 1: netgeom: overflow") ||
		!strings.Contains(err.Error(), "--keep-going") || res.Ran != 4 || res.Failed != 1 {
		t.Fatalf("failing run: %+v, %v", res, err)
	}
	res, err = Run(context.Background(), RunOptions{Spec: sp, Out: out, Task: bad, KeepGoing: true})
	if err == nil || res.Ran != 17 || res.Failed != 1 || !res.Complete {
		t.Fatalf("keep-going run: %+v, %v", res, err)
	}
	st, err := ReadStatus(out)
	if err != nil || st.Failed != 1 || st.Done != 19 || st.Failures[0].Index != 3 {
		t.Fatalf("status: %+v, %v", st, err)
	}
	if _, _, err := Merge(out, MergeOptions{}); err == nil || !strings.Contains(err.Error(), "--allow-failed") {
		t.Errorf("merge with a failure: %v", err)
	}
	res, err = Run(context.Background(), RunOptions{Spec: sp, Out: out, Task: ok})
	if err != nil || res.Ran != 1 || res.Failed != 0 || !res.Complete {
		t.Fatalf("retry: %+v, %v", res, err)
	}
	straight := filepath.Join(dir, "s.jsonl")
	runAll(t, sp, straight, 1)
	if stripped(t, out) != stripped(t, straight) {
		t.Fatal("a sweep whose failure was retried differs from the straight run")
	}
}

// TestFileChecks: a file is resumed only with its own settings (the error
// names the field); records that the grid contradicts are refused; a
// second process on a shard fails at once; merge refuses missing points
// (naming them), shards of two splits and shards of two sweeps.
func TestFileChecks(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "c.jsonl")
	sp := testSpec()
	runAll(t, sp, out, 1)
	other := testSpec()
	other.Threads = 2
	var calls atomic.Int64
	if _, err := Run(context.Background(), RunOptions{Spec: other, Out: out, Task: fakeTask(&other, &calls)}); err == nil || !strings.Contains(err.Error(), "threads 1 (file) against 2") {
		t.Errorf("resume with other threads: %v", err)
	}
	if res, err := Run(context.Background(), RunOptions{Spec: other, Out: out, Task: fakeTask(&other, &calls), Overwrite: true}); err != nil || res.Ran != 20 {
		t.Errorf("overwrite: %+v, %v", res, err)
	}
	ls := readLines(t, out)
	var r3 Record
	json.Unmarshal(ls[3], &r3)
	for _, c := range []struct{ from, to, want string }{
		{fmt.Sprintf(`"seed":%d`, r3.Seed), fmt.Sprintf(`"seed":%d`, r3.Seed+1), "seed"},
		{`"index":2,`, `"index":99,`, "not in the grid"},
		{`"sigma-b":0.2`, `"sigma-b":0.3`, "coordinates"},
	} {
		bad := append(append([]byte{}, ls[0]...), bytes.Replace(ls[3], []byte(c.from), []byte(c.to), 1)...)
		if _, err := parseFile(bad, "x"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s -> %s: %v", c.from, c.to, err)
		}
	}
	dup := append(append(append([]byte{}, ls[0]...), ls[1]...), ls[1]...)
	if _, err := parseFile(dup, "x"); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate: %v", err)
	}

	split := filepath.Join(dir, "s.jsonl")
	sp.Shard = Shard{1, 3}
	runAll(t, sp, split, 1)
	if _, _, err := Merge(split, MergeOptions{}); err == nil || !strings.Contains(err.Error(), "13 of 20 points have no record (in shards 0/3, 2/3), the first 0,2-3,5-6,8-9,11-12,14-15,17-18;") {
		t.Errorf("incomplete merge: %v", err)
	}
	st, err := ReadStatus(split)
	if err != nil || len(st.Shards) != 3 || st.Shards[0].Exists || !st.Shards[1].Exists || st.Shards[1].Done != 7 || st.Missing != 13 {
		t.Errorf("status: %+v, %v", st, err)
	}
	sp.Shard = Shard{0, 2}
	runAll(t, sp, split, 1)
	if _, err := ReadStatus(split); err == nil || !strings.Contains(err.Error(), "two splits") {
		t.Errorf("two splits: %v", err)
	}
	os.Remove(ShardPath(split, Shard{0, 2}))
	sp = testSpec()
	sp.Seed = 8
	sp.Shard = Shard{0, 3}
	runAll(t, sp, split, 1)
	if _, err := ReadStatus(split); err == nil || !strings.Contains(err.Error(), "different sweeps: seed") {
		t.Errorf("two sweeps: %v", err)
	}
}

// TestPointSeed: the derived seed is the documented hash, computed here
// from its definition (the SHA-256 of the text below, its first 8 bytes
// big-endian), whatever the order of the axes; a seed axis gives its
// value.
func TestPointSeed(t *testing.T) {
	sp := testSpec()
	sum := sha256.Sum256([]byte("netgeom-sweep-seed\n7\nsigma-b=0.1\nsigma-w=1.5\n"))
	if got, want := sp.PointSeed(6), binary.BigEndian.Uint64(sum[:8]); got != want {
		t.Errorf("PointSeed(6) = %d, want %d", got, want)
	}
	swapped := sp
	swapped.Grid = Grid{sp.Grid[1], sp.Grid[0]}
	if swapped.PointSeed(1*4+1) != sp.PointSeed(6) {
		t.Error("the seed depends on the order of the axes")
	}
	sp.Grid = append(sp.Grid, Axis{"seed", []string{"11", "12"}})
	sp.Points = 40
	if sp.PointSeed(0) != 11 || sp.PointSeed(13) != 12 {
		t.Errorf("seed axis: %d, %d", sp.PointSeed(0), sp.PointSeed(13))
	}
}

// TestArgs: a point's command line is the step's flags with placeholders
// filled, the axes the step takes, the seed and JSON output; a pipeline
// gives each step the axes it takes. Check refuses --seed and --format
// among the fixed flags and unknown placeholders.
func TestArgs(t *testing.T) {
	sp := testSpec()
	sp.Grid = append(sp.Grid, Axis{"seed", []string{"5", "6"}})
	sp.Points = 40
	sp.Steps = [][]string{{"train", "--out", "m-{index}-{sigma-w}.ngm"}, {"hessian", "--model", "m-{index}-{sigma-w}.ngm", "--note", "{seed}"}}
	if err := sp.Check(); err != nil {
		t.Fatal(err)
	}
	takes := func(step int, flag string) bool { return step == 0 || flag == "sigma-b" }
	got := sp.Args(13, takes)
	want := [][]string{
		{"train", "--out", "m-13-1.5.ngm", "--sigma-w=1.5", "--sigma-b=0.1", "--seed=6", "--format=jsonl"},
		{"hessian", "--model", "m-13-1.5.ngm", "--note", "6", "--sigma-b=0.1", "--seed=6", "--format=jsonl"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Args(13) = %q\nwant %q", got, want)
	}
	for _, c := range []struct {
		step []string
		want string
	}{
		{[]string{"curvature", "--seed", "3"}, "--seed is set by the sweep"},
		{[]string{"curvature", "--format=csv"}, "--format is set by the sweep"},
		{[]string{"curvature", "--plot", "p-{sigma}.png"}, "{sigma} is neither"},
		{[]string{"--width", "3"}, "does not start with a netgeom command"},
	} {
		sp := testSpec()
		sp.Steps = [][]string{c.step}
		if err := sp.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error mentioning %q", c.step, err, c.want)
		}
	}
}
