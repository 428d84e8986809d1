// Package enginetest is the conformance suite of engine.Backend: every op of
// a backend against plain reference loops written here, on random shapes and
// edge cases (1x1, tall, wide, transposed, leading dimension larger than the
// rows, zero sizes), with a stated tolerance per op, bit equality of
// repeated calls, bit equality of the Philox normals with package engine/rng,
// and the error paths (bad shapes, foreign and freed buffers, float32).
//
// Entry points: a backend's tests call Run(t, open) with an Opener that
// opens a fresh backend. The suite knows nothing about any backend, so the
// CUDA backend plugs in unchanged. Open(t) is the helper every other
// package's tests open their CPU backend with: it closes it when the test
// ends.
package enginetest
