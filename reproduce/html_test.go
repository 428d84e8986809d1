package reproduce

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteHTML: a report with a failing check says so in its banner and
// marks the row; names are escaped, not interpreted; observations get their
// own table; a NaN standard error prints as none.
func TestWriteHTML(t *testing.T) {
	dir := t.TempDir()
	ok := within("fine <check>", summary{1, 0.1, 8}, 1, 0.5, "reason & why", "source")
	bad := above("bad check", summary{0.1, math.NaN(), 1}, 1, 0, "r2", "s2")
	rep := &Report{Name: "test", Title: "a test", Figures: []Figure{
		{ID: "figA", Title: "A", Claim: "claim A", Settings: "s", Command: "netgeom reproduce test --only figA --out DIR", Checks: []Check{ok, bad},
			Observations: []Observation{{Name: "seen <value>", Value: 3.5, Note: "no theory"}}},
	}}
	if err := WriteHTML(dir, rep); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		`1 of 2 checks fail.`,
		`data-check="fine &lt;check&gt;"`,
		`<tr class="check fail" data-check="bad check">`,
		`data-observation="seen &lt;value&gt;"`,
		`reason &amp; why`,
		`<section class="figure" id="figA" data-figure="figA">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if strings.Contains(page, "<check>") || strings.Contains(page, "NaN") {
		t.Error("index.html holds an unescaped name or a NaN")
	}
	if _, err := os.Stat(filepath.Join(dir, "results.json")); err != nil {
		t.Error(err)
	}
}
