package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netgeom/netgeom/sweep"
)

// slurmCluster starts the one-node cluster of scripts/slurm-local.sh for
// the test and stops it at its end (if the test started it), and returns
// its SLURM_CONF. Without Slurm and munge installed, or without root, the
// test is skipped, or fails when NETGEOM_REQUIRE_SLURM=1 (CI installs
// them).
func slurmCluster(t *testing.T) string {
	t.Helper()
	missing := ""
	for _, b := range []string{"/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch", "/usr/bin/squeue", "/usr/bin/scancel"} {
		if _, err := os.Stat(b); err != nil {
			missing += " " + b
		}
	}
	if missing == "" && os.Geteuid() != 0 {
		missing = " root (the local cluster's daemons run as root)"
	}
	if missing != "" {
		if os.Getenv("NETGEOM_REQUIRE_SLURM") == "1" {
			t.Fatalf("NETGEOM_REQUIRE_SLURM=1 but this machine lacks%s", missing)
		}
		t.Skipf("no local Slurm cluster: this machine lacks%s (apt-get install slurm-wlm munge, as root)", missing)
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "slurm-local.sh"))
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("sh", script, "start")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("slurm-local.sh start: %v\n%s", err, stderr.String())
	}
	conf, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "SLURM_CONF=")
	if !ok {
		t.Fatalf("slurm-local.sh start printed %q", out)
	}
	if !strings.Contains(stderr.String(), "already running") {
		t.Cleanup(func() {
			if out, err := exec.Command("sh", script, "stop").CombinedOutput(); err != nil {
				t.Errorf("slurm-local.sh stop: %v\n%s", err, out)
			}
		})
	}
	t.Setenv("SLURM_CONF", conf)
	return conf
}

// waitJobs waits until none of the jobs is in Slurm's queue, at most
// limit.
func waitJobs(t *testing.T, limit time.Duration, jobs ...string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out, err := exec.Command("squeue", "-h", "-j", strings.Join(jobs, ","), "-o", "%i %T %r").Output()
		if err == nil && strings.TrimSpace(string(out)) == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs %v still queued after %v: %s (%v)", jobs, limit, out, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSweepOnSlurm: the done criterion "tested on a real Slurm". On the
// one-node cluster of scripts/slurm-local.sh, sweep slurm --submit
// submits a job array of 4 tasks (8 points) and a merge job that depends
// on it. One task stops after its first point and is killed mid-run (scancel
// --signal=KILL), so the merge job can never run. Submitted again, sweep
// slurm submits that task's shard alone (--array=2) and a new merge job;
// the resubmitted task skips its finished point, and the merged file equals
// the sweep run serially here, byte for byte apart from timings.
func TestSweepOnSlurm(t *testing.T) {
	slurmCluster(t)
	dir := t.TempDir()
	serial, name := filepath.Join(dir, "serial.jsonl"), filepath.Join(dir, "slurm.jsonl")
	grid := []string{"--grid", "sigma-w=1.5,2,3,4", "--grid", "sigma-b=0.3,0.9", "--seed", "3", "--threads", "1"}
	command := []string{"--", "curvature", "--width", "30", "--depth", "4", "--points", "8"}
	if _, errOut, code := runCLI(t, nil, append(append([]string{"sweep", "--out", serial}, grid...), command...)...); code != 0 {
		t.Fatalf("serial sweep: %s", errOut)
	}
	submit := append(append([]string{"sweep", "slurm", "--out", name, "--shards", "4", "--time", "0:05:00", "--submit", "--format", "json"}, grid...), command...)
	out, errOut, code := runCLI(t, []string{"NETGEOM_TEST_PAUSE_SWEEP_AFTER=1", "NETGEOM_TEST_PAUSE_TASK=2"}, submit...)
	var first slurmJSON
	if code != 0 || json.Unmarshal([]byte(out), &first) != nil || first.Array != "0-3" || first.Job == "" || first.MergeJob == "" {
		t.Fatalf("submit: exit %d, %s, %s", code, out, errOut)
	}
	t.Cleanup(func() { exec.Command("scancel", first.Job, first.MergeJob).Run() })
	// Task 2 has written its first point and stopped: kill it.
	shard2 := sweep.ShardPath(name, sweep.Shard{Index: 2, Count: 4})
	deadline := time.Now().Add(90 * time.Second)
	for {
		if raw, _ := os.ReadFile(shard2); bytes.Count(raw, []byte("\n")) == 2 {
			break
		}
		if time.Now().After(deadline) {
			q, _ := exec.Command("squeue").CombinedOutput()
			t.Fatalf("task 2 did not write its first point in 90 s; queue:\n%s", q)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out, err := exec.Command("scancel", "--signal=KILL", first.Job+"_2").CombinedOutput(); err != nil {
		t.Fatalf("scancel: %v %s", err, out)
	}
	waitJobs(t, 90*time.Second, first.Job)
	js, err := execCLI(t, "sweep", "status", "--out", name, "--format", "json")
	var st sweep.Status
	if err != nil || json.Unmarshal([]byte(js), &st) != nil || st.Done != 7 || st.Missing != 1 || st.Shards[2].Done != 1 {
		t.Fatalf("status after the kill: %s %v", js, err)
	}
	if _, err := os.Stat(name); err == nil {
		t.Fatal("the merge job ran although a task was killed")
	}
	// Submitted again: only shard 2, and a new merge job.
	out, errOut, code = runCLI(t, nil, submit...)
	var again slurmJSON
	if code != 0 || json.Unmarshal([]byte(out), &again) != nil || again.Array != "2" || again.MergeJob == "" {
		t.Fatalf("resubmit: exit %d, %s, %s", code, out, errOut)
	}
	t.Cleanup(func() { exec.Command("scancel", again.Job, again.MergeJob).Run() })
	waitJobs(t, 90*time.Second, again.Job, again.MergeJob)
	logs, _ := filepath.Glob(filepath.Join(dir, "slurm.logs", "slurm-"+again.Job+"_2.out"))
	if len(logs) != 1 {
		t.Fatalf("no log of the resubmitted task")
	}
	if log, _ := os.ReadFile(logs[0]); !strings.Contains(string(log), "1 of 2 points already done; running the other 1") {
		t.Errorf("the resubmitted task did not resume its shard:\n%s", log)
	}
	if _, err := os.Stat(name); err != nil {
		merged, _ := filepath.Glob(filepath.Join(dir, "slurm.logs", "slurm-merge-*.out"))
		var b strings.Builder
		for _, m := range merged {
			raw, _ := os.ReadFile(m)
			b.Write(raw)
		}
		t.Fatalf("the merge job wrote no %s: %v\n%s", name, err, b.String())
	}
	if got, want := noTiming(t, name), noTiming(t, serial); got != want {
		t.Fatalf("the sweep merged on Slurm differs from the serial run:\n%s\n---\n%s", got, want)
	}
}
