package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/sweep"
)

// smallSweep is a sweep of 12 curvature runs that take a few hundredths
// of a second each: sigma_w in {1.5, 2, 3, 4} x sigma_b in {0.3, 0.6,
// 0.9} of width 30, depth 4, 8 points, with seeds derived from --seed 5,
// one thread per task.
func smallSweep(out string, extra ...string) []string {
	args := []string{"sweep", "--grid", "sigma-w=1.5,2,3,4", "--grid", "sigma-b=0.3:0.9:3", "--seed", "5", "--threads", "1", "--out", out}
	args = append(args, extra...)
	return append(args, "--", "curvature", "--width", "30", "--depth", "4", "--points", "8")
}

// noTiming is the sweep file at path without its timing fields.
func noTiming(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range strings.SplitAfter(strings.TrimSuffix(string(raw), "\n"), "\n") {
		s, err := sweep.StripTiming([]byte(strings.TrimSuffix(l, "\n")))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(s)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestSweepShardsMergeToSerial: the done criterion "a merged sweep equals
// the serial run for any shard count (1, 3 and 7 shards)", with real
// netgeom processes. The sweep run whole with one job, and run as 1, 3
// and 7 shards (the 3 with --jobs 2, the 7 with --shard auto from a Slurm
// array's variables starting at 1) and merged, are the same file byte for
// byte once the seconds fields are left out (merge --no-timing), and that
// is the serial file without them. Every point's result is the curvature
// command's own output for its flags and derived seed, run by hand.
func TestSweepShardsMergeToSerial(t *testing.T) {
	dir := t.TempDir()
	serial := filepath.Join(dir, "serial.jsonl")
	js, err := execCLI(t, smallSweep(serial, "--format", "json")...)
	if err != nil {
		t.Fatal(err)
	}
	var res sweep.RunResult
	if err := json.Unmarshal([]byte(js), &res); err != nil || !res.Complete || res.Ran != 12 {
		t.Fatalf("serial sweep: %s, %v", js, err)
	}
	want := noTiming(t, serial)
	f, err := sweep.ReadFile(serial)
	if err != nil || len(f.Records) != 12 {
		t.Fatalf("read back: %v", err)
	}
	// Point 7 (sigma_w 3, sigma_b 0.6) is what curvature prints with those flags.
	r := f.Records[7]
	out, _, code := runCLI(t, []string{"NETGEOM_THREADS=1"}, "curvature", "--width", "30", "--depth", "4", "--points", "8",
		"--sigma-w", "3", "--sigma-b", "0.6", "--seed", strconv.FormatUint(r.Seed, 10), "--format", "jsonl")
	a, _ := sweep.StripTiming([]byte(strings.TrimSpace(out)))
	b, _ := sweep.StripTiming(r.Result)
	if code != 0 || string(a) != string(b) || string(r.Point) != `{"sigma-w":3,"sigma-b":0.6}` {
		t.Fatalf("point 7 %s: %s\nby hand: %s", r.Point, b, a)
	}
	for _, n := range []int{1, 3, 7} {
		name := filepath.Join(dir, fmt.Sprintf("split%d.jsonl", n))
		for i := range n {
			var code int
			var errOut string
			switch n {
			case 3:
				_, errOut, code = runCLI(t, nil, smallSweep(name, "--shard", fmt.Sprintf("%d/%d", i, n), "--jobs", "2")...)
			case 7:
				env := []string{"SLURM_JOB_ID=1", "SLURM_ARRAY_TASK_ID=" + strconv.Itoa(i+1), "SLURM_ARRAY_TASK_COUNT=7", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=7"}
				_, errOut, code = runCLI(t, env, smallSweep(name, "--shard", "auto")...)
			default:
				_, errOut, code = runCLI(t, nil, smallSweep(name, "--shard", fmt.Sprintf("%d/%d", i, n))...)
			}
			if code != 0 {
				t.Fatalf("shard %d/%d: exit %d: %s", i, n, code, errOut)
			}
		}
		if _, err := execCLI(t, "sweep", "merge", "--out", name); err != nil {
			t.Fatal(err)
		}
		if got := noTiming(t, name); got != want {
			t.Fatalf("%d shards merged differ from the serial run:\n%s\n---\n%s", n, got, want)
		}
		if _, err := execCLI(t, "sweep", "merge", "--out", name, "--no-timing"); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(name); string(got) != want {
			t.Fatalf("merge --no-timing of %d shards is not the serial file without its timings", n)
		}
	}
}

// TestSweepKillResume: the done criterion "a killed task resumes without
// recomputing finished points", with a real kill: a sweep task sends
// itself SIGKILL right after its third point reaches its file (a hook of
// the tests), and, run again, says 3 of 12 points were done, runs the
// other 9 only, keeps the first three records' bytes (their timings
// included, so they were not run again), and ends equal to the sweep run
// straight through apart from timings.
func TestSweepKillResume(t *testing.T) {
	dir := t.TempDir()
	straight, killed := filepath.Join(dir, "straight.jsonl"), filepath.Join(dir, "killed.jsonl")
	if _, err := execCLI(t, smallSweep(straight)...); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCLI(t, []string{"NETGEOM_TEST_KILL_SWEEP_AFTER=3"}, smallSweep(killed)...)
	if code != -1 {
		t.Fatalf("the sweep was to kill itself after 3 points; it exited %d: %s", code, errOut)
	}
	before, _ := os.ReadFile(killed)
	if n := bytes.Count(before, []byte("\n")); n != 4 {
		t.Fatalf("killed after 3 points: %d lines in the file, want the header and 3 records", n)
	}
	out, errOut, code := runCLI(t, nil, smallSweep(killed, "--format", "json")...)
	var res sweep.RunResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Ran != 9 || res.Skipped != 3 || !res.Complete {
		t.Fatalf("resume: exit %d, %s, %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "3 of 12 points already done; running the other 9") {
		t.Errorf("resume did not say what it skipped: %s", errOut)
	}
	after, _ := os.ReadFile(killed)
	if !bytes.HasPrefix(after, before) {
		t.Errorf("the records written before the kill changed on resume")
	}
	if noTiming(t, killed) != noTiming(t, straight) {
		t.Fatal("the killed and resumed sweep differs from the straight run")
	}
}

// TestSweepStatusMergeCSV: status counts a half-done sweep by shard; merge
// refuses it naming the missing points; complete, it writes the CSV, whose
// cells read back as the JSON's numbers, and the figure; merge prints the
// phase summary, whose mean-field chi_1 is meanfield's (to 1e-10: the
// summary takes it from the predicted lengths).
func TestSweepStatusMergeCSV(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "s.jsonl")
	if _, _, code := runCLI(t, nil, smallSweep(name, "--shard", "1/2")...); code != 0 {
		t.Fatal("shard 1/2 failed")
	}
	js, err := execCLI(t, "sweep", "status", "--out", name, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var st sweep.Status
	if err := json.Unmarshal([]byte(js), &st); err != nil || st.Points != 12 || st.Done != 6 || st.Missing != 6 || len(st.Shards) != 2 || st.Shards[0].Exists {
		t.Fatalf("status: %s, %v", js, err)
	}
	if _, err := execCLI(t, "sweep", "merge", "--out", name); err == nil || !strings.Contains(err.Error(), "6 of 12 points have no record (in shards 0/2), the first 0,2,4,6,8,10") {
		t.Fatalf("merge of half a sweep: %v", err)
	}
	if _, _, code := runCLI(t, nil, smallSweep(name, "--shard", "0/2")...); code != 0 {
		t.Fatal("shard 0/2 failed")
	}
	csvPath, png := filepath.Join(dir, "s.csv"), filepath.Join(dir, "s.png")
	js, err = execCLI(t, "sweep", "merge", "--out", name, "--csv", csvPath, "--plot", png, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var pts []struct {
		Index   int
		Summary manifold.CurvatureSummary
	}
	if err := json.Unmarshal([]byte(js), &pts); err != nil || len(pts) != 12 {
		t.Fatalf("merge summary: %v\n%s", err, js)
	}
	tanh, _ := activation.Lookup("tanh")
	for _, p := range pts {
		mf, _ := meanfield.New(tanh, p.Summary.SigmaW, p.Summary.SigmaB, meanfield.Options{})
		s, err := mf.Analyze(1)
		if err != nil || p.Summary.Chi1Theory == nil || abs(*p.Summary.Chi1Theory-s.Chi1) > 1e-10*s.Chi1 {
			t.Errorf("point %d: chi1 theory %v, meanfield %v", p.Index, p.Summary.Chi1Theory, s.Chi1)
		}
	}
	raw, _ := os.ReadFile(png)
	if !bytes.HasPrefix(raw, []byte("\x89PNG")) {
		t.Error("no figure")
	}
	rf, _ := os.Open(csvPath)
	rows, err := csv.NewReader(rf).ReadAll()
	rf.Close()
	if err != nil || len(rows) != 13 || rows[0][0] != "index" || rows[0][1] != "sigma-w" || rows[0][2] != "sigma-b" || rows[0][3] != "seed" {
		t.Fatalf("CSV %v: %v", rows[:1], err)
	}
	f, _ := sweep.ReadFile(name)
	col := -1
	for k, h := range rows[0] {
		if h == "result.layers.4.kappa_bar" {
			col = k
		}
	}
	for i := 0; i < 12; i++ {
		var c manifold.CurvatureResult
		json.Unmarshal(f.Records[i].Result, &c)
		if got, err := strconv.ParseFloat(rows[i+1][col], 64); col < 0 || err != nil || got != c.Layers[4].KappaBar {
			t.Errorf("point %d: CSV kappa_bar %q, JSON %v", i, rows[i+1][col], c.Layers[4].KappaBar)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestSweepFailure: a point whose command fails is recorded with the
// command's error line; the sweep stops there and exits 1 naming it, or,
// with --keep-going, runs the rest and still exits 1; status lists it and
// merge refuses it unless --allow-failed.
func TestSweepFailure(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f.jsonl")
	// --width 1 is refused by curvature: every point with it fails.
	args := []string{"sweep", "--grid", "width=1,30", "--grid", "sigma-b=0.3,0.6", "--threads", "1", "--out", name, "--", "curvature", "--depth", "2", "--points", "8"}
	_, errOut, code := runCLI(t, nil, args...)
	if code != 1 || !strings.Contains(errOut, "point 0 (width=1 sigma-b=0.3) failed: curvature: exit status 1: netgeom: --width 1: want at least 2") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, errOut, code = runCLI(t, nil, append(args[:len(args)-6:len(args)-6], append([]string{"--keep-going"}, args[len(args)-6:]...)...)...)
	if code != 1 || !strings.Contains(errOut, "2 points failed") {
		t.Fatalf("--keep-going: exit %d: %s", code, errOut)
	}
	out, errOut, _ := runCLI(t, nil, "sweep", "status", "--out", name, "--format", "json")
	var st sweep.Status
	if json.Unmarshal([]byte(out), &st) != nil || st.Failed != 2 || st.Done != 2 || !strings.Contains(errOut, "point 1 (width=1 sigma-b=0.6) failed") {
		t.Errorf("status: %s %s", out, errOut)
	}
	if _, err := execCLI(t, "sweep", "merge", "--out", name); err == nil || !strings.Contains(err.Error(), "--allow-failed") {
		t.Errorf("merge: %v", err)
	}
	if _, err := execCLI(t, "sweep", "merge", "--out", name, "--allow-failed"); err != nil {
		t.Errorf("merge --allow-failed: %v", err)
	}
}

// TestSweepSlurmScripts: sweep slurm writes the array script (array
// 0-(N-1)%K, resources, absolute paths, the sweep's command with --shard
// auto --shards N) and the merge script, without submitting.
func TestSweepSlurmScripts(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "p.jsonl")
	args := []string{"sweep", "slurm", "--grid", "sigma-w=1:2:3", "--grid", "seed=1:2", "--out", name, "--shards", "4", "--parallel", "2",
		"--time", "0:10:00", "--mem", "1G", "--gpu", "--threads", "2", "--plot", filepath.Join(dir, "p.png"), "--format", "json",
		"--", "curvature", "--width", "30", "--plot", "c-{index}.png"}
	js, err := execCLI(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	var r slurmJSON
	if err := json.Unmarshal([]byte(js), &r); err != nil || r.Array != "0-3%2" || r.Job != "" || r.Script != filepath.Join(dir, "p.sbatch") {
		t.Fatalf("%s: %v", js, err)
	}
	task, _ := os.ReadFile(r.Script)
	merge, _ := os.ReadFile(r.MergeScript)
	exe, _ := os.Executable()
	for _, want := range []string{"#SBATCH --array=0-3%2\n", "#SBATCH --cpus-per-task=2\n", "#SBATCH --time=0:10:00\n", "#SBATCH --mem=1G\n", "#SBATCH --gres=gpu:1\n",
		"#SBATCH --output=" + filepath.Join(dir, "p.logs") + "/p-%A_%a.out\n",
		"exec " + exe + " sweep --out " + name + " --shard auto --shards 4 --jobs 1 --threads 2 --seed 1 --grid sigma-w=1,1.5,2 --grid seed=1,2 -- curvature --width 30 --plot 'c-{index}.png'\n"} {
		if !strings.Contains(string(task), want) {
			t.Errorf("the array script lacks %q:\n%s", want, task)
		}
	}
	if !strings.Contains(string(merge), "exec "+exe+" sweep merge --out "+name+" --plot "+filepath.Join(dir, "p.png")+"\n") {
		t.Errorf("merge script:\n%s", merge)
	}
	if st, err := os.Stat(filepath.Join(dir, "p.logs")); err != nil || !st.IsDir() {
		t.Errorf("no logs folder: %v", err)
	}
	// Without --threads a task has one thread, not as many as the cores of
	// the machine that wrote the script.
	name = filepath.Join(dir, "one.jsonl")
	if _, err := execCLI(t, "sweep", "slurm", "--grid", "sigma-w=1:2:3", "--out", name, "--", "curvature"); err != nil {
		t.Fatal(err)
	}
	task, _ = os.ReadFile(filepath.Join(dir, "one.sbatch"))
	if !strings.Contains(string(task), "#SBATCH --cpus-per-task=1\n") || !strings.Contains(string(task), " --jobs 1 --threads 1 ") {
		t.Errorf("the default thread count of a Slurm task is not 1:\n%s", task)
	}
}
