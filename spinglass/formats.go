package spinglass

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// ParseFormat reads a tensor format n_1 x ... x n_d written "3x3x3",
// "2,3,4", "2*3*4" or "n^d" (d copies of n, 1 <= d <= 64); every size must
// be >= 1.
func ParseFormat(s string) ([]int, error) {
	bad := func(why string) error {
		return fmt.Errorf("format %q: %s; write a format like 3x3x3, 2,3,4 or 4^3", s, why)
	}
	t := strings.ToLower(strings.TrimSpace(s))
	if base, exp, ok := strings.Cut(t, "^"); ok {
		n, err1 := strconv.Atoi(strings.TrimSpace(base))
		d, err2 := strconv.Atoi(strings.TrimSpace(exp))
		if err1 != nil || err2 != nil || n < 1 || d < 1 || d > 64 {
			return nil, bad("n^d needs sizes n >= 1 and 1 <= d <= 64")
		}
		out := make([]int, d)
		for i := range out {
			out[i] = n
		}
		return out, nil
	}
	if t == "" {
		return nil, bad("no sizes")
	}
	fields := strings.Split(strings.NewReplacer(",", "x", "*", "x").Replace(t), "x")
	var out []int
	for _, f := range fields {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, bad(fmt.Sprintf("%q is not a size >= 1", f))
		}
		out = append(out, n)
	}
	return out, nil
}

// FormatName writes a tensor format as "3x3x3" (ParseFormat reads it back).
func FormatName(dims []int) string {
	s := make([]string, len(dims))
	for i, n := range dims {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, "x")
}

// FormatCountsOptions configures FormatCounts.
type FormatCountsOptions struct {
	// Formats are the tensor formats to count, each a list of sizes >= 1
	// with at most MaxCountCells cells (no default: give at least one).
	Formats [][]int
}

// FormatCount is the exact number of complex singular-vector tuples of a
// generic tensor of one format.
type FormatCount struct {
	// Format is the format as FormatName writes it, Dims its sizes.
	Format string `json:"format"`
	Dims   []int  `json:"dims"`
	// Count is SingularTupleCount(Dims) in decimal (it can pass 2^64).
	Count string `json:"count"`
}

// FormatCounts returns the Friedland-Ottaviani count (SingularTupleCount)
// of each format in opts.Formats, in order: the complex critical points of
// the layered spin glass of that format. It is exact integer arithmetic and
// uses no engine; it checks ctx between formats and returns ctx.Err() once
// ctx is done.
func FormatCounts(ctx context.Context, opts FormatCountsOptions) ([]FormatCount, error) {
	if len(opts.Formats) == 0 {
		return nil, fmt.Errorf("spinglass: format counts: Formats is empty: give at least one format")
	}
	rows := make([]FormatCount, 0, len(opts.Formats))
	for _, dims := range opts.Formats {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := SingularTupleCount(dims)
		if err != nil {
			return nil, err
		}
		rows = append(rows, FormatCount{Format: FormatName(dims), Dims: append([]int(nil), dims...), Count: n.String()})
	}
	return rows, nil
}
