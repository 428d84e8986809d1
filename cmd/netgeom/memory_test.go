package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/manifold"
)

// TestMemoryEstimatesMatchPeaks runs curvature and propagate in child
// processes and compares their peak resident set (getrusage's maxrss) with
// the estimates the commands check against the available memory before
// they start. The bound is a factor of 2 either way: an estimate
// far above the peak would refuse runs that fit, one far below would let
// through runs that end in the runtime's out-of-memory trace. (Measured
// when the estimates were written: 0.7 to 1.05 of curvature's, 0.75 to
// 0.85 of propagate's, at these sizes and larger.)
func TestMemoryEstimatesMatchPeaks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three commands of a few hundred MB each")
	}
	cases := []struct {
		args     []string
		estimate int64
	}{
		{[]string{"curvature", "--width", "1000", "--depth", "3", "--points", "800"},
			manifold.CurvatureOptions{Width: 1000, Depth: 3, Points: 800}.MemoryEstimate()},
		{[]string{"curvature", "--width", "3000", "--depth", "2", "--points", "150"},
			manifold.CurvatureOptions{Width: 3000, Depth: 2, Points: 150}.MemoryEstimate()},
		{[]string{"propagate", "--width", "3000", "--depth", "2", "--pairs", "200"},
			manifold.PropagateMemory(3000, 3, 200)}, // three correlations by default
		{[]string{"propagate", "--width", "2000", "--depth", "2", "--pairs", "2000", "--c0", "0.5"},
			manifold.PropagateMemory(2000, 1, 2000)},
	}
	for _, c := range cases {
		cmd := exec.Command(os.Args[0], append(c.args, "--format", "json")...)
		cmd.Env = append(os.Environ(), "NETGEOM_TEST_AS_MAIN=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(c.args, " "), err, stderr.String())
		}
		peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024 // KiB on Linux
		ratio := float64(peak) / float64(c.estimate)
		t.Logf("%s: peak %.0f MiB, estimate %.0f MiB, ratio %.2f", strings.Join(c.args, " "), float64(peak)/(1<<20), float64(c.estimate)/(1<<20), ratio)
		if ratio < 0.5 || ratio > 2 {
			t.Errorf("%s: peak resident set %d bytes is %.2f times the estimate %d; want within a factor of 2", strings.Join(c.args, " "), peak, ratio, c.estimate)
		}
	}
}

// TestProgressInLogs: where stderr is not a terminal, a long run writes a
// "netgeom: label: done/total" line every logEvery and nothing more often,
// and never for the last step (the result follows at once).
func TestProgressInLogs(t *testing.T) {
	defer func(d time.Duration) { logEvery = d }(logEvery)
	run := func(every time.Duration) string {
		logEvery = every
		var buf bytes.Buffer
		cmd := &cobra.Command{}
		cmd.SetErr(&buf)
		update, finish := progress(cmd, "census")
		for i := 1; i <= 4; i++ {
			update(i, 4)
		}
		finish()
		return buf.String()
	}
	if got := run(time.Hour); got != "" {
		t.Errorf("within the first interval: %q; want nothing", got)
	}
	got := run(0)
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("every step due: %q; want a line for steps 1 to 3", got)
	}
	for i, l := range lines {
		want := "netgeom: census: " + strconv.Itoa(i+1) + "/4 (" + strconv.Itoa(25*(i+1)) + "%, "
		if !strings.HasPrefix(l, want) || !strings.HasSuffix(l, "s)") {
			t.Errorf("line %d %q; want %q...s)", i, l, want)
		}
	}
}

// TestCensusLogsProgress: a census whose stderr is a file says how far it
// is (here every step, by the test's interval) in lines of its own.
func TestCensusLogsProgress(t *testing.T) {
	out := t.TempDir() + "/c.jsonl"
	_, stderr, code := runCLI(t, []string{"NETGEOM_TEST_LOG_EVERY=0s"}, "census", "--data", "iris", "--depths", "1:2", "--restarts", "3", "--adam-steps", "20", "--lbfgs-steps", "20", "--out", out, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.HasPrefix(l, "netgeom: ") {
			t.Errorf("stderr line %q: want netgeom: lines only", l)
		}
		if strings.Contains(l, "/6 (") {
			n++
		}
	}
	if n == 0 {
		t.Errorf("no progress line in %q", stderr)
	}
}
