package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/meanfield"
)

func init() { register(newMeanfieldCmd) }

type meanfieldLayerJSON struct {
	Layer           int       `json:"layer"`
	Q               jsonFloat `json:"q"`
	C               jsonFloat `json:"c"`
	Gbar            jsonFloat `json:"gbar"`
	Kbar            jsonFloat `json:"kbar"`
	Length          jsonFloat `json:"length"`
	GrassmannLength jsonFloat `json:"grassmann_length"`
}

type meanfieldJSON struct {
	Activation     string               `json:"activation"`
	SigmaW         jsonFloat            `json:"sigma_w"`
	SigmaB         jsonFloat            `json:"sigma_b"`
	QStar          jsonFloat            `json:"q_star"`
	CStar          jsonFloat            `json:"c_star"`
	Chi1           jsonFloat            `json:"chi1"`
	Chi2           jsonFloat            `json:"chi2"`
	XiQ            jsonFloat            `json:"xi_q"`
	XiC            jsonFloat            `json:"xi_c"`
	Phase          string               `json:"phase"`
	CriticalSigmaW *jsonFloat           `json:"critical_sigma_w"`
	Layers         []meanfieldLayerJSON `json:"layers,omitempty"`
}

// scaleFlags reads a parameter given either as a standard deviation
// (--name) or as a variance (--name2), never both; def is the variance
// when neither is given (required when def < 0).
func scaleFlags(cmd *cobra.Command, name string, sd, v, def float64) (float64, error) {
	fs := cmd.Flags()
	a, b := fs.Changed(name), fs.Changed(name+"2")
	switch {
	case a && b:
		return 0, fmt.Errorf("give --%s (standard deviation) or --%s2 (variance), not both", name, name)
	case a:
		if math.IsNaN(sd) || math.IsInf(sd, 0) || sd < 0 {
			return 0, fmt.Errorf("--%s = %g: want a finite value >= 0", name, sd)
		}
		return sd * sd, nil
	case b:
		return v, nil
	case def < 0:
		return 0, fmt.Errorf("--%s or --%s2 is required", name, name)
	}
	return def, nil
}

func newMeanfieldCmd(g *globals) *cobra.Command {
	var (
		actName          string
		sw, sb, sw2, sb2 float64
		q0, c0, tol      float64
		layers           int
	)
	cmd := &cobra.Command{
		Use:         "meanfield",
		Annotations: map[string]string{noEngine: "scalar quadrature on the CPU"},
		Short:       "Mean-field signal propagation: q*, c*, chi_1, chi_2, depth scales, phase",
		Long: `Mean-field theory of a wide random network (Poole et al. 2016, Schoenholz et
al. 2017) for one activation and (sigma_w, sigma_b): the fixed point q* of the
length map (iterated from --q0), the stable fixed point c* of the correlation
map, chi_1, chi_2, the depth scales xi_q and xi_c (+Inf at criticality), the
phase, and the critical sigma_w at this sigma_b.

--sigma-w/--sigma-b are standard deviations; --sigma-w2/--sigma-b2 take
variances instead (Schoenholz's convention). Giving both forms is an error.

With --layers L it adds Poole's eq.-8 predictions for layers 0..L of a great
circle fed in as layer 0 with length q^0 = q* (or --q0 when given), and the
correlation c of two inputs of that length with correlation --c0 at layer 0
(numbered as in netgeom curvature and propagate): per layer q,
c, gbar, kbar, length = L^E/sqrt(N) = 2 pi sqrt(gbar), and the Grassmannian
length L^G = 2 pi sqrt(gbar) kbar.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			act, err := activation.Lookup(actName)
			if err != nil {
				return err
			}
			vw, err := scaleFlags(cmd, "sigma-w", sw, sw2, -1)
			if err != nil {
				return err
			}
			vb, err := scaleFlags(cmd, "sigma-b", sb, sb2, 0)
			if err != nil {
				return err
			}
			if err := explicitZero(cmd, "tol"); err != nil {
				return err
			}
			if layers < 0 || (cmd.Flags().Changed("layers") && layers == 0) {
				return fmt.Errorf("--layers %d: want at least 1 (leave it out for no per-layer predictions)", layers)
			}
			opt := meanfield.Options{Tol: tol}
			m, err := meanfield.NewVar(act, vw, vb, opt)
			if err != nil {
				return err
			}
			s, err := m.Analyze(q0)
			if errors.Is(err, meanfield.ErrNoFixedPoint) {
				chi1, _ := m.Chi1(1)
				return fmt.Errorf("%w; so no q*, c* or depth scales (chi_1 at q = 1 is %.6g)", err, chi1)
			}
			if err != nil {
				return err
			}
			out := meanfieldJSON{
				Activation: act.Name, SigmaW: jsonFloat(m.SigmaW()), SigmaB: jsonFloat(m.SigmaB()),
				QStar: jsonFloat(s.QStar), CStar: jsonFloat(s.CStar), Chi1: jsonFloat(s.Chi1), Chi2: jsonFloat(s.Chi2),
				XiQ: jsonFloat(s.XiQ), XiC: jsonFloat(s.XiC), Phase: s.Phase.String(),
			}
			critStr := "n/a"
			if crit, err := meanfield.CriticalSigmaW(act, m.SigmaB(), opt); err == nil {
				c := jsonFloat(crit)
				out.CriticalSigmaW = &c
				critStr = fmtFloat(crit)
			} else {
				fmt.Fprintln(cmd.ErrOrStderr(), "netgeom meanfield: no critical sigma_w:", err)
			}
			t := table{
				Title:  fmt.Sprintf("mean field: %s, sigma_w = %s, sigma_b = %s", act.Name, fmtFloat(m.SigmaW()), fmtFloat(m.SigmaB())),
				Header: []string{"quantity", "value"},
				Rows: [][]string{
					{"q_star", fmtFloat(s.QStar)},
					{"iterations", strconv.Itoa(s.Iterations)},
					{"c_star", fmtFloat(s.CStar)},
					{"chi1", fmtFloat(s.Chi1)},
					{"chi2", fmtFloat(s.Chi2)},
					{"xi_q_layers", fmtFloat(s.XiQ)},
					{"xi_c_layers", fmtFloat(s.XiC)},
					{"phase", s.Phase.String()},
					{"critical_sigma_w", critStr},
				},
			}
			// About 400 bytes per layer at the peak (its predictions and row).
			if err := memory.Check(int64(layers)*400+40<<20, fmt.Sprintf("predictions for %d layers", layers)); err != nil {
				return fmt.Errorf("--layers: %w", err)
			}
			if layers > 0 {
				start := s.QStar
				if cmd.Flags().Changed("q0") {
					start = q0
				}
				circ, err := m.Circle(start, layers)
				if err != nil {
					return err
				}
				cs, err := m.CorrelationTrajectory(start, c0, layers)
				if err != nil {
					return err
				}
				t = table{
					Title: t.Title + fmt.Sprintf("; q* = %s, c* = %s, chi1 = %s, phase %s; circle from q = %s, c0 = %s",
						fmtShort(s.QStar), fmtShort(s.CStar), fmtShort(s.Chi1), s.Phase, fmtShort(start), fmtShort(c0)),
					Header: []string{"layer", "q", "c", "gbar", "kbar", "length_per_sqrtN", "grassmann_length"},
				}
				for i, l := range circ {
					t.Rows = append(t.Rows, []string{strconv.Itoa(l.Layer), fmtFloat(l.Q), fmtFloat(cs[i]), fmtFloat(l.Gbar),
						fmtFloat(l.Kbar), fmtFloat(l.Length), fmtFloat(l.GrassmannLength)})
					out.Layers = append(out.Layers, meanfieldLayerJSON{Layer: l.Layer, Q: jsonFloat(l.Q), C: jsonFloat(cs[i]),
						Gbar: jsonFloat(l.Gbar), Kbar: jsonFloat(l.Kbar), Length: jsonFloat(l.Length), GrassmannLength: jsonFloat(l.GrassmannLength)})
				}
			}
			return emit(cmd, g, t, out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&actName, "act", "tanh", "activation: "+fmt.Sprint(activation.Names()))
	f.Float64Var(&sw, "sigma-w", 0, "weight standard deviation sigma_w")
	f.Float64Var(&sb, "sigma-b", 0, "bias standard deviation sigma_b (default 0)")
	f.Float64Var(&sw2, "sigma-w2", 0, "weight variance sigma_w^2 (instead of --sigma-w)")
	f.Float64Var(&sb2, "sigma-b2", 0, "bias variance sigma_b^2 (instead of --sigma-b)")
	f.Float64Var(&q0, "q0", 1, "starting length of the length-map iteration (and of the circle with --layers)")
	f.Float64Var(&c0, "c0", 0.5, "input correlation of the two-input trajectory (with --layers)")
	f.IntVar(&layers, "layers", 0, "add per-layer predictions for layers 0 (the input circle) to this many")
	f.Float64Var(&tol, "tol", 1e-10, "relative accuracy of the Gaussian integrals")
	npyFlag(cmd)
	return cmd
}
