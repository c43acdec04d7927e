package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// UploadRequest is a new volume filled from a stream.
type UploadRequest struct {
	Host, Pool, Name string
	// Length is the content's exact size in bytes (the request's
	// Content-Length): the volume is made that large before the first
	// byte is read, so a pool without room refuses at once.
	Length uint64
	// Body is the content. Its reads must end (with an error) when Abort
	// is called.
	Body io.Reader
	// Abort makes a blocked Body.Read return (the API sets the request's
	// read deadline to the past); called when the operation is canceled.
	Abort func()
	// Started is told the operation's id once the upload runs.
	Started func(op operation.Op)
}

// UploadResult is what an upload made.
type UploadResult struct {
	Volume Volume `json:"volume"`
	// SHA256 is the hex digest of the bytes received, computed on the way.
	SHA256  string  `json:"sha256"`
	Bytes   uint64  `json:"bytes"`
	Seconds float64 `json:"seconds"`
}

// Upload creates the volume (raw, Length bytes) and streams Body into it
// on a libvirt link of its own, as an operation that may be canceled. It
// returns when the upload has ended. A failed or canceled upload deletes
// the volume it created: no half volume stays behind.
func (s *Service) Upload(ctx context.Context, req UploadRequest) (UploadResult, error) {
	if err := ValidVolumeName(req.Name); err != nil {
		return UploadResult{}, err
	}
	if req.Length == 0 {
		return UploadResult{}, problem.New(problem.Invalid, "invalid_size", "the upload is empty", "send the file's content as the request body, with its Content-Length")
	}
	if req.Length > s.opts.MaxUpload {
		return UploadResult{}, problem.New(problem.TooLarge, "upload_too_large",
			fmt.Sprintf("the upload (%s) is larger than the %s this server accepts", FormatSize(req.Length), FormatSize(s.opts.MaxUpload)),
			"ask the administrator to raise the upload limit, or copy the file to the host another way")
	}
	c, p, err := s.writablePool(req.Host, req.Pool, req.Length)
	if err != nil {
		return UploadResult{}, err
	}
	if _, err := c.LookupVolume(p, req.Name); err == nil {
		return UploadResult{}, problem.New(problem.Conflict, "volume_exists",
			fmt.Sprintf("a volume %q already exists in pool %q", req.Name, req.Pool), "choose another name, or delete that volume first")
	}
	claim, err := s.opts.Operations.Claim(volTarget(req.Host, p, req.Name), "volume-upload", req.Name)
	if err != nil {
		return UploadResult{}, err
	}
	defer claim.Release()
	link, err := s.opts.Hosts.Dial(req.Host)
	if err != nil {
		return UploadResult{}, host.Problem(err, "open a connection for the upload")
	}
	defer closeLink(link)
	vol, err := s.createVolume(c, p, req.Name, "raw", req.Length)
	if err != nil {
		return UploadResult{}, err
	}
	type outcome struct {
		res UploadResult
		err error
	}
	done := make(chan outcome, 1)
	op, err := claim.Start("volume-upload", true, func(opCtx context.Context, rep operation.Reporter) error {
		res, err := s.stream(ctx, opCtx, link, vol, req, rep)
		if err == nil {
			res.Volume, err = s.finishUpload(req, p, vol)
		}
		if err != nil {
			s.removeHalf(req.Host, vol)
		} else {
			rep.SetResult(res)
		}
		done <- outcome{res, err}
		return err
	})
	if err != nil {
		s.removeHalf(req.Host, vol)
		return UploadResult{}, err
	}
	if req.Started != nil {
		req.Started(op)
	}
	o := <-done
	return o.res, o.err
}

// finishUpload refreshes the pool, so that libvirt probes the content's
// format (an ISO or qcow2 image uploaded shows as such), and describes the
// volume.
func (s *Service) finishUpload(req UploadRequest, p virt.StoragePool, vol virt.StorageVol) (Volume, error) {
	c, err := s.client(req.Host)
	if err != nil {
		return Volume{}, err
	}
	_ = c.RefreshPool(p)
	return s.describeVolume(c, req.Host, req.Pool, vol)
}

// removeHalf deletes the volume of an upload that did not complete.
func (s *Service) removeHalf(hostName string, vol virt.StorageVol) {
	if c, err := s.client(hostName); err == nil {
		_ = c.DeleteVolume(vol)
	}
}

// closeLink closes a link without waiting for a daemon that no longer
// answers.
func closeLink(l virt.Link) {
	done := make(chan struct{})
	go func() { _ = l.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// stream copies the body to the volume, counting, hashing and reporting
// progress.
func (s *Service) stream(reqCtx, opCtx context.Context, link virt.Link, vol virt.StorageVol, req UploadRequest, rep operation.Reporter) (UploadResult, error) {
	ctx, cancel := context.WithTimeout(opCtx, s.opts.UploadTime)
	defer cancel()
	start := time.Now()
	// The body is read ahead (prefetchBuffers pieces of fillTo bytes)
	// while libvirt's stream sends what was read before.
	// The SHA-256 is computed by the reader ahead, as it reads (a tee into
	// the hash), beside the stream's sending rather than between its
	// packets. It is the one cost virsh vol-upload does not have: 0.7 s of
	// CPU per GiB, about the difference between the server's CPU per GiB
	// and virsh's in kvm-bench upload (docs/benchmarks.md).
	sum := sha256.New()
	ahead := newPrefetchReader(io.TeeReader(req.Body, sum), req.Length, prefetchBuffers, fillTo)
	body := &uploadBody{r: ahead, ctx: ctx, reqCtx: reqCtx, want: req.Length, rep: rep}
	// A cancel must unblock a read that waits for the client.
	stop := context.AfterFunc(ctx, func() {
		if req.Abort != nil {
			req.Abort()
		}
	})
	defer stop()
	rep.Progress("uploading", 0)
	err := link.UploadVolume(vol, body, req.Length)
	canceled, timedOut := opCtx.Err(), ctx.Err() // before the cancel below
	if body.n != req.Length {
		// The stream ended early: the reader ahead may wait for the
		// client; the cancel aborts that read (AfterFunc above).
		cancel()
	}
	// The body must not be read once the handler returns.
	ahead.Close()
	switch {
	case canceled != nil:
		return UploadResult{}, problem.Wrap(canceled, problem.Canceled, "upload_canceled", "the upload was canceled; its volume was removed", "")
	case timedOut != nil:
		return UploadResult{}, problem.New(problem.Timeout, "upload_timeout",
			fmt.Sprintf("the upload took longer than %s and was stopped; its volume was removed", s.opts.UploadTime), "upload a smaller file or over a faster link")
	case body.err != nil:
		return UploadResult{}, body.err
	case err != nil:
		return UploadResult{}, libvirtProblem(err, "write the volume")
	case body.n != req.Length:
		return UploadResult{}, problem.New(problem.Invalid, "upload_incomplete",
			fmt.Sprintf("the upload ended after %d of %d bytes; its volume was removed", body.n, req.Length), "upload the file again")
	}
	// After ahead.Close: the reader ahead has stopped writing to sum, and it
	// read exactly the req.Length bytes that were sent.
	return UploadResult{SHA256: hex.EncodeToString(sum.Sum(nil)), Bytes: body.n, Seconds: time.Since(start).Seconds()}, nil
}

// fillTo is the size of the stream packets an upload sends: 256 KiB, as
// libvirt's own clients send. 1 MiB packets were 2 to 5 times slower in
// the same runs (TestStorageUpload, 200 MiB, alternating: 28 to 60 MiB/s
// against 119 to 277 MiB/s).
const fillTo = 256 << 10

// prefetchBuffers is how many fillTo pieces of an upload's body are read
// ahead of libvirt's stream (2 MiB per upload at most).
const prefetchBuffers = 8

// uploadBody is the request body as libvirt's stream reads it.
type uploadBody struct {
	r           io.Reader
	ctx, reqCtx context.Context
	want, n     uint64
	rep         operation.Reporter
	lastPct     int
	lastAt      time.Time
	err         error // why the body ended early, in the user's words
}

func (b *uploadBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	if rest := b.want - b.n; uint64(len(p)) > rest {
		p = p[:rest]
	}
	if len(p) == 0 {
		return 0, io.EOF
	}
	// Each Read becomes one stream packet to libvirt: an HTTP body's reads
	// are a few KiB each, and a packet that small costs a round of
	// libvirtd's event loop, so fill up to fillTo bytes first.
	if len(p) > fillTo {
		p = p[:fillTo]
	}
	n, err := io.ReadFull(b.r, p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	b.n += uint64(n)
	if pct := int(b.n * 100 / b.want); pct != b.lastPct && time.Since(b.lastAt) >= 250*time.Millisecond || b.n == b.want {
		b.lastPct, b.lastAt = pct, time.Now()
		b.rep.Progress(fmt.Sprintf("uploading: %s of %s", FormatSize(b.n), FormatSize(b.want)), pct)
	}
	if err == io.EOF && b.n < b.want {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && err != io.EOF && b.ctx.Err() == nil {
		var pe *problem.Error
		switch {
		case errors.As(err, &pe):
			b.err = pe
		case b.reqCtx.Err() != nil || errors.Is(err, io.ErrUnexpectedEOF):
			b.err = problem.Wrap(err, problem.Canceled, "upload_interrupted",
				fmt.Sprintf("the client stopped sending after %d of %d bytes; the volume was removed", b.n, b.want), "upload the file again")
		default:
			b.err = problem.Wrap(err, problem.Invalid, "upload_interrupted",
				fmt.Sprintf("reading the upload failed after %d of %d bytes; the volume was removed", b.n, b.want), "upload the file again")
		}
	}
	return n, err
}

// Download streams a volume's content to w on a link of its own; size
// reports the volume's size before the first byte (for Content-Length
// where the content's length is known).
func (s *Service) Download(ctx context.Context, hostName, pool, name string, started func(Volume), w io.Writer) error {
	c, _, vol, err := s.volume(hostName, pool, name)
	if err != nil {
		return err
	}
	d, err := s.describeVolume(c, hostName, pool, vol)
	if err != nil {
		return err
	}
	link, err := s.opts.Hosts.Dial(hostName)
	if err != nil {
		return host.Problem(err, "open a connection for the download")
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.UploadTime)
	defer cancel()
	// The stream ends when the client goes away or time is up: closing
	// its link is the only way to stop go-libvirt's stream.
	stop := context.AfterFunc(ctx, func() { closeLink(link) })
	defer stop()
	defer closeLink(link)
	if started != nil {
		started(d)
	}
	if err := link.DownloadVolume(vol, w); err != nil {
		if ctx.Err() != nil {
			return problem.Wrap(ctx.Err(), problem.Canceled, "download_canceled", "the download was stopped", "")
		}
		return libvirtProblem(err, "read the volume")
	}
	return nil
}
