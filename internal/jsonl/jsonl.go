// Package jsonl holds what netgeom's resumable runs (the census, sweeps)
// share about their files: JSON lines, the first a header with the run's
// settings, every further one a finished item, appended in one write and
// fsynced as soon as the item ends, so that a killed run loses at most the
// items in progress. On resume the file is parsed (Parse): a half-written
// last line is dropped and its item redone, any other malformed line is an
// error; the header is compared with the run's settings (Diff) and a
// mismatch refused; the file is cut to its good prefix and appended to
// (OpenAppend). A finished file may be rewritten whole in a canonical order
// (Rewrite, through outfile's atomic write). The caller holds the file's
// lock (outfile.Acquire) around all of it.
package jsonl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/netgeom/netgeom/internal/outfile"
)

// Scan is what Parse found in a file.
type Scan struct {
	Good    int64 // bytes of complete, accepted lines (the prefix kept on resume)
	Dropped int   // bytes of the half-written last line dropped (0: none)
}

// fatalError marks an error of a line callback that is not a half-written
// line: Parse returns it as it is, even on the last line.
type fatalError struct{ err error }

func (e fatalError) Error() string { return e.err.Error() }
func (e fatalError) Unwrap() error { return e.err }

// Fatal marks err, returned by Parse's line callback, as an error about a
// complete line (another file's header, a duplicate item), which Parse
// returns at once instead of taking the line for a half-written one.
func Fatal(err error) error { return fatalError{err} }

// Parse reads the bytes of a JSON-lines file named name (in messages; noun
// says what it is: "census") and passes each complete line, without its
// newline, to line with its 1-based number. A last line without its
// newline, or a last line that line rejects with an error not marked
// Fatal, is a half-written line: it is dropped and reported in Dropped. A
// rejected line before the last is an error naming its number. Good is the
// length of the prefix of accepted lines.
func Parse(raw []byte, name, noun string, line func(n int, b []byte) error) (Scan, error) {
	var s Scan
	for off, n := 0, 1; off < len(raw); n++ {
		nl := bytes.IndexByte(raw[off:], '\n')
		last := nl < 0 || off+nl+1 == len(raw)
		var err error
		if nl < 0 {
			err = errors.New("no newline at its end")
		} else if err = line(n, raw[off:off+nl]); err != nil {
			var fe fatalError
			if errors.As(err, &fe) {
				return s, fe.err
			}
		}
		if err != nil {
			if !last {
				return s, fmt.Errorf("%s: line %d is malformed (%v); only the last line of a %s can be half-written", name, n, err, noun)
			}
			s.Dropped = len(raw) - off
			break
		}
		off += nl + 1
		s.Good = int64(off)
	}
	return s, nil
}

// Strict decodes one JSON value from line into v, rejecting unknown fields
// and trailing data.
func Strict(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// Diff lists the fields in which the settings in a file's header differ
// from the settings of this run, both structs of one type, each as
// "NAME FILE (file) against RUN" with the field's JSON name.
func Diff(file, run any) []string {
	var out []string
	vf, vr := reflect.ValueOf(file), reflect.ValueOf(run)
	t := vf.Type()
	for i := 0; i < t.NumField(); i++ {
		if !reflect.DeepEqual(vf.Field(i).Interface(), vr.Field(i).Interface()) {
			name := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
			a, b := vf.Field(i).Interface(), vr.Field(i).Interface()
			if vf.Field(i).Kind() == reflect.Slice && vf.Field(i).Type().Elem().Kind() == reflect.Uint8 {
				a, b = string(vf.Field(i).Bytes()), string(vr.Field(i).Bytes()) // JSON held as bytes
			}
			out = append(out, fmt.Sprintf("%s %v (file) against %v", name, a, b))
		}
	}
	return out
}

// ReadExisting reads path, reporting whether it exists (a missing file is
// not an error).
func ReadExisting(path string) (raw []byte, exists bool, err error) {
	raw, err = os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return raw, true, nil
}

// Appender appends lines to a file, each in one write followed by an
// fsync.
type Appender struct{ f *os.File }

// OpenAppend opens path for appending, creating it (mode 0644 less the
// umask) when missing. With header nil the file keeps its first good bytes
// (Parse's Good) and the rest, a half-written line, is cut off; with a
// header the file is emptied and header written as its first line.
func OpenAppend(path string, good int64, header []byte) (*Appender, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	a := &Appender{f}
	if header != nil {
		good = 0
	}
	if err = f.Truncate(good); err == nil {
		_, err = f.Seek(good, io.SeekStart)
	}
	if err == nil && header != nil {
		err = a.Append(header)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Append writes line and a newline in one write and fsyncs the file.
func (a *Appender) Append(line []byte) error {
	buf := make([]byte, 0, len(line)+1)
	buf = append(append(buf, line...), '\n')
	if _, err := a.f.Write(buf); err != nil {
		return err
	}
	return a.f.Sync()
}

// Close closes the file.
func (a *Appender) Close() error { return a.f.Close() }

// Rewrite writes lines, each followed by a newline, as the whole of path,
// through a temporary file in its folder that is synced and renamed into
// place (outfile.Write): a reader sees the old file or the new one.
func Rewrite(path string, lines [][]byte) error {
	return outfile.Write(path, func(w io.Writer) error {
		for _, l := range lines {
			if _, err := w.Write(l); err != nil {
				return err
			}
			if _, err := w.Write([]byte{'\n'}); err != nil {
				return err
			}
		}
		return nil
	})
}
