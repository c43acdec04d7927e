package vnc

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/console/recording"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Recording of consoles. Every console follows the message boundaries of
// both directions (recording.ClientFramer and ServerFramer: headers only,
// no pixels), so that a recording can start at any moment. While a
// console records, the proxy asks the VNC server for encodings whose
// decoders keep no state from one rectangle to the next (TightPNG first,
// no Tight or ZRLE: recording.StatelessEncodings), and every
// KeyframeInterval for a full, non-incremental update: those updates are
// the recording's keyframes, where a player can start. The browser gets
// the same stream as the recording.

// KeyframeInterval is how often a recording asks for a full update.
const KeyframeInterval = 10 * time.Second

// Viewer is who opened a console, for recording policies and the file's
// header; package api puts it in the console's context (WithViewer).
type Viewer struct {
	User string
	Role string
	// Recorded, if not nil, is told the id of each recording of the
	// console (for its audit entry).
	Recorded func(id string)
}

type viewerKey struct{}

// WithViewer returns ctx carrying v, for Serve.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

func viewerOf(ctx context.Context) Viewer {
	v, _ := ctx.Value(viewerKey{}).(Viewer)
	return v
}

// RecordPolicy says which consoles always record.
type RecordPolicy struct {
	// Roles whose consoles always record ("viewer", "operator", "admin").
	Roles []string
	// VMs (by UUID) whose consoles always record.
	VMs []string
}

func (p RecordPolicy) applies(uuid string, v Viewer) bool {
	return (v.Role != "" && slices.Contains(p.Roles, v.Role)) || slices.Contains(p.VMs, uuid)
}

// vncRec is a console's recording state.
type vncRec struct {
	upMu sync.Mutex // orders the browser's writes and injected messages
	cf   recording.ClientFramer
	sf   *recording.ServerFramer // owned by vmToBrowser
	// encs is the browser's last SetEncodings (under upMu).
	encs []int32
	// newPF is a SetPixelFormat of the browser for sf.
	newPF  atomic.Pointer[[16]byte]
	fbSize atomic.Uint32 // width<<16 | height, for injected requests
	active atomic.Pointer[sessionRecording]
	viewer Viewer
	// ready is set once the framers are set up, broken once the server
	// stream was not understood (read from other goroutines).
	ready  atomic.Bool
	broken atomic.Bool
}

// sessionRecording is one recording of one console.
type sessionRecording struct {
	a       *recording.Active
	by      string
	reason  string
	started time.Time
	// keyPending: a full update was asked for; the next full one starts
	// a keyframe. inKey and seenKey are owned by vmToBrowser.
	keyPending atomic.Bool
	keyframes  atomic.Int32
	inKey      bool
	seenKey    bool
	stop       chan struct{}
	stopOnce   sync.Once
	// release gives back the starter's slot (Starter.Take) when the
	// recording ends.
	release func()
	// failed is closed when writing the recording failed (its disk fell
	// behind, ErrBackedUp): the relay stops feeding it at once, and the
	// keyframes goroutine ends it, off the relay's path.
	failed   chan struct{}
	failOnce sync.Once
	failErr  error
}

// fail marks the recording failed with err (the first error wins).
func (a *sessionRecording) fail(err error) {
	a.failOnce.Do(func() {
		a.failErr = err
		close(a.failed)
	})
}

// isFailed reports whether the recording failed.
func (a *sessionRecording) isFailed() bool {
	select {
	case <-a.failed:
		return true
	default:
		return false
	}
}

// check fails the recording on a writer error.
func (a *sessionRecording) check(err error) {
	if err != nil {
		a.fail(err)
	}
}

// recInit prepares a console's framers once the VNC server's ServerInit
// (si) is known.
func (s *vncSession) recInit(si []byte, v Viewer) {
	r := &s.rec
	r.viewer = v
	if s.v.opts.Recordings == nil {
		return // no recordings: the relay need not follow the messages
	}
	sf, err := recording.NewServerFramer(si)
	if err != nil {
		return
	}
	r.sf = sf
	r.fbSize.Store(uint32(sf.Width)<<16 | uint32(sf.Height))
	r.cf.Rewrite = func(m []byte) []byte {
		r.encs = recording.ParseSetEncodings(m)
		if r.active.Load() == nil {
			return m
		}
		return recording.SetEncodingsMessage(recording.StatelessEncodings(r.encs))
	}
	defer r.ready.Store(true)
	r.cf.Seen = func(m recording.ClientMessage) {
		switch {
		case recording.IsInput(m.Data):
			if a := r.active.Load(); a != nil && !a.isFailed() {
				a.check(a.a.W.Add(recording.Input, m.Data))
			}
		case m.Type == recording.MsgSetPixelFormat && len(m.Data) == 20:
			var pf [16]byte
			copy(pf[:], m.Data[4:])
			r.newPF.Store(&pf)
			if a := r.active.Load(); a != nil && !a.isFailed() {
				a.check(a.a.W.Add(recording.Client, m.Data))
			}
		}
	}
}

// writeUp sends the browser's bytes to the VNC server, through the client
// framer (which may rewrite SetEncodings and add injected messages).
func (s *vncSession) writeUp(up net.Conn, data []byte) (int, error) {
	r := &s.rec
	r.upMu.Lock()
	defer r.upMu.Unlock()
	if r.sf == nil {
		return up.Write(data)
	}
	return up.Write(r.cf.Feed(data))
}

// inject sends msg to the VNC server between two of the browser's
// messages: now if the stream is at a boundary, else with the browser's
// next bytes.
func (s *vncSession) inject(msg []byte) {
	r := &s.rec
	r.upMu.Lock()
	defer r.upMu.Unlock()
	up := s.up.Load()
	if up == nil || s.ending.Load() {
		return
	}
	if r.cf.AtBoundary() {
		_, _ = (*up).Write(msg)
		return
	}
	r.cf.Queue(msg)
}

// recDown follows the VNC server's bytes p (already sent to the browser)
// and records them while the console records.
func (s *vncSession) recDown(p []byte) {
	r := &s.rec
	sf := r.sf
	if sf == nil || sf.Err() != nil {
		return
	}
	if pf := r.newPF.Swap(nil); pf != nil {
		sf.SetPixelFormat(*pf)
	}
	a := r.active.Load()
	if a == nil || a.isFailed() {
		sf.Feed(p, nil) // the framer follows the stream all the same
	} else {
		a.down(sf, p)
	}
	r.fbSize.Store(uint32(sf.Width)<<16 | uint32(sf.Height))
	if err := sf.Err(); err != nil {
		r.broken.Store(true)
		s.v.log.Info("console stream not understood; it can no longer be recorded", "host", s.host, "uuid", s.uuid, "err", err)
		if a != nil {
			s.stopRecording(a)
		}
	}
}

// down records p, starting keyframes at full updates that were asked for.
func (a *sessionRecording) down(sf *recording.ServerFramer, p []byte) {
	w := a.a.W
	written := 0
	put := func(end int) {
		// Bytes before the first keyframe need decoder state the
		// recording lacks: they are left out.
		if end > written && (a.seenKey || a.inKey) {
			a.check(w.Add(recording.Server, p[written:end]))
		}
		written = end
	}
	sf.Feed(p, func(e recording.ServerEvent) {
		if e.Start {
			if e.Type == 0 && a.keyPending.Load() && !a.inKey {
				put(e.Off)
				a.check(w.StartKeyframe(recording.KeyframeInfo{Width: uint16(sf.Width), Height: uint16(sf.Height), PixelFormat: sf.PF.Raw}))
				a.inKey = true
			}
			return
		}
		put(e.Off)
		if a.inKey {
			if e.Full {
				a.keyPending.Store(false)
				a.seenKey = true
				a.keyframes.Add(1)
			} else {
				w.CancelKeyframe()
			}
			a.inKey = false
		}
		a.check(w.Boundary())
	})
	put(len(p))
}

// Recording problems.
var (
	errNoConsole = problem.New(problem.Conflict, "no_console_open",
		"no console of this VM is open", "open the VM's console first, then start the recording")
	errNoRecordings = problem.New(problem.Unsupported, "recording_disabled",
		"console recording is not configured", "set recording.dir in the configuration (it defaults to the data dir)")
	errPolicyRecording = problem.New(problem.Forbidden, "recording_required",
		"the configuration requires this console to be recorded", "an admin may stop it; see recording-always-roles and recording-always-vms")
	errNotRecordable = problem.New(problem.Conflict, "console_not_recordable",
		"the console's stream cannot be recorded", "reopen the console and try again")
)

// RecordingStatus is whether a VM's consoles record.
type RecordingStatus struct {
	Recording bool      `json:"recording"`
	Since     time.Time `json:"since,omitzero"`
	By        string    `json:"by,omitempty"`
	IDs       []string  `json:"ids"`
	Consoles  int       `json:"consoles"`
	// Keyframes counts the keyframes recorded so far.
	Keyframes int `json:"keyframes"`
	// Ended says, while nothing records, why the VM's last recording
	// ended by itself (a limit reached, the disk falling behind); empty
	// when a user stopped it or its console closed.
	Ended string `json:"ended,omitempty"`
}

// RecordingStatus tells whether the consoles of VM host/uuid record now:
// the mark every viewer of that console shows.
func (v *Proxy) RecordingStatus(hostName, uuid string) RecordingStatus {
	st := RecordingStatus{IDs: []string{}}
	for _, s := range v.sessionsOf(hostName, uuid) {
		st.Consoles++
		if a := s.rec.active.Load(); a != nil {
			st.Recording = true
			st.IDs = append(st.IDs, a.a.ID)
			st.Keyframes += int(a.keyframes.Load())
			if st.Since.IsZero() || a.started.Before(st.Since) {
				st.Since, st.By = a.started, a.by
			}
		}
	}
	if why, ok := v.ended.Load(hostName + "/" + uuid); ok && !st.Recording {
		st.Ended = why.(string)
	}
	return st
}

func (v *Proxy) sessionsOf(hostName, uuid string) []*vncSession {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []*vncSession
	for s := range v.sessions {
		if s.host == hostName && s.uuid == uuid && s.rec.ready.Load() && s.up.Load() != nil {
			out = append(out, s)
		}
	}
	return out
}

// StartRecording starts recording every open console of VM host/uuid (one
// file each), by user. Consoles that already record go on.
func (v *Proxy) StartRecording(hostName, uuid, user string) (RecordingStatus, error) {
	return v.StartRecordingBy(hostName, uuid, Starter{User: user})
}

// Starter is who starts recordings, and the caps that person's recordings
// count against.
type Starter struct {
	User string
	// Take, when not nil, is asked for n slots before n consoles start
	// recording, and refuses them all or none; release gives one slot
	// back and is called once for each of the n, when its recording ends
	// (or at once for a console that did not start after all).
	Take func(n int) (release func(), err error)
}

// StartRecordingBy is StartRecording with the starter's caps: the consoles
// of the VM that do not record yet start only if by.Take grants them all.
func (v *Proxy) StartRecordingBy(hostName, uuid string, by Starter) (RecordingStatus, error) {
	if v.opts.Recordings == nil {
		return RecordingStatus{}, errNoRecordings
	}
	ss := v.sessionsOf(hostName, uuid)
	if len(ss) == 0 {
		return RecordingStatus{}, errNoConsole
	}
	todo := ss[:0]
	for _, s := range ss {
		if s.rec.active.Load() == nil {
			todo = append(todo, s)
		}
	}
	release := func() {}
	if by.Take != nil && len(todo) > 0 {
		rel, err := by.Take(len(todo))
		if err != nil {
			return v.RecordingStatus(hostName, uuid), err
		}
		release = rel
	}
	for i, s := range todo {
		if err := s.startRecording(by.User, "manual", release); err != nil {
			for range todo[i+1:] {
				release()
			}
			return v.RecordingStatus(hostName, uuid), err
		}
	}
	return v.RecordingStatus(hostName, uuid), nil
}

// StopRecording stops the recordings of VM host/uuid's consoles. Those the
// configuration requires (policy) stop only if mayStopPolicy (an admin).
func (v *Proxy) StopRecording(hostName, uuid string, mayStopPolicy bool) (RecordingStatus, error) {
	var err error
	for _, s := range v.sessionsOf(hostName, uuid) {
		if a := s.rec.active.Load(); a != nil {
			if a.reason == "policy" && !mayStopPolicy {
				err = errPolicyRecording
				continue
			}
			s.stopRecording(a)
		}
	}
	return v.RecordingStatus(hostName, uuid), err
}

// startRecording starts recording this console. release, when not nil,
// is called once when the recording ends, or at once if this console does
// not start recording (an error, or it records already).
func (s *vncSession) startRecording(user, reason string, release func()) error {
	if release == nil {
		release = func() {}
	}
	r := &s.rec
	r.upMu.Lock()
	cfErr := r.cf.Err()
	r.upMu.Unlock()
	if !r.ready.Load() || r.broken.Load() || cfErr != nil {
		release()
		return errNotRecordable
	}
	act, err := s.v.opts.Recordings.Create(recording.Header{
		Host: s.host, UUID: s.uuid, VMName: s.vmName, User: user, ServerInit: s.serverInit, Reason: reason,
	})
	if err != nil {
		release()
		return err
	}
	a := &sessionRecording{a: act, by: user, reason: reason, started: time.Now(), stop: make(chan struct{}), release: release,
		failed: make(chan struct{})}
	a.keyPending.Store(true)
	if !r.active.CompareAndSwap(nil, a) {
		_ = act.Close()
		release()
		return nil
	}
	s.v.ended.Delete(s.host + "/" + s.uuid)
	if r.viewer.Recorded != nil {
		r.viewer.Recorded(act.ID)
	}
	s.v.log.Info("console recording started", "host", s.host, "uuid", s.uuid, "vm", s.vmName, "id", act.ID, "by", user, "reason", reason)
	// Stateless encodings from now on, then the first keyframe.
	r.upMu.Lock()
	encs := slices.Clone(r.encs)
	r.upMu.Unlock()
	if encs == nil {
		encs = []int32{recording.EncTightPNG, recording.EncHextile, recording.EncRaw}
	}
	s.inject(append(recording.SetEncodingsMessage(recording.StatelessEncodings(encs)), s.fullRequest()...))
	go s.keyframes(a)
	s.v.recordingChanged(s)
	return nil
}

// recordingChanged tells Options.RecordingChanged the VM's new status.
func (v *Proxy) recordingChanged(s *vncSession) {
	if v.opts.RecordingChanged != nil {
		v.opts.RecordingChanged(s.host, s.uuid, v.RecordingStatus(s.host, s.uuid))
	}
}

func (s *vncSession) fullRequest() []byte {
	wh := s.rec.fbSize.Load()
	return recording.UpdateRequest(false, int(wh>>16), int(wh&0xffff))
}

// keyframes asks for a full update every KeyframeInterval and ends the
// recording at its limits or with the console.
func (s *vncSession) keyframes(a *sessionRecording) {
	opts := s.v.opts.Recordings.Options()
	t := time.NewTicker(KeyframeInterval)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-s.done:
			s.stopRecording(a)
			return
		case <-a.failed:
			why := "the recording ended: " + a.failErr.Error()
			if errors.Is(a.failErr, recording.ErrBackedUp) {
				why = "the recording ended: the disk did not keep up with the console (more than " +
					strconv.Itoa(recording.MaxQueued>>20) + " MiB waited); the console went on"
			}
			s.v.log.Warn("console recording failed", "host", s.host, "uuid", s.uuid, "id", a.a.ID, "err", a.failErr)
			s.stopRecordingWhy(a, why)
			return
		case <-t.C:
		}
		if size := a.a.W.Size(); size > opts.MaxBytes || time.Since(a.started) > opts.MaxDuration {
			s.v.log.Info("console recording reached its limit", "id", a.a.ID, "bytes", size,
				"duration", time.Since(a.started).Round(time.Second))
			why := "the recording ended at its size limit (recording-max-mib)"
			if size <= opts.MaxBytes {
				why = "the recording ended at its length limit (recording-max-duration)"
			}
			s.stopRecordingWhy(a, why)
			return
		}
		a.keyPending.Store(true)
		s.inject(s.fullRequest())
	}
}

// stopRecording ends recording a: the browser's own encodings again, the
// file closed.
func (s *vncSession) stopRecording(a *sessionRecording) { s.stopRecordingWhy(a, "") }

// stopRecordingWhy is stopRecording for a recording that ended by itself
// for the reason why (shown in RecordingStatus.Ended).
func (s *vncSession) stopRecordingWhy(a *sessionRecording, why string) {
	a.stopOnce.Do(func() {
		if why != "" {
			s.v.ended.Store(s.host+"/"+s.uuid, why)
		}
		r := &s.rec
		r.active.CompareAndSwap(a, nil)
		close(a.stop)
		r.upMu.Lock()
		encs := slices.Clone(r.encs)
		r.upMu.Unlock()
		if encs != nil {
			s.inject(recording.SetEncodingsMessage(encs))
		}
		if err := a.a.Close(); err != nil {
			s.v.log.Warn("console recording not finished cleanly", "id", a.a.ID, "err", err)
		}
		a.release()
		s.v.recordingChanged(s)
		s.v.log.Info("console recording stopped", "host", s.host, "uuid", s.uuid, "id", a.a.ID,
			"bytes", a.a.W.Size(), "duration", time.Since(a.started).Round(time.Millisecond))
	})
}

// recEnd stops a recording still running when the console ends.
func (s *vncSession) recEnd() {
	if a := s.rec.active.Load(); a != nil {
		s.stopRecording(a)
	}
}

// recPolicy starts recording at once if the configuration says that this
// console always records, or if another console of the same VM records
// now (the "Recording" mark is per VM: whoever sees it is recorded).
func (s *vncSession) recPolicy() {
	if s.v.opts.Recordings == nil {
		return
	}
	user, reason := s.rec.viewer.User, ""
	if s.v.opts.RecordPolicy.applies(s.uuid, s.rec.viewer) {
		reason = "policy"
	} else {
		for _, o := range s.v.sessionsOf(s.host, s.uuid) {
			if a := o.rec.active.Load(); o != s && a != nil {
				user, reason = a.by, a.reason
				break
			}
		}
	}
	if reason == "" {
		return
	}
	if err := s.startRecording(user, reason, nil); err != nil {
		s.v.log.Warn("console recording could not start", "host", s.host, "uuid", s.uuid, "reason", reason, "err", err)
	}
}
