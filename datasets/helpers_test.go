package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// gz returns the gzip compression of b.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// idxBytes builds an IDX file of unsigned bytes with the given sizes and body.
func idxBytes(dims []uint32, body []byte) []byte {
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, body...)
}

// seq returns n bytes 0, 1, 2, ... (mod 256).
func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// wantFormatErr checks that err is a *FormatError naming file, at exactly the
// given CSV line and column (0 meaning none), whose text contains every one
// of subs.
func wantFormatErr(t *testing.T, err error, file string, line, col int, subs ...string) *FormatError {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want a FormatError containing %q", subs)
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %q (%T) is not a *FormatError", err, err)
	}
	msg := err.Error()
	if fe.File != file || !strings.Contains(msg, file) {
		t.Errorf("error %q: File = %q, want %q named in the text", msg, fe.File, file)
	}
	if fe.Line != line || fe.Column != col {
		t.Errorf("error %q: at line %d column %d, want line %d column %d", msg, fe.Line, fe.Column, line, col)
	}
	for _, s := range subs {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q does not mention %q", msg, s)
		}
	}
	return fe
}
