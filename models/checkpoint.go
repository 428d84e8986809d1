package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/internal/outfile"
	"github.com/netgeom/netgeom/layerkind"
)

// Checkpoint file format (version 1), all integers little-endian:
//
//	offset  size  content
//	0       8     magic "NGMLP\r\n\x1a" (the \r\n and ^Z catch text-mode mangling)
//	8       4     format version, uint32 (1)
//	12      4     H, the length of the JSON header, uint32
//	16      32    SHA-256 of everything after this field: the JSON header and the parameters
//	48      H     JSON header (CheckpointHeader)
//	48+H    8 P   the P parameters, float64, in the MLP's flat layout
//
// Reading checks the magic, the version, the lengths against the header's
// parameter count, the checksum, the architecture and that every parameter
// is finite, and names the first thing that is wrong.

// CheckpointMagic starts every model file.
const CheckpointMagic = "NGMLP\r\n\x1a"

// CheckpointVersion is the format version this build writes and reads.
const CheckpointVersion = 1

const (
	checkpointPrefix = 48
	maxHeaderBytes   = 16 << 20
)

// ErrCheckpoint is wrapped by every error about a malformed model file.
var ErrCheckpoint = errors.New("bad model file")

// CheckpointHeader is the JSON header of a model file: the architecture, how
// the model was made, and what a later analysis needs to rebuild its
// training data exactly.
type CheckpointHeader struct {
	Format     string  `json:"format"` // "netgeom-mlp"
	Widths     []int   `json:"widths"`
	Kinds      string  `json:"kinds,omitempty"`     // "product,dense,dense"; absent: all dense
	TokenDim   int     `json:"token_dim,omitempty"` // of the attention layers
	Residual   bool    `json:"residual,omitempty"`  // attention layers add their input
	Activation string  `json:"activation"`
	Loss       string  `json:"loss"`
	Params     int     `json:"params"`
	Init       string  `json:"init,omitempty"`
	SigmaW     float64 `json:"sigma_w,omitempty"`
	SigmaB     float64 `json:"sigma_b,omitempty"`
	Seed       uint64  `json:"seed"`

	Data     *CheckpointData     `json:"data,omitempty"`
	Training *CheckpointTraining `json:"training,omitempty"`
}

// CheckpointData records the preprocessing of the training data: the data
// set, the subset and split drawn from Seed, and the standardiser fitted on
// the training part, so that the same training set can be rebuilt.
type CheckpointData struct {
	Name         string    `json:"name"`
	Subset       int       `json:"subset,omitempty"`        // samples drawn from the set before splitting (0: all)
	TestFraction float64   `json:"test_fraction,omitempty"` // for sets without a test set (0: it has its own)
	Seed         uint64    `json:"seed"`                    // of the subset and the split
	Train        int       `json:"train"`                   // training samples
	Test         int       `json:"test"`                    // test samples
	Mean         []float64 `json:"mean,omitempty"`          // per feature; empty: not standardised
	Std          []float64 `json:"std,omitempty"`
	// SHA256 is the hash of the prepared training and test sets (features
	// and labels, see train.DataHash), so that a reader can tell that it
	// rebuilt exactly the data the model saw. Absent in files written
	// before it was recorded; such files are not checked.
	SHA256 string `json:"sha256,omitempty"`
	// Classes names the classes, in class order, of a set whose labels are
	// strings (a CSV table's, see datasets.ReadTable), so that a reader
	// maps them the same way; absent otherwise.
	Classes []string `json:"classes,omitempty"`
}

// Check validates the record: counts that are not negative, a
// standardiser with one finite mean and one finite, positive deviation per
// feature, a hash that is 64 hexadecimal digits when present.
func (d CheckpointData) Check() error {
	switch {
	case d.Name == "":
		return errors.New("data: no data set name")
	case d.Train < 1 || d.Test < 0 || d.Subset < 0:
		return fmt.Errorf("data %s: %d training, %d test samples, subset %d; want at least one training sample and no negative counts", d.Name, d.Train, d.Test, d.Subset)
	case !(d.TestFraction >= 0 && d.TestFraction < 1):
		return fmt.Errorf("data %s: test fraction %v; want [0, 1)", d.Name, d.TestFraction)
	case len(d.Mean) != len(d.Std):
		return fmt.Errorf("data %s: %d means but %d standard deviations", d.Name, len(d.Mean), len(d.Std))
	}
	for i := range d.Mean {
		if math.IsNaN(d.Mean[i]) || math.IsInf(d.Mean[i], 0) || !(d.Std[i] > 0) || math.IsInf(d.Std[i], 0) {
			return fmt.Errorf("data %s: feature %d standardised with mean %v and deviation %v; want a finite mean and a finite deviation > 0", d.Name, i, d.Mean[i], d.Std[i])
		}
	}
	if d.SHA256 != "" {
		if len(d.SHA256) != 64 || strings.Trim(d.SHA256, "0123456789abcdef") != "" {
			return fmt.Errorf("data %s: sha256 %q is not 64 hexadecimal digits", d.Name, d.SHA256)
		}
	}
	return nil
}

// CheckpointTraining records how the model was trained and how it did.
type CheckpointTraining struct {
	Optimizer     string  `json:"optimizer"`
	LearningRate  float64 `json:"learning_rate,omitempty"`
	WeightDecay   float64 `json:"weight_decay,omitempty"` // L2 coefficient of the training objective
	BatchSize     int     `json:"batch_size,omitempty"`
	Steps         int     `json:"steps"`
	Stop          string  `json:"stop"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	TestLoss      float64 `json:"test_loss,omitempty"`
	TestAccuracy  float64 `json:"test_accuracy,omitempty"`
	// DType is the precision training computed in: "float32", or empty for
	// float64. The parameters are stored in float64 either way (a float32
	// run's are its float32 numbers, exactly).
	DType string `json:"dtype,omitempty"`
}

const checkpointFormat = "netgeom-mlp"

// Spec returns the network spec the header describes, checked.
func (h CheckpointHeader) Spec() (NetworkSpec, error) {
	act, err := activation.Lookup(h.Activation)
	if err != nil {
		return NetworkSpec{}, err
	}
	loss, err := ParseLoss(h.Loss)
	if err != nil {
		return NetworkSpec{}, err
	}
	s := NetworkSpec{Widths: append([]int(nil), h.Widths...), Act: act, Loss: loss, TokenDim: h.TokenDim, Residual: h.Residual}
	if h.Kinds != "" {
		if s.Kinds, err = layerkind.ParseList(h.Kinds); err != nil {
			return NetworkSpec{}, err
		}
	}
	if err := s.Check(); err != nil {
		return NetworkSpec{}, err
	}
	return s, nil
}

// WriteCheckpoint writes net's parameters with header h to w. The fields
// Format, Widths, Activation, Loss and Params of h are set from the network.
func WriteCheckpoint(w io.Writer, net *Network, h CheckpointHeader) error {
	params, err := net.HostParams()
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	raw, err := EncodeCheckpoint(net.Spec(), h, params)
	if err != nil {
		return err
	}
	_, err = w.Write(raw)
	return err
}

// EncodeCheckpoint returns the bytes of a model file for a network of the
// given spec and parameters (host) with header h (its Format, Widths,
// Activation, Loss and Params are set from spec).
func EncodeCheckpoint(spec NetworkSpec, h CheckpointHeader, params []float64) ([]byte, error) {
	if err := spec.Check(); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if len(params) != spec.NumParams() {
		return nil, fmt.Errorf("checkpoint: %d parameters for a %s network of %d", len(params), spec.Describe(), spec.NumParams())
	}
	for i, v := range params {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("checkpoint: parameter %d is %v; refusing to save a diverged model", i, v)
		}
	}
	h.Format = checkpointFormat
	h.Widths = append([]int(nil), spec.Widths...)
	h.Kinds, h.TokenDim, h.Residual = spec.KindsString(), 0, false
	if h.Kinds != "" {
		h.TokenDim, h.Residual = spec.TokenDim, spec.Residual
	}
	h.Activation = spec.Act.Name
	h.Loss = spec.Loss.String()
	h.Params = len(params)
	js, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: header: %w", err)
	}
	if len(js) > maxHeaderBytes {
		return nil, fmt.Errorf("checkpoint: header of %d bytes exceeds %d", len(js), maxHeaderBytes)
	}
	out := make([]byte, checkpointPrefix+len(js)+8*len(params))
	copy(out, CheckpointMagic)
	binary.LittleEndian.PutUint32(out[8:], CheckpointVersion)
	binary.LittleEndian.PutUint32(out[12:], uint32(len(js)))
	copy(out[checkpointPrefix:], js)
	p := out[checkpointPrefix+len(js):]
	for i, v := range params {
		binary.LittleEndian.PutUint64(p[8*i:], math.Float64bits(v))
	}
	sum := sha256.Sum256(out[checkpointPrefix:])
	copy(out[16:48], sum[:])
	return out, nil
}

// DecodeCheckpoint parses and verifies the bytes of a model file. name is
// used in error messages. Every error wraps ErrCheckpoint.
func DecodeCheckpoint(raw []byte, name string) (CheckpointHeader, []float64, error) {
	fail := func(format string, args ...any) (CheckpointHeader, []float64, error) {
		return CheckpointHeader{}, nil, fmt.Errorf("%w %s: %s", ErrCheckpoint, name, fmt.Sprintf(format, args...))
	}
	magic := []byte(CheckpointMagic)
	if len(raw) < len(magic) {
		if bytes.HasPrefix(magic, raw) {
			return fail("truncated: %d bytes, not even the %d-byte magic", len(raw), len(magic))
		}
		return fail("not a netgeom model file (it starts with %q)", raw)
	}
	if !bytes.Equal(raw[:8], magic) {
		return fail("not a netgeom model file: it starts with %q, expected the magic %q", raw[:8], CheckpointMagic)
	}
	if len(raw) < checkpointPrefix {
		return fail("truncated: %d bytes, shorter than the %d-byte fixed header", len(raw), checkpointPrefix)
	}
	if v := binary.LittleEndian.Uint32(raw[8:]); v != CheckpointVersion {
		return fail("format version %d; this build reads version %d", v, CheckpointVersion)
	}
	hlen := int(binary.LittleEndian.Uint32(raw[12:]))
	if hlen > maxHeaderBytes {
		return fail("damaged: header length %d exceeds the limit of %d bytes", hlen, maxHeaderBytes)
	}
	body := raw[checkpointPrefix:]
	if hlen > len(body) {
		return fail("truncated: the header needs %d bytes, only %d follow the fixed header", hlen, len(body))
	}
	var h CheckpointHeader
	jsonErr := json.Unmarshal(body[:hlen], &h)
	sum := sha256.Sum256(body)
	if !bytes.Equal(sum[:], raw[16:48]) {
		// Say "truncated" when the header is intact and the length is what
		// is wrong; else the file is damaged somewhere.
		if jsonErr == nil && h.Params >= 0 && h.Params < math.MaxInt/16 {
			want := checkpointPrefix + hlen + 8*h.Params
			if len(raw) < want {
				return fail("truncated: %d bytes, the header promises %d parameters in %d bytes", len(raw), h.Params, want)
			}
			if len(raw) > want {
				return fail("%d bytes of trailing data after the %d parameters (%d bytes expected)", len(raw)-want, h.Params, want)
			}
		}
		return fail("damaged: SHA-256 checksum mismatch (stored %x, computed %x)", raw[16:24], sum[:8])
	}
	if jsonErr != nil {
		return fail("header: %v", jsonErr)
	}
	if h.Format != checkpointFormat {
		return fail("header format %q; expected %q", h.Format, checkpointFormat)
	}
	spec, err := h.Spec()
	if err != nil {
		return fail("header: %v", err)
	}
	if err := countable(spec); err != nil {
		return fail("header: %v", err)
	}
	if h.Data != nil {
		if err := h.Data.Check(); err != nil {
			return fail("header: %v", err)
		}
	}
	if h.Params != spec.NumParams() {
		return fail("header: %d parameters, but a %s network has %d", h.Params, spec.Describe(), spec.NumParams())
	}
	if got, want := len(body)-hlen, 8*h.Params; got != want {
		return fail("%d bytes of parameters; the header promises %d (%d float64s)", got, want, h.Params)
	}
	params := make([]float64, h.Params)
	p := body[hlen:]
	for i := range params {
		params[i] = math.Float64frombits(binary.LittleEndian.Uint64(p[8*i:]))
		if math.IsNaN(params[i]) || math.IsInf(params[i], 0) {
			return fail("parameter %d is %v", i, params[i])
		}
	}
	return h, params, nil
}

// maxCheckpointWidth bounds the widths and token dimension a model file
// may declare, and maxCheckpointParams its parameter count, so that
// counting the parameters cannot overflow int: a hostile header's widths
// could make NumParams wrap around to the count the file holds.
const (
	maxCheckpointWidth  = 1 << 30
	maxCheckpointParams = 1 << 61
)

// countable checks that spec's parameters can be counted without
// overflowing int (so that NumParams is exact).
func countable(spec NetworkSpec) error {
	for _, w := range append([]int{spec.TokenDim}, spec.Widths...) {
		if w > maxCheckpointWidth {
			return fmt.Errorf("width or token dimension %d exceeds %d", w, maxCheckpointWidth)
		}
	}
	total := 0
	for l := 1; l < len(spec.Widths); l++ {
		// Each term is below 2^62 and total at most 2^61 before it is
		// added, so the sum does not overflow.
		if total += layerParams(spec.Kind(l), spec.Widths[l-1], spec.Widths[l], spec.TokenDim); total > maxCheckpointParams {
			return fmt.Errorf("a %s network has more than 2^61 parameters", spec.Describe())
		}
	}
	return nil
}

// SaveCheckpoint writes net with header h to path, through a temporary file
// synced and renamed into place (outfile.Write), so that a crash or a full
// disk never leaves a half-written model and a failed save leaves an older
// file at path as it was.
func SaveCheckpoint(path string, net *Network, h CheckpointHeader) error {
	params, err := net.HostParams()
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	raw, err := EncodeCheckpoint(net.Spec(), h, params)
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := outfile.WriteFile(path, raw); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	return nil
}

// ReadCheckpoint reads and verifies a model file.
func ReadCheckpoint(path string) (CheckpointHeader, []float64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return CheckpointHeader{}, nil, fmt.Errorf("load model: %w", err)
	}
	return DecodeCheckpoint(raw, path)
}

// LoadNetwork reads a model file and builds its network on b with the saved
// parameters.
func LoadNetwork(b engine.Backend, path string) (*Network, CheckpointHeader, error) {
	h, params, err := ReadCheckpoint(path)
	if err != nil {
		return nil, h, err
	}
	spec, err := h.Spec()
	if err != nil {
		return nil, h, fmt.Errorf("load %s: %w", path, err)
	}
	net, err := NewNetwork(b, spec)
	if err != nil {
		return nil, h, fmt.Errorf("load %s: %w", path, err)
	}
	if err := net.SetParams(params); err != nil {
		net.Close()
		return nil, h, fmt.Errorf("load %s: %w", path, err)
	}
	return net, h, nil
}
