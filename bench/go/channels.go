// Command channels runs brigade's channel benchmark scenarios with Go's own
// channels, goroutines and select, so that core/benches/channels.rs can be read
// against Go. Standard library only.
//
// Every scenario moves `messages` values per repetition. The goroutines of one
// repetition are started first and wait for a release; the clock runs from the
// release until the last of them is done (the same as the Rust side, which
// releases its threads from a barrier). After a warm-up, each scenario is repeated
// for at least minReps repetitions and at least minTime; the median is reported.
//
// The threaded scenarios then run a second time with each goroutine locked to
// an OS thread of its own (runtime.LockOSThread), so that a goroutine that
// waits puts its thread to sleep and one that is woken needs its thread woken,
// as brigade's threads do: the same channels, without Go's user-space
// switches between goroutines.
//
// Output, one line per scenario and capacity, plus '#' comment lines:
//
//	scenario cap ns_per_msg
//	scenario-threads cap ns_per_msg
//
// Go has no unbounded channel: "unbounded" is a channel buffered for all the
// values of one repetition, so a sender never waits, as with an unbounded one.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"
)

const (
	messages = 20000 // values moved per repetition
	threads  = 4     // producers; consumers in mpmc; channels in select
	batch    = 64    // the "N" buffer size
	minReps  = 10
)

// How long each scenario warms up and is measured for at least: shorter with
// BENCH_QUICK=1 (bench/run.sh's QUICK=1), for a quick look, not a figure to keep.
var minTime, warmUp = durations(time.Second, time.Second, 100*time.Millisecond, 50*time.Millisecond)

func durations(min, warm, quickMin, quickWarm time.Duration) (time.Duration, time.Duration) {
	if os.Getenv("BENCH_QUICK") == "1" {
		return quickMin, quickWarm
	}
	return min, warm
}

// unbounded stands for an unbounded channel (see the package comment).
const unbounded = -1

// sink keeps received values observable (a store to a package variable).
var sink uint64

type capacity int

func (c capacity) label() string {
	if c == unbounded {
		return "unbounded"
	}
	return fmt.Sprint(int(c))
}

func (c capacity) make() chan uint64 {
	if c == unbounded {
		return make(chan uint64, messages)
	}
	return make(chan uint64, int(c))
}

// lockThreads makes timed lock each worker's goroutine to its own OS thread.
var lockThreads bool

// timed runs each worker on its own goroutine, releases them together and
// returns the time from the release until all of them have finished.
func timed(workers []func()) time.Duration {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(len(workers))
	done.Add(len(workers))
	for _, w := range workers {
		go func(w func()) {
			if lockThreads {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			ready.Done()
			<-start
			w()
			done.Done()
		}(w)
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	return time.Since(t0)
}

func producer(ch chan<- uint64, n int) func() {
	return func() {
		for i := 0; i < n; i++ {
			ch <- uint64(i)
		}
	}
}

func consumer(ch <-chan uint64, n int) func() {
	return func() {
		var s uint64
		for i := 0; i < n; i++ {
			s += <-ch
		}
		sinkAdd(s)
	}
}

var sinkMu sync.Mutex

func sinkAdd(s uint64) {
	sinkMu.Lock()
	sink += s
	sinkMu.Unlock()
}

func seq(c capacity) time.Duration {
	ch := c.make()
	n := int(c)
	if c == unbounded {
		n = messages
	}
	var s uint64
	t0 := time.Now()
	for left := messages; left > 0; {
		k := n
		if left < k {
			k = left
		}
		for i := 0; i < k; i++ {
			ch <- uint64(i)
		}
		for i := 0; i < k; i++ {
			s += <-ch
		}
		left -= k
	}
	d := time.Since(t0)
	sinkAdd(s)
	return d
}

func spsc(c capacity) time.Duration {
	ch := c.make()
	return timed([]func(){producer(ch, messages), consumer(ch, messages)})
}

func mpsc(c capacity) time.Duration {
	ch := c.make()
	var ws []func()
	for i := 0; i < threads; i++ {
		ws = append(ws, producer(ch, messages/threads))
	}
	ws = append(ws, consumer(ch, messages))
	return timed(ws)
}

func mpmc(c capacity) time.Duration {
	ch := c.make()
	var ws []func()
	for i := 0; i < threads; i++ {
		ws = append(ws, producer(ch, messages/threads))
	}
	for i := 0; i < threads; i++ {
		ws = append(ws, consumer(ch, messages/threads))
	}
	return timed(ws)
}

// selectRecv: each producer feeds its own channel; one consumer receives
// through a select over all of them. No channel is closed, as on the Rust side.
func selectRecv(c capacity) time.Duration {
	var chs [threads]chan uint64
	var ws []func()
	for i := range chs {
		chs[i] = c.make()
		ws = append(ws, producer(chs[i], messages/threads))
	}
	a, b, cc, d := chs[0], chs[1], chs[2], chs[3]
	ws = append(ws, func() {
		var s uint64
		for i := 0; i < messages; i++ {
			select {
			case v := <-a:
				s += v
			case v := <-b:
				s += v
			case v := <-cc:
				s += v
			case v := <-d:
				s += v
			}
		}
		sinkAdd(s)
	})
	return timed(ws)
}

// measure returns the median time per message of run(c).
func measure(run func(capacity) time.Duration, c capacity) float64 {
	for t0 := time.Now(); time.Since(t0) < warmUp; {
		run(c)
	}
	var samples []float64
	var total time.Duration
	for len(samples) < minReps || total < minTime {
		d := run(c)
		total += d
		samples = append(samples, float64(d.Nanoseconds())/messages)
	}
	sort.Float64s(samples)
	m := len(samples) / 2
	if len(samples)%2 == 0 {
		return (samples[m-1] + samples[m]) / 2
	}
	return samples[m]
}

func main() {
	caps := []capacity{0, 1, batch, unbounded}
	scenarios := []struct {
		name string
		run  func(capacity) time.Duration
		caps []capacity
	}{
		{"seq", seq, caps[1:]}, // capacity 0 would deadlock
		{"spsc", spsc, caps},
		{"mpsc", mpsc, caps},
		{"mpmc", mpmc, caps},
		{"select", selectRecv, caps},
	}
	fmt.Printf("# %s GOMAXPROCS=%d messages=%d\n", runtime.Version(), runtime.GOMAXPROCS(0), messages)
	fmt.Println("# scenario cap ns_per_msg (median)")
	for _, s := range scenarios {
		for _, c := range s.caps {
			fmt.Printf("%s %s %.2f\n", s.name, c.label(), measure(s.run, c))
		}
	}
	lockThreads = true
	for _, s := range scenarios[1:] { // seq runs on one goroutine
		for _, c := range s.caps {
			fmt.Printf("%s-threads %s %.2f\n", s.name, c.label(), measure(s.run, c))
		}
	}
}
