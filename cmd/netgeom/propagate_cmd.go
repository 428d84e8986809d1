package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/manifold"
)

func init() { register(newPropagateCmd) }

type propagateLayer struct {
	Layer   int        `json:"layer"`
	Q       float64    `json:"q"`
	QTheory *float64   `json:"q_theory"`
	C       []float64  `json:"c"`
	CStd    []float64  `json:"c_std"`
	CTheory []*float64 `json:"c_theory"`
}

type propagateResult struct {
	Activation string           `json:"activation"`
	SigmaW     float64          `json:"sigma_w"`
	SigmaB     float64          `json:"sigma_b"`
	Width      int              `json:"width"`
	Depth      int              `json:"depth"`
	Weights    string           `json:"weights"`
	Seed       uint64           `json:"seed"`
	QInput     float64          `json:"q_input"`
	C0         []float64        `json:"c0"`
	Pairs      int              `json:"pairs"`
	Layers     []propagateLayer `json:"layers"`
}

func newPropagateCmd(g *globals) *cobra.Command {
	var nf netFlags
	var c0s string
	var pairs int
	var q float64
	cmd := &cobra.Command{
		Use:   "propagate",
		Short: "Send pairs of inputs through a random network: measured q^l and c^l beside the length and correlation maps",
		Long: `Send --pairs independent pairs of inputs, each of squared length N q (q* by
default) and correlation exactly c0 for each c0 in --c0, through a random
network, and print per layer the measured mean q^l and mean correlation c^l
beside the mean-field length map and C-map (Poole et al. 2016, figure 2).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cs, err := parseList("c0", c0s)
			if err != nil {
				return err
			}
			run, err := nf.open(g, q)
			if err != nil {
				return err
			}
			defer run.b.Close()
			act, net, mf, q0, b := run.act, run.net, run.mf, run.q0, run.b
			meas, err := manifold.PropagatePairs(b, net, q0, cs, pairs, g.Seed)
			if err != nil {
				return err
			}
			res := propagateResult{Activation: act.Name, SigmaW: nf.sigmaW, SigmaB: nf.sigmaB, Width: nf.width, Depth: nf.depth,
				Weights: nf.weights, Seed: g.Seed, QInput: q0, C0: cs, Pairs: pairs}
			// Mean field: q^l by the length map, c^l by the covariance map.
			qth := make([]*float64, nf.depth+1)
			qth[0] = ptr(q0)
			for l := 1; l <= nf.depth; l++ {
				if qth[l-1] == nil {
					break
				}
				if v, err := mf.LengthMap(*qth[l-1]); err == nil {
					qth[l] = ptr(v)
				}
			}
			cth := make([][]float64, len(cs))
			for k, c0 := range cs {
				if traj, err := mf.CorrelationTrajectory(q0, c0, nf.depth); err == nil {
					cth[k] = traj
				}
			}
			header := []string{"layer", "q", "q_theory"}
			for _, c0 := range cs {
				header = append(header, fmt.Sprintf("c(c0=%g)", c0), fmt.Sprintf("c_theory(c0=%g)", c0), fmt.Sprintf("c_std(c0=%g)", c0))
			}
			t := table{Title: fmt.Sprintf("%s, sigma_w %g, sigma_b %g, width %d, %d pairs per c0 at q = %.6g, seed %d",
				act.Name, nf.sigmaW, nf.sigmaB, nf.width, pairs, q0, g.Seed), Header: header}
			for l := 0; l <= nf.depth; l++ {
				row := propagateLayer{Layer: l, Q: meas[0][l].Q, QTheory: qth[l]}
				// q is averaged over every pair of every c0.
				qs := 0.0
				for k := range cs {
					qs += meas[k][l].Q
				}
				row.Q = qs / float64(len(cs))
				cells := []string{fmt.Sprint(l), fmtFloat(row.Q), optFloat(row.QTheory)}
				for k := range cs {
					row.C = append(row.C, meas[k][l].C)
					row.CStd = append(row.CStd, meas[k][l].CStd)
					var th *float64
					if cth[k] != nil {
						th = ptr(cth[k][l])
					}
					row.CTheory = append(row.CTheory, th)
					cells = append(cells, fmtFloat(meas[k][l].C), optFloat(th), fmtFloat(meas[k][l].CStd))
				}
				res.Layers = append(res.Layers, row)
				t.Rows = append(t.Rows, cells)
			}
			return emit(cmd, g, t, res)
		},
	}
	nf.add(cmd, 1000, 30)
	fl := cmd.Flags()
	fl.StringVar(&c0s, "c0", "0.2,0.5,0.8", "input correlations, comma-separated")
	fl.IntVar(&pairs, "pairs", 20, "independent input pairs per correlation")
	fl.Float64Var(&q, "q", 0, "squared length per coordinate of the inputs (default: q*)")
	return cmd
}
