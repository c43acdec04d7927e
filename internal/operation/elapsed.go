package operation

import (
	"fmt"
	"time"
)

// ReportElapsed reports a step's elapsed time every interval, without a
// percentage, for work whose own progress cannot be read (qemu-img, an
// offline block job). stop ends the reports and returns once they have.
func ReportElapsed(r Reporter, stage string, every time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	r.Progress(stage, -1)
	go func() {
		defer close(finished)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				r.Progress(fmt.Sprintf("%s (%s elapsed)", stage, time.Since(start).Round(time.Second)), -1)
			}
		}
	}()
	return func() { close(done); <-finished }
}
