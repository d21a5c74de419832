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
// The same pool is measured twice more: moving values as big as brigade's
// Pool moves (onceSized), and doing the per-job bookkeeping it takes to report
// what brigade's Outcome reports (onceOutcome).
//
// Output, three lines plus '#' comment lines:
//
//	go-pool ns_per_job
//	go-pool-sized ns_per_job
//	go-pool-outcome ns_per_job
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
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
)

// How long each pool warms up and is measured for at least: shorter with
// BENCH_QUICK=1 (bench/run.sh's QUICK=1), for a quick look, not a figure to keep.
var minTime, warmUp = durations(5*time.Second, time.Second, time.Second, 200*time.Millisecond)

func durations(min, warm, quickMin, quickWarm time.Duration) (time.Duration, time.Duration) {
	if os.Getenv("BENCH_QUICK") == "1" {
		return quickMin, quickWarm
	}
	return min, warm
}

// sink keeps received results observable.
var sink uint64

// startWorkers starts the worker goroutines, each running work with its
// index, and one more that calls closeResults once all of them have
// returned (Go's WaitGroup idiom); it returns when every worker has started.
func startWorkers(work func(w int), closeResults func()) {
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	wg.Add(workers)
	ready.Add(workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			defer wg.Done()
			ready.Done()
			work(w)
		}(w)
	}
	go func() {
		wg.Wait()
		closeResults()
	}()
	ready.Wait()
}

// finish ends a repetition begun at t0: it checks that got results (whose
// values sum to s) came back for the jobs, and returns the time taken.
func finish(t0 time.Time, got int, s uint64, what string) time.Duration {
	d := time.Since(t0)
	if got != jobs {
		panic(fmt.Sprintf("received %d %s for %d jobs", got, what, jobs))
	}
	sink += s
	return d
}

// once runs one repetition and returns its time.
func once() time.Duration {
	jobsCh := make(chan uint64, queue)
	results := make(chan uint64, queue)
	startWorkers(func(int) {
		for n := range jobsCh {
			results <- n
		}
	}, func() { close(results) })

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
	return finish(t0, got, s, "results")
}

// sizedJob and sizedResult are as big as what brigade's Pool moves per job
// for a uint64 job and value: its 4-word task in and its 14-word Outcome out
// (SizedJob and SizedResult in core/benches/pool.rs).
type sizedJob [4]uint64
type sizedResult [14]uint64

// onceSized is once moving values of those sizes: the same program, no
// bookkeeping, so that the cost of the bigger values alone can be read.
func onceSized() time.Duration {
	jobsCh := make(chan sizedJob, queue)
	results := make(chan sizedResult, queue)
	startWorkers(func(int) {
		for j := range jobsCh {
			var r sizedResult
			r[0] = j[0]
			results <- r
		}
	}, func() { close(results) })

	t0 := time.Now()
	go func() {
		for i := 0; i < jobs; i++ {
			jobsCh <- sizedJob{uint64(i), uint64(i), uint64(i), uint64(i)}
		}
		close(jobsCh)
	}()
	var s uint64
	got := 0
	for r := range results {
		s += r[0]
		got++
	}
	return finish(t0, got, s, "results")
}

// task is a job as the outcome pool carries it: an id, the job, and when it
// was submitted.
type task struct {
	id        uint64
	job       uint64
	submitted time.Time
}

// outcome is what the outcome pool reports per job, field for field what
// brigade's Outcome holds.
type outcome struct {
	id        uint64
	job       uint64
	value     uint64
	err       error
	attempts  uint32
	queuedFor time.Duration
	ranFor    time.Duration
	worker    int
}

// tally is one worker's counts, on a cache line of its own.
type tally struct {
	succeeded, failed, canceled, panicked uint64
	_                                     [32]byte
}

// errPanicked is the error of a job whose handler panicked.
var errPanicked = errors.New("job panicked")

// call runs the handler once, turning a panic into an error.
func call(ctx context.Context, h func(context.Context, uint64) (uint64, error), n uint64) (v uint64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errPanicked, r)
		}
	}()
	return h(ctx, n)
}

// onceOutcome is once with the bookkeeping a pool needs to report what
// happened to each job as brigade's Pool does: ids, the time queued and the
// time run (three clock readings per job), the pool's context checked before
// each run, panics contained, per-worker counts, and an outcome struct per
// job on the results channel. It keeps no time distributions.
//
// Its times spread more than once's: run alone on the 2-core host of
// bench/results/pool.md, its repetitions fell into two groups, near 200 and
// near 460 ns per job, in varying shares from run to run, with no garbage
// collection (GODEBUG=gctrace=1 printed none). Leaving clock readings out did
// not remove the spread: with none, the repetitions fell near 170 and near
// 340; with only the workers' readings, all near 550, slower than with every
// reading. Times that jump with the work per job but not in step with it
// point at how the scheduler places the four goroutines on the two threads.
func onceOutcome() time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := ctx.Done()
	handler := func(_ context.Context, n uint64) (uint64, error) { return n, nil }
	jobsCh := make(chan task, queue)
	results := make(chan outcome, queue)
	tallies := make([]tally, workers)
	startWorkers(func(w int) {
		t := &tallies[w]
		for j := range jobsCh {
			start := time.Now()
			o := outcome{id: j.id, job: j.job, queuedFor: start.Sub(j.submitted), worker: w}
			select {
			case <-done: // checked without the lock ctx.Err takes
				o.err = ctx.Err()
				t.canceled++
			default:
				o.value, o.err = call(ctx, handler, j.job)
				o.attempts = 1
				switch {
				case o.err == nil:
					t.succeeded++
				case errors.Is(o.err, errPanicked):
					t.panicked++
				default:
					t.failed++
				}
			}
			o.ranFor = time.Since(start)
			results <- o
		}
	}, func() { close(results) })

	t0 := time.Now()
	go func() {
		for i := 0; i < jobs; i++ {
			jobsCh <- task{id: uint64(i + 1), job: uint64(i), submitted: time.Now()}
		}
		close(jobsCh)
	}()
	var s uint64
	got := 0
	for o := range results {
		if o.err == nil {
			s += o.value
			got++
		}
	}
	return finish(t0, got, s, "successful outcomes")
}

// measure warms up, then repeats one for at least minReps repetitions and
// minTime, and returns the median ns per job and the repetition count.
func measure(one func() time.Duration) (float64, int) {
	for t0 := time.Now(); time.Since(t0) < warmUp; {
		one()
	}
	var samples []float64
	var total time.Duration
	for len(samples) < minReps || total < minTime {
		d := one()
		total += d
		samples = append(samples, float64(d.Nanoseconds())/jobs)
	}
	sort.Float64s(samples)
	m := len(samples) / 2
	median := samples[m]
	if len(samples)%2 == 0 {
		median = (samples[m-1] + samples[m]) / 2
	}
	return median, len(samples)
}

func main() {
	plain, reps := measure(once)
	sized, repsSized := measure(onceSized)
	withOutcome, repsOutcome := measure(onceOutcome)
	fmt.Printf("# %s GOMAXPROCS=%d jobs=%d workers=%d queue=%d reps=%d,%d,%d\n",
		runtime.Version(), runtime.GOMAXPROCS(0), jobs, workers, queue, reps, repsSized, repsOutcome)
	fmt.Println("# name ns_per_job (median)")
	fmt.Printf("go-pool %.2f\n", plain)
	fmt.Printf("go-pool-sized %.2f\n", sized)
	fmt.Printf("go-pool-outcome %.2f\n", withOutcome)
}
