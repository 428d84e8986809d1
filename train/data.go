package train

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/netgeom/netgeom/datasets"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
)

// DefaultTestFraction is the part of a data set without its own test set
// that Prepare holds out for testing.
const DefaultTestFraction = 0.2

// pcgSubset is the PCG stream of the subset draw (the split uses the
// datasets package's own stream).
const pcgSubset = 0x73756273_6574

// DataSpec names a prepared data set: which set, how many samples, the
// split and the standardisation, all reproducible from Seed.
type DataSpec struct {
	// Name is one of datasets.Names().
	Name string
	// Subset, when > 0 and less than the training samples available, keeps
	// that many, drawn at random from Seed (before the split, for sets that
	// have no test set of their own).
	Subset int
	// TestFraction is held out for testing from sets with no test set of
	// their own (0: DefaultTestFraction), stratified by class.
	TestFraction float64
	// Seed draws the synthetic sets, the subset and the split.
	Seed uint64
	// Standardize rescales every feature to mean 0 and variance 1 on the
	// training part (the test part gets the same affine map).
	Standardize bool
}

// Prepared is a data set ready for training: the training and test parts
// (preprocessed) and the record of how they were made, for a checkpoint.
type Prepared struct {
	Train, Test *datasets.Dataset
	Info        models.CheckpointData
}

// Prepare loads, subsets, splits and standardises a data set.
func Prepare(spec DataSpec) (*Prepared, error) {
	name, err := datasets.CanonicalName(spec.Name)
	if err != nil {
		return nil, err
	}
	spec.Name = name
	train, test, frac, err := split(spec, true)
	if err != nil {
		return nil, err
	}

	info := models.CheckpointData{Name: spec.Name, Subset: spec.Subset, TestFraction: frac, Seed: spec.Seed, Train: train.N, Test: test.N}
	if spec.Standardize {
		st := datasets.FitStandardizer(train)
		train, test = st.Apply(train), st.Apply(test)
		info.Mean, info.Std = st.Mean, st.Std
	}
	info.SHA256 = DataHash(train, test)
	if strings.HasPrefix(spec.Name, datasets.CSVPrefix) {
		info.Classes = slices.Clone(train.ClassNames)
	}
	return &Prepared{Train: train, Test: test, Info: info}, nil
}

// DataHash is the SHA-256, in hexadecimal, of prepared training and test
// sets: for each (training, then test; a nil test set counts as empty) its
// sample count, feature count and class count as little-endian uint64, its
// features as little-endian float64 bits in storage order, and its labels
// as little-endian uint64; a regression set's targets follow as
// little-endian float64 bits, after the marker uint64 2^64-1. Equal hashes
// mean the same numbers, bit for bit.
func DataHash(train, test *datasets.Dataset) string {
	h := sha256.New()
	var b [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(b[:], v)
		h.Write(b[:])
	}
	for _, d := range []*datasets.Dataset{train, test} {
		if d == nil {
			put(0)
			put(0)
			put(0)
			continue
		}
		put(uint64(d.N))
		put(uint64(d.D))
		put(uint64(d.Classes))
		for _, x := range d.X {
			put(math.Float64bits(x))
		}
		for _, y := range d.Y {
			put(uint64(y))
		}
		if d.Regression() {
			put(math.MaxUint64)
			for _, t := range d.Targets {
				put(math.Float64bits(t))
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Rebuild makes the training and test sets a checkpoint was trained on:
// the same set, subset and split (from the recorded seed), standardised
// with the recorded statistics. It fails if the sample counts differ from
// the record (a changed data file).
func Rebuild(info models.CheckpointData) (*Prepared, error) {
	spec := DataSpec{Name: info.Name, Subset: info.Subset, TestFraction: info.TestFraction, Seed: info.Seed}
	train, test, _, err := split(spec, false)
	if err != nil {
		return nil, err
	}
	if len(info.Classes) > 0 && !slices.Equal(train.ClassNames, info.Classes) {
		return nil, fmt.Errorf("data %s: the labels now name the classes %s; the model was trained with %s (in that order): the data file changed",
			info.Name, quoteList(train.ClassNames), quoteList(info.Classes))
	}
	if train.N != info.Train || test.N != info.Test {
		return nil, fmt.Errorf("data %s: rebuilt %d training and %d test samples; the model was trained with %d and %d",
			info.Name, train.N, test.N, info.Train, info.Test)
	}
	if len(info.Mean) > 0 {
		if len(info.Mean) != train.D || len(info.Std) != train.D {
			return nil, fmt.Errorf("data %s: %d features, but the model's standardiser has %d means and %d deviations",
				info.Name, train.D, len(info.Mean), len(info.Std))
		}
		st := datasets.Standardizer{Mean: info.Mean, Std: info.Std}
		train, test = st.Apply(train), st.Apply(test)
	}
	if info.SHA256 != "" {
		if got := DataHash(train, test); got != info.SHA256 {
			return nil, fmt.Errorf("data %s: the rebuilt training and test sets are not the ones the model was trained on (SHA-256 %.12s... recorded, %.12s... now): the data file or this program's preparation of it changed", info.Name, info.SHA256, got)
		}
	}
	return &Prepared{Train: train, Test: test, Info: info}, nil
}

// split loads the set and returns its raw training and test parts, and
// the fraction held out for testing (0 when the set has its own test set).
//
// strict (for new training) refuses a subset as large as the samples it is
// drawn from, which would silently be all of them; Rebuild is lenient so
// that models recorded with one still load.
func split(spec DataSpec, strict bool) (train, test *datasets.Dataset, frac float64, err error) {
	if spec.Subset < 0 {
		return nil, nil, 0, fmt.Errorf("data %s: subset %d; want > 0 (or 0 for all samples)", spec.Name, spec.Subset)
	}
	train, test, err = datasets.Load(spec.Name, spec.Seed)
	if err != nil {
		return nil, nil, 0, err
	}
	if strict && spec.Subset >= train.N {
		return nil, nil, 0, fmt.Errorf("data %s: subset %d: the set has %d training samples to draw from; give fewer, or 0 for all", spec.Name, spec.Subset, train.N)
	}
	if spec.Subset > 0 && spec.Subset < train.N {
		r := rand.New(rand.NewPCG(spec.Seed, pcgSubset))
		idx := r.Perm(train.N)[:spec.Subset]
		slices.Sort(idx)
		train = train.Subset(idx)
	}
	if test == nil {
		frac = spec.TestFraction
		if frac == 0 {
			frac = DefaultTestFraction
		}
		if !(frac > 0 && frac < 1) {
			return nil, nil, 0, fmt.Errorf("data %s: test fraction %v; want 0 < f < 1", spec.Name, spec.TestFraction)
		}
		if train, test, err = datasets.Split(train, frac, spec.Seed); err != nil {
			return nil, nil, 0, err
		}
	}
	return train, test, frac, nil
}

// Upload puts a data set on the backend with targets for loss: one-hot
// vectors of its labels (for squared error too: the regression of the
// indicator vectors), or a regression set's targets (and no labels, so
// that accuracy is not defined).
func Upload(b engine.Backend, d *datasets.Dataset) (*models.Data, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return models.NewData(b, d.X, d.D, d.TargetMatrix(), d.Classes, d.Y)
}

// quoteList renders names for a message: "a", "b", "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, s := range names {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
