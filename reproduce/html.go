package reproduce

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"path/filepath"

	"github.com/netgeom/netgeom/internal/outfile"
)

//go:embed index.html.tmpl
var indexTemplate string

var pageTemplate = template.Must(template.New("index").Funcs(template.FuncMap{
	"num": func(x float64) string {
		if math.IsNaN(x) {
			return "-"
		}
		return num(x)
	},
	"dev": func(c Check) string {
		d := c.Deviation()
		if math.IsNaN(d) {
			return "exact"
		}
		return fmt.Sprintf("%+.2f SE", d)
	},
	"secs": func(s float64) string {
		if s < 60 {
			return fmt.Sprintf("%.1f s", s)
		}
		return fmt.Sprintf("%.0f min %.0f s", math.Floor(s/60), math.Mod(s, 60))
	},
	"failed": func(cs []Check) int {
		n := 0
		for _, c := range cs {
			if !c.Pass {
				n++
			}
		}
		return n
	},
	"inc": func(i int) int { return i + 1 },
}).Parse(indexTemplate))

// WriteHTML writes dir/index.html, a self-contained page (the figures are
// the SVG files Run wrote into the same directory; no network access, no
// script needed to read it), and dir/results.json, the report for
// machines.
func WriteHTML(dir string, r *Report) error {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, r); err != nil {
		return fmt.Errorf("report %s: %w", dir, err)
	}
	if err := outfile.WriteFile(filepath.Join(dir, "index.html"), buf.Bytes()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report %s: %w", dir, err)
	}
	if err := outfile.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n')); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// MarshalJSON writes non-finite numbers (a standard error of a single
// sample, say) as null, which JSON has and NaN it has not.
func (c Check) MarshalJSON() ([]byte, error) {
	f := func(x float64) *float64 {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return &x
	}
	return json.Marshal(struct {
		Name      string   `json:"name"`
		Measured  *float64 `json:"measured"`
		Expected  *float64 `json:"expected"`
		Relation  Relation `json:"relation"`
		Tolerance *float64 `json:"tolerance"`
		StdErr    *float64 `json:"std_err"`
		Samples   int      `json:"samples"`
		Reason    string   `json:"reason"`
		Source    string   `json:"source"`
		Pass      bool     `json:"pass"`
	}{c.Name, f(c.Measured), f(c.Expected), c.Relation, f(c.Tolerance), f(c.StdErr), c.Samples, c.Reason, c.Source, c.Pass})
}
