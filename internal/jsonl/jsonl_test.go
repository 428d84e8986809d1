package jsonl

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParse: every complete line reaches the callback with its number; a
// last line without its newline, or one the callback rejects, is dropped
// and counted in Dropped, with Good the length of the lines before it; a
// rejected line before the last is an error naming it and the noun; an
// error marked Fatal is returned as it is, even on the last line.
func TestParse(t *testing.T) {
	accept := func(got *[]string) func(int, []byte) error {
		return func(n int, b []byte) error {
			if strings.HasPrefix(string(b), "bad") {
				return errors.New("not JSON")
			}
			if strings.HasPrefix(string(b), "fatal") {
				return Fatal(errors.New("fatal line"))
			}
			*got = append(*got, string(b))
			return nil
		}
	}
	for _, c := range []struct {
		raw           string
		lines         int
		good, dropped int
		err           string
	}{
		{"", 0, 0, 0, ""},
		{"a\nb\n", 2, 4, 0, ""},
		{"a\nb\nhalf", 2, 4, 4, ""},  // no newline: half-written
		{"a\nb\nbad\n", 2, 4, 4, ""}, // rejected last line: half-written
		{"a\nbad\nb\n", 1, 0, 0, "f: line 2 is malformed (not JSON); only the last line of a thing can be half-written"},
		{"a\nfatal\n", 1, 0, 0, "fatal line"}, // Fatal, even on the last line
		{"half", 0, 0, 4, ""},
	} {
		var got []string
		s, err := Parse([]byte(c.raw), "f", "thing", accept(&got))
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: error %v, want %q", c.raw, err, c.err)
			}
			continue
		}
		if err != nil || len(got) != c.lines || s.Good != int64(c.good) || s.Dropped != c.dropped {
			t.Errorf("%q: %d lines, %+v, %v; want %d lines, good %d, dropped %d", c.raw, len(got), s, err, c.lines, c.good, c.dropped)
		}
	}
}

// TestAppend: OpenAppend keeps the good prefix and cuts the half line after
// it; with a header it empties the file first; Append adds whole lines;
// Rewrite replaces the file with the lines given.
func TestAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.jsonl")
	os.WriteFile(path, []byte("{\"h\":1}\n{\"a\":1}\n{\"a\":"), 0o644)
	a, err := OpenAppend(path, 16, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Append([]byte(`{"a":2}`)); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if got, _ := os.ReadFile(path); string(got) != "{\"h\":1}\n{\"a\":1}\n{\"a\":2}\n" {
		t.Fatalf("resumed file %q", got)
	}
	a, err = OpenAppend(path, 16, []byte(`{"h":2}`))
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if got, _ := os.ReadFile(path); string(got) != "{\"h\":2}\n" {
		t.Fatalf("file with a new header %q", got)
	}
	if err := Rewrite(path, [][]byte{[]byte("x"), []byte("y")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "x\ny\n" {
		t.Fatalf("rewritten file %q", got)
	}
	if _, ok, err := ReadExisting(path + ".none"); ok || err != nil {
		t.Errorf("missing file: exists %v, %v", ok, err)
	}
}

// TestStrictAndDiff: Strict refuses unknown fields and trailing data; Diff
// names each differing field by its JSON name with both values.
func TestStrictAndDiff(t *testing.T) {
	type cfg struct {
		A int    `json:"a"`
		B string `json:"b,omitempty"`
	}
	var c cfg
	if err := Strict([]byte(`{"a":1}`), &c); err != nil || c.A != 1 {
		t.Fatal(c, err)
	}
	for _, bad := range []string{`{"a":1,"z":2}`, `{"a":1} {}`, `{"a":`} {
		if err := Strict([]byte(bad), &c); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	d := Diff(cfg{1, "x"}, cfg{1, "y"})
	if len(d) != 1 || d[0] != "b x (file) against y" {
		t.Errorf("Diff = %q", d)
	}
}
