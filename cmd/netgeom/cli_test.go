package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// TestVersionFlag: `netgeom --version` names the same version as
// `netgeom version`.
func TestVersionFlag(t *testing.T) {
	out, errOut, code := runCLI(t, nil, "--version")
	if code != 0 || !strings.HasPrefix(out, "netgeom "+version+" (") {
		t.Errorf("--version: exit %d, stdout %q, stderr %q; want netgeom %s (...)", code, out, errOut, version)
	}
}

// TestBackendFlagIsStrict: --backend takes only its documented values
// ("gpu" used to be taken as "cuda" silently), and a command that does not
// use the engine says that --backend has no effect.
func TestBackendFlagIsStrict(t *testing.T) {
	for _, bad := range []string{"gpu", "CPU ", "opencl"} {
		_, errOut, code := runCLI(t, nil, "devices", "--backend", bad)
		if code == 0 || !strings.Contains(errOut, "valid backends are auto, cpu, cuda") {
			t.Errorf("--backend %q: exit %d, stderr %q; want an error listing the valid backends", bad, code, errOut)
		}
	}
	out, errOut, code := runCLI(t, nil, "meanfield", "--sigma-w", "2", "--backend", "cuda", "--format", "json")
	if code != 0 || !json.Valid([]byte(out)) || !strings.Contains(errOut, "meanfield does not use the compute engine") {
		t.Errorf("meanfield --backend cuda: exit %d, stderr %q; want the result and a note that --backend has no effect", code, errOut)
	}
	if _, errOut, _ := runCLI(t, nil, "meanfield", "--sigma-w", "2"); errOut != "" {
		t.Errorf("meanfield without --backend wrote %q on stderr", errOut)
	}
}

// TestJSONLIsOneCompactLine: --format jsonl prints the same object as
// --format json on one line, for loops and pipes.
func TestJSONLIsOneCompactLine(t *testing.T) {
	args := []string{"meanfield", "--sigma-w", "2.5", "--sigma-b", "0.3", "--layers", "5"}
	pretty, _, c1 := runCLI(t, nil, append(args, "--format", "json")...)
	line, _, c2 := runCLI(t, nil, append(args, "--format", "jsonl")...)
	if c1 != 0 || c2 != 0 {
		t.Fatalf("exit %d, %d", c1, c2)
	}
	if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Errorf("jsonl output is not one line: %q", line)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(pretty)); err != nil {
		t.Fatal(err)
	}
	if compact.String() != strings.TrimSuffix(line, "\n") {
		t.Errorf("jsonl differs from compacted json:\n%s\n%s", line, compact.String())
	}
}

// TestCSVKeepsPrecisionAndUniqueNames: CSV cells read back as the float64
// values (more than the table's six digits), and propagate's columns,
// which repeated "theory" and "std" for every c0, are unique.
func TestCSVKeepsPrecisionAndUniqueNames(t *testing.T) {
	out, errOut, code := runCLI(t, nil, "propagate", "--width", "40", "--depth", "2", "--pairs", "3", "--format", "csv")
	if code != 0 {
		t.Fatalf("propagate: exit %d: %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("propagate csv: %v, %d records", err, len(recs))
	}
	seen := map[string]bool{}
	for _, h := range recs[0] {
		if seen[h] {
			t.Errorf("column %q repeated in %v", h, recs[0])
		}
		seen[h] = true
	}
	long := 0
	for _, c := range recs[2][1:] {
		x, err := strconv.ParseFloat(c, 64)
		if err != nil {
			t.Fatalf("cell %q: %v", c, err)
		}
		if strconv.FormatFloat(x, 'g', -1, 64) != c {
			t.Errorf("cell %q is not the shortest exact form of %v", c, x)
		}
		if len(strings.TrimLeft(strings.ReplaceAll(c, ".", ""), "-0")) > 6 {
			long++
		}
	}
	if long == 0 {
		t.Errorf("no CSV cell carries more than six digits: %v", recs[2])
	}
	if err := checkHeader([]string{"a", "b", "a"}); err == nil {
		t.Error("checkHeader accepted a repeated column")
	}
}

// TestTableShortensOnlyDecimals: the table format rounds decimal numbers
// to six digits and leaves integers and names alone.
func TestTableShortensOnlyDecimals(t *testing.T) {
	for in, want := range map[string]string{
		"0.14731353392492694": "0.147314", "12345678": "12345678", "1e-300": "1e-300",
		"dense": "dense", "-": "-", "+Inf": "+Inf", "1.0.2": "1.0.2", "2.5e+07": "2.5e+07",
	} {
		if got := shortFloat(in); got != want {
			t.Errorf("shortFloat(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCompletion: flag values complete from the lists the flags accept.
func TestCompletion(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "meanfield", "--act", ""}, []string{"tanh", "relu", "gelu"}},
		{[]string{"__complete", "train", "--data", ""}, []string{"iris", "digits", "fashion-mnist"}},
		{[]string{"__complete", "devices", "--format", ""}, []string{"table", "jsonl", "csv"}},
		{[]string{"__complete", "devices", "--backend", ""}, []string{"auto", "cpu", "cuda"}},
		{[]string{"__complete", "curvature", "--dtype", ""}, []string{"float64", "float32"}},
		{[]string{"__complete", "curvature", "--kinds", "dense,"}, []string{"dense,product", "dense,attention"}},
	} {
		out, errOut, code := runCLI(t, nil, c.args...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", c.args, code, errOut)
			continue
		}
		lines := strings.Split(out, "\n")
		for _, w := range c.want {
			found := false
			for _, l := range lines {
				found = found || l == w
			}
			if !found {
				t.Errorf("%v: %q not offered in %q", c.args, w, out)
			}
		}
	}
}
