package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/datasets"
)

// tableFlags are --label-column and --target, which say how a
// --data csv:TABLE.csv table is read (see datasets.ReadTable), for every
// command that takes --data.
type tableFlags struct {
	label   string
	targets []string
}

func (f *tableFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.label, "label-column", "", "with --data csv:TABLE.csv: the class label column, a header name or an index from 0 (-1: the last, the default)")
	fl.StringSliceVar(&f.targets, "target", nil, "with --data csv:TABLE.csv: regression target columns (names or indices, comma-separated); the loss is squared error")
}

// apply returns the data set name data with the table's columns written
// in (datasets.CSVName); data unchanged when neither flag is given.
func (f *tableFlags) apply(data string) (string, error) {
	if f.label == "" && len(f.targets) == 0 {
		return data, nil
	}
	flag := "--label-column"
	if f.label == "" {
		flag = "--target"
	}
	if !strings.HasPrefix(data, datasets.CSVPrefix) {
		if data == "" {
			return "", fmt.Errorf("%s reads a --data csv:TABLE.csv table; give --data", flag)
		}
		return "", fmt.Errorf("%s reads a --data csv:TABLE.csv table, not --data %s", flag, data)
	}
	path, o, err := datasets.ParseCSVName(data)
	if err != nil {
		return "", err
	}
	if o.Label != "" || len(o.Targets) > 0 {
		return "", fmt.Errorf("%s: --data %s names its columns already; give them one way", flag, data)
	}
	o = datasets.TableOptions{Label: f.label, Targets: f.targets}
	if err := o.Check(); err != nil {
		return "", errors.New("--label-column and --target: " + err.Error())
	}
	return datasets.CSVName(path, o), nil
}

// defaultModelName is train's default --out for a data set: NAME.ngm, or
// for a table csv:DIR/T.csv the file's base name, T.ngm.
func defaultModelName(data string) string {
	if path, _, err := datasets.ParseCSVName(data); err == nil {
		base := strings.TrimSuffix(filepath.Base(path), ".gz")
		return strings.TrimSuffix(base, ".csv") + ".ngm"
	}
	return data + ".ngm"
}
