package datasets

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// CSVPrefix starts a data set name that Load reads from a CSV table (see
// ReadTable): "csv:PATH", optionally followed by the columns' roles as a
// URL query, "csv:PATH?label=species" or "csv:PATH?target=y1&target=y2"
// (CSVName writes them; the command line's --label-column and --target
// flags make them). The canonical name (CanonicalName) has PATH absolute
// and always says which column is the label or which are the targets, so
// a model trained on the table records exactly how it was read.
const CSVPrefix = "csv:"

// TableOptions says which columns of a table hold what. Every column that
// is neither the label nor a target is a feature.
type TableOptions struct {
	// Label is the column of class labels: a header name, or an index
	// counting from 0 (negative counts from the end: -1 is the last
	// column). A name is looked up first, so a header name that looks
	// like a number is found as a name. "" (with no Targets): the last
	// column.
	Label string
	// Targets, when not empty, are the regression target columns (names or
	// indices, as for Label) and make the set a regression set (see
	// Dataset.Targets); Label must then be "".
	Targets []string
}

// Check refuses a label column together with target columns, and empty
// column names.
func (o TableOptions) Check() error {
	if o.Label != "" && len(o.Targets) > 0 {
		return errors.New("a label column and target columns: give one (classification) or the other (regression)")
	}
	for _, t := range o.Targets {
		if strings.TrimSpace(t) == "" {
			return errors.New("an empty target column name")
		}
	}
	return nil
}

// CSVName returns the data set name of the table at path read with o (path
// as given; CanonicalName makes it absolute). A Label of "" with no Targets
// is written as "-1", the last column, so that the name says which column
// the labels came from.
func CSVName(path string, o TableOptions) string {
	q := url.Values{}
	if len(o.Targets) > 0 {
		q["target"] = slices.Clone(o.Targets)
	} else {
		q.Set("label", cmpOr(o.Label, "-1"))
	}
	return CSVPrefix + path + "?" + q.Encode()
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ParseCSVName splits a "csv:" data set name into the table's path and the
// column options. The options are the part after the last '?' when it is a
// query of label and target keys; otherwise the whole rest is the path.
func ParseCSVName(name string) (path string, o TableOptions, err error) {
	rest, ok := strings.CutPrefix(name, CSVPrefix)
	if !ok {
		return "", o, fmt.Errorf("datasets: %q is not a csv: data set name", name)
	}
	path = rest
	if i := strings.LastIndexByte(rest, '?'); i >= 0 {
		if q, qerr := url.ParseQuery(rest[i+1:]); qerr == nil && len(q) > 0 && onlyKeys(q, "label", "target") {
			path = rest[:i]
			if ls := q["label"]; len(ls) > 1 {
				return "", o, fmt.Errorf("datasets: %q: %d label columns; give one", name, len(ls))
			} else if len(ls) == 1 {
				o.Label = ls[0]
				if o.Label == "" {
					return "", o, fmt.Errorf("datasets: %q: an empty label column", name)
				}
			}
			o.Targets = q["target"]
		}
	}
	if path == "" {
		return "", o, fmt.Errorf("datasets: %q: write csv:FILE.csv", name)
	}
	if err := o.Check(); err != nil {
		return "", o, fmt.Errorf("datasets: %q: %w", name, err)
	}
	return path, o, nil
}

func onlyKeys(q url.Values, keys ...string) bool {
	for k := range q {
		if !slices.Contains(keys, k) {
			return false
		}
	}
	return true
}

// LoadTable reads a CSV table from a file (see ReadTable). The Dataset's
// Name is CSVName of the file's absolute path and o.
func LoadTable(path string, o TableOptions) (*Dataset, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", path, err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	d, err := ReadTable(f, path, o)
	if err != nil {
		return nil, err
	}
	d.Name = CSVName(abs, o)
	return d, nil
}

// ReadTable reads a data set from a CSV table: comma-separated fields,
// double quotes as in RFC 4180, gzip-compressed input detected by its magic
// bytes, blank lines skipped. Every row must have as many fields as the
// first.
//
// The first line is a header when one of its fields is not a number while
// the field below it, on the second line, is (a text label column does
// not make a header: it is text on every line). Columns are named by the
// header, or by index only when there is none.
//
// With o.Targets the set is a regression set: the target columns' numbers
// are its Targets (Classes of them per sample), the other columns its
// features. Otherwise the label column (o.Label, default the last) holds
// the classes: when every label is a non-negative integer the label is the
// class number (the set has the largest plus one classes); otherwise every
// label is a string and the distinct strings, sorted in byte order (Go's
// sort.Strings, Unicode code point order for UTF-8), are classes 0, 1, 2,
// ..., and are the Dataset's ClassNames. At least two distinct classes are
// needed.
//
// Every problem is a *FormatError naming the file (name), the line and the
// column (numbered from 1 as in a spreadsheet, with its header name): a
// ragged row, a non-numeric, NaN or infinite feature or target, an empty
// label, a missing label or target column, one class only, an empty file
// or no data rows.
func ReadTable(r io.Reader, name string, o TableOptions) (*Dataset, error) {
	if err := o.Check(); err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", displayName(name), err)
	}
	src, err := maybeGunzip(r)
	if err != nil {
		return nil, &FormatError{File: displayName(name), Offset: 0, Dim: -1,
			Msg: "starts with the gzip magic but is not a valid gzip stream", Err: err}
	}
	cr := csv.NewReader(src)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false
	type row struct {
		line   int
		fields []string
	}
	var rows []row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, csvError(name, pe.Line, 0, nil, "%v: expected comma-separated fields (quote a field with double quotes, doubling any inside)", pe.Err)
			}
			return nil, csvError(name, len(rows)+1, 0, err, "read error (corrupt or truncated gzip stream?)")
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		rows = append(rows, row{line, rec})
	}
	if len(rows) == 0 {
		return nil, csvError(name, 0, 0, nil, "empty file: expected a table of comma-separated numbers, one sample per line, with a header line or none")
	}
	width := len(rows[0].fields)
	for _, r := range rows[1:] {
		if len(r.fields) != width {
			return nil, csvError(name, r.line, 0, nil, "found %d fields, expected %d as on line %d", len(r.fields), width, rows[0].line)
		}
	}
	var header []string
	if len(rows) > 1 && isHeader(rows[0].fields, rows[1].fields) || len(rows) == 1 && !isNumericLine(rows[0].fields) {
		header = rows[0].fields
		rows = rows[1:]
	}
	colName := func(j int) string {
		if header != nil && header[j] != "" {
			return fmt.Sprintf(" (%s)", quote(header[j]))
		}
		return ""
	}
	if len(rows) == 0 {
		return nil, csvError(name, 0, 0, nil, "no data rows: expected at least one line of numbers after the header")
	}
	headerLine := 0
	if header != nil {
		headerLine = 1
	}
	find := func(spec, role string) (int, error) {
		if header != nil {
			j, k := slices.Index(header, spec), -1
			if j >= 0 {
				if k = slices.Index(header[j+1:], spec); k >= 0 {
					return 0, csvError(name, headerLine, j+k+2, nil, "%s column %s is named twice (columns %d and %d): name it by index", role, quote(spec), j+1, j+k+2)
				}
				return j, nil
			}
		}
		i, err := strconv.Atoi(spec)
		if err != nil {
			if header == nil {
				return 0, csvError(name, 0, 0, nil, "no %s column named %s: the file has no header line, so name columns by index, 0 to %d (-1: the last)", role, quote(spec), width-1)
			}
			return 0, csvError(name, headerLine, 0, nil, "no %s column named %s: the columns are %s", role, quote(spec), listNames(header))
		}
		if i < -width || i >= width {
			return 0, csvError(name, 0, 0, nil, "%s column index %d is out of range: the table has %d columns, 0 to %d (-1: the last)", role, i, width, width-1)
		}
		if i < 0 {
			i += width
		}
		return i, nil
	}
	role := make([]int, width) // 0 feature, 1 label, 2 target
	var targetCols []int
	labelCol := -1
	if len(o.Targets) > 0 {
		for _, t := range o.Targets {
			j, err := find(t, "target")
			if err != nil {
				return nil, err
			}
			if role[j] != 0 {
				return nil, csvError(name, headerLine, j+1, nil, "target column %s is given twice", quote(t))
			}
			role[j] = 2
			targetCols = append(targetCols, j)
		}
	} else {
		j, err := find(cmpOr(o.Label, "-1"), "label")
		if err != nil {
			return nil, err
		}
		role[j] = 1
		labelCol = j
	}
	var featCols []int
	for j, r := range role {
		if r == 0 {
			featCols = append(featCols, j)
		}
	}
	if len(featCols) == 0 {
		return nil, csvError(name, 0, 0, nil, "no feature columns: all %d columns are the label or targets", width)
	}
	n, dim := len(rows), len(featCols)
	d := &Dataset{Name: name, N: n, D: dim, X: make([]float64, 0, n*dim)}
	number := func(r row, j int, what string) (float64, error) {
		s := r.fields[j]
		v, err := strconv.ParseFloat(s, 64)
		switch {
		case s == "":
			return 0, csvError(name, r.line, j+1, nil, "empty %s field%s: expected a finite number", what, colName(j))
		case err != nil && errors.Is(err, strconv.ErrRange):
			return 0, csvError(name, r.line, j+1, nil, "%s %s%s is out of float64 range: expected a finite number", what, quote(s), colName(j))
		case err != nil:
			return 0, csvError(name, r.line, j+1, nil, "%s %s%s is not a number: expected a finite number", what, quote(s), colName(j))
		case math.IsNaN(v) || math.IsInf(v, 0):
			return 0, csvError(name, r.line, j+1, nil, "%s %s%s is NaN or infinite: expected a finite number", what, quote(s), colName(j))
		}
		return v, nil
	}
	for _, r := range rows {
		for _, j := range featCols {
			v, err := number(r, j, "feature")
			if err != nil {
				return nil, err
			}
			d.X = append(d.X, v)
		}
		for _, j := range targetCols {
			v, err := number(r, j, "target")
			if err != nil {
				return nil, err
			}
			d.Targets = append(d.Targets, v)
		}
	}
	if len(targetCols) > 0 {
		d.Classes = len(targetCols)
		return validated(d)
	}

	// Classification: integer labels or names.
	integers, classes := true, 0
	distinct := map[string]bool{}
	for _, r := range rows {
		s := r.fields[labelCol]
		if s == "" {
			return nil, csvError(name, r.line, labelCol+1, nil, "empty label%s: expected a class (an integer from 0, or a name)", colName(labelCol))
		}
		distinct[s] = true
		if v, err := strconv.Atoi(s); err == nil && v >= 0 && v < maxInferredClasses {
			classes = max(classes, v+1)
		} else {
			integers = false
		}
		if len(distinct) > maxInferredClasses {
			return nil, csvError(name, r.line, labelCol+1, nil, "label column%s has more than %d distinct values: is it a regression target (give it as a target)?", colName(labelCol), maxInferredClasses)
		}
	}
	if len(distinct) < 2 {
		return nil, csvError(name, rows[0].line, labelCol+1, nil, "every label%s is %s: a classification set needs at least two classes", colName(labelCol), quote(rows[0].fields[labelCol]))
	}
	d.Y = make([]int, n)
	if integers {
		// "1" and "01" are one class.
		d.Classes = classes
		two := false
		for i, r := range rows {
			d.Y[i], _ = strconv.Atoi(r.fields[labelCol])
			two = two || d.Y[i] != d.Y[0]
		}
		if two {
			return validated(d)
		}
		return nil, csvError(name, rows[0].line, labelCol+1, nil, "every label%s is %d: a classification set needs at least two classes", colName(labelCol), d.Y[0])
	}
	names := make([]string, 0, len(distinct))
	for s := range distinct {
		names = append(names, s)
	}
	slices.Sort(names)
	index := make(map[string]int, len(names))
	for i, s := range names {
		index[s] = i
	}
	for i, r := range rows {
		d.Y[i] = index[r.fields[labelCol]]
	}
	d.Classes, d.ClassNames = len(names), names
	return validated(d)
}

// validated returns d, or nil and Validate's error.
func validated(d *Dataset) (*Dataset, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// isHeader tells whether first is a header line above second: some field
// of first is not a number where second's is.
func isHeader(first, second []string) bool {
	for j, f := range first {
		if _, err := strconv.ParseFloat(f, 64); err != nil && j < len(second) {
			if _, err := strconv.ParseFloat(second[j], 64); err == nil {
				return true
			}
		}
	}
	return false
}

// listNames quotes the header's names for a message, shortened when long.
func listNames(header []string) string {
	const most = 12
	q := make([]string, 0, min(len(header), most))
	for _, h := range header[:min(len(header), most)] {
		q = append(q, quote(h))
	}
	s := strings.Join(q, ", ")
	if len(header) > most {
		s += fmt.Sprintf(", ... (%d in all)", len(header))
	}
	return s
}

// loadCSVName reads a data set named "csv:PATH[?label=...|target=...]".
func loadCSVName(name string) (*Dataset, error) {
	path, o, err := ParseCSVName(name)
	if err != nil {
		return nil, err
	}
	return LoadTable(path, o)
}
