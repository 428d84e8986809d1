package energy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/netgeom/netgeom/options"
)

// HopOptions configure BasinHop. Zero values are the defaults.
type HopOptions struct {
	// Seed draws the perturbations and the Metropolis tests: a run is a
	// function of its objective, start, database and options.
	Seed uint64
	// Steps is the budget of basin-hopping steps, each a perturbation and
	// a quench (0: 1000).
	Steps int
	// Patience stops the run when no new minimum has been found for this
	// many steps (0: never).
	Patience int
	// StepSize is the half-width of the uniform perturbation of every
	// coordinate (0: 0.5).
	StepSize float64
	// Temperature of the Metropolis test, in units of the energy (0: 1).
	Temperature float64
	// Quench configures the local minimisations.
	Quench QuenchOptions
	// Progress is called after every step with the steps done and the
	// budget.
	Progress options.Progress
}

// HopResult reports a BasinHop run.
type HopResult struct {
	// Steps taken; Accepted of them by the Metropolis test; NewMinima
	// found (not in the database before); Failed quenches (not converged,
	// or ending at a saddle point: such steps are rejected).
	Steps, Accepted, NewMinima, Failed int
	// Stopped says why the run ended: "budget", "patience" or the
	// context's error.
	Stopped string
	// Current is the minimum the chain ended in; Lowest the lowest minimum
	// of the database.
	Current, Lowest int
}

// BasinHop explores obj by basin-hopping (Li and Scheraga, PNAS 84, 6611
// (1987); Wales and Doye, J. Phys. Chem. A 101, 5111 (1997)): the start
// x0 is quenched (Quench), then each step perturbs the current minimum's
// coordinates by independent uniform draws in [-StepSize, StepSize],
// quenches, adds the minimum found to db (a hit if it is there already)
// and moves there by the Metropolis test at Temperature: always when the
// energy does not rise, else with probability exp(-rise/Temperature).
// Quenches that fail or stop at a point of nonzero index are counted and
// rejected. The run stops after Steps steps, or Patience steps without a
// new minimum, or when ctx is cancelled (returning its error with the
// result so far). The start's quench counts as a hit but not as a step.
func BasinHop(ctx context.Context, obj Objective, x0 []float64, db *Database, opt HopOptions) (HopResult, error) {
	var res HopResult
	if err := checkDim(obj, x0, "the start"); err != nil {
		return res, fmt.Errorf("basin-hopping: %w", err)
	}
	if db == nil || db.Header().Dim != obj.Dim() {
		return res, errors.New("basin-hopping: no database of the objective's dimension")
	}
	if err := checkNonNegative("energy.BasinHop", optField{"Steps", float64(opt.Steps)}, optField{"Patience", float64(opt.Patience)},
		optField{"StepSize", opt.StepSize}, optField{"Temperature", opt.Temperature}); err != nil {
		return res, err
	}
	if opt.Steps == 0 {
		opt.Steps = 1000
	}
	if opt.StepSize == 0 {
		opt.StepSize = 0.5
	}
	if opt.Temperature == 0 {
		opt.Temperature = 1
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0xba5e))
	cur, err := Quench(obj, x0, opt.Quench)
	if err != nil {
		return res, fmt.Errorf("basin-hopping: the start: %w", err)
	}
	if cur.Index != 0 {
		return res, fmt.Errorf("basin-hopping: the start's quench ended at a point of index %d", cur.Index)
	}
	if res.Current, _, err = db.AddMinimum(cur); err != nil {
		return res, fmt.Errorf("basin-hopping: %w", err)
	}
	lastNew := 0
	res.Stopped = "budget"
	x := make([]float64, len(x0))
	for res.Steps < opt.Steps {
		if err := ctx.Err(); err != nil {
			res.Stopped = err.Error()
			res.Lowest = lowestID(db)
			return res, err
		}
		if opt.Patience > 0 && res.Steps-lastNew >= opt.Patience {
			res.Stopped = "patience"
			break
		}
		res.Steps++
		copy(x, cur.X)
		for i := range x {
			x[i] += opt.StepSize * (2*rng.Float64() - 1)
		}
		u := rng.Float64() // drawn every step, so the stream does not depend on failures
		p, err := Quench(obj, x, opt.Quench)
		if errors.Is(err, ErrNotConverged) || (err == nil && p.Index != 0) {
			res.Failed++
		} else if err != nil {
			return res, fmt.Errorf("basin-hopping: step %d: %w", res.Steps, err)
		} else {
			id, isNew, err := db.AddMinimum(p)
			if err != nil {
				return res, fmt.Errorf("basin-hopping: step %d: %w", res.Steps, err)
			}
			if isNew {
				res.NewMinima++
				lastNew = res.Steps
			}
			if p.Energy <= cur.Energy || u < math.Exp(-(p.Energy-cur.Energy)/opt.Temperature) {
				cur = p
				cur.X = slices.Clone(p.X)
				res.Current = id
				res.Accepted++
			}
		}
		if opt.Progress != nil {
			opt.Progress(res.Steps, opt.Steps)
		}
	}
	res.Lowest = lowestID(db)
	return res, nil
}

func lowestID(db *Database) int {
	db.mu.Lock()
	defer db.mu.Unlock()
	if len(db.minIdx) == 0 {
		return -1
	}
	return db.minIdx[0]
}
