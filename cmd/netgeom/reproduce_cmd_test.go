package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReproduceList: --list names every reproduction with its figures and
// estimated times.
func TestReproduceList(t *testing.T) {
	out, errOut, code := runCLI(t, nil, "reproduce", "--list")
	if code != 0 || !strings.Contains(out, "poole2016") || !strings.Contains(out, "fig1,fig2,fig3,fig4,fig5") {
		t.Errorf("reproduce --list: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestReproduceErrors: an unknown reproduction or figure is an error that
// names what exists, and a name is required without --list.
func TestReproduceErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"reproduce", "poole2017"}, "the reproductions are poole2016"},
		{[]string{"reproduce", "poole2016", "--only", "fig9"}, "--only"},
		{[]string{"reproduce"}, "accepts 1 arg"},
		{[]string{"reproduce", "--list", "poole2016"}, "unknown command"},
	} {
		_, errOut, code := runCLI(t, nil, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error containing %q", c.args, code, errOut, c.want)
		}
	}
}

// TestReproduceOneFigure: a quick run of figure 5 alone prints its checks,
// writes index.html and results.json, and records the command that
// regenerates the figure.
func TestReproduceOneFigure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	out, errOut, code := runCLI(t, nil, "reproduce", "poole2016", "--quick", "--only", "fig5", "--out", dir, "--seed", "3")
	if code != 0 || !strings.Contains(out, "3 of 3 checks pass") || !strings.Contains(out, "report: "+dir+"/index.html") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		t.Error(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Seed    uint64
		Quick   bool
		Figures []struct {
			ID, Command string
		}
	}
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	want := "netgeom reproduce poole2016 --seed 3 --quick --only fig5 --out DIR"
	if rep.Seed != 3 || !rep.Quick || len(rep.Figures) != 1 || rep.Figures[0].Command != want {
		t.Errorf("results.json: %+v; want seed 3, quick, one figure with command %q", rep, want)
	}
}
