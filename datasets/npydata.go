package datasets

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/netgeom/netgeom/npy"
)

// NpyPrefix starts a data set name that Load reads from two .npy files:
// "npy:X.npy,Y.npy", X an N x D array of features (any real or integer
// dtype) and Y N integer class labels 0..C-1 (integer, bool, or real
// arrays holding whole numbers). Such a set has no test set of its own.
// The loaded set's Name holds the files' absolute paths, so that a model
// trained on it (which records the name) finds them from any folder.
const NpyPrefix = "npy:"

// LoadNpy reads a classification set from a feature array file and a label
// array file (see NpyPrefix). Every problem names the file and what would
// be right.
func LoadNpy(xPath, yPath string) (*Dataset, error) {
	x, err := npy.ReadFile(xPath)
	if err != nil {
		return nil, fmt.Errorf("datasets: features: %w", err)
	}
	y, err := npy.ReadFile(yPath)
	if err != nil {
		return nil, fmt.Errorf("datasets: labels: %w", err)
	}
	if len(x.Shape) != 2 || x.Shape[0] < 1 || x.Shape[1] < 1 {
		return nil, fmt.Errorf("datasets: %s: features of shape %v; want a 2-D array, samples x features", xPath, x.Shape)
	}
	n, d := x.Shape[0], x.Shape[1]
	if len(y.Shape) != 1 || y.Shape[0] != n {
		return nil, fmt.Errorf("datasets: %s: labels of shape %v; want a 1-D array of the %d samples' classes", yPath, y.Shape, n)
	}
	for i, v := range x.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("datasets: %s: sample %d, feature %d is %v", xPath, i/d, i%d, v)
		}
	}
	labels := make([]int, n)
	classes := 0
	for i, v := range y.Data {
		if v != math.Trunc(v) || v < 0 || v > 1<<20 {
			return nil, fmt.Errorf("datasets: %s: label %d is %v; want class numbers 0, 1, 2, ...", yPath, i, v)
		}
		labels[i] = int(v)
		classes = max(classes, labels[i]+1)
	}
	ds := &Dataset{Name: NpyPrefix + xPath + "," + yPath, X: x.Data, Y: labels, N: n, D: d, Classes: classes}
	if classes < 2 {
		return nil, fmt.Errorf("datasets: %s: every label is 0; a classification set needs at least two classes", yPath)
	}
	return ds, ds.Validate()
}

// CanonicalName returns the name a model should record for the data set
// called name: the name itself, except that an "npy:" name gets absolute
// paths, so that the set is found again from any folder, and a "csv:" name
// an absolute path and its column options written out (see CSVName).
func CanonicalName(name string) (string, error) {
	if strings.HasPrefix(name, CSVPrefix) {
		path, o, err := ParseCSVName(name)
		if err != nil {
			return "", err
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return "", fmt.Errorf("datasets: %s: %w", path, err)
		}
		return CSVName(abs, o), nil
	}
	if !strings.HasPrefix(name, NpyPrefix) {
		return name, nil
	}
	paths := strings.Split(strings.TrimPrefix(name, NpyPrefix), ",")
	if len(paths) != 2 || paths[0] == "" || paths[1] == "" {
		return "", fmt.Errorf("datasets: %q: write npy:FEATURES.npy,LABELS.npy", name)
	}
	for i, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("datasets: %s: %w", p, err)
		}
		paths[i] = abs
	}
	return NpyPrefix + strings.Join(paths, ","), nil
}

// loadNpyName reads a data set named "npy:X.npy,Y.npy".
func loadNpyName(name string) (*Dataset, error) {
	canon, err := CanonicalName(name)
	if err != nil {
		return nil, err
	}
	paths := strings.Split(strings.TrimPrefix(canon, NpyPrefix), ",")
	return LoadNpy(paths[0], paths[1])
}
