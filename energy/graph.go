package energy

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Edge is a transition state seen as an edge between the minima A and B
// at its energy.
type Edge struct {
	A, B   int
	Energy float64
}

// unionFind is a disjoint-set forest.
type unionFind []int

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = i
	}
	return u
}

func (u unionFind) find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

// union joins the sets of i and j under the lower of their two roots (a
// fixed rule, so that results do not depend on map order).
func (u unionFind) union(i, j int) {
	a, b := u.find(i), u.find(j)
	if a == b {
		return
	}
	if a < b {
		u[b] = a
	} else {
		u[a] = b
	}
}

func checkEdges(n int, edges []Edge) error {
	for i, e := range edges {
		if e.A < 0 || e.A >= n || e.B < 0 || e.B >= n {
			return fmt.Errorf("edge %d joins minima %d and %d; there are %d", i, e.A, e.B, n)
		}
		if math.IsNaN(e.Energy) {
			return fmt.Errorf("edge %d has energy NaN", i)
		}
	}
	return nil
}

// Components returns the connected components of the graph of n minima
// and edges: each a sorted list of minima, the largest first (ties by
// lowest member).
func Components(n int, edges []Edge) ([][]int, error) {
	if err := checkEdges(n, edges); err != nil {
		return nil, err
	}
	u := newUnionFind(n)
	for _, e := range edges {
		u.union(e.A, e.B)
	}
	byRoot := map[int][]int{}
	for i := range n {
		r := u.find(i)
		byRoot[r] = append(byRoot[r], i)
	}
	var out [][]int
	for _, c := range byRoot {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i][0] < out[j][0]
	})
	return out, nil
}

// Barriers returns, for every minimum, the barrier to reach the minimum
// target: the lowest possible energy of the highest transition state on
// a path of edges from it to target (the minimax path, found on the
// minimum spanning tree by Kruskal's merging in order of edge energy),
// less its own energy; 0 for target, +Inf for a minimum not connected to
// it.
func Barriers(energies []float64, edges []Edge, target int) ([]float64, error) {
	n := len(energies)
	if target < 0 || target >= n {
		return nil, fmt.Errorf("barriers to minimum %d of %d", target, n)
	}
	if err := checkEdges(n, edges); err != nil {
		return nil, err
	}
	sorted := slices.Clone(edges)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Energy < sorted[j].Energy })
	u := newUnionFind(n)
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Inf(1)
	}
	out[target] = 0
	members := make(map[int][]int, n)
	for i := range n {
		members[i] = []int{i}
	}
	for _, e := range sorted {
		a, b := u.find(e.A), u.find(e.B)
		if a == b {
			continue
		}
		ta, tb := u.find(target) == a, u.find(target) == b
		// The first edge that joins a set to the target's set is the
		// highest point of the minimax path of every minimum in that set.
		if ta || tb {
			other := b
			if tb {
				other = a
			}
			for _, m := range members[other] {
				out[m] = math.Max(e.Energy, energies[m]) - energies[m]
			}
		}
		u.union(a, b)
		r := u.find(a)
		merged := append(members[a], members[b]...)
		delete(members, a)
		delete(members, b)
		members[r] = merged
	}
	return out, nil
}

// Reachable reports whether the global minimum (the lowest energy) can be
// reached from every minimum over a barrier of at most barrier (Barriers
// to it), and lists the minima that cannot, by ID.
func Reachable(energies []float64, edges []Edge, barrier float64) (bool, []int, error) {
	if len(energies) == 0 {
		return true, nil, nil
	}
	g := 0
	for i, e := range energies {
		if e < energies[g] {
			g = i
		}
	}
	b, err := Barriers(energies, edges, g)
	if err != nil {
		return false, nil, err
	}
	var blocked []int
	for i, v := range b {
		if !(v <= barrier) {
			blocked = append(blocked, i)
		}
	}
	return len(blocked) == 0, blocked, nil
}

// Graph is a disconnectivity graph (Becker and Karplus, J. Chem. Phys.
// 106, 1495 (1997); Wales, Miller and Walsh, Nature 394, 758 (1998)): at
// each of a descending list of energy levels, the minima below the level
// fall into superbasins, the sets joined by paths whose transition states
// are all below it; each superbasin is a node, joined to the superbasin
// one level up that contains it. A superbasin of one minimum is a leaf at
// the minimum's own energy, and its branch ends there.
type Graph struct {
	Levels []float64 // descending
	Nodes  []Node
	Roots  []int // the nodes at the top level (or leaves above it), left to right
}

// Node is a superbasin of a Graph.
type Node struct {
	// Level is the index of the level the node sits at; for a leaf, the
	// level at which its minimum became a superbasin of its own, or, for
	// a minimum that leaves a superbasin of several by lying above the
	// next level (or below the last), that superbasin's level.
	Level int
	// Energy is the level's energy, or the minimum's for a leaf.
	Energy float64
	// Minima are the superbasin's minima, ascending IDs; Lowest is the
	// one of lowest energy.
	Minima []int
	Lowest int
	// Minimum is the leaf's minimum, -1 for an inner node.
	Minimum  int
	Parent   int   // -1 for a root
	Children []int // left to right
	// X is the horizontal position in a drawing: leaves at 0, 1, 2, ...
	// left to right, an inner node at the mean of its children's X.
	X float64
}

// BuildGraph builds the disconnectivity graph of minima of the given
// energies (by ID) and edges at levels (sorted here, descending). Minima
// at or above the top level are left out, and so are edges at or above
// it. Children are ordered for drawing the usual way: the child holding
// the lowest minimum in the middle, the others alternately to its right
// and left by increasing lowest energy.
func BuildGraph(energies []float64, edges []Edge, levels []float64) (*Graph, error) {
	n := len(energies)
	if err := checkEdges(n, edges); err != nil {
		return nil, err
	}
	if len(levels) == 0 {
		return nil, fmt.Errorf("disconnectivity graph: no energy levels")
	}
	lv := slices.Clone(levels)
	sort.Sort(sort.Reverse(sort.Float64Slice(lv)))
	for i, l := range lv {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return nil, fmt.Errorf("disconnectivity graph: level %v", l)
		}
		if i > 0 && l == lv[i-1] {
			return nil, fmt.Errorf("disconnectivity graph: level %v given twice", l)
		}
	}
	for i, e := range energies {
		if math.IsNaN(e) || math.IsInf(e, 0) {
			return nil, fmt.Errorf("disconnectivity graph: minimum %d has energy %v", i, e)
		}
	}
	g := &Graph{Levels: lv}
	// components at level l: minima below it, joined by edges below it.
	comps := func(l float64) [][]int {
		u := newUnionFind(n)
		for _, e := range edges {
			if e.Energy < l && energies[e.A] < l && energies[e.B] < l {
				u.union(e.A, e.B)
			}
		}
		by := map[int][]int{}
		var roots []int
		for i := range n {
			if energies[i] >= l {
				continue
			}
			r := u.find(i)
			if _, ok := by[r]; !ok {
				roots = append(roots, r)
			}
			by[r] = append(by[r], i)
		}
		out := make([][]int, len(roots))
		for i, r := range roots {
			out[i] = by[r]
		}
		return out
	}
	lowest := func(ms []int) int {
		best := ms[0]
		for _, m := range ms[1:] {
			if energies[m] < energies[best] {
				best = m
			}
		}
		return best
	}
	// open[m] is the node, at the previous level, of the superbasin
	// holding minimum m (not a leaf), or absent.
	open := map[int]int{}
	for li, l := range lv {
		next := map[int]int{}
		cs := comps(l)
		// A minimum of an open superbasin that lies above this level
		// leaves it here: a leaf below that superbasin, at its own energy.
		below := map[int]bool{}
		for _, c := range cs {
			for _, m := range c {
				below[m] = true
			}
		}
		for _, m := range slices.Sorted(maps.Keys(open)) {
			if !below[m] {
				id, parent := len(g.Nodes), open[m]
				g.Nodes = append(g.Nodes, Node{Level: li - 1, Energy: energies[m], Minima: []int{m}, Lowest: m, Minimum: m, Parent: parent})
				g.Nodes[parent].Children = append(g.Nodes[parent].Children, id)
			}
		}
		for _, c := range cs {
			parent := -1
			if li > 0 {
				p, ok := open[c[0]]
				if !ok {
					continue // part of a leaf already
				}
				parent = p
			}
			nd := Node{Level: li, Energy: l, Minima: c, Lowest: lowest(c), Minimum: -1, Parent: parent}
			if len(c) == 1 {
				nd.Minimum = c[0]
				nd.Energy = energies[c[0]]
			}
			id := len(g.Nodes)
			g.Nodes = append(g.Nodes, nd)
			if parent >= 0 {
				g.Nodes[parent].Children = append(g.Nodes[parent].Children, id)
			} else {
				g.Roots = append(g.Roots, id)
			}
			if len(c) > 1 {
				for _, m := range c {
					next[m] = id
				}
			}
		}
		open = next
	}
	// Superbasins still holding several minima at the lowest level end
	// there: each of their minima becomes a leaf below them.
	for _, id := range uniqueValues(open) {
		for _, m := range g.Nodes[id].Minima {
			leaf := len(g.Nodes)
			g.Nodes = append(g.Nodes, Node{Level: len(lv) - 1, Energy: energies[m], Minima: []int{m}, Lowest: m, Minimum: m, Parent: id})
			g.Nodes[id].Children = append(g.Nodes[id].Children, leaf)
		}
	}
	order := func(ids []int) []int {
		byLow := slices.Clone(ids)
		sort.SliceStable(byLow, func(i, j int) bool {
			return energies[g.Nodes[byLow[i]].Lowest] < energies[g.Nodes[byLow[j]].Lowest]
		})
		// centre-out: lowest in the middle, then right, left, right, ...
		out := make([]int, 0, len(ids))
		for k, id := range byLow {
			if k%2 == 1 {
				out = append(out, id)
			} else {
				out = append([]int{id}, out...)
			}
		}
		return out
	}
	var next float64
	var place func(id int)
	place = func(id int) {
		nd := &g.Nodes[id]
		if len(nd.Children) == 0 {
			nd.X = next
			next++
			return
		}
		nd.Children = order(nd.Children)
		sum := 0.0
		for _, c := range nd.Children {
			place(c)
			sum += g.Nodes[c].X
		}
		g.Nodes[id].X = sum / float64(len(g.Nodes[id].Children))
	}
	g.Roots = order(g.Roots)
	for _, r := range g.Roots {
		place(r)
	}
	return g, nil
}

func uniqueValues(m map[int]int) []int {
	var out []int
	for _, v := range m {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	sort.Ints(out)
	return out
}

// String writes the graph as nested brackets, roots left to right: an
// inner node as "[E: children]" with its level's energy, a leaf as "mID"
// with its minimum's ID.
func (g *Graph) String() string {
	var b strings.Builder
	var write func(id int)
	write = func(id int) {
		nd := g.Nodes[id]
		if nd.Minimum >= 0 {
			b.WriteString("m" + strconv.Itoa(nd.Minimum))
			return
		}
		b.WriteString("[" + strconv.FormatFloat(nd.Energy, 'g', -1, 64) + ":")
		for _, c := range nd.Children {
			b.WriteByte(' ')
			write(c)
		}
		b.WriteByte(']')
	}
	for i, r := range g.Roots {
		if i > 0 {
			b.WriteByte(' ')
		}
		write(r)
	}
	return b.String()
}

// Graph builds the disconnectivity graph of the database at levels
// (BuildGraph).
func (db *Database) Graph(levels []float64) (*Graph, error) {
	e, edges := db.Energies()
	return BuildGraph(e, edges, levels)
}

// EvenLevels returns n levels evenly spaced from top down to just above
// the lowest of energies: top - i (top - low)/n for i = 0..n-1.
func EvenLevels(energies []float64, top float64, n int) []float64 {
	low := math.Inf(1)
	for _, e := range energies {
		low = math.Min(low, e)
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = top - float64(i)*(top-low)/float64(n)
	}
	return out
}
