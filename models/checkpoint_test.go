package models

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
)

func testCheckpoint(t *testing.T) (*Network, CheckpointHeader, []byte) {
	t.Helper()
	b := enginetest.Open(t)
	n := smallNet(t, b, []int{4, 5, 3}, "gelu", CrossEntropy, 5)
	h := CheckpointHeader{Init: "glorot", SigmaW: 1.3, SigmaB: 0.3, Seed: 5,
		Data: &CheckpointData{Name: "iris", TestFraction: 0.2, Seed: 5, Train: 120, Test: 30,
			Mean: []float64{5.8433333333333337, 3.0573333333333337, 3.7580000000000005, 1.1993333333333336},
			Std:  []float64{0.8253012917851409, 0.4344109677354946, 1.759404065775303, 0.7596926279021594}},
		Training: &CheckpointTraining{Optimizer: "adam", LearningRate: 0.01, WeightDecay: 0.01, Steps: 2000, Stop: "steps", TrainLoss: 0.05, TrainAccuracy: 0.98, TestLoss: 0.07, TestAccuracy: 0.9666666666666667}}
	var buf bytes.Buffer
	if err := WriteCheckpoint(&buf, n, h); err != nil {
		t.Fatal(err)
	}
	return n, h, buf.Bytes()
}

// TestCheckpointRoundTrip: a saved model loads back with bit-identical
// parameters and an identical header, and saving the loaded model gives
// the same bytes; the file is exactly 48 + header + 8 P bytes.
func TestCheckpointRoundTrip(t *testing.T) {
	n, h, raw := testCheckpoint(t)
	path := filepath.Join(t.TempDir(), "m.ngm")
	if err := SaveCheckpoint(path, n, h); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, raw) {
		t.Fatal("SaveCheckpoint and WriteCheckpoint wrote different bytes")
	}
	loaded, lh, err := LoadNetwork(n.Backend(), path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := n.HostParams()
	got, _ := loaded.HostParams()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("parameter %d: %v loaded, %v saved", i, got[i], want[i])
		}
	}
	h.Format, h.Widths, h.Activation, h.Loss, h.Params = "netgeom-mlp", []int{4, 5, 3}, "gelu", "cross-entropy", n.NumParams()
	if !reflect.DeepEqual(lh, h) {
		t.Errorf("header loaded as\n%+v\nsaved\n%+v", lh, h)
	}
	if ls, s := loaded.Spec(), n.Spec(); ls.Act.ID != s.Act.ID || ls.Loss != s.Loss || !reflect.DeepEqual(ls.Widths, s.Widths) {
		t.Errorf("spec loaded as %v %v %v", ls.Widths, ls.Act.Name, ls.Loss)
	}
	var again bytes.Buffer
	if err := WriteCheckpoint(&again, loaded, lh); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), raw) {
		t.Error("saving the loaded model gives different bytes")
	}
	hlen := int(raw[12]) | int(raw[13])<<8
	if len(raw) != 48+hlen+8*n.NumParams() {
		t.Errorf("file has %d bytes; want 48 + %d + 8 x %d", len(raw), hlen, n.NumParams())
	}
}

// TestCheckpointDamage: every single-bit flip anywhere in the file, every
// truncation, trailing bytes, a wrong magic and a newer version are
// refused with an error wrapping ErrCheckpoint that names the problem.
func TestCheckpointDamage(t *testing.T) {
	_, _, raw := testCheckpoint(t)
	for i := 0; i < len(raw); i++ {
		for _, bit := range []byte{1, 0x80} {
			bad := append([]byte(nil), raw...)
			bad[i] ^= bit
			if _, _, err := DecodeCheckpoint(bad, "m.ngm"); !errors.Is(err, ErrCheckpoint) {
				t.Fatalf("bit %#x of byte %d flipped: err = %v, want ErrCheckpoint", bit, i, err)
			}
		}
	}
	hlen := int(raw[12]) | int(raw[13])<<8
	for cut := 0; cut < len(raw); cut++ {
		_, _, err := DecodeCheckpoint(raw[:cut], "m.ngm")
		if !errors.Is(err, ErrCheckpoint) {
			t.Fatalf("truncated to %d bytes: err = %v", cut, err)
		}
		if cut >= 48+hlen && !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("truncated to %d bytes (inside the parameters): %v; want it called truncated", cut, err)
		}
	}
	for what, c := range map[string]struct {
		raw  []byte
		want string
	}{
		"trailing bytes": {append(append([]byte(nil), raw...), 0, 0, 0), "trailing"},
		"wrong magic":    {append([]byte("PK\x03\x04xxxx"), raw[8:]...), "not a netgeom model"},
		"text file":      {[]byte("hello"), "not a netgeom model"},
		"version 2":      {func() []byte { r := append([]byte(nil), raw...); r[8] = 2; return r }(), "version 2"},
		"empty":          {nil, "truncated"},
		"checksum":       {func() []byte { r := append([]byte(nil), raw...); r[len(r)-1] ^= 4; return r }(), "checksum"},
	} {
		_, _, err := DecodeCheckpoint(c.raw, "m.ngm")
		if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "m.ngm") {
			t.Errorf("%s: err = %v; want ErrCheckpoint naming the file and %q", what, err, c.want)
		}
	}
	if _, _, err := ReadCheckpoint(filepath.Join(t.TempDir(), "missing.ngm")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

// TestCheckpointRefusesNonFinite: a diverged model (a NaN parameter) is not
// saved.
func TestCheckpointRefusesNonFinite(t *testing.T) {
	n, h, _ := testCheckpoint(t)
	p, _ := n.HostParams()
	p[3] = math.NaN()
	if _, err := EncodeCheckpoint(n.Spec(), h, p); err == nil || !strings.Contains(err.Error(), "parameter 3") {
		t.Errorf("NaN parameter: err = %v", err)
	}
}
