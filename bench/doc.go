// Package bench holds netgeom's performance suites: `go test -bench . ./bench`
// times the engine's ops (gemm from 256 to 2048, the fused activation jet),
// and the roofline command (`make bench`, or `go run ./bench/roofline`)
// prints the engine's GFLOP/s beside OpenBLAS's own rate and the pure-Go
// rate, measured in the same run. Results and the commands that produced
// them are recorded in bench/RESULTS.md. Timing lives here, never in tests.
package bench
