package cpu

import "sync"

// chunk is the fixed number of elements one goroutine handles at a time in
// elementwise ops. Results never depend on it (every element is computed by
// one goroutine, alone), but it is fixed so that the work split is too.
const chunk = 1 << 14

// parallel runs f over [0, n) in chunks of `chunk` elements spread over the
// backend's threads; small n runs inline.
func (b *kernels[F]) parallel(n int, f func(lo, hi int)) {
	if n <= chunk || b.threads == 1 {
		if n > 0 {
			f(0, n)
		}
		return
	}
	chunks := (n + chunk - 1) / chunk
	workers := min(b.threads, chunks)
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			defer wg.Done()
			for c := w; c < chunks; c += workers {
				lo := c * chunk
				f(lo, min(lo+chunk, n))
			}
		}(w)
	}
	wg.Wait()
}

// parallelCols runs f(j) for every column j of an m x n matrix: columns are
// grouped so that a group holds about `chunk` elements, and groups are spread
// over the backend's threads. Each column is handled by one goroutine.
func (b *kernels[F]) parallelCols(m, n int, f func(j int)) {
	per := max(1, chunk/max(1, m)) // columns per group
	groups := (n + per - 1) / per
	run := func(g int) {
		for j := g * per; j < min((g+1)*per, n); j++ {
			f(j)
		}
	}
	if groups <= 1 || b.threads == 1 {
		for g := 0; g < groups; g++ {
			run(g)
		}
		return
	}
	workers := min(b.threads, groups)
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			defer wg.Done()
			for g := w; g < groups; g += workers {
				run(g)
			}
		}(w)
	}
	wg.Wait()
}
