package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/landscape"
)

// smallCensus are the arguments of a census that runs in about a second:
// iris, P = 100 (4-12-3 with 99 parameters, 4-7-6-3 with 104), 100 Adam
// steps before L-BFGS.
func smallCensus(out string, restarts string) []string {
	return []string{"census", "--data", "iris", "--budget", "100", "--depths", "1:2", "--restarts", restarts, "--adam-steps", "100", "--out", out}
}

// TestCensusCommand: --format json reports the two architectures with the
// parameter counts worked by hand, one summary per depth whose counts add
// up (converged = minima + saddles <= restarts; distinct minima between 1
// and the minima), and --plot writes a PNG. Run again with --resume it runs
// nothing; its CSV cells read back as the JSON's numbers, bit for bit; it
// prints the table: the title, a header and one row per depth,
// whose converged column reads "k/3".
func TestCensusCommand(t *testing.T) {
	dir := t.TempDir()
	out, png := filepath.Join(dir, "c.jsonl"), filepath.Join(dir, "c.png")
	js, err := execCLI(t, append(smallCensus(out, "3"), "--format", "json", "--plot", png)...)
	if err != nil {
		t.Fatal(err)
	}
	var r landscape.TakeCensusResult
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	if len(r.Archs) != 2 || r.Archs[0].Params != 99 || r.Archs[1].Params != 104 || r.Ran != 6 || r.Skipped != 0 || len(r.Depths) != 2 {
		t.Fatalf("census result: archs %+v, ran %d, skipped %d, %d depths", r.Archs, r.Ran, r.Skipped, len(r.Depths))
	}
	for _, d := range r.Depths {
		if d.Restarts != 3 || d.Minima+d.Saddles != d.Converged || d.Converged > 3 || d.DistinctMinima < 1 || d.DistinctMinima > d.Minima ||
			len(d.PairDistances) != d.Converged*(d.Converged-1)/2 || len(d.Points) != d.Converged {
			t.Errorf("depth %d summary: %+v", d.Depth, d)
		}
	}
	raw, err := os.ReadFile(png)
	if err != nil || !bytes.HasPrefix(raw, []byte("\x89PNG")) {
		t.Errorf("plot: %v", err)
	}
	// CSV keeps every digit: the cells read back as the JSON's numbers.
	csvOut, err := execCLI(t, append(smallCensus(out, "3"), "--resume", "--format", "csv")...)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][8] != "loss_med" || rows[0][19] != "min_between" {
		t.Fatalf("csv %v:\n%s", err, csvOut)
	}
	for i, d := range r.Depths {
		for _, c := range []struct {
			col  int
			want *float64
		}{{8, &d.TrainLoss.Median}, {11, &d.MaxEig.Median}, {18, d.MaxWithin}, {19, d.MinBetween}} {
			cell := rows[i+1][c.col]
			if got, err := strconv.ParseFloat(cell, 64); c.want == nil && cell != "-" || c.want != nil && (err != nil || got != *c.want) {
				t.Errorf("depth %d %s: CSV %q, JSON %s", d.Depth, rows[0][c.col], cell, optFloat(c.want))
			}
		}
	}
	table, err := execCLI(t, append(smallCensus(out, "3"), "--resume")...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "census ") || !strings.HasPrefix(lines[1], "depth") {
		t.Fatalf("table:\n%s", table)
	}
	for i, l := range lines[2:] {
		f := strings.Fields(l)
		if f[0] != []string{"1", "2"}[i] || !strings.HasSuffix(f[3], "/3") {
			t.Errorf("row %q", l)
		}
	}
}

// TestCensusKillResume: the done criterion "killing a census and resuming
// it gives the same final file as an uninterrupted run", with a real kill:
// a census runs in a child process that sends itself SIGKILL right after
// its third record reaches the file (a hook of the tests, so the kill lands
// at the same point on a loaded machine as on an idle one), and is resumed
// with --resume; the final file equals byte for byte that of the same
// census run without interruption. (A kill in the middle of a write, a
// partial last line, is covered in package landscape.)
func TestCensusKillResume(t *testing.T) {
	dir := t.TempDir()
	straight, killed := filepath.Join(dir, "straight.jsonl"), filepath.Join(dir, "killed.jsonl")
	if _, err := execCLI(t, smallCensus(straight, "8")...); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(straight)
	_, errOut, code := runCLI(t, []string{"NETGEOM_TEST_KILL_AFTER_RECORD=3"}, smallCensus(killed, "8")...)
	if code != -1 {
		t.Fatalf("the census was to kill itself after 3 records; it exited %d: %s", code, errOut)
	}
	partial, _ := os.ReadFile(killed)
	if n := bytes.Count(partial, []byte("\n")); n != 4 || !bytes.HasSuffix(partial, []byte("\n")) {
		t.Fatalf("killed after record 3: %d lines in the file, want the header and 3 records", n)
	}
	_, errOut, code = runCLI(t, nil, append(smallCensus(killed, "8"), "--resume")...)
	if code != 0 {
		t.Fatalf("resume exited %d: %s", code, errOut)
	}
	if got, _ := os.ReadFile(killed); !bytes.Equal(got, want) {
		t.Fatalf("the killed and resumed census differs from the straight run (%d and %d bytes)", len(got), len(want))
	}
}

// TestCensusErrors: bad arguments are refused with a message naming the
// flag, before any work; an existing census is not overwritten.
func TestCensusErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "c.jsonl")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--depths", "0:2"}, "--depths"},
		{[]string{"--depths", "3:1"}, "--depths"},
		{[]string{"--depths", "2,1"}, "ascending"},
		{[]string{"--restarts", "0"}, "--restarts"},
		{[]string{"--plot", "x.pdf"}, "extension"},
		{[]string{"--resume", "--overwrite"}, "--overwrite"},
		{[]string{"--budget", "10"}, "tolerance"},
		{[]string{"--act", "nonsense"}, "nonsense"},
	} {
		args := append(smallCensus(out, "1"), c.args...)
		if _, err := execCLI(t, args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.want)
		}
	}
	os.WriteFile(out, []byte(`{"format":"netgeom-census-1"}`+"\n"), 0o644)
	if _, err := execCLI(t, smallCensus(out, "1")...); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("existing census: %v", err)
	}
	// A file that is not a census is not taken for one, even with --overwrite.
	os.WriteFile(out, []byte("{}\n"), 0o644)
	if _, err := execCLI(t, append(smallCensus(out, "1"), "--overwrite")...); err == nil || !strings.Contains(err.Error(), "is not a netgeom census") {
		t.Errorf("existing foreign file with --overwrite: %v", err)
	}
}
