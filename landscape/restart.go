package landscape

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/internal/jsonl"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/train"
)

// Defaults of a census Config (the CLI's defaults too).
const (
	DefaultTolerance   = 0.05
	DefaultActivation  = "tanh"
	DefaultLoss        = "cross-entropy"
	DefaultInit        = "glorot"
	DefaultWeightDecay = 0.01
	DefaultAdamSteps   = 500
	DefaultAdamLR      = 0.01
	DefaultLBFGSSteps  = 3000
	DefaultGradTol     = 1e-7
)

// CensusFormat tags the header line of a census file.
const CensusFormat = "netgeom-census-1"

// Config is everything that determines a census's end points: a restart's
// record is a function of the Config, the depth and the restart index only
// (and of the backend and its BLAS, to rounding). It is the header line of
// a census file, and a census resumes only under an equal Config.
type Config struct {
	Format string `json:"format"` // CensusFormat
	// Data, Subset and TestFraction name the data set as train.Prepare
	// takes them (standardised features, split from Seed).
	Data         string  `json:"data"`
	Subset       int     `json:"subset,omitempty"`
	TestFraction float64 `json:"test_fraction"`
	// Budget is the parameter count P; every depth's network is within
	// Tolerance * P of it (see Architectures).
	Budget    int     `json:"budget"`
	Tolerance float64 `json:"tolerance"`
	// Activation of the hidden layers, Loss and Init (models' names).
	Activation string `json:"activation"`
	Loss       string `json:"loss"`
	Init       string `json:"init"`
	// WeightDecay: the training objective is the mean loss plus
	// (WeightDecay/2) |theta|^2, whose stationary points the census finds
	// (with cross-entropy and no decay, a network that separates the
	// training set has no minimum at finite weights). Taken as given: 0
	// means none.
	WeightDecay float64 `json:"weight_decay"`
	// Training: AdamSteps full-batch Adam steps at AdamLR, then L-BFGS for
	// at most LBFGSSteps iterations, both stopping once the gradient norm
	// of the objective is at most GradTol (a restart is converged when it
	// ends there).
	AdamSteps  int     `json:"adam_steps"`
	AdamLR     float64 `json:"adam_lr"`
	LBFGSSteps int     `json:"lbfgs_steps"`
	GradTol    float64 `json:"grad_tol"`
	// Seed draws the split and, through RestartSeed, every restart.
	Seed uint64 `json:"seed"`
	// DenseMax and EigTol configure the Hessian (CurvatureOptions).
	DenseMax int     `json:"dense_max"`
	EigTol   float64 `json:"eig_tol"`
}

// Normalize fills the zero fields (WeightDecay excepted) with the defaults
// and checks the values.
func (c Config) Normalize() (Config, error) {
	if c.Format == "" {
		c.Format = CensusFormat
	}
	if c.Format != CensusFormat {
		return c, fmt.Errorf("census: format %q; this build writes and reads %q", c.Format, CensusFormat)
	}
	if c.TestFraction == 0 {
		c.TestFraction = train.DefaultTestFraction
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Activation, DefaultActivation)
	def(&c.Loss, DefaultLoss)
	def(&c.Init, DefaultInit)
	if c.Tolerance == 0 {
		c.Tolerance = DefaultTolerance
	}
	if c.AdamLR == 0 {
		c.AdamLR = DefaultAdamLR
	}
	if c.LBFGSSteps == 0 {
		c.LBFGSSteps = DefaultLBFGSSteps
	}
	if c.GradTol == 0 {
		c.GradTol = DefaultGradTol
	}
	if c.DenseMax == 0 {
		c.DenseMax = DefaultDenseMax
	}
	if c.EigTol == 0 {
		c.EigTol = DefaultEigTol
	}
	switch {
	case c.Data == "":
		return c, errors.New("census: no data set")
	case c.Budget < 1:
		return c, fmt.Errorf("census: budget %d parameters; want >= 1", c.Budget)
	case !(c.Tolerance > 0 && c.Tolerance < 1):
		return c, fmt.Errorf("census: tolerance %v; want 0 < tolerance < 1", c.Tolerance)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return c, fmt.Errorf("census: weight decay %v; want a finite number >= 0", c.WeightDecay)
	case c.AdamSteps < 0 || c.LBFGSSteps < 1 || c.Subset < 0:
		return c, fmt.Errorf("census: %d Adam steps, %d L-BFGS steps, subset %d; want >= 0, >= 1, >= 0", c.AdamSteps, c.LBFGSSteps, c.Subset)
	case !(c.AdamLR > 0) || !(c.GradTol > 0) || math.IsInf(c.AdamLR, 0):
		return c, fmt.Errorf("census: Adam learning rate %v, gradient tolerance %v; want > 0", c.AdamLR, c.GradTol)
	case !(c.EigTol > 0 && c.EigTol < 1):
		return c, fmt.Errorf("census: eigenvalue tolerance %v; want 0 < tol < 1", c.EigTol)
	}
	if _, err := c.spec(nil); err != nil {
		return c, err
	}
	if _, err := models.ParseInit(c.Init); err != nil {
		return c, fmt.Errorf("census: %w", err)
	}
	return c, nil
}

// Spec returns the network spec of the given widths under c (its
// activation and loss).
func (c Config) Spec(widths []int) (models.NetworkSpec, error) {
	s, err := c.spec(widths)
	if err != nil {
		return s, err
	}
	return s, s.Check()
}

// DataSpec is the data set of the census as train.Prepare takes it.
func (c Config) DataSpec() train.DataSpec {
	return train.DataSpec{Name: c.Data, Subset: c.Subset, TestFraction: c.TestFraction, Seed: c.Seed, Standardize: true}
}

// spec returns the network spec of the given widths under c, unchecked.
func (c Config) spec(widths []int) (models.NetworkSpec, error) {
	act, err := activation.Lookup(c.Activation)
	if err != nil {
		return models.NetworkSpec{}, fmt.Errorf("census: %w", err)
	}
	loss, err := models.ParseLoss(c.Loss)
	if err != nil {
		return models.NetworkSpec{}, fmt.Errorf("census: %w", err)
	}
	return models.NetworkSpec{Widths: widths, Act: act, Loss: loss}, nil
}

// diff names the fields in which c and d differ.
func (c Config) diff(d Config) []string { return jsonl.Diff(c, d) }

// RestartSeed is the seed of restart r at the given depth: a hash
// (splitmix64) of the census seed, the depth and r, so that every restart
// is reproducible on its own.
func RestartSeed(seed uint64, depth, restart int) uint64 {
	return splitmix(splitmix(seed^0x63656e737573) + uint64(depth)<<32 + uint64(restart))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Record is one finished restart: a line of a census file.
type Record struct {
	Depth   int    `json:"depth"`
	Restart int    `json:"restart"`
	Seed    uint64 `json:"seed"`
	Widths  []int  `json:"widths"`
	Params  int    `json:"params"`
	// Error says why the restart has no end point (training diverged);
	// the fields below are then zero.
	Error string `json:"error,omitempty"`
	// AdamSteps and LBFGSSteps made; Stop is L-BFGS's stop reason (or
	// Adam's when it reached GradTol itself); Converged reports GradNorm
	// <= GradTol.
	AdamSteps  int    `json:"adam_steps"`
	LBFGSSteps int    `json:"lbfgs_steps"`
	Stop       string `json:"stop"`
	Converged  bool   `json:"converged"`
	// Objective (mean loss + weight-decay penalty) and the norm of its
	// gradient at the end point.
	Objective float64 `json:"objective"`
	GradNorm  float64 `json:"grad_norm"`
	// Mean loss (no penalty) and accuracy on the training and test sets.
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	TestLoss      float64 `json:"test_loss"`
	TestAccuracy  float64 `json:"test_accuracy"`
	// Hessian of the objective at the end point.
	Hessian *Curvature `json:"hessian,omitempty"`
	// Theta is the end point (models.Network's layout).
	Theta []float64 `json:"theta,omitempty"`
}

// Key is (depth, restart).
func (r Record) Key() [2]int { return [2]int{r.Depth, r.Restart} }

// ok reports whether r is a stationary point with its Hessian measured:
// trained without error to the gradient tolerance.
func (r Record) ok() bool { return r.Error == "" && r.Converged && r.Hessian != nil }

// Prepared holds a census's data on a backend.
type Prepared struct {
	Config Config
	Prep   *train.Prepared
	// Train and Test are the training and test sets; All holds the inputs
	// of both (targets unused), on which function distances are taken.
	Train, Test, All *models.Data
}

// Prepare loads and uploads the census's data (cfg normalised).
func Prepare(b engine.Backend, cfg Config) (*Prepared, error) {
	cfg, err := cfg.Normalize()
	if err != nil {
		return nil, err
	}
	prep, err := train.Prepare(cfg.DataSpec())
	if err != nil {
		return nil, fmt.Errorf("census: data %s: %w", cfg.Data, err)
	}
	if prep.Train.Regression() {
		return nil, fmt.Errorf("census: data %s is a regression table (target columns); the census compares accuracies and needs class labels (a label column)", cfg.Data)
	}
	p := &Prepared{Config: cfg, Prep: prep}
	if p.Train, err = train.Upload(b, prep.Train); err != nil {
		return nil, err
	}
	if p.Test, err = train.Upload(b, prep.Test); err != nil {
		p.Close()
		return nil, err
	}
	x := append(append([]float64(nil), prep.Train.X...), prep.Test.X...)
	y := append(append([]int(nil), prep.Train.Y...), prep.Test.Y...)
	n, c := prep.Train.N+prep.Test.N, prep.Train.Classes
	t := make([]float64, n*c)
	for i, k := range y {
		t[i*c+k] = 1
	}
	if p.All, err = models.NewData(b, x, prep.Train.D, t, c, y); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Close releases the data.
func (p *Prepared) Close() error {
	return errors.Join(p.Train.Close(), p.Test.Close(), p.All.Close())
}

// Architectures returns the census's architectures for the depths.
func (p *Prepared) Architectures(depths []int) ([]Arch, error) {
	return Architectures(p.Prep.Train.D, p.Prep.Train.Classes, p.Config.Budget, p.Config.Tolerance, depths)
}

// RunRestart trains restart r of architecture a from its seed and measures
// its end point. A diverged training gives a Record with Error set, not an
// error; errors are failures of the machinery.
func (p *Prepared) RunRestart(b engine.Backend, a Arch, r int) (Record, error) {
	cfg := p.Config
	rec := Record{Depth: a.Depth, Restart: r, Seed: RestartSeed(cfg.Seed, a.Depth, r), Widths: append([]int(nil), a.Widths...), Params: a.Params}
	spec, err := cfg.spec(a.Widths)
	if err != nil {
		return rec, err
	}
	scheme, err := models.ParseInit(cfg.Init)
	if err != nil {
		return rec, err
	}
	net, err := models.NewNetwork(b, spec)
	if err != nil {
		return rec, err
	}
	defer net.Close()
	if err := net.Initialize(models.Init{Scheme: scheme}, rec.Seed); err != nil {
		return rec, err
	}
	fail := func(err error) (Record, error) {
		if errors.Is(err, train.ErrDiverged) {
			return Record{Depth: rec.Depth, Restart: r, Seed: rec.Seed, Widths: rec.Widths, Params: rec.Params, Error: err.Error()}, nil
		}
		return rec, err
	}
	res := train.Result{GradNorm: math.Inf(1)}
	if cfg.AdamSteps > 0 {
		if res, err = train.Train(net, p.Train, train.Options{Method: train.Adam, Steps: cfg.AdamSteps, LearningRate: cfg.AdamLR,
			WeightDecay: cfg.WeightDecay, GradTol: cfg.GradTol}); err != nil {
			return fail(err)
		}
		rec.AdamSteps = res.Steps
	}
	if res.GradNorm > cfg.GradTol {
		if res, err = train.Train(net, p.Train, train.Options{Method: train.LBFGS, Steps: cfg.LBFGSSteps,
			WeightDecay: cfg.WeightDecay, GradTol: cfg.GradTol}); err != nil {
			return fail(err)
		}
		rec.LBFGSSteps = res.Steps
	}
	rec.Stop, rec.Objective, rec.GradNorm = res.Stop, res.Loss, res.GradNorm
	rec.Converged = res.GradNorm <= cfg.GradTol
	e, err := net.NewEvaluator(0)
	if err != nil {
		return rec, err
	}
	defer e.Close()
	if rec.TrainLoss, rec.TrainAccuracy, err = e.Evaluate(net.Params(), p.Train); err != nil {
		return rec, err
	}
	if rec.TestLoss, rec.TestAccuracy, err = e.Evaluate(net.Params(), p.Test); err != nil {
		return rec, err
	}
	curv, _, err := MeasureCurvature(net, net.Params(), p.Train, CurvatureOptions{WeightDecay: cfg.WeightDecay, DenseMax: cfg.DenseMax,
		EigTol: cfg.EigTol, Seed: rec.Seed})
	if err != nil {
		return rec, err
	}
	rec.Hessian = &curv
	if rec.Theta, err = net.HostParams(); err != nil {
		return rec, err
	}
	for _, v := range []float64{rec.Objective, rec.GradNorm, rec.TrainLoss, rec.TrainAccuracy, rec.TestLoss, rec.TestAccuracy,
		curv.MinEig, curv.MaxEig, curv.Trace, curv.LogVolume} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fail(fmt.Errorf("%w: a non-finite value at the end point", train.ErrDiverged))
		}
	}
	return rec, nil
}
