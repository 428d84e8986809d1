package energy

import (
	"fmt"
	"math"
	"slices"
)

// ConnectOptions configure Connect and AddSaddle. Zero values are the
// defaults.
type ConnectOptions struct {
	NEB    NEBOptions
	Search SearchOptions // Index is set to 1
	Quench QuenchOptions
	// PushOff is how far from the saddle, along its unstable mode, the
	// two descents start (0: 1e-2 times the distance between the minima
	// given to Connect; for AddSaddle, 1e-2 times max(1, |x|)).
	PushOff float64
	// Align, when set, returns the symmetric copy of b's coordinates
	// nearest a (a network's hidden units permuted to match): Connect's
	// band then runs from a to that copy, not to a far-away image of the
	// same minimum. nil: b as stored.
	Align func(a, b []float64) []float64
}

// ConnectResult reports a Connect call.
type ConnectResult struct {
	Band Band
	// TS is the transition state's ID in the database; NewTS reports it
	// was not there before.
	TS    int
	NewTS bool
	// Plus and Minus are the minima the saddle connects (steepest descent
	// from either side of its unstable mode); Joins reports that they are
	// the two minima asked for.
	Plus, Minus int
	Joins       bool
}

// Connect looks for a transition state between the minima a and b of db:
// a doubly-nudged elastic band between them (NEB) whose climbing image is
// refined by hybrid eigenvector-following to an index-1 saddle
// (FindStationary), whose two minima are then found by descent from
// either side (AddSaddle); the saddle and any new minima are added to db.
// A saddle may connect other minima than a and b (Joins false), when the
// band's highest point lies on a longer path.
func Connect(obj Objective, db *Database, a, b int, opt ConnectOptions) (ConnectResult, error) {
	mins := db.Minima()
	if a < 0 || a >= len(mins) || b < 0 || b >= len(mins) || a == b {
		return ConnectResult{}, fmt.Errorf("connect: minima %d and %d of %d; want two distinct ones", a, b, len(mins))
	}
	xb := mins[b].X
	if opt.Align != nil {
		xb = opt.Align(mins[a].X, xb)
	}
	band, err := NEB(obj, mins[a].X, xb, opt.NEB)
	if err != nil {
		return ConnectResult{}, fmt.Errorf("connect %d-%d: %w", a, b, err)
	}
	res := ConnectResult{Band: band}
	sopt := opt.Search
	sopt.Index = 1
	ts, err := FindStationary(obj, band.Images[band.Climbing], sopt)
	if err != nil {
		return res, fmt.Errorf("connect %d-%d: from image %d of the band: %w", a, b, band.Climbing, err)
	}
	if opt.PushOff == 0 {
		opt.PushOff = 1e-2 * Euclidean(mins[a].X, xb)
	}
	res.TS, res.NewTS, res.Plus, res.Minus, err = AddSaddle(obj, db, ts, opt)
	if err != nil {
		return res, fmt.Errorf("connect %d-%d: %w", a, b, err)
	}
	res.Joins = (res.Plus == a && res.Minus == b) || (res.Plus == b && res.Minus == a)
	return res, nil
}

// AddSaddle adds the index-1 saddle p to db with the two minima it
// connects: quenches from p -+ PushOff v, v its unstable mode (the lowest
// Hessian eigenvector, sign fixed by its largest component being
// positive). It returns the saddle's ID, whether it is new, and the
// minima's IDs (Plus from +v).
func AddSaddle(obj Objective, db *Database, p Point, opt ConnectOptions) (ts int, isNew bool, plus, minus int, err error) {
	if p.Index != 1 {
		return -1, false, -1, -1, fmt.Errorf("add saddle: index %d; a transition state has index 1", p.Index)
	}
	_, vecs, err := LowestModes(obj, p.X, 1, opt.Search.Seed)
	if err != nil {
		return -1, false, -1, -1, fmt.Errorf("add saddle: %w", err)
	}
	v := vecs[0]
	big := 0
	for i := range v {
		if math.Abs(v[i]) > math.Abs(v[big]) {
			big = i
		}
	}
	if v[big] < 0 {
		for i := range v {
			v[i] = -v[i]
		}
	}
	push := opt.PushOff
	if push == 0 {
		push = 1e-2 * math.Max(1, norm(p.X))
	}
	ids := [2]int{}
	for k, sign := range []float64{1, -1} {
		x := slices.Clone(p.X)
		axpy(sign*push, v, x)
		m, err := Quench(obj, x, opt.Quench)
		if err != nil {
			return -1, false, -1, -1, fmt.Errorf("add saddle: descent on the %s side: %w", []string{"+", "-"}[k], err)
		}
		if m.Index != 0 {
			return -1, false, -1, -1, fmt.Errorf("add saddle: descent on the %s side ended at a point of index %d", []string{"+", "-"}[k], m.Index)
		}
		if ids[k], _, err = db.AddMinimum(m); err != nil {
			return -1, false, -1, -1, fmt.Errorf("add saddle: %w", err)
		}
	}
	ts, isNew, err = db.AddTransitionState(p, ids[0], ids[1])
	if err != nil {
		return -1, false, -1, -1, fmt.Errorf("add saddle: %w", err)
	}
	return ts, isNew, ids[0], ids[1], nil
}
