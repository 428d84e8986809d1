package energy

import (
	"math"
	"slices"
	"testing"
)

// handDB is a hand-made landscape: six minima and four transition states.
//
//	m0 0, m1 1, m2 2, m3 0.5, m4 3, m5 6.5 (isolated)
//	m0-m1 at 5, m1-m2 at 4, m0-m3 at 2.5, m2-m4 at 6
func handDB() ([]float64, []Edge) {
	return []float64{0, 1, 2, 0.5, 3, 6.5},
		[]Edge{{0, 1, 5}, {1, 2, 4}, {0, 3, 2.5}, {2, 4, 6}}
}

// TestGraphHandMade: the disconnectivity graph of handDB at levels 7, 5.5,
// 4.5, 3, 1.5, worked out by hand. At 7 everything below it is joined
// except m5, alone (a leaf at 6.5). At 5.5, m4 splits off (its only
// transition state is at 6); {0,1,2,3} stay. At 4.5 the edge at 5 is gone:
// {0,3} and {1,2}. At 3, {1,2} splits into two leaves (its edge is at 4)
// while {0,3} stays joined (its edge is at 2.5); at 1.5 m0 and m3 split
// into leaves. Children are placed centre-out by lowest energy: the
// lowest first, the next to its right.
func TestGraphHandMade(t *testing.T) {
	e, edges := handDB()
	g, err := BuildGraph(e, edges, []float64{1.5, 7, 3, 5.5, 4.5})
	if err != nil {
		t.Fatal(err)
	}
	want := "[7: [5.5: [4.5: [3: m0 m3]] [4.5: m1 m2]] m4] m5"
	if got := g.String(); got != want {
		t.Errorf("graph\n got %s\nwant %s", got, want)
	}
	if !slices.Equal(g.Levels, []float64{7, 5.5, 4.5, 3, 1.5}) {
		t.Errorf("levels %v", g.Levels)
	}
	// Leaves left to right at 0..5, inner nodes at their children's mean.
	wantX := map[int]float64{0: 0, 3: 1, 1: 2, 2: 3, 4: 4, 5: 5}
	for _, nd := range g.Nodes {
		if nd.Minimum >= 0 {
			if nd.X != wantX[nd.Minimum] || nd.Energy != e[nd.Minimum] {
				t.Errorf("leaf m%d at x %v energy %v; want %v, %v", nd.Minimum, nd.X, nd.Energy, wantX[nd.Minimum], e[nd.Minimum])
			}
		}
	}
	root := g.Nodes[g.Roots[0]]
	if root.X != (1.5+4)/2 || root.Lowest != 0 || !slices.Equal(root.Minima, []int{0, 1, 2, 3, 4}) {
		t.Errorf("root: %+v", root)
	}
	// The levels at which each leaf became a superbasin of its own.
	wantLevel := map[int]int{5: 0, 4: 1, 1: 3, 2: 3, 0: 4, 3: 4}
	for _, nd := range g.Nodes {
		if nd.Minimum >= 0 && nd.Level != wantLevel[nd.Minimum] {
			t.Errorf("leaf m%d at level %d, want %d", nd.Minimum, nd.Level, wantLevel[nd.Minimum])
		}
	}
	// Levels below every edge and above only m0 and m3 leave the other
	// minima out and give two leaves at the top.
	g, err = BuildGraph(e, edges, []float64{0.8, 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if got := g.String(); got != "m0 m3" {
		t.Errorf("levels 0.8, 0.2: got %s, want m0 m3", got)
	}
	// A minimum that lies between two levels while joined to others at
	// the upper one: m6 at 4 joins m0 over a saddle at 4.2. At 5.5 it is
	// in the big superbasin; at 4.5 still (its saddle is below 4.5) with
	// {0, 3}; at 3 it lies above the level and leaves as a leaf of the
	// 4.5 superbasin, at its own energy.
	e6 := append(slices.Clone(e), 4)
	edges6 := append(slices.Clone(edges), Edge{0, 6, 4.2})
	g, err = BuildGraph(e6, edges6, []float64{1.5, 7, 3, 5.5, 4.5})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[7: [5.5: [4.5: [3: m0 m3] m6] [4.5: m1 m2]] m4] m5"; g.String() != want {
		t.Errorf("with m6 between levels\n got %s\nwant %s", g.String(), want)
	}
	leaves := 0
	for _, nd := range g.Nodes {
		if nd.Minimum == 6 {
			if p := g.Nodes[nd.Parent]; nd.Energy != 4 || nd.Level != 2 || p.Energy != 4.5 || !slices.Equal(p.Minima, []int{0, 3, 6}) {
				t.Errorf("leaf m6: %+v, parent %+v; want energy 4, level 2, under the 4.5 superbasin {0 3 6}", nd, p)
			}
		}
		if nd.Minimum >= 0 {
			leaves++
		}
	}
	if leaves != len(e6) {
		t.Errorf("%d leaves for %d minima below the top level", leaves, len(e6))
	}
	// EvenLevels: 4 levels from 10 down towards the lowest energy, 0.
	if lv := EvenLevels(e, 10, 4); !slices.Equal(lv, []float64{10, 7.5, 5, 2.5}) {
		t.Errorf("EvenLevels: %v, want [10 7.5 5 2.5]", lv)
	}
}

// TestBarriersHandMade: barriers to the global minimum m0 on handDB by
// hand: m1 crosses 5 (4 above it), m2 crosses 5 via m1 (3), m3 crosses 2.5
// (2), m4 crosses 6 via m2 and m1 (3), m5 is not connected.
func TestBarriersHandMade(t *testing.T) {
	e, edges := handDB()
	b, err := Barriers(e, edges, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 4, 3, 2, 3, math.Inf(1)}
	if !slices.Equal(b, want) {
		t.Errorf("barriers %v, want %v", b, want)
	}
	comps, err := Components(len(e), edges)
	if err != nil {
		t.Fatal(err)
	}
	if len(comps) != 2 || !slices.Equal(comps[0], []int{0, 1, 2, 3, 4}) || !slices.Equal(comps[1], []int{5}) {
		t.Errorf("components %v", comps)
	}
	for _, c := range []struct {
		barrier float64
		blocked []int
	}{{3.5, []int{1, 5}}, {4, []int{5}}, {1, []int{1, 2, 3, 4, 5}}} {
		ok, blocked, err := Reachable(e, edges, c.barrier)
		if err != nil || ok || !slices.Equal(blocked, c.blocked) {
			t.Errorf("under %v: reachable %v, blocked %v (%v); want %v", c.barrier, ok, blocked, err, c.blocked)
		}
	}
	ok, blocked, _ := Reachable(e[:5], edges, 4)
	if !ok || blocked != nil {
		t.Errorf("without m5 under 4: %v %v", ok, blocked)
	}
}

// TestDatabaseGraph: the same landscape entered in a Database (points on
// a line, x = ID) gives the same graph: Energies transcribes minima and
// transition states faithfully.
func TestDatabaseGraph(t *testing.T) {
	e, edges := handDB()
	db, err := NewDatabase(Header{Dim: 1, EnergyTol: 1e-9, DistanceTol: 1e-9}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, ei := range e {
		if id, isNew, err := db.AddMinimum(Point{X: []float64{float64(i)}, Energy: ei}); err != nil || !isNew || id != i {
			t.Fatalf("minimum %d: id %d new %v %v", i, id, isNew, err)
		}
	}
	for i, ed := range edges {
		if id, isNew, err := db.AddTransitionState(Point{X: []float64{10 + float64(i)}, Energy: ed.Energy, Character: Character{Index: 1}}, ed.A, ed.B); err != nil || !isNew || id != i {
			t.Fatalf("ts %d: id %d new %v %v", i, id, isNew, err)
		}
	}
	g, err := db.Graph([]float64{7, 5.5, 4.5, 3, 1.5})
	if err != nil {
		t.Fatal(err)
	}
	if got := g.String(); got != "[7: [5.5: [4.5: [3: m0 m3]] [4.5: m1 m2]] m4] m5" {
		t.Errorf("graph from the database: %s", got)
	}
}
