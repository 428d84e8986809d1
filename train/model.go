package train

import (
	"errors"
	"fmt"

	"github.com/netgeom/netgeom/datasets"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
)

// Model is a trained network on a backend with the data it was trained on:
// the training and test sets rebuilt from the checkpoint's record (the same
// set, subset, split and standardisation) and uploaded. Close releases it.
type Model struct {
	// Path is the model file it was loaded from ("" for a model that Run
	// trained without writing a file).
	Path   string
	Net    *models.Network
	Header models.CheckpointHeader
	// Train and Test are the training and test sets; Test is nil when the
	// set has no test samples.
	Train, Test *models.Data
}

// Close releases the network and the data on the backend.
func (m *Model) Close() error {
	if m == nil {
		return nil
	}
	errs := []error{m.Train.Close(), m.Test.Close()}
	if m.Net != nil {
		errs = append(errs, m.Net.Close())
	}
	return errors.Join(errs...)
}

// Set returns the training set ("train") or the test set ("test").
func (m *Model) Set(name string) (*models.Data, error) {
	switch name {
	case "train":
		return m.Train, nil
	case "test":
		if m.Test == nil {
			return nil, fmt.Errorf("set %q: the model's data set %s has no test samples", name, m.Header.Data.Name)
		}
		return m.Test, nil
	}
	return nil, fmt.Errorf("set %q: want train or test", name)
}

// LoadOptions configure LoadModel.
type LoadOptions struct {
	// Data, when not "", is the data set the caller expects the model to
	// have been trained on; another name is a *DataMismatchError. "" takes
	// the one the model records. For a model that records no data (one
	// imported from PyTorch, say) Data names the set it was trained on,
	// which is used whole and as it is: every sample is a training sample,
	// nothing is standardised.
	Data string
	// Subset, when not nil, is the training subset the caller expects (0:
	// all samples); another is a *DataMismatchError.
	Subset *int
	// NoTest leaves the test set out (Model.Test is nil): analyses of the
	// training loss need the training set only.
	NoTest bool
}

// DataMismatchError is LoadModel's error when the caller names data other
// than those the model was trained on: an analysis of a trained model uses
// its own training set.
type DataMismatchError struct {
	Path string
	// Given and Recorded are the data set names, or the subsets when
	// Subset is true.
	Given, Recorded string
	Subset          bool
}

func (e *DataMismatchError) Error() string {
	if e.Subset {
		return fmt.Sprintf("the model %s was trained on a subset of %s samples (0: all), not %s", e.Path, e.Recorded, e.Given)
	}
	return fmt.Sprintf("the model %s was trained on %s, not %s", e.Path, e.Recorded, e.Given)
}

// ErrNoData is matched (errors.Is) by LoadModel's error for a model file
// that records no training data (one not written by Run or `netgeom
// train`).
var ErrNoData = errors.New("the model file records no training data")

// loadWithData completes m, a model that records no data, with the set
// called name, whole and unstandardised, as its training set.
func loadWithData(b engine.Backend, m *Model, name string) (*Model, error) {
	canon, err := datasets.CanonicalName(name)
	if err == nil {
		var d *datasets.Dataset
		if d, _, err = datasets.Load(canon, 0); err == nil {
			spec := m.Net.Spec()
			if in, out := spec.Widths[0], spec.Widths[len(spec.Widths)-1]; d.D != in || d.Classes > out {
				err = fmt.Errorf("data %s has %d features and %d classes; the network %s takes %d inputs and has %d outputs", name, d.D, d.Classes, spec.Describe(), in, out)
			} else if d.Regression() && d.Classes != out {
				err = fmt.Errorf("data %s has %d target columns; the network %s has %d outputs", name, d.Classes, spec.Describe(), out)
			} else {
				d.Classes = out
				m.Header.Data = &models.CheckpointData{Name: canon, Train: d.N}
				m.Train, err = Upload(b, d)
			}
		}
	}
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("%s: %w", m.Path, err)
	}
	return m, nil
}

// LoadModel loads the model file at path onto b and rebuilds and uploads
// the data it was trained on. The caller closes the model.
func LoadModel(b engine.Backend, path string, opts LoadOptions) (*Model, error) {
	net, hdr, err := models.LoadNetwork(b, path)
	if err != nil {
		return nil, err
	}
	m := &Model{Path: path, Net: net, Header: hdr}
	fail := func(err error) (*Model, error) {
		m.Close()
		return nil, err
	}
	if hdr.Data == nil {
		if opts.Data == "" {
			return fail(fmt.Errorf("%s: %w (it was not written by 'netgeom train'); name the data it was trained on", path, ErrNoData))
		}
		return loadWithData(b, m, opts.Data)
	}
	if opts.Data != "" {
		given, err := datasets.CanonicalName(opts.Data)
		if err != nil {
			return fail(err)
		}
		if given != hdr.Data.Name {
			return fail(&DataMismatchError{Path: path, Given: opts.Data, Recorded: hdr.Data.Name})
		}
	}
	if opts.Subset != nil && *opts.Subset != hdr.Data.Subset {
		return fail(&DataMismatchError{Path: path, Given: fmt.Sprint(*opts.Subset), Recorded: fmt.Sprint(hdr.Data.Subset), Subset: true})
	}
	prep, err := Rebuild(*hdr.Data)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", path, err))
	}
	if m.Train, err = Upload(b, prep.Train); err != nil {
		return fail(err)
	}
	if !opts.NoTest && prep.Test != nil && prep.Test.N > 0 {
		if m.Test, err = Upload(b, prep.Test); err != nil {
			return fail(err)
		}
	}
	return m, nil
}
