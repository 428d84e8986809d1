package models

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// resigned rebuilds a model file from a header (any JSON) and parameter
// bytes with a correct length field and checksum, so that decoding gets
// past the checksum to the checks behind it.
func resigned(header []byte, params []byte) []byte {
	out := make([]byte, 48, 48+len(header)+len(params))
	copy(out, CheckpointMagic)
	binary.LittleEndian.PutUint32(out[8:], CheckpointVersion)
	binary.LittleEndian.PutUint32(out[12:], uint32(len(header)))
	out = append(append(out, header...), params...)
	sum := sha256.Sum256(out[48:])
	copy(out[16:48], sum[:])
	return out
}

// withDataField returns the JSON of header h (decoded) with its data
// record's field key set to val, h itself unchanged.
func withDataField(h map[string]any, key string, val any) []byte {
	d := map[string]any{}
	for k, v := range h["data"].(map[string]any) {
		d[k] = v
	}
	d[key] = val
	h2 := map[string]any{}
	for k, v := range h {
		h2[k] = v
	}
	h2["data"] = d
	js, _ := json.Marshal(h2)
	return js
}

// TestCheckpointValidationBehindChecksum: a file whose checksum is right
// but whose content is not (written by a buggy or hostile writer) is
// refused by the checks after the checksum, each naming what is wrong.
// Every earlier corruption test stopped at the checksum.
func TestCheckpointValidationBehindChecksum(t *testing.T) {
	_, _, raw := testCheckpoint(t)
	hlen := int(binary.LittleEndian.Uint32(raw[12:]))
	header, params := raw[48:48+hlen], raw[48+hlen:]
	var fields map[string]any
	if err := json.Unmarshal(header, &fields); err != nil {
		t.Fatal(err)
	}
	with := func(key string, v any) []byte {
		f := make(map[string]any, len(fields))
		for k, x := range fields {
			f[k] = x
		}
		if v == nil {
			delete(f, key)
		} else {
			f[key] = v
		}
		js, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	param := func(i int, v float64) []byte {
		p := append([]byte(nil), params...)
		binary.LittleEndian.PutUint64(p[8*i:], math.Float64bits(v))
		return p
	}
	// The untouched pieces, re-signed, decode: the helper itself is right.
	if _, _, err := DecodeCheckpoint(resigned(header, params), "m.ngm"); err != nil {
		t.Fatalf("re-signed valid file: %v", err)
	}
	for what, c := range map[string]struct {
		raw  []byte
		want string
	}{
		"header not JSON":      {resigned([]byte("{widths: [4, 5, 3]"), params), "header:"},
		"another format":       {resigned(with("format", "netgeom-census"), params), `header format "netgeom-census"`},
		"unknown activation":   {resigned(with("activation", "tanhh"), params), "tanhh"},
		"unknown loss":         {resigned(with("loss", "hinge"), params), "hinge"},
		"unknown kind":         {resigned(with("kinds", "dense,convolution"), params), "convolution"},
		"one width":            {resigned(with("widths", []int{4}), params), "header:"},
		"zero width":           {resigned(with("widths", []int{4, 0, 3}), params), "header:"},
		"count disagrees":      {resigned(with("params", 7), params[:56]), "7 parameters, but a 4-5-3"},
		"fewer bytes":          {resigned(header, params[:len(params)-8]), "bytes of parameters; the header promises"},
		"more bytes":           {resigned(header, append(append([]byte(nil), params...), make([]byte, 8)...)), "bytes of parameters; the header promises"},
		"NaN parameter":        {resigned(header, param(4, math.NaN())), "parameter 4 is NaN"},
		"infinite parameter":   {resigned(header, param(42, math.Inf(-1))), "parameter 42 is -Inf"},
		"no activation at all": {resigned(with("activation", nil), params), "header:"},
	} {
		_, _, err := DecodeCheckpoint(c.raw, "m.ngm")
		if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "m.ngm") {
			t.Errorf("%s: err = %v; want ErrCheckpoint naming m.ngm and %q", what, err, c.want)
		}
	}
}

// TestCheckpointDataRecordValidated: the data record behind a valid
// checksum is checked on load: a zero or NaN deviation, a mean and
// deviation count that disagree, no training samples and a malformed hash
// are refused.
func TestCheckpointDataRecordValidated(t *testing.T) {
	_, _, raw := testCheckpoint(t)
	hlen := int(binary.LittleEndian.Uint32(raw[12:]))
	params := raw[48+hlen:]
	var h map[string]any
	if err := json.Unmarshal(raw[48:48+hlen], &h); err != nil {
		t.Fatal(err)
	}
	for what, c := range map[string]struct {
		key  string
		val  any
		want string
	}{
		"zero deviation":   {"std", []float64{1, 0, 1, 1}, "feature 1 standardised with mean"},
		"short deviations": {"std", []float64{1, 1}, "4 means but 2 standard deviations"},
		"no training":      {"train", 0, "0 training"},
		"bad hash":         {"sha256", "abc", "not 64 hexadecimal digits"},
		"bad fraction":     {"test_fraction", 1.5, "test fraction 1.5"},
	} {
		_, _, err := DecodeCheckpoint(resigned(withDataField(h, c.key, c.val), params), "m.ngm")
		if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v; want %q", what, err, c.want)
		}
	}
}

// TestDecodeCheckpointEdges: the decoder's size checks at their exact
// boundaries, each refusal naming what is wrong, and a data record's hash
// taken when it is 64 lowercase hexadecimal digits and refused otherwise.
func TestDecodeCheckpointEdges(t *testing.T) {
	_, _, raw := testCheckpoint(t)
	hlen := int(binary.LittleEndian.Uint32(raw[12:]))
	params := raw[48+hlen:]
	// Exactly the magic: it is there, the fixed header is not.
	if _, _, err := DecodeCheckpoint(raw[:8], "m.ngm"); err == nil || !strings.Contains(err.Error(), "shorter than the 48-byte fixed header") {
		t.Errorf("8 bytes of magic: %v", err)
	}
	// Exactly the fixed header, announcing a header of 0 bytes: past the
	// size checks, refused by the checksum.
	fixed := append([]byte(nil), raw[:48]...)
	binary.LittleEndian.PutUint32(fixed[12:], 0)
	if _, _, err := DecodeCheckpoint(fixed, "m.ngm"); err == nil || strings.Contains(err.Error(), "fixed header") {
		t.Errorf("a 48-byte file: %v; want an error past the fixed header", err)
	}
	// A header length at the limit is not "beyond the limit"; the file is
	// truncated.
	atLimit := append([]byte(nil), raw...)
	binary.LittleEndian.PutUint32(atLimit[12:], 16<<20)
	if _, _, err := DecodeCheckpoint(atLimit, "m.ngm"); err == nil || !strings.Contains(err.Error(), "truncated: the header needs 16777216 bytes") {
		t.Errorf("header length at the limit: %v", err)
	}
	binary.LittleEndian.PutUint32(atLimit[12:], 16<<20+1)
	if _, _, err := DecodeCheckpoint(atLimit, "m.ngm"); err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Errorf("header length past the limit: %v", err)
	}
	// Trailing bytes are counted.
	if _, _, err := DecodeCheckpoint(append(append([]byte(nil), raw...), 1, 2, 3, 4, 5), "m.ngm"); err == nil || !strings.Contains(err.Error(), ": 5 bytes of trailing data") {
		t.Errorf("5 trailing bytes: %v", err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw[48:48+hlen], &h); err != nil {
		t.Fatal(err)
	}
	for hash, ok := range map[string]bool{
		strings.Repeat("0123456789abcdef", 4):       true,
		strings.Repeat("0123456789abcdef", 4)[:63]:  false,
		strings.Repeat("0123456789abcdeg", 4):       false,
		strings.ToUpper(strings.Repeat("ab", 32)):   false,
		strings.Repeat("0123456789abcdef", 4) + "0": false,
	} {
		_, _, err := DecodeCheckpoint(resigned(withDataField(h, "sha256", hash), params), "m.ngm")
		if ok != (err == nil) {
			t.Errorf("hash %q: error %v; want accepted %v", hash, err, ok)
		}
	}
}
