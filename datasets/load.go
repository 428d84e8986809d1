package datasets

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"strings"
)

//go:embed data/iris.csv data/wine_data.csv data/breast_cancer.csv data/digits.csv.gz
var embedded embed.FS

// The sha256 sums of the embedded files, from the README of the source data
// (see data/README.md). Load refuses a file whose sum differs.
const (
	SHA256Iris         = "f13ffa8fdd56fd8e6c8d16d4081a3fbd3114bcd0aae4256c43205169cd9d1449"
	SHA256Wine         = "10e8a802908b34f86e5da8ce962f3c806694bc98450a18f61851af59f324bede"
	SHA256BreastCancer = "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed"
	SHA256Digits       = "46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a"
)

// embeddedSet describes one embedded file.
type embeddedSet struct {
	name, file, sha256 string
	n, d, classes      int
	header             bool // sklearn header line (else headerless, like digits)
}

var embeddedSets = []embeddedSet{
	{"iris", "iris.csv", SHA256Iris, 150, 4, 3, true},
	{"wine", "wine_data.csv", SHA256Wine, 178, 13, 3, true},
	{"breast-cancer", "breast_cancer.csv", SHA256BreastCancer, 569, 30, 2, true},
	{"digits", "digits.csv.gz", SHA256Digits, 1797, 64, 10, false},
}

// Defaults of the synthetic sets as Load makes them.
const (
	DefaultSyntheticN     = 1000 // samples of every synthetic set
	DefaultSpiralsNoise   = 0.1  // TwoSpirals noise (spiral radius is 1)
	DefaultCirclesNoise   = 0.05 // Circles noise (outer radius is 1)
	DefaultCirclesFactor  = 0.5  // Circles inner radius
	DefaultMixtureD       = 2    // GaussianMixture features
	DefaultMixtureK       = 3    // GaussianMixture classes
	DefaultMixtureSep     = 3.0  // GaussianMixture minimum distance between means (unit variance)
	DefaultTeacherD       = 10   // Teacher input features
	DefaultTeacherClasses = 3    // Teacher classes
	DefaultTeacherHidden  = 16   // Teacher hidden units
)

// Names returns the names Load accepts, in a stable order: the embedded sets,
// Fashion-MNIST, then the synthetic sets.
func Names() []string {
	return []string{"iris", "wine", "breast-cancer", "digits", "fashion-mnist",
		"spirals", "circles", "gaussian-mixture", "teacher"}
}

// Info describes a data set for listing (see List).
type Info struct {
	Name      string
	N, D      int // N: samples (for fashion-mnist, the training samples)
	Classes   int
	Source    string // "embedded", the directory looked in (fashion-mnist), or "synthetic"
	NTest     int    // samples of the separate test set (fashion-mnist), else 0
	Available bool   // whether Load can be expected to succeed
	Note      string // a short remark: origin, the defaults used, or why fashion-mnist was not found
}

// List describes every data set in Names' order, for a `netgeom datasets`
// command. It reads no data: for fashion-mnist it only checks that the four
// files exist in FashionMNISTDir and says so in Available and Note.
func List() []Info {
	var out []Info
	for _, e := range embeddedSets {
		out = append(out, Info{Name: e.name, N: e.n, D: e.d, Classes: e.classes, Source: "embedded",
			Available: true,
			Note:      e.file + " from scikit-learn 1.2.1 (BSD-3-Clause), originally UCI; no test set, use Split"})
	}
	dir := FashionMNISTDir()
	fm := Info{Name: "fashion-mnist", N: 60000, D: 784, Classes: 10, Source: dir, NTest: 10000}
	if ok, err := FashionMNISTAvailable(dir); ok {
		fm.Available = true
		fm.Note = "found in " + dir
	} else {
		fm.Note = "not found: " + strings.TrimPrefix(err.Error(), "datasets: fashion-mnist: ")
	}
	out = append(out, fm)
	syn := func(name string, d, k int, attrs string) Info {
		return Info{Name: name, N: DefaultSyntheticN, D: d, Classes: k, Source: "synthetic", Available: true,
			Note: attrs + " from the seed; no test set, use Split"}
	}
	out = append(out,
		syn("spirals", 2, 2, fmt.Sprintf("n=%d noise=%g", DefaultSyntheticN, DefaultSpiralsNoise)),
		syn("circles", 2, 2, fmt.Sprintf("n=%d noise=%g factor=%g", DefaultSyntheticN, DefaultCirclesNoise, DefaultCirclesFactor)),
		syn("gaussian-mixture", DefaultMixtureD, DefaultMixtureK, fmt.Sprintf("n=%d d=%d k=%d separation=%g",
			DefaultSyntheticN, DefaultMixtureD, DefaultMixtureK, DefaultMixtureSep)),
		syn("teacher", DefaultTeacherD, DefaultTeacherClasses, fmt.Sprintf("n=%d d=%d classes=%d hidden=%d",
			DefaultSyntheticN, DefaultTeacherD, DefaultTeacherClasses, DefaultTeacherHidden)),
	)
	return out
}

// Load returns the data set called name (one of Names) as (train, test).
//
// For the four embedded sets (iris, wine, breast-cancer, digits) test is nil:
// the caller splits (see Split). Their files are checked against their sha256
// sums first. For fashion-mnist, read from FashionMNISTDir, train has 60000
// samples and test 10000. The synthetic sets (spirals, circles,
// gaussian-mixture, teacher) are generated from seed with the Default*
// constants (1000 samples each) and test is nil. The seed is ignored by the
// data sets that are not synthetic.
func Load(name string, seed uint64) (train, test *Dataset, err error) {
	for _, e := range embeddedSets {
		if e.name == name {
			d, err := loadEmbedded(e)
			return d, nil, err
		}
	}
	if strings.HasPrefix(name, NpyPrefix) {
		train, err = loadNpyName(name)
		return train, nil, err
	}
	if strings.HasPrefix(name, CSVPrefix) {
		train, err = loadCSVName(name)
		return train, nil, err
	}
	switch name {
	case "fashion-mnist":
		return LoadFashionMNIST(FashionMNISTDir())
	case "spirals":
		train, err = TwoSpirals(DefaultSyntheticN, DefaultSpiralsNoise, seed)
	case "circles":
		train, err = Circles(DefaultSyntheticN, DefaultCirclesNoise, DefaultCirclesFactor, seed)
	case "gaussian-mixture":
		train, err = GaussianMixture(DefaultSyntheticN, DefaultMixtureD, DefaultMixtureK, DefaultMixtureSep, seed)
	case "teacher":
		train, err = Teacher(DefaultSyntheticN, DefaultTeacherD, DefaultTeacherClasses, DefaultTeacherHidden, seed)
	default:
		return nil, nil, fmt.Errorf("datasets: unknown data set %q: expected one of %s, npy:FEATURES.npy,LABELS.npy or csv:TABLE.csv", name, strings.Join(Names(), ", "))
	}
	return train, nil, err
}

// loadEmbedded reads, checks and parses one embedded file.
func loadEmbedded(e embeddedSet) (*Dataset, error) {
	raw, err := embedded.ReadFile("data/" + e.file)
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: embedded file missing: %w", e.name, err)
	}
	if err := checkSHA256(e.file, raw, e.sha256); err != nil {
		return nil, err
	}
	var d *Dataset
	if e.header {
		d, err = ReadCSV(bytes.NewReader(raw), e.file)
	} else {
		d, err = ReadCSVNoHeader(bytes.NewReader(raw), e.file, e.d, e.classes)
	}
	if err != nil {
		return nil, err
	}
	if d.N != e.n || d.D != e.d || d.Classes != e.classes {
		return nil, fmt.Errorf("datasets: %s: parsed %d x %d with %d classes, expected %d x %d with %d",
			e.file, d.N, d.D, d.Classes, e.n, e.d, e.classes)
	}
	d.Name = e.name
	if d.ClassNames == nil {
		d.ClassNames = make([]string, d.Classes)
		for i := range d.ClassNames {
			d.ClassNames[i] = fmt.Sprint(i)
		}
	}
	return d, nil
}

// checkSHA256 returns an error if raw's sha256 is not want (hex).
func checkSHA256(file string, raw []byte, want string) error {
	sum := sha256.Sum256(raw)
	if got := hex.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("datasets: %s: sha256 mismatch: got %s, expected %s (file corrupted or replaced)", file, got, want)
	}
	return nil
}
