package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	// maxLineBytes bounds one CSV line, so that a file without newlines (or a
	// gzip bomb) is refused instead of being read into one giant line.
	maxLineBytes = 16 << 20
	// maxInferredClasses bounds the number of classes inferred from the
	// largest label when no header gives it, so that one huge label cannot
	// make OneHot allocate N x 10^12 values.
	maxInferredClasses = 1 << 16
	// maxQuoted is how much of a bad field an error message quotes.
	maxQuoted = 40
)

var errLineTooLong = errors.New("line too long")

// maybeGunzip returns a reader of r's content, transparently decompressed if
// it starts with the gzip magic bytes 0x1f 0x8b.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		return zr, nil
	}
	return br, nil
}

// readLine returns the next line of br without its "\n" or "\r\n", or io.EOF
// when there is none. The returned slice is valid until the next read.
func readLine(br *bufio.Reader) ([]byte, error) {
	var acc []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(acc)+len(frag) > maxLineBytes+2 {
			return nil, errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			acc = append(acc, frag...)
			continue
		}
		if acc != nil {
			acc = append(acc, frag...)
		} else {
			acc = frag
		}
		if err == io.EOF {
			if len(acc) == 0 {
				return nil, io.EOF
			}
			err = nil
		}
		if err != nil {
			return nil, err
		}
		acc = bytes.TrimSuffix(acc, []byte("\n"))
		acc = bytes.TrimSuffix(acc, []byte("\r"))
		if len(acc) > maxLineBytes {
			return nil, errLineTooLong
		}
		return acc, nil
	}
}

// quote renders a field for an error message, shortened if long.
func quote(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "..."
	}
	return strconv.Quote(s)
}

type csvMode int

const (
	csvHeader   csvMode = iota // sklearn header line first
	csvNoHeader                // data rows only
	csvAuto                    // header iff the first line has a non-numeric field
)

type csvOptions struct {
	mode      csvMode
	nFeatures int // csvNoHeader/csvAuto: features per row, 0 = from the first row
	nClasses  int // csvNoHeader/csvAuto: classes, 0 = largest label + 1
}

// ReadCSV reads a data set in scikit-learn's CSV format: a header line
// "n_samples,n_features,class_name_0,class_name_1,..." and then n_samples
// lines of n_features comma-separated numbers followed by an integer class
// label in [0, number of class names). Gzip-compressed input is detected by
// its magic bytes. Spaces around fields, "\r\n" line ends and blank lines at
// the very end are accepted; quoting is not supported.
//
// name is used for the Dataset's Name and in error messages, which are
// *FormatError values giving the line and column (the 1-based field number)
// of the first problem: a malformed header, a row with the wrong number of
// fields, a non-numeric, NaN or infinite feature, a non-integer or
// out-of-range label, a blank line inside the data, more or fewer rows than
// the header declares, an empty file, or a line longer than 16 MiB.
func ReadCSV(r io.Reader, name string) (*Dataset, error) {
	return readCSV(r, name, csvOptions{mode: csvHeader})
}

// ReadCSVNoHeader reads the headerless form of ReadCSV's format (used by
// scikit-learn's digits.csv.gz): every line is nFeatures numbers followed by
// an integer label in [0, nClasses). nFeatures == 0 takes the number of
// features from the first row; nClasses == 0 takes the number of classes as
// the largest label plus one (at most 65536). Negative counts are an error.
// Errors are as for ReadCSV.
func ReadCSVNoHeader(r io.Reader, name string, nFeatures, nClasses int) (*Dataset, error) {
	if nFeatures < 0 || nClasses < 0 {
		return nil, fmt.Errorf("datasets: %s: ReadCSVNoHeader: nFeatures = %d, nClasses = %d; want >= 0 (0 = infer)",
			displayName(name), nFeatures, nClasses)
	}
	return readCSV(r, name, csvOptions{mode: csvNoHeader, nFeatures: nFeatures, nClasses: nClasses})
}

// LoadCSV reads a CSV data set from a file, gzip-compressed or plain
// (detected by the magic bytes). The first line is taken as a scikit-learn
// header (see ReadCSV) if any of its fields is not a number; otherwise the
// file is read as headerless (see ReadCSVNoHeader) with the number of
// features from the first row and the number of classes from the largest
// label. The Dataset's Name is the file's base name without .gz and .csv.
func LoadCSV(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	d, err := readCSV(f, path, csvOptions{mode: csvAuto})
	if err != nil {
		return nil, err
	}
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, ".gz")
	base = strings.TrimSuffix(base, ".csv")
	d.Name = base
	return d, nil
}

// isNumericLine reports whether every field parses as a number.
func isNumericLine(fields []string) bool {
	for _, f := range fields {
		if _, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err != nil {
			return false
		}
	}
	return true
}

func readCSV(r io.Reader, name string, o csvOptions) (*Dataset, error) {
	src, err := maybeGunzip(r)
	if err != nil {
		return nil, &FormatError{File: displayName(name), Offset: 0, Dim: -1,
			Msg: "starts with the gzip magic but is not a valid gzip stream", Err: err}
	}
	br := bufio.NewReaderSize(src, 64<<10)

	var (
		lineNo     int
		blankLine  int  // first blank line not yet followed by data, 0 if none
		haveHeader bool // a header line has been parsed
		headerDone = o.mode == csvNoHeader
		nSamples   int // declared by the header
		classNames []string
		d          = o.nFeatures // features per row, 0 while unknown
		classes    = o.nClasses  // 0 while inferred
		maxLabel   = -1
		rows       int
		x          []float64
		y          []int
	)
	for {
		line, err := readLine(br)
		if err == io.EOF {
			break
		}
		if err != nil {
			if err == errLineTooLong {
				return nil, csvError(name, lineNo+1, 0, nil,
					"line longer than %d bytes: expected comma-separated numbers (is this a CSV file?)", maxLineBytes)
			}
			return nil, csvError(name, lineNo+1, 0, err, "read error (corrupt or truncated gzip stream?)")
		}
		lineNo++
		if len(bytes.TrimSpace(line)) == 0 {
			if blankLine == 0 {
				blankLine = lineNo
			}
			continue
		}
		if blankLine != 0 {
			return nil, csvError(name, blankLine, 0, nil,
				"blank line: expected a data row (blank lines are allowed only at the end of the file)")
		}
		fields := strings.Split(string(line), ",")

		if !headerDone {
			headerDone = true
			if o.mode == csvAuto && isNumericLine(fields) {
				o.mode = csvNoHeader
			} else {
				haveHeader = true
				var herr error
				nSamples, d, classNames, herr = parseHeader(name, lineNo, fields)
				if herr != nil {
					return nil, herr
				}
				classes = len(classNames)
				continue
			}
		}

		// A data row.
		if d == 0 {
			if len(fields) < 2 {
				return nil, csvError(name, lineNo, 0, nil,
					"found %d field, expected at least 2 (features, then the label)", len(fields))
			}
			d = len(fields) - 1
		}
		if len(fields) != d+1 {
			return nil, csvError(name, lineNo, 0, nil,
				"found %d fields, expected %d (%d features, then the label)", len(fields), d+1, d)
		}
		if haveHeader && rows == nSamples {
			return nil, csvError(name, lineNo, 0, nil,
				"more data rows than the %d declared in the header (line 1): expected end of file", nSamples)
		}
		for j := 0; j < d; j++ {
			v, ferr := parseFeature(name, lineNo, j+1, fields[j])
			if ferr != nil {
				return nil, ferr
			}
			x = append(x, v)
		}
		lab, lerr := parseLabel(name, lineNo, d+1, fields[d], classes)
		if lerr != nil {
			return nil, lerr
		}
		maxLabel = max(maxLabel, lab)
		y = append(y, lab)
		rows++
	}

	if !headerDone || (o.mode == csvNoHeader && rows == 0) {
		if o.mode == csvHeader {
			return nil, csvError(name, 0, 0, nil,
				"empty file: expected a header line n_samples,n_features,class_name_0,... and data rows")
		}
		return nil, csvError(name, 0, 0, nil,
			"empty file: expected data rows of comma-separated features followed by an integer label")
	}
	if haveHeader && rows != nSamples {
		return nil, csvError(name, 1, 1, nil,
			"header declares %d samples but the file has %d data rows", nSamples, rows)
	}
	if rows == 0 {
		return nil, csvError(name, 0, 0, nil, "no data rows: expected at least one row of features and a label")
	}
	if classes == 0 {
		classes = maxLabel + 1
	}
	return &Dataset{
		Name:       name,
		X:          x,
		Y:          y,
		N:          rows,
		D:          d,
		Classes:    classes,
		ClassNames: classNames,
	}, nil
}

// parseHeader parses "n_samples,n_features,class_name_0,...".
func parseHeader(name string, line int, fields []string) (nSamples, nFeatures int, classNames []string, err error) {
	if len(fields) < 3 {
		return 0, 0, nil, csvError(name, line, 0, nil,
			"header has %d fields, expected at least 3: n_samples,n_features,class_name_0,...", len(fields))
	}
	nSamples, err = parseCount(name, line, 1, fields[0], "n_samples")
	if err != nil {
		return 0, 0, nil, err
	}
	nFeatures, err = parseCount(name, line, 2, fields[1], "n_features")
	if err != nil {
		return 0, 0, nil, err
	}
	seen := make(map[string]int, len(fields)-2)
	for j, f := range fields[2:] {
		cn := strings.TrimSpace(f)
		col := j + 3
		if cn == "" {
			return 0, 0, nil, csvError(name, line, col, nil, "empty class name: expected a non-empty name for class %d", j)
		}
		if prev, dup := seen[cn]; dup {
			return 0, 0, nil, csvError(name, line, col, nil,
				"class name %s repeats column %d: expected distinct class names", quote(cn), prev)
		}
		seen[cn] = col
		classNames = append(classNames, cn)
	}
	return nSamples, nFeatures, classNames, nil
}

func parseCount(name string, line, col int, field, what string) (int, error) {
	s := strings.TrimSpace(field)
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		return 0, csvError(name, line, col, nil, "invalid %s %s: expected a positive integer", what, quote(s))
	}
	return v, nil
}

func parseFeature(name string, line, col int, field string) (float64, error) {
	s := strings.TrimSpace(field)
	if s == "" {
		return 0, csvError(name, line, col, nil, "empty field: expected a feature value (a finite number)")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, csvError(name, line, col, nil, "feature %s is out of float64 range: expected a finite number", quote(s))
		}
		return 0, csvError(name, line, col, nil, "invalid feature %s: expected a finite number", quote(s))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, csvError(name, line, col, nil, "feature %s is NaN or infinite: expected a finite number", quote(s))
	}
	return v, nil
}

// parseLabel parses a class label; classes == 0 means the number of classes
// is being inferred.
func parseLabel(name string, line, col int, field string, classes int) (int, error) {
	s := strings.TrimSpace(field)
	want := fmt.Sprintf("an integer class label in [0, %d)", classes)
	if classes == 0 {
		want = fmt.Sprintf("a non-negative integer class label (below %d)", maxInferredClasses)
	}
	if s == "" {
		return 0, csvError(name, line, col, nil, "empty label field: expected %s", want)
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, csvError(name, line, col, nil, "label %s out of range: expected %s", quote(s), want)
		}
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && !math.IsNaN(f) {
			return 0, csvError(name, line, col, nil, "label %s is not an integer: expected %s", quote(s), want)
		}
		return 0, csvError(name, line, col, nil, "invalid label %s: expected %s", quote(s), want)
	}
	if v < 0 || (classes > 0 && v >= classes) || (classes == 0 && v >= maxInferredClasses) {
		return 0, csvError(name, line, col, nil, "label %d out of range: expected %s", v, want)
	}
	return v, nil
}
