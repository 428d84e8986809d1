package landscape

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
)

// TestStatsAndSpearman: order statistics and rank correlations worked by
// hand. Stats of 1..5: quartiles 2, 3, 4, mean 3. Spearman of (1..5) and
// (2,1,4,3,5): 1 - 6 sum d^2 / (n (n^2-1)) = 1 - 24/120 = 0.8. With ties,
// (1,2,2,3) against (1,2,3,4): ranks (1, 2.5, 2.5, 4), Pearson of the ranks
// 4.5 / sqrt(4.5 * 5).
func TestStatsAndSpearman(t *testing.T) {
	s := NewStats([]float64{5, 1, 4, 2, 3})
	if *s != (Stats{N: 5, Min: 1, Q1: 2, Median: 3, Q3: 4, Max: 5, Mean: 3}) {
		t.Errorf("stats %+v", *s)
	}
	if NewStats(nil) != nil {
		t.Error("stats of nothing are not nil")
	}
	if r := Spearman([]float64{1, 2, 3, 4, 5}, []float64{2, 1, 4, 3, 5}); !(math.Abs(r-0.8) <= 1e-15) {
		t.Errorf("Spearman %v, want 0.8", r)
	}
	if r := Spearman([]float64{1, 2, 2, 3}, []float64{1, 2, 3, 4}); !(math.Abs(r-4.5/math.Sqrt(22.5)) <= 1e-15) {
		t.Errorf("Spearman with ties %v, want %v", r, 4.5/math.Sqrt(22.5))
	}
	if r := Spearman([]float64{1, 1}, []float64{1, 2}); !math.IsNaN(r) {
		t.Errorf("Spearman of a constant %v, want NaN", r)
	}
}

// TestSummarizeSymmetries: distances respect the network's symmetries.
// To the small census add, as depth 1 restart 3, restart 0's end point with
// its hidden units permuted and sign-flipped: the same function. Its
// function distance to restart 0 is 0 to rounding (< 1e-12), so it joins
// restart 0's stationary point and the number of distinct points does not
// change, while its raw parameter distance is large. The counts add up,
// a threshold above every distance gives one point and a threshold below
// every distance but the copy's (1e-12) one per restart but the copy.
func TestSummarizeSymmetries(t *testing.T) {
	full := fullCensus(t)
	p, err := parseCensus(full, "test")
	if err != nil {
		t.Fatal(err)
	}
	c := p.census
	b := enginetest.Open(t)
	before, err := Summarize(b, c, SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r0, _ := c.Find(1, 0)
	cp := r0
	cp.Restart = 3
	cp.Theta, err = randomAlignment(rand.New(rand.NewPCG(1, 1)), r0.Widths, true).Apply(r0.Widths, r0.Theta)
	if err != nil {
		t.Fatal(err)
	}
	if RelativeDistance(r0.Theta, cp.Theta) < 0.3 {
		t.Fatalf("the permuted copy is too near the original (%v) to test anything", RelativeDistance(r0.Theta, cp.Theta))
	}
	c.Records = append(c.Records[:3:3], append([]Record{cp}, c.Records[3:]...)...)
	after, err := Summarize(b, c, SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d0, d1 := before[0], after[0]
	if d1.Restarts != 4 || d1.Converged != d0.Converged+1 || d1.DistinctStationary != d0.DistinctStationary || d1.DistinctMinima != d0.DistinctMinima {
		t.Fatalf("before %+v\nafter %+v", d0, d1)
	}
	// Pair (restart 0, copy) is the 3rd pair of 4 converged points: (0,1) (0,2) (0,3).
	if d := d1.PairDistances[2]; d > 1e-12 {
		t.Errorf("function distance between a network and its permuted copy: %v", d)
	}
	var copyPt, origPt Point
	for _, q := range d1.Points {
		switch q.Restart {
		case 0:
			origPt = q
		case 3:
			copyPt = q
		}
	}
	if copyPt.Cluster != origPt.Cluster {
		t.Error("the permuted copy is a distinct stationary point")
	}
	if d1.Minima+d1.Saddles != d1.Converged || d1.Converged+d1.Failed > d1.Restarts {
		t.Errorf("counts do not add up: %+v", d1)
	}
	one, _ := Summarize(b, c, SummaryOptions{Threshold: 10, Depths: []int{1}})
	if one[0].DistinctStationary != 1 || one[0].MinBetween != nil {
		t.Errorf("threshold 10: %d distinct points", one[0].DistinctStationary)
	}
	all, _ := Summarize(b, c, SummaryOptions{Threshold: 1e-12, Depths: []int{1}})
	if all[0].DistinctStationary != all[0].Converged-1 {
		t.Errorf("threshold 1e-12: %d distinct points of %d converged (one a permuted copy)", all[0].DistinctStationary, all[0].Converged)
	}
	// Restricting to restarts 0..2 gives back the first summary.
	again, _ := Summarize(b, c, SummaryOptions{Restarts: 3})
	if again[0].DistinctMinima != d0.DistinctMinima || again[0].Restarts != 3 || !slices.Equal(again[0].PairDistances, d0.PairDistances) {
		t.Error("summary of restarts 0..2 changed")
	}
}

// TestNearThresholdPairs: the pairs listed as too near the threshold are
// exactly those whose function distance (PairDistances, row by row over
// the converged points) lies within a factor of NearFactor of it: none at
// the default threshold, which sits in the gap of this census, and the
// right ones at a threshold put between the two smallest distances (the
// window then holds pairs on both sides of it, and leaves some out).
func TestNearThresholdPairs(t *testing.T) {
	p, err := parseCensus(fullCensus(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	b := enginetest.Open(t)
	def, err := Summarize(b, p.census, SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range def {
		if len(d.NearThreshold) != 0 {
			t.Errorf("depth %d at the default threshold: near pairs %v; the census has a gap around it", d.Depth, d.NearThreshold)
		}
	}
	dists := append([]float64(nil), def[0].PairDistances...)
	slices.Sort(dists)
	thr := math.Sqrt(dists[0] * dists[1])
	near, err := Summarize(b, p.census, SummaryOptions{Threshold: thr})
	if err != nil {
		t.Fatal(err)
	}
	below, above, outside := 0, 0, 0
	for _, d := range near {
		var want []NearPair
		k := 0
		for i := range d.Points {
			for j := i + 1; j < len(d.Points); j++ {
				switch x := d.PairDistances[k]; {
				case x < thr/NearFactor || x > thr*NearFactor:
					outside++
				default:
					want = append(want, NearPair{A: d.Points[i].Restart, B: d.Points[j].Restart, Distance: x})
					if x < thr {
						below++
					} else {
						above++
					}
				}
				k++
			}
		}
		if !slices.Equal(d.NearThreshold, want) && len(d.NearThreshold)+len(want) > 0 {
			t.Errorf("depth %d, threshold %g: near pairs %v; want %v", d.Depth, thr, d.NearThreshold, want)
		}
	}
	if below == 0 || above == 0 || outside == 0 {
		t.Fatalf("pairs below %d, above %d, outside %d the window: the test would not see a wrong bound", below, above, outside)
	}
}

// TestMinimaEstimate: each depth's Chao1 estimate is built from how many
// restarts reached each distinct minimum: its observed count is the
// distinct minima, its samples the minima, its singletons and doubletons
// the clusters of minima with one and two members (counted here from the
// points), and its value Observed + ((n-1)/n) f1^2 / (2 f2) (f2 > 0) or
// Observed + ((n-1)/n) f1 (f1-1) / 2 (f2 = 0).
func TestMinimaEstimate(t *testing.T) {
	p, err := parseCensus(fullCensus(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	sums, err := Summarize(enginetest.Open(t), p.census, SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, d := range sums {
		e := d.MinimaEstimate
		if d.Minima == 0 {
			if e != nil {
				t.Errorf("depth %d: an estimate without minima", d.Depth)
			}
			continue
		}
		size := map[int]int{}
		for _, q := range d.Points {
			if q.Index == 0 {
				size[q.Cluster]++
			}
		}
		f := map[int]int{}
		for _, n := range size {
			f[n]++
		}
		if e.Observed != d.DistinctMinima || e.Samples != d.Minima || e.Singletons != f[1] || e.Doubletons != f[2] {
			t.Errorf("depth %d: estimate %+v; distinct minima %d, minima %d, f1 %d, f2 %d", d.Depth, *e, d.DistinctMinima, d.Minima, f[1], f[2])
		}
		n, f1, f2 := float64(e.Samples), float64(f[1]), float64(f[2])
		want := float64(e.Observed) + (n-1)/n*f1*(f1-1)/2
		if f2 > 0 {
			want = float64(e.Observed) + (n-1)/n*f1*f1/(2*f2)
		}
		if !(math.Abs(e.Chao1-want) <= 1e-12*want) {
			t.Errorf("depth %d: Chao1 %v; want %v", d.Depth, e.Chao1, want)
		}
		seen++
	}
	if seen == 0 {
		t.Fatal("no depth with minima: the test would see nothing")
	}
}
