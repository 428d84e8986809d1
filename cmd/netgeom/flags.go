package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
)

// Flag groups and parsers shared by several subcommands.

// netFlags are the flags that name a random network.
type netFlags struct {
	act            string
	sigmaW, sigmaB float64
	width, depth   int
	weights        string
	// Attention layers' token dimension and residual connection (curvature).
	tokenDim int
	residual bool
}

func (f *netFlags) add(cmd *cobra.Command, width, depth int) {
	fl := cmd.Flags()
	fl.StringVar(&f.act, "act", "tanh", "activation: "+fmt.Sprint(activation.Names()))
	fl.Float64Var(&f.sigmaW, "sigma-w", 4, "weight scale: W_ij ~ N(0, sigma_w^2 / N)")
	fl.Float64Var(&f.sigmaB, "sigma-b", 0.3, "bias standard deviation")
	fl.IntVar(&f.width, "width", width, "width N of every layer")
	fl.IntVar(&f.depth, "depth", depth, "number of layers")
	fl.StringVar(&f.weights, "weights", "gaussian", "weight law: gaussian or orthogonal")
}

// build checks the flags and returns the activation, the network (input
// taken as a pre-activation, Poole's convention) and its mean-field model.
// inputWidth is the network's input width; 0 means --width.
func (f *netFlags) build(seed uint64, inputWidth int) (activation.Func, *models.RandomNetwork, *meanfield.Model, error) {
	act, err := activation.Lookup(f.act)
	if err != nil {
		return act, nil, nil, fmt.Errorf("--act: %w", err)
	}
	if f.width < 2 {
		return act, nil, nil, fmt.Errorf("--width %d: want at least 2", f.width)
	}
	if f.depth < 1 {
		return act, nil, nil, fmt.Errorf("--depth %d: want at least 1", f.depth)
	}
	law, err := models.ParseWeightLaw(f.weights)
	if err != nil {
		return act, nil, nil, fmt.Errorf("--weights: %w", err)
	}
	widths := models.UniformWidths(f.width, f.depth)
	if inputWidth > 0 {
		widths[0] = inputWidth
	}
	net, err := models.NewRandomNetwork(models.RandomSpec{Widths: widths, Act: act,
		SigmaW: f.sigmaW, SigmaB: f.sigmaB, Law: law, Seed: seed, ActivateInput: true})
	if err != nil {
		return act, nil, nil, err
	}
	mf, err := meanfield.New(act, f.sigmaW, f.sigmaB, meanfield.Options{})
	if err != nil {
		return act, nil, nil, err
	}
	return act, net, mf, nil
}

// netRun is what a random-network command works with.
type netRun struct {
	act activation.Func
	net *models.RandomNetwork
	mf  *meanfield.Model
	q0  float64 // the input's squared length per coordinate
	b   engine.Backend
}

// open builds the network and its mean-field model from the flags, settles
// the input's q (the --q flag's value q, or q*), and opens the backend named
// by --backend; the caller closes it.
func (f *netFlags) open(g *globals, q float64) (netRun, error) {
	act, net, mf, err := f.build(g.Seed, 0)
	if err != nil {
		return netRun{}, err
	}
	q0, err := inputQ(mf, q)
	if err != nil {
		return netRun{}, err
	}
	b, err := g.open()
	if err != nil {
		return netRun{}, err
	}
	return netRun{act: act, net: net, mf: mf, q0: q0, b: b}, nil
}

// inputQ returns the input's q: the flag when given, else q* (an error
// that says what to do when the length map has no fixed point).
func inputQ(mf *meanfield.Model, q float64) (float64, error) {
	if q > 0 {
		return q, nil
	}
	if q < 0 || math.IsNaN(q) {
		return 0, fmt.Errorf("--q %v: want q > 0", q)
	}
	fp, err := mf.FixedLength(1)
	if err != nil {
		if errors.Is(err, meanfield.ErrNoFixedPoint) {
			return 0, fmt.Errorf("%w; give the input's length with --q", err)
		}
		return 0, err
	}
	if fp.Q == 0 {
		return 0, errors.New("q* = 0 here (the length map sends every input to 0): give the input's length with --q")
	}
	return fp.Q, nil
}

func parseList(flag, s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("--%s: %q is not a number (write a comma-separated list like 0.2,0.5,0.8)", flag, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// optFloat formats a value that may be missing.
func optFloat(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmtFloat(*p)
}

// maxListLen bounds the values a range or list flag expands to: a grid axis
// or a list of depths longer than this is a typo, and would not fit in
// memory long before it could run.
const maxListLen = 1_000_000

func parseInts(flag, s string) ([]int, error) {
	var out []int
	if lo, hi, ok := strings.Cut(s, ":"); ok && !strings.Contains(s, ",") {
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || a < 1 || b < a {
			return nil, fmt.Errorf("--%s %q: want lo:hi with 1 <= lo <= hi, or a comma-separated list", flag, s)
		}
		if b-a >= maxListLen {
			return nil, fmt.Errorf("--%s %q: %d values; at most %d", flag, s, b-a+1, maxListLen)
		}
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
		return out, nil
	}
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("--%s: %q is not a positive integer", flag, f)
		}
		out = append(out, v)
	}
	return out, nil
}

func median(s *landscape.Stats) *float64 {
	if s == nil {
		return nil
	}
	return &s.Median
}

// jsonFloat marshals finite values as JSON numbers and +-Inf (never NaN, which
// the meanfield package does not produce) as the strings "+Inf"/"-Inf".
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	x := float64(f)
	switch {
	case math.IsInf(x, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(x, -1):
		return []byte(`"-Inf"`), nil
	case math.IsNaN(x):
		return []byte(`"NaN"`), nil
	}
	return []byte(strconv.FormatFloat(x, 'g', -1, 64)), nil
}

// optionFlagError rewrites an *options.Error (an experiment's option it
// cannot use) as one about the flag that set the option (flags maps option
// fields to flag names); other errors pass unchanged.
func optionFlagError(err error, flags map[string]string) error {
	var oe *options.Error
	if !errors.As(err, &oe) {
		return err
	}
	flag, ok := flags[oe.Field]
	if !ok {
		return err
	}
	var msg string
	switch v := oe.Value.(type) {
	case nil:
		msg = fmt.Sprintf("--%s: %s", flag, oe.Want)
	case []float64:
		msg = fmt.Sprintf("--%s %s: %s", flag, joinList(v, fmtFloat), oe.Want)
	case []int:
		msg = fmt.Sprintf("--%s %s: %s", flag, joinList(v, strconv.Itoa), oe.Want)
	default:
		msg = fmt.Sprintf("--%s %v: %s", flag, v, oe.Want)
	}
	if oe.Err != nil {
		return fmt.Errorf("%s: %w", msg, oe.Err)
	}
	return errors.New(msg)
}

// joinList writes a list in the comma-separated form the flags take.
func joinList[T any](s []T, format func(T) string) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = format(v)
	}
	return strings.Join(parts, ",")
}

// explicitZero refuses a flag set to 0 on the command line where the
// library reads 0 as "the default": the user asked for zero, not for the
// default.
func explicitZero(cmd *cobra.Command, names ...string) error {
	for _, n := range names {
		if f := cmd.Flags().Lookup(n); f != nil && f.Changed && f.Value.String() == "0" {
			return fmt.Errorf("--%s 0: want a positive value", n)
		}
	}
	return nil
}
