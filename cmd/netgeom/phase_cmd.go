package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newPhaseCmd) }

type phasePointJSON struct {
	SigmaW     jsonFloat `json:"sigma_w"`
	SigmaB     jsonFloat `json:"sigma_b"`
	QStar      jsonFloat `json:"q_star"`
	CStar      jsonFloat `json:"c_star"`
	Chi1       jsonFloat `json:"chi1"`
	XiC        jsonFloat `json:"xi_c"`
	Phase      string    `json:"phase"`
	Iterations int       `json:"iterations"`
}

type phaseJSON struct {
	Activation string           `json:"activation"`
	SigmaW     []float64        `json:"sigma_w"`
	SigmaB     []float64        `json:"sigma_b"`
	Points     []phasePointJSON `json:"points"`
}

type criticalPointJSON struct {
	SigmaB         float64 `json:"sigma_b"`
	CriticalSigmaW float64 `json:"critical_sigma_w"`
}

type criticalJSON struct {
	Activation string              `json:"activation"`
	Points     []criticalPointJSON `json:"points"`
}

func newPhaseCmd(g *globals) *cobra.Command {
	var (
		actName, swRange, sbRange, plotFile string
		critical                            bool
		tol                                 float64
	)
	cmd := &cobra.Command{
		Use:         "phase",
		Annotations: map[string]string{noEngine: "scalar quadrature on the CPU"},
		Short:       "Order-to-chaos phase diagram: q*, c*, chi_1, xi_c over a (sigma_w, sigma_b) grid",
		Long: `Computes q*, c*, chi_1 and xi_c on the grid --sigma-w x --sigma-b (ranges
lo:hi:n; the length map starts at q = 1), in parallel across cores, and writes
the grid as a table, CSV or JSON (--format). Non-finite values print as +Inf.
With --plot FILE.png or FILE.svg it draws the four heat maps (xi_c on a log10
scale) with the chi_1 = 1 line over them.

With --critical it prints the critical sigma_w (chi_1 = 1) for each sigma_b of
--sigma-b instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			act, err := activation.Lookup(actName)
			if err != nil {
				return err
			}
			sbs, err := parseRange(sbRange)
			if err != nil {
				return fmt.Errorf("--sigma-b: %w", err)
			}
			if err := explicitZero(cmd, "tol"); err != nil {
				return err
			}
			opt := meanfield.Options{Tol: tol}
			if critical {
				if cmd.Flags().Changed("plot") {
					return fmt.Errorf("--plot draws the grid; it does not go with --critical")
				}
				curve, err := meanfield.CriticalCurve(act, sbs, opt)
				if err != nil {
					return err
				}
				t := table{Title: fmt.Sprintf("critical sigma_w (chi_1 = 1), %s", act.Name), Header: []string{"sigma_b", "critical_sigma_w"}}
				out := criticalJSON{Activation: act.Name}
				for i, sb := range sbs {
					t.Rows = append(t.Rows, []string{fmtFloat(sb), fmtFloat(curve[i])})
					out.Points = append(out.Points, criticalPointJSON{SigmaB: sb, CriticalSigmaW: curve[i]})
				}
				return emit(cmd, g, t, out)
			}
			sws, err := parseRange(swRange)
			if err != nil {
				return fmt.Errorf("--sigma-w: %w", err)
			}
			// About 2.5 KiB per grid point at the peak (the grid, its rows
			// and its JSON; measured 2.1 KiB from 81^2 and 150^2 grids).
			if err := memory.Check(int64(float64(len(sws))*float64(len(sbs))*2560)+40<<20, fmt.Sprintf("a phase grid of %d x %d points", len(sws), len(sbs))); err != nil {
				return fmt.Errorf("%w: use fewer points", err)
			}
			grid, err := meanfield.PhaseGrid(act, sws, sbs, opt)
			if err != nil {
				return err
			}
			if plotFile != "" {
				if err := report.PhasePlot(plotFile, act.Name, grid); err != nil {
					return err
				}
				g.wrote(cmd, plotFile)
			}
			t := table{
				Title:  fmt.Sprintf("phase grid, %s: %d sigma_w x %d sigma_b", act.Name, len(sws), len(sbs)),
				Header: []string{"sigma_w", "sigma_b", "q_star", "c_star", "chi1", "xi_c_layers", "phase", "iterations"},
			}
			out := phaseJSON{Activation: act.Name, SigmaW: sws, SigmaB: sbs}
			for _, row := range grid {
				for _, p := range row {
					t.Rows = append(t.Rows, []string{fmtFloat(p.SigmaW), fmtFloat(p.SigmaB), fmtFloat(p.QStar), fmtFloat(p.CStar),
						fmtFloat(p.Chi1), fmtFloat(p.XiC), p.Phase.String(), strconv.Itoa(p.Iterations)})
					out.Points = append(out.Points, phasePointJSON{SigmaW: jsonFloat(p.SigmaW), SigmaB: jsonFloat(p.SigmaB),
						QStar: jsonFloat(p.QStar), CStar: jsonFloat(p.CStar), Chi1: jsonFloat(p.Chi1), XiC: jsonFloat(p.XiC),
						Phase: p.Phase.String(), Iterations: p.Iterations})
				}
			}
			return emit(cmd, g, t, out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&actName, "act", "tanh", "activation: "+fmt.Sprint(activation.Names()))
	f.StringVar(&swRange, "sigma-w", "1:5:81", "sigma_w values, lo:hi:n or one number")
	f.StringVar(&sbRange, "sigma-b", "0:4:81", "sigma_b values, lo:hi:n or one number")
	outputFlag(cmd, &plotFile, "plot", "", "figure", "draw the heat maps to FILE.png or FILE.svg")
	f.BoolVar(&critical, "critical", false, "print the critical sigma_w for each sigma_b instead of the grid")
	f.Float64Var(&tol, "tol", 1e-10, "relative accuracy of the Gaussian integrals")
	npyFlag(cmd)
	return cmd
}
