package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/snapexport"
)

const (
	exportPath = "/api/v1/hosts/{host}/vms/{uuid}/export"
	// importPath takes an export file as its body: exempt from the 64 KiB
	// cap, with limits of its own (size, total and idle time, transfer
	// slots).
	importPath = "/api/v1/hosts/{host}/import"
	// snapDiskPath exports one snapshot's disk as a standalone image.
	snapDiskPath = "/api/v1/hosts/{host}/vms/{uuid}/snapshots/{name}/export-disk"
)

// exportRoutes are export and import's routes, served only when the
// service is given (Options.Export).
func (s *Server) exportRoutes() []Route {
	if s.opts.Export == nil {
		return nil
	}
	return []Route{
		{"GET", exportPath, operator, "vm.export", s.exportDownload},
		{"POST", exportPath, operator, "vm.export", s.exportToPool},
		{"POST", importPath, admin, "vm.import", s.importVM},
		{"POST", snapDiskPath, operator, "snapshot.export-disk", s.exportSnapshotDisk},
		{"GET", snapDiskPath, operator, "snapshot.export-disk", s.downloadSnapshotDisk},
	}
}

// isImport reports whether r is an import, whose body limitBody leaves to
// the handler.
func (s *Server) isImport(r *http.Request) bool {
	if s.opts.Export == nil || r.Method != http.MethodPost {
		return false
	}
	_, pattern := s.mux.Handler(r)
	return pattern == "POST "+importPath
}

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, problem.New(problem.Invalid, "invalid_parameter", name+" must be true or false", "")
	}
	return b, nil
}

// exportDownload streams a VM's export file (application/x-tar, its exact
// length announced). ?pause=true lets it pause a running VM for the
// duration. The export is an operation (kind vm-export, its id in the
// X-Operation header) that DELETE /api/v1/operations/{id} cancels; a
// failure midway cuts the response, so the client sees it incomplete.
func (s *Server) exportDownload(w http.ResponseWriter, r *http.Request) error {
	pause, err := boolParam(r, "pause")
	if err != nil {
		return err
	}
	release, err := s.acquireStream(s.streams.transfers, r)
	if err != nil {
		return err
	}
	defer release()
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	wrote := false
	_, err = s.opts.Export.Export(r.Context(), snapexport.ExportRequest{
		Host: r.PathValue("host"), UUID: r.PathValue("uuid"), Pause: pause, W: w,
		Started: func(op operation.Op, name string, length int64) {
			s.setOpUser(r, op)
			w.Header().Set("X-Operation", op.ID)
			startAttachment(w, "application/x-tar", name, length)
			wrote = true
		},
	})
	if err != nil && wrote {
		s.log.Warn("export failed midway", "vm", r.PathValue("uuid"), "err", err)
		noteOf(r).err = err
		panic(http.ErrAbortHandler)
	}
	return err
}

// setOpUser records who asked for an operation that answers with the
// work's own result rather than 202.
func (s *Server) setOpUser(r *http.Request, op operation.Op) {
	if p, ok := auth.FromContext(r.Context()); ok && p.User != "" {
		s.opts.Operations.SetUser(op.ID, p.User)
	}
}

// exportRequest is the body of POST .../export.
type exportRequest struct {
	Pool   string `json:"pool"`
	Volume string `json:"volume"`
	Pause  bool   `json:"pause"`
}

// exportToPool writes the export file as a new volume of a pool on the
// VM's host: 202 with the operation (kind vm-export).
func (s *Server) exportToPool(w http.ResponseWriter, r *http.Request) error {
	var req exportRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	noteOf(r).detail = problem.Clip(req.Pool + "/" + req.Volume)
	if req.Pool == "" || req.Volume == "" {
		return problem.New(problem.Invalid, "invalid_target", "an export to a pool needs \"pool\" and \"volume\"", "to download the file instead, use GET on the same path")
	}
	started := make(chan operation.Op, 1)
	failed := make(chan error, 1)
	// The export outlives this request.
	ctx := context.WithoutCancel(r.Context())
	go func() {
		_, err := s.opts.Export.Export(ctx, snapexport.ExportRequest{
			Host: r.PathValue("host"), UUID: r.PathValue("uuid"), Pause: req.Pause, Pool: req.Pool, Volume: req.Volume,
			Started: func(op operation.Op, _ string, _ int64) { started <- op },
		})
		failed <- err
	}()
	select {
	case op := <-started:
		s.writeAccepted(w, r, op)
		return nil
	case err := <-failed:
		if err == nil { // not reached: Started comes first on success
			err = problem.New(problem.Unavailable, "export_failed", "the export ended before it started", "try again")
		}
		return err
	}
}

// importVM reads an export file from the body and imports it: ?pool=
// receives the disks, ?name= renames the VM (new UUID and MACs). It
// answers when the import has ended (201 with what it made); its
// progress is an operation (kind vm-import, named by X-Operation) that
// DELETE /api/v1/operations/{id} cancels. Nothing is defined unless every
// part's hash checks out; a refused import leaves no volume behind.
func (s *Server) importVM(w http.ResponseWriter, r *http.Request) error {
	svc := s.opts.Export
	q := r.URL.Query()
	noteOf(r).detail = problem.Clip(q.Get("pool") + "/" + q.Get("name"))
	if r.ContentLength < 0 {
		return problem.New(problem.Invalid, "length_required", "the import has no Content-Length", "send the file with its length (not chunked)")
	}
	if uint64(r.ContentLength) > svc.MaxImport() {
		w.Header().Set("Connection", "close")
		return problem.New(problem.TooLarge, "upload_too_large", "the import file is larger than this server accepts", "ask the administrator to raise the import limit")
	}
	release, err := s.acquireStream(s.streams.transfers, r)
	if err != nil {
		w.Header().Set("Connection", "close")
		return err
	}
	defer release()
	idle := time.Minute
	if s.opts.Storage != nil {
		_, idle = s.opts.Storage.Limits()
	}
	rc := http.NewResponseController(w)
	body := &idleBody{r: r.Body, rc: rc, idle: idle}
	body.extend()
	res, err := svc.Import(r.Context(), snapexport.ImportRequest{
		Host: r.PathValue("host"), Pool: q.Get("pool"), Name: q.Get("name"),
		Length: uint64(r.ContentLength), Body: body,
		Abort: func() {
			body.aborted.Store(true)
			_ = rc.SetReadDeadline(time.Now())
		},
		Started: func(op operation.Op) {
			s.setOpUser(r, op)
			w.Header().Set("X-Operation", op.ID)
		},
	})
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		w.Header().Set("Connection", "close")
		return err
	}
	w.Header().Set("Location", "/api/v1/hosts/"+res.Host+"/vms/"+res.UUID)
	writeJSON(w, http.StatusCreated, res)
	return nil
}

// snapDiskRequest is the body of POST .../snapshots/{name}/export-disk.
type snapDiskRequest struct {
	Disk   string `json:"disk"`
	Pool   string `json:"pool"`
	Volume string `json:"volume"`
	Format string `json:"format"`
}

// exportSnapshotDisk writes one disk as it was at a snapshot into a new
// volume: 202 with the operation (kind snapshot-export-disk).
func (s *Server) exportSnapshotDisk(w http.ResponseWriter, r *http.Request) error {
	var req snapDiskRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	noteOf(r).detail = problem.Clip(r.PathValue("name") + " " + req.Disk + " → " + req.Pool + "/" + req.Volume)
	op, err := s.opts.Export.ExportSnapshotDisk(snapexport.SnapshotDiskRequest{
		Host: r.PathValue("host"), UUID: r.PathValue("uuid"), Snapshot: r.PathValue("name"),
		Disk: req.Disk, Pool: req.Pool, Volume: req.Volume, Format: req.Format,
	})
	if err != nil {
		return err
	}
	s.writeAccepted(w, r, op)
	return nil
}

// downloadSnapshotDisk streams one disk as it was at a snapshot as a
// standalone image (?disk=vda&format=qcow2|raw; ?pool= holds the
// temporary image, default: the pool of the disk's image). The image is
// made first (no byte is sent until then), then streamed with its exact
// length; the whole is an operation (kind snapshot-export-disk, named by
// X-Operation) that DELETE /api/v1/operations/{id} cancels. A failure
// midway cuts the response, so the client sees it incomplete.
func (s *Server) downloadSnapshotDisk(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	noteOf(r).detail = problem.Clip(r.PathValue("name") + " " + q.Get("disk") + " download")
	release, err := s.acquireStream(s.streams.transfers, r)
	if err != nil {
		return err
	}
	defer release()
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	wrote := false
	_, err = s.opts.Export.DownloadSnapshotDisk(r.Context(), snapexport.SnapshotDiskDownload{
		SnapshotDiskRequest: snapexport.SnapshotDiskRequest{
			Host: r.PathValue("host"), UUID: r.PathValue("uuid"), Snapshot: r.PathValue("name"),
			Disk: q.Get("disk"), Pool: q.Get("pool"), Format: q.Get("format"),
		},
		W: w,
		Operation: func(op operation.Op) {
			s.setOpUser(r, op)
			w.Header().Set("X-Operation", op.ID)
		},
		Started: func(name string, length int64) {
			startAttachment(w, "application/octet-stream", name, length)
			wrote = true
		},
	})
	if err != nil && wrote {
		s.log.Warn("snapshot disk download failed midway", "vm", r.PathValue("uuid"), "err", err)
		noteOf(r).err = err
		panic(http.ErrAbortHandler)
	}
	return err
}

// startAttachment sends the head of a download: a file to save, never
// cached, of the given length (unknown if negative).
func startAttachment(w http.ResponseWriter, contentType, name string, length int64) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", "attachment; filename="+strconv.Quote(name))
	h.Set("Cache-Control", "no-store")
	if length >= 0 {
		h.Set("Content-Length", strconv.FormatInt(length, 10))
	}
	w.WriteHeader(http.StatusOK)
}
