// Command roofline prints the CPU engine's dgemm rate beside OpenBLAS's own
// rate (cblas_dgemm called directly) and gonum's pure-Go rate, measured in
// the same run with the calls interleaved, and the fused activation jet's
// memory throughput beside a plain copy's (the memory roof). Machines are
// shared and noisy: each figure is the best of several rounds, and the
// ratios are what to compare.
//
//	go run ./bench/roofline [-sizes 256,512,1024,2048] [-rounds 5] [-gonum-max 1024]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/cpu"
)

func main() {
	sizes := flag.String("sizes", "256,512,1024,2048", "square gemm sizes")
	rounds := flag.Int("rounds", 5, "interleaved rounds per size (best is kept)")
	gonumMax := flag.Int("gonum-max", 1024, "largest size timed with pure-Go BLAS")
	minTime := flag.Duration("min", 200*time.Millisecond, "minimum time per measurement")
	flag.Parse()
	if err := run(*sizes, *rounds, *gonumMax, *minTime); err != nil {
		fmt.Fprintln(os.Stderr, "roofline:", err)
		os.Exit(1)
	}
}

// rate runs f until minTime has passed and returns calls per second.
func rate(minTime time.Duration, f func() error) (float64, error) {
	if err := f(); err != nil { // warm-up
		return 0, err
	}
	n := 0
	start := time.Now()
	for time.Since(start) < minTime {
		if err := f(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func run(sizeList string, rounds, gonumMax int, minTime time.Duration) error {
	threads := runtime.NumCPU()
	ob, err := cpu.New(cpu.Options{BLAS: "openblas", Threads: threads})
	if err != nil {
		return err
	}
	gb, err := cpu.New(cpu.Options{BLAS: "gonum", Threads: threads})
	if err != nil {
		return err
	}
	fmt.Printf("CPU: %s, %d threads; %s\n\n", ob.Info().Device, threads, ob.Info().Details["openblas_config"])
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "n\tengine+openblas GFLOP/s\tdirect openblas GFLOP/s\tengine/direct\tengine+gonum GFLOP/s\topenblas/gonum\t")
	for _, s := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-sizes: %q is not a positive integer", s)
		}
		flops := 2 * float64(n) * float64(n) * float64(n)
		host := make([][]float64, 3)
		bufs := map[engine.Backend][]engine.Buffer{}
		for _, be := range []engine.Backend{ob, gb} {
			for i := 0; i < 3; i++ {
				x, err := be.Alloc(engine.Float64, n*n)
				if err != nil {
					return err
				}
				if err := be.FillNormal(x, 1, uint64(i), 0, 1); err != nil {
					return err
				}
				bufs[be] = append(bufs[be], x)
				if be == ob {
					host[i] = make([]float64, n*n)
					if err := be.Download(host[i], x); err != nil {
						return err
					}
				}
			}
		}
		gemm := func(be engine.Backend) func() error {
			x := bufs[be]
			return func() error {
				return be.Gemm(engine.NoTrans, engine.NoTrans, n, n, n, 1, x[0], n, x[1], n, 0, x[2], n)
			}
		}
		direct := func() error { return cpu.DirectDgemm(threads, n, n, n, host[0], host[1], host[2]) }
		var bestE, bestD, bestG float64
		for r := 0; r < rounds; r++ {
			e, err := rate(minTime, gemm(ob))
			if err != nil {
				return err
			}
			d, err := rate(minTime, direct)
			if err != nil {
				return err
			}
			bestE, bestD = max(bestE, e), max(bestD, d)
			if n <= gonumMax && r < 2 { // pure Go is slow: two rounds suffice
				g, err := rate(minTime, gemm(gb))
				if err != nil {
					return err
				}
				bestG = max(bestG, g)
			}
		}
		gs, ratio := "-", "-"
		if bestG > 0 {
			gs = fmt.Sprintf("%.2f", bestG*flops/1e9)
			ratio = fmt.Sprintf("%.1fx", bestE/bestG)
		}
		fmt.Fprintf(tw, "%d\t%.2f\t%.2f\t%.1f%%\t%s\t%s\t\n", n, bestE*flops/1e9, bestD*flops/1e9, 100*bestE/bestD, gs, ratio)
	}
	tw.Flush()

	// Memory roof: the jet reads 3 and writes 3 float64 per element; a copy
	// reads 1 and writes 1.
	const elems = 1 << 22
	bufs := make([]engine.Buffer, 6)
	for i := range bufs {
		if bufs[i], err = ob.Alloc(engine.Float64, elems); err != nil {
			return err
		}
		if err := ob.FillNormal(bufs[i], 2, uint64(i), 0, 1); err != nil {
			return err
		}
	}
	var bestCopy float64
	for r := 0; r < rounds; r++ {
		c, err := rate(minTime, func() error { return ob.Copy(bufs[3], bufs[0]) })
		if err != nil {
			return err
		}
		bestCopy = max(bestCopy, c)
	}
	copyGB := bestCopy * 16 * elems / 1e9
	fmt.Printf("\nfused activation jet over %d elements (48 bytes each) against a copy (16 bytes each, %.2f GB/s):\n", elems, copyGB)
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "activation\tMelem/s\tGB/s\tof copy GB/s\t")
	for _, act := range []activation.ID{activation.Linear, activation.ReLU, activation.Tanh, activation.Erf} {
		var best float64
		for r := 0; r < rounds; r++ {
			j, err := rate(minTime, func() error {
				return ob.ActivateJet(act, bufs[0], bufs[1], bufs[2], bufs[3], bufs[4], bufs[5])
			})
			if err != nil {
				return err
			}
			best = max(best, j)
		}
		gbs := best * 48 * elems / 1e9
		fmt.Fprintf(tw, "%v\t%.1f\t%.2f\t%.0f%%\t\n", act, best*elems/1e6, gbs, 100*gbs/copyGB)
	}
	return tw.Flush()
}
