package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/layerkind"
)

// encodeForFuzz returns a valid model file of the given spec, with
// parameters 0.5, -0.25, ... and a data record.
func encodeForFuzz(t testing.TB, spec NetworkSpec) []byte {
	params := make([]float64, spec.NumParams())
	for i := range params {
		params[i] = math.Ldexp(float64(i%7)-3, -i%5)
	}
	h := CheckpointHeader{Init: "glorot", Seed: 3, Data: &CheckpointData{Name: "iris", Seed: 3, Train: 120, Test: 30},
		Training: &CheckpointTraining{Optimizer: "adam", Steps: 10, Stop: "steps"}}
	raw, err := EncodeCheckpoint(spec, h, params)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// withHeaderJSON replaces a model file's JSON header by js (fixing the
// length and the checksum), so that the fuzzer starts from files that pass
// the structural checks and reach the header's.
func withHeaderJSON(raw []byte, js string) []byte {
	hlen := binary.LittleEndian.Uint32(raw[12:])
	out := append(append(bytes.Clone(raw[:checkpointPrefix]), js...), raw[checkpointPrefix+int(hlen):]...)
	binary.LittleEndian.PutUint32(out[12:], uint32(len(js)))
	sum := sha256.Sum256(out[checkpointPrefix:])
	copy(out[16:48], sum[:])
	return out
}

// FuzzDecodeCheckpoint: whatever the bytes, DecodeCheckpoint returns
// either an error that wraps ErrCheckpoint and names the file, or a header
// whose network has exactly the parameters returned, all finite, which
// encode and decode back to themselves.
func FuzzDecodeCheckpoint(f *testing.F) {
	tanh, err := activation.Lookup("tanh")
	if err != nil {
		f.Fatal(err)
	}
	dense := encodeForFuzz(f, NetworkSpec{Widths: []int{4, 3, 2}, Act: tanh, Loss: CrossEntropy})
	mixed := encodeForFuzz(f, NetworkSpec{Widths: []int{4, 4, 2}, Act: tanh, Loss: SquaredError, Kinds: []layerkind.Kind{layerkind.Attention, layerkind.Product}, TokenDim: 2, Residual: true})
	version2 := bytes.Clone(dense)
	binary.LittleEndian.PutUint32(version2[8:], 2)
	nan := bytes.Clone(dense) // a NaN parameter behind a correct checksum
	binary.LittleEndian.PutUint64(nan[len(nan)-8:], math.Float64bits(math.NaN()))
	sum := sha256.Sum256(nan[checkpointPrefix:])
	copy(nan[16:48], sum[:])
	for _, s := range [][]byte{
		dense, mixed, version2, nan,
		nil, dense[:5], dense[:8], dense[:47], dense[:60], dense[:len(dense)-1],
		append(bytes.Clone(dense), 0),
		[]byte("NGMLP\r\n\x1a garbage"),
		withHeaderJSON(dense, `{"format":"netgeom-mlp","widths":[4,3,2],"activation":"tanh","loss":"cross-entropy","params":23}`),
		withHeaderJSON(dense, `{"format":"netgeom-mlp","widths":[4294967295,4294967296],"activation":"tanh","loss":"cross-entropy","params":0}`),
		withHeaderJSON(dense, `{"format":"netgeom-mlp","widths":[4,4],"kinds":"attention","token_dim":4294967296,"activation":"tanh","loss":"cross-entropy","params":0}`),
		withHeaderJSON(dense, `{"format":"netgeom-mlp","widths":[4,-3,2],"activation":"tanh","loss":"cross-entropy","params":23}`),
		withHeaderJSON(dense, `[]`),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		const name = "fuzz.ngm"
		h, params, err := DecodeCheckpoint(raw, name)
		if err != nil {
			if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), name) {
				t.Fatalf("error %q does not wrap ErrCheckpoint naming %s", err, name)
			}
			if params != nil || !reflect.DeepEqual(h, CheckpointHeader{}) {
				t.Fatalf("error %v with a header or parameters", err)
			}
			return
		}
		spec, err := h.Spec()
		if err != nil {
			t.Fatalf("decoded a header whose spec is invalid: %v", err)
		}
		if len(params) != h.Params || h.Params != spec.NumParams() || len(raw) != checkpointPrefix+int(binary.LittleEndian.Uint32(raw[12:]))+8*len(params) {
			t.Fatalf("decoded %d parameters; header %d, spec %s %d, file %d bytes", len(params), h.Params, spec.Describe(), spec.NumParams(), len(raw))
		}
		for i, p := range params {
			if math.IsNaN(p) || math.IsInf(p, 0) {
				t.Fatalf("decoded parameter %d = %v", i, p)
			}
		}
		again, err := EncodeCheckpoint(spec, h, params)
		if err != nil {
			t.Fatalf("a decoded model does not encode: %v", err)
		}
		h2, p2, err := DecodeCheckpoint(again, name)
		if err != nil || !reflect.DeepEqual(h2, h) || !reflect.DeepEqual(p2, params) {
			t.Fatalf("re-encoded model decodes differently: %v", err)
		}
	})
}

// withoutParams cuts a model file's parameters off (fixing the checksum).
func withoutParams(raw []byte) []byte {
	hlen := binary.LittleEndian.Uint32(raw[12:])
	out := bytes.Clone(raw[:checkpointPrefix+int(hlen)])
	sum := sha256.Sum256(out[checkpointPrefix:])
	copy(out[16:48], sum[:])
	return out
}

// TestCheckpointHugeNetwork: a header whose network's parameter count
// overflows int to the count the file holds (here 0: (2^32-1+1) 2^32 =
// 2^64) is refused; it used to decode, and loading it asked for exabytes.
func TestCheckpointHugeNetwork(t *testing.T) {
	tanh, _ := activation.Lookup("tanh")
	dense := encodeForFuzz(t, NetworkSpec{Widths: []int{4, 3, 2}, Act: tanh, Loss: CrossEntropy})
	for _, c := range []struct{ js, want string }{
		{`{"format":"netgeom-mlp","widths":[4294967295,4294967296],"activation":"tanh","loss":"cross-entropy","params":0}`, "width or token dimension 4294967295 exceeds"},
		{`{"format":"netgeom-mlp","widths":[1073741824,1073741824,1073741824],"activation":"tanh","loss":"cross-entropy","params":0}`, "network has more than 2^61 parameters"},
	} {
		_, _, err := DecodeCheckpoint(withoutParams(withHeaderJSON(dense, c.js)), "huge.ngm")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error containing %q", c.js, err, c.want)
		}
	}
}
