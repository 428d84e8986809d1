package landscape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
	"github.com/netgeom/netgeom/spectrum"
	"github.com/netgeom/netgeom/train"
)

// Directions of a loss slice (SliceOptions.Directions).
const (
	// SliceRandom: Gaussian directions, filter-normalised as Li et al.
	// (2018) do: every row of every weight matrix (the incoming weights of
	// one unit, a "filter" of a fully connected layer) rescaled to the
	// norm of the same row of the model's weights, biases set to zero.
	SliceRandom = "random"
	// SliceHessian: the unit eigenvectors of the training loss's Hessian
	// belonging to its largest eigenvalues (thick-restart Lanczos).
	SliceHessian = "hessian"
	// SliceModel: the line to another model, d = theta_B - theta_A, so
	// that alpha = 0 is the model and alpha = 1 the other one (1-D only).
	SliceModel = "model"
)

// SliceOptions configure Slice.
type SliceOptions struct {
	// Model is the trained model the slice passes through (required).
	Model *train.Model
	// Directions is SliceRandom (the default), SliceHessian or SliceModel.
	Directions string
	// To is the other model of SliceModel (same architecture).
	To *train.Model
	// Dims is 1 (a line) or 2 (a plane); 0 means 2, or 1 for SliceModel.
	Dims int
	// Range: the coefficients run over [-Range, Range] (0: 1), or
	// [-Range, 1 + Range] for SliceModel (0: 0.5).
	Range float64
	// Points per axis (0: 51 in 2-D, 101 in 1-D); at least 2.
	Points int
	// Raw, with SliceRandom, gives the Gaussian directions (Dims vectors
	// in the flat parameter layout) instead of drawing them from Seed; they
	// are filter-normalised the same way (a copy: Raw is not changed).
	Raw [][]float64
	// Chunk is the samples per batched pass (0: the models default).
	Chunk int
	// Seed draws the random directions (Philox streams 0 and 1) and
	// Lanczos's start vector.
	Seed uint64
	// Progress is called after every point with the points done and their
	// number.
	Progress options.Progress

	// Journal, when not empty, is a file (JSON lines) that receives every
	// finished point, at most a second after it finishes, so that an
	// interrupted slice can be continued: with Resume, the points already
	// in it are read instead of computed (its first line must match this
	// slice: the model's parameters, the data, the directions and the
	// grid). An existing journal is an error without Resume or Overwrite.
	Journal           string
	Resume, Overwrite bool
	// Log receives messages (nil: none).
	Log io.Writer
}

// SliceResult is the loss (and accuracy) on a line or a plane through a
// model's parameters theta: at theta + a d1 (1-D) or theta + a d1 + b d2
// (2-D) for a in Alphas and b in Betas.
type SliceResult struct {
	Model      string    `json:"model"`
	Directions string    `json:"directions"`
	Dims       int       `json:"dims"`
	Params     int       `json:"params"`
	Alphas     []float64 `json:"alphas"`
	Betas      []float64 `json:"betas,omitempty"`
	// TrainLoss, TrainAccuracy, TestLoss and TestAccuracy hold one value
	// per point, alpha-major: index i len(Betas) + j for Alphas[i] and
	// Betas[j] (i alone in 1-D). The test values are absent for a model
	// without a test set.
	TrainLoss     []float64 `json:"train_loss"`
	TrainAccuracy []float64 `json:"train_accuracy"`
	TestLoss      []float64 `json:"test_loss,omitempty"`
	TestAccuracy  []float64 `json:"test_accuracy,omitempty"`
	// Min is the point of least training loss.
	Min SliceMin `json:"min"`
	// Eigenvalues are the Hessian eigenvalues of the SliceHessian
	// directions, with the computed residuals ||H d - lambda d||.
	Eigenvalues []HessianEigen `json:"eigenvalues,omitempty"`
	// Vectors are the directions d1 (and d2) in the flat parameter layout.
	Vectors [][]float64 `json:"-"`
	// DType is the precision the losses were computed in.
	DType   string  `json:"dtype"`
	Seconds float64 `json:"seconds"`
}

// SliceMin is the grid point of least training loss.
type SliceMin struct {
	Alpha     float64  `json:"alpha"`
	Beta      *float64 `json:"beta,omitempty"`
	TrainLoss float64  `json:"train_loss"`
}

func (o SliceOptions) withDefaults() (SliceOptions, error) {
	bad := func(field string, v any, want string) error {
		return &options.Error{Op: "landscape.Slice", Field: field, Value: v, Want: want}
	}
	if o.Model == nil || o.Model.Net == nil || o.Model.Train == nil {
		return o, errors.New("slice: Model: give a trained model with its training set (train.LoadModel)")
	}
	if o.Directions == "" {
		o.Directions = SliceRandom
	}
	switch o.Directions {
	case SliceRandom, SliceHessian:
		if o.To != nil {
			return o, bad("To", "a model", "only with the model directions")
		}
	case SliceModel:
		if o.To == nil || o.To.Net == nil {
			return o, bad("To", nil, "give the other model of the line")
		}
	default:
		return o, bad("Directions", o.Directions, "want random, hessian or model")
	}
	if o.Dims == 0 {
		o.Dims = 2
		if o.Directions == SliceModel {
			o.Dims = 1
		}
	}
	if o.Dims != 1 && o.Dims != 2 {
		return o, bad("Dims", o.Dims, "want 1 or 2")
	}
	if o.Directions == SliceModel && o.Dims != 1 {
		return o, bad("Dims", o.Dims, "the line to another model has one dimension")
	}
	if o.Range == 0 {
		o.Range = 1
		if o.Directions == SliceModel {
			o.Range = 0.5
		}
	}
	if !(o.Range > 0) || math.IsInf(o.Range, 0) {
		return o, bad("Range", o.Range, "want a positive finite number (0: the default)")
	}
	if o.Points == 0 {
		o.Points = 51
		if o.Dims == 1 {
			o.Points = 101
		}
	}
	if o.Raw != nil {
		if o.Directions != SliceRandom || len(o.Raw) != o.Dims {
			return o, bad("Raw", len(o.Raw), fmt.Sprintf("give %d raw directions, and only with the random directions", o.Dims))
		}
		for k, d := range o.Raw {
			if len(d) != o.Model.Net.NumParams() {
				return o, bad("Raw", len(d), fmt.Sprintf("direction %d: want %d numbers, one per parameter", k+1, o.Model.Net.NumParams()))
			}
		}
	}
	if o.Chunk < 0 {
		return o, bad("Chunk", o.Chunk, "want >= 0 (0: the default)")
	}
	if o.Points < 2 {
		return o, bad("Points", o.Points, "want at least 2 per axis (0: the default)")
	}
	if o.Resume && o.Overwrite {
		return o, bad("Overwrite", true, "Resume and Overwrite exclude each other: give one")
	}
	if (o.Resume || o.Overwrite) && o.Journal == "" {
		return o, bad("Journal", "", "Resume and Overwrite need the journal file")
	}
	return o, nil
}

// Slice evaluates a trained model's loss and accuracy on a line or a
// plane through its parameters (Li et al. 2018's visualisation): along
// filter-normalised random directions, the Hessian's top eigenvectors, or
// the line to a second model. ctx is checked before every point.
func Slice(ctx context.Context, b engine.Backend, opts SliceOptions) (res *SliceResult, err error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	net := o.Model.Net
	P := net.NumParams()
	npts := o.Points
	if o.Dims == 2 {
		npts *= o.Points
	}
	// The grid's values and their JSON and CSV rows, and the directions on
	// the host and the backend.
	if err := memory.Check(memory.Bytes(float64(npts)*256+float64(P)*8*8+40<<20), fmt.Sprintf("a slice of %d points", npts)); err != nil {
		return nil, fmt.Errorf("slice: %w: use fewer points", err)
	}
	start := time.Now()
	res = &SliceResult{Model: o.Model.Path, Directions: o.Directions, Dims: o.Dims, Params: P, DType: engine.DTypeOf(b).String()}
	theta, err := net.HostParams()
	if err != nil {
		return nil, err
	}
	switch o.Directions {
	case SliceRandom:
		for k := 0; k < o.Dims; k++ {
			if o.Raw != nil {
				res.Vectors = append(res.Vectors, FilterNormalise(net.Spec(), theta, append([]float64(nil), o.Raw[k]...)))
				continue
			}
			res.Vectors = append(res.Vectors, FilterNormalised(net.Spec(), theta, o.Seed, uint64(k)))
		}
	case SliceHessian:
		sb := b // Lanczos runs in float64: on the CPU when the model is float32
		if engine.DTypeOf(b) != engine.Float64 {
			if sb, err = engine.OpenDType("cpu", engine.Float64); err != nil {
				return nil, fmt.Errorf("slice: the Hessian's eigenvectors need a float64 backend: %w", err)
			}
			defer sb.Close()
		}
		hs, err := HessianSpectrum(ctx, sb, HessianSpectrumOptions{Model: o.Model, Chunk: o.Chunk, Top: o.Dims, Which: spectrum.Largest, Vectors: true, Seed: o.Seed})
		if err != nil {
			return nil, err
		}
		for _, e := range hs.Eigenvalues {
			res.Vectors = append(res.Vectors, e.Vector)
			e.Vector = nil
			res.Eigenvalues = append(res.Eigenvalues, e)
		}
	case SliceModel:
		other, err := o.To.Net.HostParams()
		if err != nil {
			return nil, err
		}
		if len(other) != P || !sameArch(net.Spec(), o.To.Net.Spec()) {
			return nil, fmt.Errorf("slice: the other model is %s, this one %s; a line needs the same architecture", o.To.Net.Spec().Describe(), net.Spec().Describe())
		}
		d := make([]float64, P)
		for i := range d {
			d[i] = other[i] - theta[i]
		}
		res.Vectors = [][]float64{d}
	}
	lo, hi := -o.Range, o.Range
	if o.Directions == SliceModel {
		hi = 1 + o.Range
	}
	res.Alphas = axis(lo, hi, o.Points)
	betas := []float64{0}
	if o.Dims == 2 {
		res.Betas = axis(lo, hi, o.Points)
		betas = res.Betas
	}
	ev, err := net.NewEvaluator(o.Chunk)
	if err != nil {
		return nil, err
	}
	defer ev.Close()
	s := engine.NewScope(b)
	defer s.Close()
	t0, at := s.Alloc(P), s.Alloc(P)
	s.Upload(t0, theta)
	dirs := make([]engine.Buffer, len(res.Vectors))
	for k, v := range res.Vectors {
		dirs[k] = s.Alloc(P)
		s.Upload(dirs[k], v)
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	var journal *sliceJournal
	have := map[int]slicePoint{}
	if o.Journal != "" {
		hdr := sliceJournalHeader{Format: SliceJournalFormat, Version: 1, Params: hashFloats(theta), Data: journalData(o.Model),
			Samples: o.Model.Train.N, Directions: o.Directions, Vectors: hashFloats(res.Vectors...), Dims: o.Dims, Points: o.Points, Range: o.Range, DType: res.DType}
		if o.Model.Test != nil {
			hdr.Test = o.Model.Test.N
		}
		if journal, have, err = openSliceJournal(o.Journal, hdr, o); err != nil {
			return nil, err
		}
		defer func() {
			if cerr := journal.close(); cerr != nil && err == nil {
				res, err = nil, cerr
			}
		}()
	}
	best := math.Inf(1)
	done := 0
	for _, a := range res.Alphas {
		for _, bt := range betas {
			if err := ctx.Err(); err != nil {
				if journal != nil {
					return nil, fmt.Errorf("slice: interrupted after %d of %d points, which are in the journal %s: %w", done, npts, o.Journal, err)
				}
				return nil, err
			}
			i := done
			done++
			if p, ok := have[i]; ok {
				res.record(p, o.Model.Test != nil, a, bt, &best)
				if o.Progress != nil {
					o.Progress(done, npts)
				}
				continue
			}
			// theta + a d1 + b d2, in this order for every point.
			s.Copy(at, t0)
			s.Axpy(P, a, dirs[0], 1, at, 1)
			if o.Dims == 2 {
				s.Axpy(P, bt, dirs[1], 1, at, 1)
			}
			if err := s.Err(); err != nil {
				return nil, err
			}
			p := slicePoint{I: i}
			loss, acc, err := ev.Evaluate(at, o.Model.Train)
			if err != nil {
				return nil, err
			}
			p.TrainLoss, p.TrainAccuracy = journalNum(loss), journalNum(acc)
			if o.Model.Test != nil {
				tl, ta, err := ev.Evaluate(at, o.Model.Test)
				if err != nil {
					return nil, err
				}
				p.TestLoss, p.TestAccuracy = journalNum(tl), journalNum(ta)
			}
			res.record(p, o.Model.Test != nil, a, bt, &best)
			if journal != nil {
				if err := journal.add(p); err != nil {
					return nil, err
				}
			}
			if o.Progress != nil {
				o.Progress(done, npts)
			}
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// journalData names a model's data for a slice journal: the recorded
// name, and the hash of the prepared sets when the model records one.
func journalData(m *train.Model) string {
	d := m.Header.Data
	if d == nil {
		return ""
	}
	if d.SHA256 != "" {
		return d.Name + " sha256:" + d.SHA256
	}
	return d.Name
}

// record appends point p (at alpha a, beta bt) to the result and updates
// the minimum.
func (res *SliceResult) record(p slicePoint, test bool, a, bt float64, best *float64) {
	loss := float64(p.TrainLoss)
	res.TrainLoss, res.TrainAccuracy = append(res.TrainLoss, loss), append(res.TrainAccuracy, float64(p.TrainAccuracy))
	if test {
		res.TestLoss, res.TestAccuracy = append(res.TestLoss, float64(p.TestLoss)), append(res.TestAccuracy, float64(p.TestAccuracy))
	}
	if loss < *best {
		*best = loss
		res.Min = SliceMin{Alpha: a, TrainLoss: loss}
		if res.Dims == 2 {
			bb := bt
			res.Min.Beta = &bb
		}
	}
}

// axis is n equally spaced values from lo to hi, both included.
func axis(lo, hi float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	out[n-1] = hi
	return out
}

// sameArch reports whether two networks have the same layers (widths and
// kinds, which Describe spells out), activation and loss.
func sameArch(a, b models.NetworkSpec) bool {
	return a.Describe() == b.Describe() && a.Act.Name == b.Act.Name && a.Loss == b.Loss
}

// FilterNormalised returns a Gaussian direction (Philox normals of the
// given seed and stream) filter-normalised for theta (FilterNormalise).
func FilterNormalised(spec models.NetworkSpec, theta []float64, seed, stream uint64) []float64 {
	d := make([]float64, len(theta))
	rng.FillNormal(d, seed, stream, 0)
	return FilterNormalise(spec, theta, d)
}

// FilterNormalise rescales the direction d (in the flat parameter layout
// of spec) filter by filter as Li et al. (2018) do for the model theta,
// and returns it: every row of every weight matrix (one unit's incoming
// weights) is scaled to the Euclidean norm of the same row of theta, and
// every bias is zero (their code's default for one-dimensional tensors).
// A row of d that is all zeros stays zero.
func FilterNormalise(spec models.NetworkSpec, theta, d []float64) []float64 {
	for l := 1; l < len(spec.Widths); l++ {
		for _, t := range spec.Block(l).Tensors {
			if !t.Weight {
				clear(d[t.Off : t.Off+t.Len()])
				continue
			}
			for r := 0; r < t.Rows; r++ {
				var dn, tn float64
				for c := 0; c < t.Cols; c++ {
					i := t.Off + c*t.Rows + r // column-major
					dn += d[i] * d[i]
					tn += theta[i] * theta[i]
				}
				scale := 0.0
				if dn > 0 {
					scale = math.Sqrt(tn) / math.Sqrt(dn)
				}
				for c := 0; c < t.Cols; c++ {
					d[t.Off+c*t.Rows+r] *= scale
				}
			}
		}
	}
	return d
}
