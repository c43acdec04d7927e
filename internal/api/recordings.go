package api

import (
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/console/recording"
	"github.com/kvm-manager/kvm-manager/internal/console/vnc"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// recordingRoutes are console recording's routes: start, stop and the
// status (the "Recording" mark) of a VM's consoles, and the recordings:
// list, details with keyframes, segments for the player, download and
// delete. Served when the VNC proxy and a recordings store are given.
func (s *Server) recordingRoutes() []Route {
	if s.opts.VNC == nil || s.opts.Recordings == nil {
		return nil
	}
	s.recLimits = newRecordingLimits(s.opts.RecordingLimits, s.log)
	const vm = "/api/v1/hosts/{host}/vms/{uuid}"
	return []Route{
		{"GET", vm + "/console/recording", operator, "", s.recordingStatus},
		{"POST", vm + "/console/recording", operator, "console.record.start", s.startRecording},
		{"DELETE", vm + "/console/recording", operator, "console.record.stop", s.stopRecording},
		{"GET", "/api/v1/recordings", operator, "", s.listRecordings},
		{"GET", "/api/v1/recordings/{id}", operator, "", s.getRecording},
		{"GET", "/api/v1/recordings/{id}/segments/{n}", operator, "", s.recordingSegment},
		{"GET", "/api/v1/recordings/{id}/file", operator, "recording.download", s.downloadRecording},
		{"DELETE", "/api/v1/recordings/{id}", admin, "recording.delete", s.deleteRecording},
	}
}

// withViewer puts who opens a console into its context, for recording
// policies, and notes its recordings in the console's audit entry.
func withViewer(r *http.Request) (*http.Request, func()) {
	p, _ := auth.FromContext(r.Context())
	var mu sync.Mutex
	var ids []string
	v := vnc.Viewer{User: p.User, Role: p.Role.String(), Recorded: func(id string) {
		mu.Lock()
		ids = append(ids, id)
		mu.Unlock()
	}}
	done := func() {
		mu.Lock()
		defer mu.Unlock()
		if len(ids) > 0 {
			n := noteOf(r)
			n.detail = "recording " + ids[0]
			for _, id := range ids[1:] {
				n.detail += ", " + id
			}
		}
	}
	return r.WithContext(vnc.WithViewer(r.Context(), v)), done
}

func (s *Server) recordingStatus(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.opts.VNC.RecordingStatus(h, uuid))
	return nil
}

func (s *Server) startRecording(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRefNoBody(w, r)
	if err != nil {
		return err
	}
	started, err := s.startRecordingLimited(r, h, uuid)
	if err != nil {
		return err
	}
	st := s.opts.VNC.RecordingStatus(h, uuid)
	noteOf(r).detail = joinIDs(st.IDs)
	if len(started) == 0 && len(st.IDs) > 0 {
		noteOf(r).detail = "already recording: " + noteOf(r).detail
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) stopRecording(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRefNoBody(w, r)
	if err != nil {
		return err
	}
	p, _ := auth.FromContext(r.Context())
	before := s.opts.VNC.RecordingStatus(h, uuid)
	st, err := s.opts.VNC.StopRecording(h, uuid, p.Role.Allows(auth.Admin))
	if err != nil {
		return err
	}
	noteOf(r).detail = joinIDs(before.IDs)
	writeJSON(w, http.StatusOK, st)
	return nil
}

func joinIDs(ids []string) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ", "
		}
		out += id
	}
	return problem.Clip(out)
}

func (s *Server) listRecordings(w http.ResponseWriter, r *http.Request) error {
	list, err := s.opts.Recordings.List()
	if err != nil {
		return err
	}
	if list == nil {
		list = []recording.Info{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"recordings": list})
	return nil
}

// recordingDetails is a recording with what the player needs to seek.
type recordingDetails struct {
	recording.Info
	// KeyframeTimes are the keyframes' times in seconds; segment n plays
	// from keyframe n to keyframe n+1.
	KeyframeTimes []float64 `json:"keyframeTimes"`
	ServerInit    []byte    `json:"serverInit"`
}

func (s *Server) getRecording(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	info, err := s.opts.Recordings.Stat(id)
	if err != nil {
		return err
	}
	f, rd, err := s.opts.Recordings.Open(id)
	if err != nil {
		return err
	}
	defer f.Close()
	d := recordingDetails{Info: info, KeyframeTimes: []float64{}, ServerInit: rd.Header().ServerInit}
	for _, e := range rd.Index() {
		d.KeyframeTimes = append(d.KeyframeTimes, e.At.Seconds())
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

var errNoSegment = problem.New(problem.NotFound, "recording_segment_not_found",
	"the recording has no such segment", "segments are numbered from 0 to the number of keyframes - 1")

// maxSegmentBytes bounds one segment answer (a keyframe chunk is at most
// recording.MaxChunkRaw; a segment holds the chunks up to the next one).
const maxSegmentBytes = 256 << 20

// recordingSegment answers the events from keyframe n to keyframe n+1 for
// the player, uncompressed (the HTTP layer may compress): each event is
// u8 type, u32 time in ms since the recording started, u32 length, data.
func (s *Server) recordingSegment(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 {
		return errNoSegment
	}
	f, rd, err := s.opts.Recordings.Open(r.PathValue("id"))
	if err != nil {
		return err
	}
	defer f.Close()
	idx := rd.Index()
	if n >= len(idx) {
		return errNoSegment
	}
	end := int64(-1)
	if n+1 < len(idx) {
		end = idx[n+1].Offset
	}
	c := rd.Chunks(idx[n].Offset)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	var hdr [9]byte
	var total int64
	for {
		ev, err := c.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if end >= 0 && c.ChunkStart >= end {
			break
		}
		hdr[0] = byte(ev.Type)
		binary.BigEndian.PutUint32(hdr[1:], uint32(ev.At/time.Millisecond))
		binary.BigEndian.PutUint32(hdr[5:], uint32(len(ev.Data)))
		if total += int64(len(hdr) + len(ev.Data)); total > maxSegmentBytes {
			break
		}
		if _, err := w.Write(hdr[:]); err != nil {
			return nil
		}
		if _, err := w.Write(ev.Data); err != nil {
			return nil
		}
	}
	return nil
}

func (s *Server) downloadRecording(w http.ResponseWriter, r *http.Request) error {
	release, err := s.acquireStream(s.streams.transfers, r)
	if err != nil {
		return err
	}
	defer release()
	id := r.PathValue("id")
	f, rd, err := s.opts.Recordings.Open(id)
	if err != nil {
		return err
	}
	defer f.Close()
	name := safeFileName(rd.Header().VMName + "-" + id + recording.Ext)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Type", "application/octet-stream")
	st, err := f.Stat()
	if err != nil {
		return err
	}
	http.ServeContent(w, r, "", st.ModTime(), f)
	return nil
}

func (s *Server) deleteRecording(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	noteOf(r).detail = problem.Clip(id)
	if err := s.opts.Recordings.Delete(id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
