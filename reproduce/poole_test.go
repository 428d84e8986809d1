package reproduce

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/netgeom/netgeom/engine/cpu"
)

// quickPoole is one quick poole2016 run with its figures and HTML, shared
// by the tests that read it (it takes about half a minute).
var quickPoole struct {
	once sync.Once
	dir  string
	rep  *Report
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if quickPoole.dir != "" {
		os.RemoveAll(quickPoole.dir)
	}
	os.Exit(code)
}

func poole(t *testing.T) (*Report, string) {
	t.Helper()
	quickPoole.once.Do(func() {
		b, err := cpu.New(cpu.Options{})
		if err != nil {
			quickPoole.err = err
			return
		}
		defer b.Close()
		if quickPoole.dir, err = os.MkdirTemp("", "netgeom-reproduce-"); err != nil {
			quickPoole.err = err
			return
		}
		quickPoole.rep, quickPoole.err = Run(context.Background(), b, "poole2016", Options{Quick: true, Seed: 1, Dir: quickPoole.dir, Version: "test"})
		if quickPoole.err == nil {
			quickPoole.err = WriteHTML(quickPoole.dir, quickPoole.rep)
		}
	})
	if quickPoole.err != nil {
		t.Fatal(quickPoole.err)
	}
	return quickPoole.rep, quickPoole.dir
}

// TestPoole2016QuickPasses: every check of the quick reproduction of Poole
// et al. (2016) passes. The checks are tests of the science: each compares
// a measurement over independent networks with mean field (or the
// paper's published value) within its standard errors and stated
// finite-width terms.
func TestPoole2016QuickPasses(t *testing.T) {
	rep, _ := poole(t)
	if len(rep.Figures) != 5 {
		t.Fatalf("%d figures; want 5", len(rep.Figures))
	}
	for _, c := range rep.Failed() {
		t.Errorf("%s: measured %v +- %v (%d samples), expected %s: %s", c.Name, c.Measured, c.StdErr, c.Samples, c.Comparison(), c.Reason)
	}
	for _, f := range rep.Figures {
		if len(f.Checks) == 0 || f.Claim == "" || f.Command == "" || len(f.Images) == 0 || len(f.Images) != len(f.Captions) {
			t.Errorf("%s: %d checks, claim %q, command %q, %d images, %d captions", f.ID, len(f.Checks), f.Claim, f.Command, len(f.Images), len(f.Captions))
		}
		for _, c := range f.Checks {
			if c.Reason == "" || c.Source == "" || !(c.Tolerance > 0) {
				t.Errorf("%s: %q has reason %q, source %q, tolerance %v", f.ID, c.Name, c.Reason, c.Source, c.Tolerance)
			}
		}
	}
}

// TestPoole2016Files: the figures are SVG files beside index.html, and
// results.json holds every check.
func TestPoole2016Files(t *testing.T) {
	rep, dir := poole(t)
	for _, f := range rep.Figures {
		for _, img := range f.Images {
			b, err := os.ReadFile(filepath.Join(dir, img))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b[:min(len(b), 400)]), "<svg") {
				t.Errorf("%s is not an SVG file", img)
			}
		}
	}
	js, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Name    string
		Figures []struct {
			ID     string
			Checks []struct {
				Name string
				Pass bool
			}
		}
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range back.Figures {
		n += len(f.Checks)
	}
	if back.Name != "poole2016" || n != len(rep.Checks()) {
		t.Errorf("results.json: %q with %d checks; want poole2016 with %d", back.Name, n, len(rep.Checks()))
	}
}

// TestQuickReproductionsPass: every check of the quick landscape,
// multiplicative and geometry reproductions passes (they take about 30 s
// together), each figure has its claim, checks with reasons and sources,
// and the List order is the documented one.
func TestQuickReproductionsPass(t *testing.T) {
	var names []string
	for _, r := range List() {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "poole2016,landscape,multiplicative,geometry" {
		t.Errorf("List: %v", names)
	}
	b, err := cpu.New(cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, name := range names[1:] {
		rep, err := Run(context.Background(), b, name, Options{Quick: true, Seed: 1})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rp, _ := Lookup(name)
		if len(rep.Figures) != len(rp.Figures) {
			t.Errorf("%s: %d figures; want %d", name, len(rep.Figures), len(rp.Figures))
		}
		for _, c := range rep.Failed() {
			t.Errorf("%s: %s: measured %v +- %v (%d samples), expected %s: %s", name, c.Name, c.Measured, c.StdErr, c.Samples, c.Comparison(), c.Reason)
		}
		for _, f := range rep.Figures {
			if len(f.Checks) == 0 || f.Claim == "" {
				t.Errorf("%s %s: %d checks, claim %q", name, f.ID, len(f.Checks), f.Claim)
			}
			for _, c := range f.Checks {
				if c.Reason == "" || c.Source == "" {
					t.Errorf("%s %s: %q has reason %q, source %q", name, f.ID, c.Name, c.Reason, c.Source)
				}
			}
		}
	}
}
