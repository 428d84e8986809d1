// Package bench holds netgeom's performance suites; it exports nothing.
// `go test -bench . ./bench` times the engine's ops (dgemm from 256 to 2048
// through the engine and through OpenBLAS directly, the fused activation jet,
// the Philox normal fill), a random network's forward and jet passes, and a
// trained Fashion-MNIST network's loss gradient, Hessian-vector and
// Gauss-Newton products (cached and from scratch, and their cost relative to
// a gradient for a dense and for a product+attention network) and Lanczos
// steps. The roofline command (`make bench`, or `go run ./bench/roofline`)
// prints the engine's GFLOP/s beside OpenBLAS's own rate and the pure-Go
// rate, measured in the same run. Results and the commands that produced
// them are recorded in bench/RESULTS.md. Timing lives here, never in tests.
package bench
