package main

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// table is what a subcommand prints in the table and CSV formats. Cells
// hold numbers at full precision (fmtFloat); the table format shortens
// every decimal number to six significant digits for reading, while CSV
// keeps every digit, so a CSV round-trips the float64 values. Column names
// must be unique: emit refuses a table that repeats one.
type table struct {
	Title  string
	Header []string
	Rows   [][]string
}

// structured reports whether the output format is JSON (one indented
// document, or one compact object per line for jsonl).
func (g *globals) structured() bool { return g.Format == "json" || g.Format == "jsonl" }

// emit prints t as an aligned table ("table"), t as CSV ("csv"), or v as
// indented JSON ("json") or one compact JSON line ("jsonl") on the
// command's standard output; with --npy it first writes v's arrays
// (writeNpy).
func emit(cmd *cobra.Command, g *globals, t table, v any) (err error) {
	w := cmd.OutOrStdout()
	// A result with a number that overflowed is printed (JSON with the
	// number marked, the table and CSV with +Inf, -Inf or NaN) and the
	// command fails, naming it.
	var overflow error
	if path, x := nonFinite(v); path != "" {
		overflow = fmt.Errorf("the result is not finite: %s is %s (a quantity overflowed float64: deep or strongly chaotic networks grow by about chi_1 per layer; lower the depth, the weight scale or the input's size)", path, fmtFloat(x))
	} else if err := g.writeNpy(cmd, v); err != nil {
		return err
	}
	switch g.Format {
	case "json", "jsonl":
		enc := json.NewEncoder(w)
		if g.Format == "json" {
			enc.SetIndent("", "  ")
		}
		if overflow != nil {
			if err := enc.Encode(sanitize(reflect.ValueOf(v))); err != nil {
				return err
			}
			return overflow
		}
		return enc.Encode(v)
	}
	if err := checkHeader(t.Header); err != nil {
		return err
	}
	if overflow != nil {
		defer func() { err = cmp.Or(err, overflow) }()
	}
	if g.Format == "csv" {
		cw := csv.NewWriter(w)
		if len(t.Header) > 0 {
			if err := cw.Write(t.Header); err != nil {
				return err
			}
		}
		if err := cw.WriteAll(t.Rows); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	}
	if t.Title != "" {
		fmt.Fprintln(w, t.Title)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(t.Header) > 0 {
		fmt.Fprintln(tw, strings.Join(t.Header, "\t"))
	}
	cells := make([]string, 0, len(t.Header))
	for _, r := range t.Rows {
		cells = cells[:0]
		for _, c := range r {
			cells = append(cells, shortFloat(c))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// checkHeader refuses a header that repeats a column name (a program
// reading the CSV by name would see one of them only).
func checkHeader(h []string) error {
	seen := make(map[string]bool, len(h))
	for _, name := range h {
		if seen[name] {
			return fmt.Errorf("internal error: column %q appears twice in the header %v", name, h)
		}
		seen[name] = true
	}
	return nil
}

// fmtFloat formats x with every digit needed to read it back exactly, and
// +Inf, -Inf and NaN spelled out.
func fmtFloat(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "+Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	case math.IsNaN(x):
		return "NaN"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// fmtShort formats x to six significant digits, for titles and prose
// (table cells take fmtFloat; the table format shortens them itself).
func fmtShort(x float64) string { return shortFloat(fmtFloat(x)) }

// shortFloat rewrites a cell that holds a decimal number (one with a point
// or an exponent) to six significant digits for the table format; other
// cells (integers, names, "-") pass unchanged.
func shortFloat(c string) string {
	if !strings.ContainsAny(c, ".eE") {
		return c
	}
	x, err := strconv.ParseFloat(c, 64)
	if err != nil {
		return c
	}
	return strconv.FormatFloat(x, 'g', 6, 64)
}

// parseRange reads "lo:hi:n" as n evenly spaced values from lo to hi, both
// included, and "x" as the single value x.
func parseRange(s string) ([]float64, error) {
	parts := strings.Split(s, ":")
	bad := func(why string) error {
		return fmt.Errorf("range %q: %s; write lo:hi:n (n points from lo to hi) or a single number", s, why)
	}
	num := func(p string) (float64, error) {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, bad(fmt.Sprintf("%q is not a finite number", p))
		}
		return x, nil
	}
	switch len(parts) {
	case 1:
		x, err := num(parts[0])
		if err != nil {
			return nil, err
		}
		return []float64{x}, nil
	case 3:
		lo, err := num(parts[0])
		if err != nil {
			return nil, err
		}
		hi, err := num(parts[1])
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(strings.TrimSpace(parts[2]))
		if err != nil || n < 1 {
			return nil, bad(fmt.Sprintf("the count %q is not a positive integer", parts[2]))
		}
		if n == 1 {
			if lo != hi {
				return nil, bad("one point needs lo = hi")
			}
			return []float64{lo}, nil
		}
		if n > maxListLen {
			return nil, bad(fmt.Sprintf("%d points; at most %d", n, maxListLen))
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = lo + (hi-lo)*float64(i)/float64(n-1)
		}
		out[n-1] = hi
		return out, nil
	}
	return nil, bad("wrong number of fields")
}

// emitAndPlot emits the result like emit, then, when path is not empty,
// draws the figure there and says so on stderr.
func emitAndPlot(cmd *cobra.Command, g *globals, t table, v any, path string, draw func(path string) error) error {
	if err := emit(cmd, g, t, v); err != nil {
		return err
	}
	if path == "" {
		return nil
	}
	if err := draw(path); err != nil {
		return err
	}
	g.wrote(cmd, path)
	return nil
}
