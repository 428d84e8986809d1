package sweep

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// cpusAllowed is the Cpus_allowed_list of /proc/PID/status as a list.
func cpusAllowed(t *testing.T, status string) []int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Cpus_allowed_list:\s*(\S+)$`).FindStringSubmatch(status)
	if m == nil {
		t.Fatalf("no Cpus_allowed_list in %q", status)
	}
	return cpuList(t, m[1])
}

// cpuList reads the kernel's list format, 0-3,8.
func cpuList(t *testing.T, list string) []int {
	t.Helper()
	var out []int
	for _, part := range strings.Split(list, ",") {
		lo, hi, _ := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if hi == "" {
			b, err2 = a, nil
		}
		if err1 != nil || err2 != nil {
			t.Fatalf("CPU list %q", list)
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	return out
}

// TestExecPinsCPUs: with Exec.CPUs, every process a worker of Run starts
// runs on that worker's CPUs alone, as the kernel reports them in the
// child's /proc/self/status (an oracle outside this code), while this
// process's threads keep their own CPUs; allowedCPUs reads the same mask as the
// kernel's Cpus_allowed_list.
func TestExecPinsCPUs(t *testing.T) {
	self, _ := os.ReadFile("/proc/self/status")
	before := cpusAllowed(t, string(self))
	cpus, err := allowedCPUs()
	if err != nil || !slices.Equal(cpus, before) {
		t.Fatalf("allowedCPUs %v, %v; the kernel says %v", cpus, err, before)
	}
	// Worker 0 on the last CPU, worker 1 on the first (the same one on a
	// single CPU).
	sets := [][]int{{cpus[len(cpus)-1]}, {cpus[0]}}
	bin := filepath.Join(t.TempDir(), "fake-netgeom")
	os.WriteFile(bin, []byte("#!/bin/sh\nprintf '{\"cpus\": \"%s\"}\\n' \"$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)\"\n"), 0o755)
	sp := testSpec()
	task := (&Exec{Binary: bin, Takes: func(int, string) bool { return false }, CPUs: sets}).Task(&sp)
	var (
		mu    sync.Mutex
		slots = map[int]int{}
	)
	spy := func(ctx context.Context, i int) (json.RawMessage, error) {
		slot, ok := TaskSlot(ctx)
		if !ok {
			t.Errorf("point %d: no slot in the task's context", i)
		}
		mu.Lock()
		slots[i] = slot
		mu.Unlock()
		return task(ctx, i)
	}
	out := filepath.Join(t.TempDir(), "pin.jsonl")
	if _, err := Run(context.Background(), RunOptions{Spec: sp, Out: out, Task: spy, Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	used := map[int]bool{}
	for i, r := range f.Records {
		var v struct{ CPUs string }
		json.Unmarshal(r.Result, &v)
		used[slots[i]] = true
		if got := cpuList(t, v.CPUs); !slices.Equal(got, sets[slots[i]]) {
			t.Errorf("point %d ran by worker %d on CPUs %v, want %v", i, slots[i], got, sets[slots[i]])
		}
	}
	if len(used) != 2 {
		t.Errorf("workers used: %v, want 0 and 1", used)
	}
	// No thread of this process keeps a narrowed mask (a thread returned
	// to the runtime with one would run any goroutine, and start any
	// process, on it).
	threads, _ := filepath.Glob("/proc/self/task/*/status")
	for _, th := range threads {
		st, err := os.ReadFile(th)
		if err != nil {
			continue // the thread ended
		}
		if after := cpusAllowed(t, string(st)); !slices.Equal(after, before) {
			t.Errorf("thread %s of this process runs on CPUs %v; the process had %v", th, after, before)
		}
	}
}

// TestShareCPUs: workers get disjoint runs of the allowed CPUs in order;
// too few CPUs, or one job, bind nothing.
func TestShareCPUs(t *testing.T) {
	got, err := shareCPUs([]int{0, 2, 5, 7, 9}, 2, 2)
	if err != nil || len(got) != 2 || !slices.Equal(got[0], []int{0, 2}) || !slices.Equal(got[1], []int{5, 7}) {
		t.Errorf("2 jobs x 2 threads of 0,2,5,7,9: %v, %v", got, err)
	}
	if _, err := shareCPUs([]int{0, 1, 2, 3}, 3, 2); err == nil || !strings.Contains(err.Error(), "need 6 CPUs and this process may run on 4") {
		t.Errorf("3 x 2 of 4 CPUs: %v", err)
	}
	if _, err := PinCPUs(1, 4); err == nil {
		t.Error("one job was bound")
	}
}
