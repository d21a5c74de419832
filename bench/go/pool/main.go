// Command pool measures the per-job overhead of the worker pool Go programs
// write by hand, so that brigade's Pool (core/benches/pool.rs) can be read
// against it. Standard library only.
//
// The pool: workers goroutines ranging over a jobs channel buffered for queue
// jobs, each sending its result to a results channel (buffered as much); a
// WaitGroup closes results once every worker has returned. One repetition
// feeds jobs no-op jobs from a goroutine and receives all of their results on
// the main goroutine. The workers are started before the clock (as the Rust
// side builds its pools first); the clock runs from the first job sent until
// the results channel is closed and drained. After a warm-up, the repetitions
// go on for at least minReps and at least minTime; the median is reported.
//
// Output, one line plus '#' comment lines:
//
//	go-pool ns_per_job
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"
)

const (
	jobs    = 1000000 // no-op jobs per repetition
	workers = 2       // worker goroutines
	queue   = 1024    // buffer of the jobs and results channels
	minReps = 10
	minTime = 5 * time.Second
	warmUp  = time.Second
)

// sink keeps received results observable.
var sink uint64

// once runs one repetition and returns its time.
func once() time.Duration {
	jobsCh := make(chan uint64, queue)
	results := make(chan uint64, queue)
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	wg.Add(workers)
	ready.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			ready.Done()
			for n := range jobsCh {
				results <- n
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	ready.Wait()

	t0 := time.Now()
	go func() {
		for i := 0; i < jobs; i++ {
			jobsCh <- uint64(i)
		}
		close(jobsCh)
	}()
	var s uint64
	got := 0
	for n := range results {
		s += n
		got++
	}
	d := time.Since(t0)
	if got != jobs {
		panic(fmt.Sprintf("received %d results for %d jobs", got, jobs))
	}
	sink += s
	return d
}

func main() {
	for t0 := time.Now(); time.Since(t0) < warmUp; {
		once()
	}
	var samples []float64
	var total time.Duration
	for len(samples) < minReps || total < minTime {
		d := once()
		total += d
		samples = append(samples, float64(d.Nanoseconds())/jobs)
	}
	sort.Float64s(samples)
	m := len(samples) / 2
	median := samples[m]
	if len(samples)%2 == 0 {
		median = (samples[m-1] + samples[m]) / 2
	}
	fmt.Printf("# %s GOMAXPROCS=%d jobs=%d workers=%d queue=%d reps=%d\n",
		runtime.Version(), runtime.GOMAXPROCS(0), jobs, workers, queue, len(samples))
	fmt.Println("# name ns_per_job (median)")
	fmt.Printf("go-pool %.2f\n", median)
}
