package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStripTiming: every member named seconds goes, at any depth, with
// its comma; every other byte stays, key order and number spelling
// included.
func TestStripTiming(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"a":1,"seconds":2.5,"b":[{"seconds":1},{"x":1e-3,"seconds":0}],"c":{"d":"seconds","seconds":{"e":[1]}}}`,
			`{"a":1,"b":[{},{"x":1e-3}],"c":{"d":"seconds"}}`},
		{`{"seconds":1}`, `{}`},
		{`{"z":"a\"}b","seconds":1,"y":null}`, `{"z":"a\"}b","y":null}`},
		{`[1, {"seconds": 3, "k": true}]`, `[1,{"k":true}]`},
	} {
		got, err := StripTiming([]byte(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("StripTiming(%s) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	if _, err := StripTiming([]byte(`{"a":`)); err == nil {
		t.Error("invalid JSON accepted")
	}
}

// TestWriteCSV: one row per point, the coordinates and seed first, then
// the result's leaves by path in the order they first appear (a leaf only
// some points have is empty in the others); numbers keep their JSON
// spelling; --no-timing drops the seconds columns.
func TestWriteCSV(t *testing.T) {
	sp := Spec{Grid: Grid{{"act", []string{"tanh", "relu"}}}}
	recs := []Record{
		{Index: 0, Seed: 5, Seconds: 1.5, Result: json.RawMessage(`{"q":1e-3,"layers":[{"k":1},{"k":2}],"name":"a,b","seconds":9}`)},
		{Index: 1, Seed: 6, Seconds: 2, Result: json.RawMessage(`{"q":2,"extra":null,"layers":[{"k":3}]}`)},
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, sp, recs, false); err != nil {
		t.Fatal(err)
	}
	want := "index,act,seed,seconds,result.q,result.layers.0.k,result.layers.1.k,result.name,result.seconds,result.extra\n" +
		"0,tanh,5,1.5,1e-3,1,2,\"a,b\",9,\n" +
		"1,relu,6,2,2,3,,,,\n"
	if b.String() != want {
		t.Errorf("CSV:\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	recs[1].Result, recs[1].Error = nil, "curvature: exit status 1: overflow"
	if err := WriteCSV(&b, sp, recs, true); err != nil {
		t.Fatal(err)
	}
	want = "index,act,seed,error,result.q,result.layers.0.k,result.layers.1.k,result.name\n" +
		"0,tanh,5,,1e-3,1,2,\"a,b\"\n" +
		"1,relu,6,curvature: exit status 1: overflow,,,,\n"
	if b.String() != want {
		t.Errorf("CSV without timing, with a failure:\n%s\nwant\n%s", b.String(), want)
	}
}

// TestAutoShard: the shard from a Slurm array's variables (from 0, from 1,
// a subset with --shards), from a Kubernetes Indexed Job's index with
// --shards, and the errors where they say nothing or too little.
func TestAutoShard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for k := 0; k < len(kv); k += 2 {
			m[kv[k]] = kv[k+1]
		}
		return func(k string) string { return m[k] }
	}
	slurm := func(id, count, lo, hi string) func(string) string {
		return env("SLURM_JOB_ID", "9", "SLURM_ARRAY_TASK_ID", id, "SLURM_ARRAY_TASK_COUNT", count, "SLURM_ARRAY_TASK_MIN", lo, "SLURM_ARRAY_TASK_MAX", hi)
	}
	for _, c := range []struct {
		env    func(string) string
		shards int
		want   Shard
		err    string
	}{
		{slurm("3", "8", "0", "7"), 0, Shard{3, 8}, ""},
		{slurm("3", "8", "1", "8"), 0, Shard{2, 8}, ""},
		{slurm("5", "2", "2", "5"), 0, Shard{}, "give --shards N"}, // --array=2,5
		{slurm("5", "2", "2", "5"), 8, Shard{5, 8}, ""},
		{slurm("8", "8", "1", "8"), 8, Shard{}, "indices run from 0 to 7"},
		{env("JOB_COMPLETION_INDEX", "4"), 6, Shard{4, 6}, ""},
		{env("JOB_COMPLETION_INDEX", "4"), 0, Shard{}, "Kubernetes"},
		{env("JOB_COMPLETION_INDEX", "x"), 6, Shard{}, "not an index"},
		{env("SLURM_JOB_ID", "9"), 0, Shard{}, "not a job array"},
		{env(), 0, Shard{}, "neither SLURM_ARRAY_TASK_ID"},
	} {
		got, _, err := AutoShard(c.env, c.shards)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%+v: %v, want an error mentioning %q", c, err, c.err)
			}
		} else if err != nil || got != c.want {
			t.Errorf("shard %v, %v; want %v", got, err, c.want)
		}
	}
}

// TestSlurmScripts: the array line, resources, GPU, output paths and the
// quoted task command; ArraySpec writes ranges with the parallel limit.
func TestSlurmScripts(t *testing.T) {
	if got := ArraySpec([]int{0, 1, 2, 3}, 2); got != "0-3%2" {
		t.Errorf("ArraySpec = %q", got)
	}
	if got := ArraySpec([]int{2, 5, 6, 7}, 0); got != "2,5-7" {
		t.Errorf("ArraySpec = %q", got)
	}
	task, merge := SlurmScripts(SlurmOptions{Name: "phase", About: "x", Shards: 16, Parallel: 4, Time: "1:00:00", Mem: "4G", CPUsPerTask: 2, GPU: true,
		LogDir: "/s/logs", Task: []string{"/bin/netgeom", "sweep", "--grid", "act=tanh,relu", "--", "curvature", "--plot", "p {index}.png"},
		Merge: []string{"/bin/netgeom", "sweep", "merge", "--out", "/s/phase.jsonl"}})
	for _, want := range []string{"#!/bin/bash\n", "#SBATCH --array=0-15%4\n", "#SBATCH --cpus-per-task=2\n", "#SBATCH --time=1:00:00\n", "#SBATCH --mem=4G\n",
		"#SBATCH --gres=gpu:1\n", "#SBATCH --output=/s/logs/phase-%A_%a.out\n",
		"exec /bin/netgeom sweep --grid act=tanh,relu -- curvature --plot 'p {index}.png'\n"} {
		if !strings.Contains(task, want) {
			t.Errorf("task script lacks %q:\n%s", want, task)
		}
	}
	if !strings.Contains(merge, "#SBATCH --output=/s/logs/phase-merge-%j.out\n") || !strings.Contains(merge, "exec /bin/netgeom sweep merge --out /s/phase.jsonl\n") || strings.Contains(merge, "--array") {
		t.Errorf("merge script:\n%s", merge)
	}
	if got := ShellQuote("it's"); got != `'it'\''s'` {
		t.Errorf("ShellQuote = %s", got)
	}
}

// TestExec: a step that prints JSON gives it (compacted); a step that
// exits 1 is the point's failure, with its last stderr line; one killed
// by a signal is not (the point runs again); output that is not one JSON
// value is a failure; the environment carries the thread count; a
// pipeline's result is the array of its steps'.
func TestExec(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fake-netgeom")
	os.WriteFile(bin, []byte(`#!/bin/sh
case "$1" in
ok) printf '{ "args": "%s", "threads": "%s" }\n' "$*" "$NETGEOM_THREADS" ;;
fail) echo "netgeom: warming up" >&2; echo "netgeom: --width 1: want at least 2" >&2; exit 1 ;;
kill) kill -9 $$ ;;
text) echo "not json" ;;
esac
`), 0o755)
	sp := testSpec()
	sp.Threads = 3
	run := func(steps ...string) (json.RawMessage, error) {
		sp.Steps = nil
		for _, s := range steps {
			sp.Steps = append(sp.Steps, []string{s})
		}
		return (&Exec{Binary: bin, Takes: func(int, string) bool { return false }}).Task(&sp)(context.Background(), 0)
	}
	seed := sp.PointSeed(0)
	got, err := run("ok")
	if err != nil || string(got) != `{"args":"ok --seed=`+itoa(seed)+` --format=jsonl","threads":"3"}` {
		t.Errorf("ok: %s, %v", got, err)
	}
	_, err = run("fail")
	var pe *PointError
	if !errors.As(err, &pe) || pe.Msg != "fail: exit status 1: netgeom: --width 1: want at least 2" {
		t.Errorf("fail: %v", err)
	}
	if _, err = run("kill"); err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), "killed by signal 9") {
		t.Errorf("kill: %v", err)
	}
	if _, err = run("text"); !errors.As(err, &pe) || !strings.Contains(err.Error(), "printed no JSON") {
		t.Errorf("text: %v", err)
	}
	got, err = run("ok", "ok")
	if err != nil || !strings.HasPrefix(string(got), `[{"args":"ok`) || strings.Count(string(got), `"threads":"3"`) != 2 {
		t.Errorf("pipeline: %s, %v", got, err)
	}
}

func itoa(u uint64) string {
	b, _ := json.Marshal(u)
	return string(b)
}
