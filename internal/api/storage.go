package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/storage"
)

const (
	poolsBase = "/api/v1/hosts/{host}/pools"
	// volumeContent is the upload and download route; its body (an
	// upload) is exempt from the 64 KiB cap and has limits of its own.
	volumeContent = poolsBase + "/{pool}/volumes/{vol}/content"
	// cdromPath is a VM's CD-ROM drive, by its target (hdc, sda, ...).
	cdromPath = "/api/v1/hosts/{host}/vms/{uuid}/cdrom/{target}"
)

// storageRoutes are the storage manager's routes, served only when it is
// given (Options.Storage).
func (s *Server) storageRoutes() []Route {
	if s.opts.Storage == nil {
		return nil
	}
	return []Route{
		{"GET", poolsBase, viewer, "", s.listPools},
		{"POST", poolsBase, admin, "pool.create", s.createPool},
		{"GET", poolsBase + "/{pool}", viewer, "", s.getPool},
		{"POST", poolsBase + "/{pool}/{action}", operator, "pool.{action}", s.poolAction},
		{"DELETE", poolsBase + "/{pool}", admin, "pool.delete", s.deletePool},
		{"GET", poolsBase + "/{pool}/volumes", viewer, "", s.listVolumes},
		{"POST", poolsBase + "/{pool}/volumes", operator, "volume.create", s.createVolume},
		{"GET", poolsBase + "/{pool}/volumes/{vol}", viewer, "", s.getVolume},
		{"DELETE", poolsBase + "/{pool}/volumes/{vol}", admin, "volume.delete", s.deleteVolume},
		{"PUT", volumeContent, operator, "volume.upload", s.uploadVolume},
		{"GET", volumeContent, operator, "", s.downloadVolume},
		{"POST", poolsBase + "/{pool}/volumes/{vol}/resize", operator, "volume.resize", s.resizeVolume},
		{"POST", poolsBase + "/{pool}/volumes/{vol}/clone", operator, "volume.clone", s.cloneVolume},
		{"PUT", cdromPath, operator, "vm.cdrom.insert", s.insertMedia},
		{"DELETE", cdromPath, operator, "vm.cdrom.eject", s.ejectMedia},
		{"POST", "/api/v1/hosts/{host}/vms/{uuid}/cdrom", admin, "vm.cdrom.add", s.addCDROM},
	}
}

// isUpload reports whether r is a volume upload, whose body limitBody
// leaves to the handler.
func (s *Server) isUpload(r *http.Request) bool {
	if s.opts.Storage == nil || r.Method != http.MethodPut {
		return false
	}
	_, pattern := s.mux.Handler(r)
	return pattern == "PUT "+volumeContent
}

func (s *Server) listPools(w http.ResponseWriter, r *http.Request) error {
	pools, err := s.opts.Storage.ListPools(r.PathValue("host"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"pools": pools})
	return nil
}

func (s *Server) getPool(w http.ResponseWriter, r *http.Request) error {
	p, err := s.opts.Storage.GetPool(r.PathValue("host"), r.PathValue("pool"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) createPool(w http.ResponseWriter, r *http.Request) error {
	var req storage.CreatePoolRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	noteOf(r).detail = problem.Clip(req.Name)
	p, err := s.opts.Storage.CreatePool(r.PathValue("host"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) poolAction(w http.ResponseWriter, r *http.Request) error {
	var none struct{}
	if err := decodeJSON(w, r, &none, true); err != nil {
		return err
	}
	p, err := s.opts.Storage.PoolAction(r.PathValue("host"), r.PathValue("pool"), r.PathValue("action"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) deletePool(w http.ResponseWriter, r *http.Request) error {
	if err := s.opts.Storage.DeletePool(r.PathValue("host"), r.PathValue("pool")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listVolumes(w http.ResponseWriter, r *http.Request) error {
	vols, err := s.opts.Storage.ListVolumes(r.PathValue("host"), r.PathValue("pool"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"volumes": vols})
	return nil
}

func (s *Server) getVolume(w http.ResponseWriter, r *http.Request) error {
	v, err := s.opts.Storage.GetVolume(r.PathValue("host"), r.PathValue("pool"), r.PathValue("vol"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) createVolume(w http.ResponseWriter, r *http.Request) error {
	var req storage.CreateVolumeRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	noteOf(r).detail = problem.Clip(req.Name)
	v, err := s.opts.Storage.CreateVolume(r.PathValue("host"), r.PathValue("pool"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) deleteVolume(w http.ResponseWriter, r *http.Request) error {
	if err := s.opts.Storage.DeleteVolume(r.PathValue("host"), r.PathValue("pool"), r.PathValue("vol")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// uploadVolume streams the request body into a new volume. It answers
// when the upload has ended (201 with the SHA-256 of what arrived); its
// progress is an operation (kind volume-upload, announced on the event
// stream and named by the X-Operation header's value in the answer),
// which DELETE /api/v1/operations/{id} cancels. The body must declare its
// length; it may take at most the service's upload time, and stall at most
// its idle time.
func (s *Server) uploadVolume(w http.ResponseWriter, r *http.Request) error {
	svc := s.opts.Storage
	noteOf(r).detail = problem.Clip(r.PathValue("pool") + "/" + r.PathValue("vol"))
	if r.ContentLength < 0 {
		return problem.New(problem.Invalid, "length_required", "the upload has no Content-Length", "send the file with its length (not chunked)")
	}
	if uint64(r.ContentLength) > svc.MaxUpload() {
		w.Header().Set("Connection", "close")
		return problem.New(problem.TooLarge, "upload_too_large",
			"the upload ("+storage.FormatSize(uint64(r.ContentLength))+") is larger than the "+storage.FormatSize(svc.MaxUpload())+" this server accepts",
			"ask the administrator to raise the upload limit")
	}
	release, err := s.acquireStream(s.streams.transfers, r)
	if err != nil {
		w.Header().Set("Connection", "close")
		return err
	}
	defer release()
	_, idle := svc.Limits()
	rc := http.NewResponseController(w)
	body := &idleBody{r: r.Body, rc: rc, idle: idle}
	body.extend()
	res, err := svc.Upload(r.Context(), storage.UploadRequest{
		Host: r.PathValue("host"), Pool: r.PathValue("pool"), Name: r.PathValue("vol"),
		Length: uint64(r.ContentLength), Body: body,
		Abort: func() {
			body.aborted.Store(true)
			_ = rc.SetReadDeadline(time.Now())
		},
		Started: func(op operation.Op) { w.Header().Set("X-Operation", op.ID) },
	})
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		// An unread body is not worth reading on: close the connection.
		w.Header().Set("Connection", "close")
		return err
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}

// idleBody is an upload's body under a read deadline that each read
// pushes on: a client may be slow, but not stall.
type idleBody struct {
	r    interface{ Read([]byte) (int, error) }
	rc   *http.ResponseController
	idle time.Duration
	// aborted is set when a cancel ends the body's read (by the same
	// deadline), which is then no stall.
	aborted atomic.Bool
}

func (b *idleBody) extend() { _ = b.rc.SetReadDeadline(time.Now().Add(b.idle)) }

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.extend()
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) && !b.aborted.Load() {
		return n, problem.Wrap(err, problem.Timeout, "upload_stalled",
			fmt.Sprintf("the upload received nothing for %s and was stopped; its volume was removed", b.idle),
			"upload the file again over a steadier connection")
	}
	return n, err
}

// downloadVolume streams a volume's content (application/octet-stream).
func (s *Server) downloadVolume(w http.ResponseWriter, r *http.Request) error {
	release, err := s.acquireStream(s.streams.transfers, r)
	if err != nil {
		return err
	}
	defer release()
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	wrote := false
	err = s.opts.Storage.Download(r.Context(), r.PathValue("host"), r.PathValue("pool"), r.PathValue("vol"), func(v storage.Volume) {
		// libvirt streams the volume's file, sparse parts included: its
		// physical size, not the virtual one (a qcow2 image downloads as
		// the image file).
		length := int64(-1)
		if v.Physical > 0 && v.Physical <= math.MaxInt64 {
			length = int64(v.Physical)
		}
		startAttachment(w, "application/octet-stream", v.Name, length)
		wrote = true
	}, w)
	if err != nil && wrote {
		// Too late for an error body: cut the response so that the
		// client sees it incomplete.
		s.log.Warn("volume download failed midway", "pool", r.PathValue("pool"), "volume", r.PathValue("vol"), "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// resizeVolume grows a volume (through its running VM when one uses it).
func (s *Server) resizeVolume(w http.ResponseWriter, r *http.Request) error {
	var req storage.ResizeRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	noteOf(r).detail = problem.Clip(r.PathValue("pool") + "/" + r.PathValue("vol") + " to " + string(req.Size))
	res, err := s.opts.Storage.Resize(r.PathValue("host"), r.PathValue("pool"), r.PathValue("vol"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// cloneVolume starts copying a volume into a new one: 202 with the
// operation (kind volume-clone), whose result is the new volume.
func (s *Server) cloneVolume(w http.ResponseWriter, r *http.Request) error {
	var req storage.CloneRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	noteOf(r).detail = problem.Clip(r.PathValue("pool") + "/" + r.PathValue("vol") + " to " + req.Name)
	op, err := s.opts.Storage.Clone(r.PathValue("host"), r.PathValue("pool"), r.PathValue("vol"), req, nil)
	if err != nil {
		return err
	}
	s.writeAccepted(w, r, op)
	return nil
}

// insertMedia puts a volume into a VM's CD-ROM drive (live and in its
// definition).
func (s *Server) insertMedia(w http.ResponseWriter, r *http.Request) error {
	var req storage.MediaRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	noteOf(r).detail = problem.Clip(r.PathValue("target") + ": " + req.Pool + "/" + req.Volume)
	m, err := s.opts.Storage.ChangeMedia(r.PathValue("host"), r.PathValue("uuid"), r.PathValue("target"), &req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// ejectMedia empties a VM's CD-ROM drive.
func (s *Server) ejectMedia(w http.ResponseWriter, r *http.Request) error {
	noteOf(r).detail = problem.Clip(r.PathValue("target"))
	m, err := s.opts.Storage.ChangeMedia(r.PathValue("host"), r.PathValue("uuid"), r.PathValue("target"), nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// addCDROM adds an empty CD-ROM drive to a VM's definition.
func (s *Server) addCDROM(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRefNoBody(w, r)
	if err != nil {
		return err
	}
	res, err := s.opts.Storage.AddCDROM(h, uuid)
	if err != nil {
		return err
	}
	noteOf(r).detail = res.Target
	writeJSON(w, http.StatusOK, res)
	return nil
}
