// Package recording is the kvm-bench subcommand "recording": the cost of
// console recording (internal/console/recording) in the proxy, in
// process, against a synthetic busy console, and the time to seek in a
// long recording. It asserts nothing: docs/benchmarks.md records what the
// figures mean.
//
// A busy console is synthesised as the VNC server sends it while a
// console records: FramebufferUpdates of TightPNG rectangles (64×64, fills
// and PNG/JPEG-like payloads that do not compress further) and a full
// update every 10 s, with key and pointer input. The figures, per MB of
// server stream, with CPU time from /proc/self/stat over the whole run:
//
//   - the framer alone: what every console pays, recording or not, to know
//     message boundaries (package vnc runs it on each read);
//   - the framer and the recording writer to a file in a temporary folder:
//     what a recording console pays;
//   - the memory the recording holds (heap in use during the run, less
//     before);
//   - a 10-minute recording (time compressed, written as fast as it can
//     be): its size, and the time to open it, seek to the middle and read
//     what a player feeds up to there (from the keyframe before it),
//     against reading from the start.
package recording

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	rec "github.com/kvm-manager/kvm-manager/internal/console/recording"
)

type options struct {
	*benchkit.Common
	mb      int
	minutes int
	width   int
	height  int
	// cpuProfile, when set, is where a CPU profile of the recording
	// step (framer and writer) goes, for go tool pprof.
	cpuProfile string
}

// New returns the subcommand.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

// Flags implements benchkit.Subcommand.
func (o *options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.mb, "mb", 512, "MB of server stream for the CPU figures")
	fs.IntVar(&o.minutes, "minutes", 10, "length of the recording to seek in")
	fs.IntVar(&o.width, "width", 1024, "screen width")
	fs.IntVar(&o.height, "height", 768, "screen height")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the recording step to this file")
}

// Check implements benchkit.Subcommand.
func (o *options) Check() error {
	return benchkit.Require(o.mb >= 16 && o.minutes >= 1 && o.width >= 64 && o.height >= 64,
		"-mb >= 16, -minutes >= 1, -width and -height >= 64")
}

// stream builds the synthetic server stream: updates of 64×64 TightPNG
// rectangles, n of them PNG-like (random payload of 2 to 6 KiB), the rest
// fills; full is one update covering the screen.
type stream struct {
	w, h int
	rnd  *rand.Rand
}

func (s *stream) update(rects int, full bool) []byte {
	type r struct{ x, y int }
	var rs []r
	if full {
		for y := 0; y < s.h; y += 64 {
			for x := 0; x < s.w; x += 64 {
				rs = append(rs, r{x, y})
			}
		}
	} else {
		for range rects {
			rs = append(rs, r{s.rnd.IntN(s.w/64) * 64, s.rnd.IntN(s.h/64) * 64})
		}
	}
	b := []byte{0, 0, byte(len(rs) >> 8), byte(len(rs))}
	enc := rec.EncTightPNG
	for i, q := range rs {
		w, h := min(64, s.w-q.x), min(64, s.h-q.y)
		b = binary.BigEndian.AppendUint16(b, uint16(q.x))
		b = binary.BigEndian.AppendUint16(b, uint16(q.y))
		b = binary.BigEndian.AppendUint16(b, uint16(w))
		b = binary.BigEndian.AppendUint16(b, uint16(h))
		b = binary.BigEndian.AppendUint32(b, uint32(enc))
		if i%3 == 0 { // a fill
			b = append(b, 0x80, 1, 2, 3)
			continue
		}
		n := 2048 + s.rnd.IntN(4096)
		b = append(b, 0xa0, byte(n&0x7f|0x80), byte(n>>7&0x7f|0x80), byte(n>>14))
		off := len(b)
		b = append(b, make([]byte, n)...)
		for j := off; j < len(b); j++ {
			b[j] = byte(s.rnd.Uint32())
		}
	}
	return b
}

func serverInit(w, h int) []byte {
	si := make([]byte, 24)
	binary.BigEndian.PutUint16(si, uint16(w))
	binary.BigEndian.PutUint16(si[2:], uint16(h))
	copy(si[4:], []byte{32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0})
	return si
}

// Run implements benchkit.Subcommand.
func (o *options) Run(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "kvm-bench-recording-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s := &stream{w: o.width, h: o.height, rnd: rand.New(rand.NewPCG(1, 2))}
	// A pool of updates (generating random payloads is not what is
	// measured), sent in 64 KiB reads as the relay reads.
	var pool [][]byte
	poolBytes := 0
	for poolBytes < 32<<20 {
		u := s.update(20+s.rnd.IntN(40), false)
		pool = append(pool, u)
		poolBytes += len(u)
	}
	full := s.update(0, true)
	fmt.Fprintf(out, "kvm-bench recording: synthetic TightPNG console %dx%d, %d MB of stream, reads of 64 KiB; full update %d KiB; %d CPUs\n",
		o.width, o.height, o.mb, len(full)>>10, runtime.NumCPU())

	total := int64(o.mb) << 20
	feed := func(fn func(p []byte)) time.Duration {
		c0 := benchkit.CPUTime(os.Getpid())
		var sent int64
		i := 0
		var pending []byte
		for sent < total {
			if len(pending) == 0 {
				pending = pool[i%len(pool)]
				i++
			}
			n := min(64<<10, len(pending))
			fn(pending[:n])
			pending = pending[n:]
			sent += int64(n)
		}
		return benchkit.CPUTime(os.Getpid()) - c0
	}
	// 1. The framer alone.
	sf, _ := rec.NewServerFramer(serverInit(o.width, o.height))
	framerCPU := feed(func(p []byte) { sf.Feed(p, nil) })
	if sf.Err() != nil {
		return fmt.Errorf("framer: %w", sf.Err())
	}
	// 2. The framer and the writer, with a keyframe every 10 s of stream
	// at 5 MB/s (every 50 MB).
	f, err := os.Create(filepath.Join(dir, "busy"+rec.Ext))
	if err != nil {
		return err
	}
	defer f.Close()
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	w, err := rec.NewWriter(f, rec.Header{ID: "bench", ServerInit: serverInit(o.width, o.height)}, nil)
	if err != nil {
		return err
	}
	sf, _ = rec.NewServerFramer(serverInit(o.width, o.height))
	var sinceKey int64
	var peakHeap uint64
	if o.cpuProfile != "" {
		pf, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
	}
	writes := 0
	// The feed is faster than any console (a busy one sends a few MB/s,
	// the page cache takes hundreds): it waits while more than a chunk
	// waits for the disk, as a relay paced by its network would; without
	// that, the recording would fall behind and end (rec.ErrBackedUp).
	// The waits are not the relay's time.
	var waited time.Duration
	pace := func(w *rec.Writer) {
		if w.Queued() <= rec.ChunkTarget {
			return
		}
		t0 := time.Now()
		for w.Queued() > 0 {
			time.Sleep(100 * time.Microsecond)
		}
		waited += time.Since(t0)
	}
	recStart := time.Now()
	recCPU := feed(func(p []byte) {
		pace(w)
		written := 0
		sf.Feed(p, func(e rec.ServerEvent) {
			if !e.Start {
				if e.Off > written {
					_ = w.Add(rec.Server, p[written:e.Off])
				}
				written = e.Off
				_ = w.Boundary()
			}
		})
		if written < len(p) {
			_ = w.Add(rec.Server, p[written:])
		}
		sinceKey += int64(len(p))
		if sinceKey > 50<<20 {
			sinceKey = 0
			_ = w.StartKeyframe(rec.KeyframeInfo{Width: uint16(o.width), Height: uint16(o.height)})
			_ = w.Add(rec.Server, full)
			_ = w.Boundary()
		}
		if writes++; writes%256 == 0 {
			runtime.ReadMemStats(&ms1)
			peakHeap = max(peakHeap, ms1.HeapInuse)
		}
	})
	// The writer's goroutine may still be writing: its CPU counts too.
	relayWall := time.Since(recStart) - waited
	c1 := benchkit.CPUTime(os.Getpid())
	if err := w.Close(); err != nil {
		return err
	}
	recCPU += benchkit.CPUTime(os.Getpid()) - c1
	if o.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	st, _ := f.Stat()
	mbF := float64(total) / 1e6
	fmt.Fprintf(out, "\nFigure\tValue\n")
	fmt.Fprintf(out, "Framer alone (every console), CPU per MB\t%.3f ms\n", framerCPU.Seconds()*1000/mbF)
	fmt.Fprintf(out, "Framer + recording to a file, CPU per MB\t%.3f ms\n", recCPU.Seconds()*1000/mbF)
	fmt.Fprintf(out, "Framer + recording, time on the relay's goroutine per MB (wall)\t%.3f ms\n", relayWall.Seconds()*1000/mbF)
	fmt.Fprintf(out, "Recording file / stream\t%.2f\n", float64(st.Size())/float64(total))
	fmt.Fprintf(out, "Heap held while recording (peak in use - before)\t%.1f MiB\n", float64(int64(peakHeap)-int64(ms0.HeapInuse))/(1<<20))

	// 3. A long recording: 10 updates a second of the pool's sizes, a
	// key and pointer event every 100 ms, a full update every 10 s.
	lf, err := os.Create(filepath.Join(dir, "long"+rec.Ext))
	if err != nil {
		return err
	}
	defer lf.Close()
	t0 := time.Now()
	lw, err := rec.NewWriter(lf, rec.Header{ID: "long", ServerInit: serverInit(o.width, o.height)}, func() time.Time { return time.Unix(0, 0) })
	if err != nil {
		return err
	}
	length := time.Duration(o.minutes) * time.Minute
	for at, i := time.Duration(0), 0; at < length; at, i = at+100*time.Millisecond, i+1 {
		if at%(10*time.Second) == 0 {
			_ = lw.StartKeyframeAt(rec.KeyframeInfo{Width: uint16(o.width), Height: uint16(o.height)}, at)
			_ = lw.AddAt(rec.Server, at, full)
		}
		_ = lw.AddAt(rec.Server, at, pool[i%len(pool)][:min(len(pool[i%len(pool)]), 24<<10)])
		_ = lw.AddAt(rec.Input, at, []byte{4, 1, 0, 0, 0, 0, 0, 0x61})
		_ = lw.AddAt(rec.Input, at, []byte{5, 0, 0, byte(i), 0, 10})
		if err := lw.Boundary(); err != nil {
			return err
		}
		pace(lw)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := lw.Close(); err != nil {
		return err
	}
	writeTook := time.Since(t0)
	lst, _ := lf.Stat()
	// Seek: open, find the keyframe before the middle, read up to it.
	middle := length / 2
	readTo := func(fromKeyframe bool) (time.Duration, int64, error) {
		start := time.Now()
		rf, err := os.Open(lf.Name())
		if err != nil {
			return 0, 0, err
		}
		defer rf.Close()
		rd, err := rec.Open(rf, lst.Size())
		if err != nil {
			return 0, 0, err
		}
		off := rd.FirstChunk()
		if fromKeyframe {
			e, _, ok := rd.Seek(middle)
			if !ok {
				return 0, 0, errors.New("no keyframe")
			}
			off = e.Offset
		}
		c := rd.Chunks(off)
		var n int64
		for {
			ev, err := c.Next()
			if err != nil || ev.At > middle {
				break
			}
			n += int64(len(ev.Data))
		}
		return time.Since(start), n, nil
	}
	var seeks, replays []time.Duration
	var seekBytes, replayBytes int64
	for range 5 {
		d, n, err := readTo(true)
		if err != nil {
			return err
		}
		seeks, seekBytes = append(seeks, d), n
		d, n, err = readTo(false)
		if err != nil {
			return err
		}
		replays, replayBytes = append(replays, d), n
	}
	fmt.Fprintf(out, "%d-minute recording: size, written in\t%.1f MB, %s\n", o.minutes, float64(lst.Size())/1e6, writeTook.Round(time.Millisecond))
	fmt.Fprintf(out, "Seek to the middle (open, index, read from the keyframe), median of 5\t%s (%.1f MB fed)\n", median(seeks).Round(10*time.Microsecond), float64(seekBytes)/1e6)
	fmt.Fprintf(out, "Replay from the start to the middle, median of 5\t%s (%.1f MB fed)\n", median(replays).Round(10*time.Microsecond), float64(replayBytes)/1e6)
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}
