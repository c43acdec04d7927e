package snapexport

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Format names this archive layout; a reader refuses any other.
const Format = "kvm-manager-export/1"

// The archive is a tar stream (GNU format, so that disks larger than
// 8 GiB need no extra header blocks and the stream's length is known
// before it is written) of, in this order:
//
//	index.json            the parts to come, their sizes, no hashes
//	domain.xml            the VM's stored definition
//	snapshots/NNN.xml     each snapshot's XML, parents before children
//	disks/NN-<target>     each disk's image file, byte for byte
//	manifest.json         the index again, with every part's SHA-256
//	manifest.json.sha256  the SHA-256 of manifest.json
//
// The index comes first so that an import can check names, conflicts and
// free space before the first disk byte arrives; the hashes come last so
// that an export can stream without reading any disk twice.
const (
	indexName    = "index.json"
	manifestName = "manifest.json"
	manifestSum  = "manifest.json.sha256"
)

// Part kinds.
const (
	KindDomain   = "domain"
	KindSnapshot = "snapshot"
	KindDisk     = "disk"
)

// Manifest describes an archive: what it holds and, once complete, each
// part's SHA-256.
type Manifest struct {
	Format string `json:"format"`
	// Name and UUID are the exported VM's.
	Name string `json:"name"`
	UUID string `json:"uuid"`
	// Created is when the export started (UTC, seconds).
	Created time.Time `json:"created"`
	// State is the VM's state when exported: shutoff, or paused (paused
	// for the export, or paused before).
	State string `json:"state"`
	// Current is the current snapshot's name ("" when none).
	Current string `json:"current"`
	Parts   []Part `json:"parts"`
}

// Part is one file of the archive.
type Part struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
	Size int64  `json:"size"`
	// SHA256 is hex; empty in the index.
	SHA256 string `json:"sha256,omitempty"`
	// Snapshot and Parent name a snapshot part's snapshot and its parent.
	Snapshot string `json:"snapshot,omitempty"`
	Parent   string `json:"parent,omitempty"`
	// Target (vda, sdb, ...) and Format (qcow2, raw) describe a disk part.
	Target string `json:"target,omitempty"`
	Format string `json:"format,omitempty"`
}

// Limits bound what a reader accepts from an archive it does not trust.
type Limits struct {
	// MaxXML caps one XML part or the index (default 4 MiB).
	MaxXML int64
	// MaxParts caps the number of parts (default 2048).
	MaxParts int
	// MaxTotal caps the sum of all parts' sizes (0: no cap beyond the
	// request's own length).
	MaxTotal int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxXML <= 0 {
		l.MaxXML = 4 << 20
	}
	if l.MaxParts <= 0 {
		l.MaxParts = 2048
	}
	return l
}

// bad is the one kind of refusal of an archive's content.
func bad(format string, args ...any) error {
	return problem.New(problem.Invalid, "archive_invalid", "the export file is not valid: "+fmt.Sprintf(format, args...),
		"use a file made by KVM Manager's export, complete and unchanged (compare its size with the original; download or copy it again)")
}

// blocks is the length of a tar entry (header and padded data).
func blocks(size int64) int64 { return 512 + (size+511)/512*512 }

// ArchiveSize returns the exact length of the archive that idx (an index:
// parts with sizes, no hashes) makes, so that an export written to a
// volume can create it at its final size first.
func ArchiveSize(idx Manifest) (int64, error) {
	ib, err := encodeIndex(idx)
	if err != nil {
		return 0, err
	}
	mb, err := json.Marshal(withPlaceholderHashes(idx))
	if err != nil {
		return 0, err
	}
	n := blocks(int64(len(ib))) + blocks(int64(len(mb))) + blocks(sha256.Size*2+1) + 1024
	for _, p := range idx.Parts {
		n += blocks(p.Size)
	}
	return n, nil
}

func withPlaceholderHashes(m Manifest) Manifest {
	m.Parts = append([]Part(nil), m.Parts...)
	for i := range m.Parts {
		m.Parts[i].SHA256 = strings.Repeat("0", sha256.Size*2)
	}
	return m
}

func encodeIndex(idx Manifest) ([]byte, error) {
	idx.Parts = append([]Part(nil), idx.Parts...)
	for i := range idx.Parts {
		idx.Parts[i].SHA256 = ""
	}
	return json.Marshal(idx)
}

// Writer writes an archive: the index at once, then each part in the
// index's order, then the manifest.
type Writer struct {
	tw      *tar.Writer
	idx     Manifest
	next    int
	created time.Time
}

// NewWriter starts an archive of the parts idx lists.
func NewWriter(w io.Writer, idx Manifest) (*Writer, error) {
	idx.Format = Format
	aw := &Writer{tw: tar.NewWriter(w), idx: idx, created: idx.Created}
	ib, err := encodeIndex(idx)
	if err != nil {
		return nil, err
	}
	if err := aw.entry(indexName, int64(len(ib)), bytes.NewReader(ib)); err != nil {
		return nil, err
	}
	return aw, nil
}

func (aw *Writer) entry(name string, size int64, r io.Reader) error {
	h := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: aw.created, Format: tar.FormatGNU}
	if err := aw.tw.WriteHeader(h); err != nil {
		return err
	}
	n, err := io.Copy(aw.tw, r)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("part %s: %d bytes, %d announced", name, n, size)
	}
	return nil
}

// PartWriter is where the next part's bytes go; Close checks their count.
type PartWriter struct {
	aw   *Writer
	part *Part
	h    hash.Hash
	n    int64
}

// Next starts the next part in the index's order.
func (aw *Writer) Next() (*PartWriter, Part, error) {
	if aw.next >= len(aw.idx.Parts) {
		return nil, Part{}, errors.New("no part left in the index")
	}
	p := &aw.idx.Parts[aw.next]
	aw.next++
	h := &tar.Header{Typeflag: tar.TypeReg, Name: p.Path, Size: p.Size, Mode: 0o600, ModTime: aw.created, Format: tar.FormatGNU}
	if err := aw.tw.WriteHeader(h); err != nil {
		return nil, Part{}, err
	}
	return &PartWriter{aw: aw, part: p, h: sha256.New()}, *p, nil
}

// Write implements io.Writer.
func (pw *PartWriter) Write(b []byte) (int, error) {
	n, err := pw.aw.tw.Write(b)
	pw.h.Write(b[:n])
	pw.n += int64(n)
	if errors.Is(err, tar.ErrWriteTooLong) {
		err = fmt.Errorf("part %s grew beyond the %d bytes announced (did it change during the export?)", pw.part.Path, pw.part.Size)
	}
	return n, err
}

// Close ends the part: its byte count must be the announced one.
func (pw *PartWriter) Close() error {
	if pw.n != pw.part.Size {
		return fmt.Errorf("part %s: %d bytes, %d announced (did it change during the export?)", pw.part.Path, pw.n, pw.part.Size)
	}
	pw.part.SHA256 = hex.EncodeToString(pw.h.Sum(nil))
	return nil
}

// Close writes the manifest and ends the archive; it returns the
// manifest.
func (aw *Writer) Close() (Manifest, error) {
	if aw.next != len(aw.idx.Parts) {
		return Manifest{}, fmt.Errorf("%d of %d parts written", aw.next, len(aw.idx.Parts))
	}
	mb, err := json.Marshal(aw.idx)
	if err != nil {
		return Manifest{}, err
	}
	if err := aw.entry(manifestName, int64(len(mb)), bytes.NewReader(mb)); err != nil {
		return Manifest{}, err
	}
	sum := sha256.Sum256(mb)
	line := hex.EncodeToString(sum[:]) + "\n"
	if err := aw.entry(manifestSum, int64(len(line)), strings.NewReader(line)); err != nil {
		return Manifest{}, err
	}
	return aw.idx, aw.tw.Close()
}

// Sink receives an archive's parts as Read meets them. Index is called
// once, before any part, with the index as the archive announces it
// (checked for shape, not yet for hashes). Part is called for each part
// with its bytes; it must read r to its end (exactly p.Size bytes). Read
// calls nothing after a failure.
type Sink interface {
	Index(idx Manifest) error
	Part(p Part, r io.Reader) error
}

// Read reads an archive from r, hands its parts to sink and checks every
// part's SHA-256 against the manifest at the end. It returns the verified
// manifest, or an error: then the archive must be treated as bad as a
// whole (whatever the sink did with its parts must be undone).
func Read(r io.Reader, lim Limits, sink Sink) (Manifest, error) {
	lim = lim.withDefaults()
	cr := &countReader{r: r}
	tr := tar.NewReader(cr)
	ib, err := readSmall(tr, indexName, lim.MaxXML)
	if err != nil {
		return Manifest{}, err
	}
	var idx Manifest
	if err := strictJSON(ib, &idx); err != nil {
		return Manifest{}, bad("its index cannot be read: %v", err)
	}
	if err := checkIndex(idx, lim); err != nil {
		return Manifest{}, err
	}
	if err := sink.Index(idx); err != nil {
		return Manifest{}, err
	}
	sums := make([]string, len(idx.Parts))
	for i, p := range idx.Parts {
		h, err := nextEntry(tr, p.Path)
		if err != nil {
			return Manifest{}, err
		}
		if h.Size != p.Size {
			return Manifest{}, bad("part %s holds %d bytes; the index announced %d", p.Path, h.Size, p.Size)
		}
		hr := &hashReader{r: io.LimitReader(tr, p.Size), h: sha256.New()}
		if p.Kind != KindDisk {
			// Small parts are read whole first (bounded), so that a sink
			// never sees a partial XML document.
			b, err := io.ReadAll(hr)
			if err != nil {
				return Manifest{}, truncated(err)
			}
			if int64(len(b)) != p.Size {
				return Manifest{}, bad("part %s ended after %d of %d bytes", p.Path, len(b), p.Size)
			}
			if err := sink.Part(p, bytes.NewReader(b)); err != nil {
				return Manifest{}, err
			}
		} else if err := sink.Part(p, hr); err != nil {
			if hr.err != nil {
				return Manifest{}, truncated(hr.err)
			}
			return Manifest{}, err
		}
		if hr.n != p.Size {
			if hr.err != nil {
				return Manifest{}, truncated(hr.err)
			}
			return Manifest{}, bad("part %s ended after %d of %d bytes", p.Path, hr.n, p.Size)
		}
		sums[i] = hex.EncodeToString(hr.h.Sum(nil))
	}
	mb, err := readSmall(tr, manifestName, lim.MaxXML)
	if err != nil {
		return Manifest{}, err
	}
	sb, err := readSmall(tr, manifestSum, 128)
	if err != nil {
		return Manifest{}, err
	}
	if sum := sha256.Sum256(mb); string(sb) != hex.EncodeToString(sum[:])+"\n" {
		return Manifest{}, bad("the manifest does not match its checksum")
	}
	var m Manifest
	if err := strictJSON(mb, &m); err != nil {
		return Manifest{}, bad("its manifest cannot be read: %v", err)
	}
	if err := sameButHashes(idx, m); err != nil {
		return Manifest{}, err
	}
	for i, p := range m.Parts {
		if p.SHA256 != sums[i] {
			return Manifest{}, bad("part %s is damaged: its SHA-256 is %s, the manifest says %s", p.Path, sums[i], p.SHA256)
		}
	}
	if _, err := tr.Next(); err != io.EOF {
		if err == nil {
			return Manifest{}, bad("it holds more files after its manifest")
		}
		return Manifest{}, truncated(err)
	}
	// The length is known from the index: an archive cut in its padding
	// or end blocks (which tar itself forgives) is refused too.
	if want, err := ArchiveSize(idx); err != nil || cr.n != want {
		return Manifest{}, bad("it is %d bytes long; its index makes %d", cr.n, want)
	}
	return m, nil
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

func truncated(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return bad("it ends early (truncated)")
	}
	var pe *problem.Error
	if errors.As(err, &pe) {
		return pe
	}
	return bad("%v", err)
}

func nextEntry(tr *tar.Reader, want string) (*tar.Header, error) {
	h, err := tr.Next()
	if err != nil {
		return nil, truncated(err)
	}
	if h.Name != want {
		return nil, bad("found %q where %q was expected", clip(h.Name), want)
	}
	if h.Typeflag != tar.TypeReg {
		return nil, bad("%s is not a regular file", want)
	}
	return h, nil
}

func readSmall(tr *tar.Reader, name string, max int64) ([]byte, error) {
	h, err := nextEntry(tr, name)
	if err != nil {
		return nil, err
	}
	if h.Size > max || h.Size < 0 {
		return nil, bad("%s is %d bytes, more than %d", name, h.Size, max)
	}
	b, err := io.ReadAll(io.LimitReader(tr, h.Size))
	if err != nil {
		return nil, truncated(err)
	}
	if int64(len(b)) != h.Size {
		return nil, bad("it ends early (truncated)")
	}
	return b, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

func clip(s string) string { return problem.Clip(s) }

// checkIndex checks an index's shape: its format, the parts' names and
// order (the domain first, then snapshots with known parents, then
// disks), sizes and limits.
func checkIndex(idx Manifest, lim Limits) error {
	if idx.Format != Format {
		return bad("its format is %q, not %q", clip(idx.Format), Format)
	}
	if idx.Name == "" || len(idx.Parts) == 0 {
		return bad("its index names no VM or no parts")
	}
	if len(idx.Parts) > lim.MaxParts {
		return bad("it has %d parts, more than %d", len(idx.Parts), lim.MaxParts)
	}
	seenPath := map[string]bool{}
	seenSnap := map[string]bool{}
	seenTarget := map[string]bool{}
	var total int64
	stage := 0 // 0 domain, 1 snapshots, 2 disks
	for i, p := range idx.Parts {
		if p.SHA256 != "" {
			return bad("its index carries hashes")
		}
		if p.Size < 0 || total+p.Size < total {
			return bad("part %d has an impossible size", i)
		}
		total += p.Size
		if lim.MaxTotal > 0 && total > lim.MaxTotal {
			return bad("its parts add up to more than %d bytes", lim.MaxTotal)
		}
		if seenPath[p.Path] || p.Path != path.Clean(p.Path) || strings.HasPrefix(p.Path, "/") || strings.Contains(p.Path, "..") ||
			p.Path == indexName || p.Path == manifestName || p.Path == manifestSum {
			return bad("part %d has a bad or repeated name %q", i, clip(p.Path))
		}
		seenPath[p.Path] = true
		switch p.Kind {
		case KindDomain:
			if i != 0 || p.Path != "domain.xml" || p.Size > lim.MaxXML {
				return bad("its domain definition is misplaced or too large")
			}
		case KindSnapshot:
			if stage > 1 || i == 0 || p.Size > lim.MaxXML || p.Snapshot == "" || seenSnap[p.Snapshot] ||
				!strings.HasPrefix(p.Path, "snapshots/") {
				return bad("snapshot part %q is misplaced, repeated or too large", clip(p.Path))
			}
			if p.Parent != "" && !seenSnap[p.Parent] {
				return bad("snapshot %q comes before its parent %q", clip(p.Snapshot), clip(p.Parent))
			}
			seenSnap[p.Snapshot] = true
			stage = 1
		case KindDisk:
			if i == 0 || p.Target == "" || seenTarget[p.Target] || !strings.HasPrefix(p.Path, "disks/") ||
				(p.Format != "qcow2" && p.Format != "raw") {
				return bad("disk part %q is misplaced, repeated or of an unknown format", clip(p.Path))
			}
			seenTarget[p.Target] = true
			stage = 2
		default:
			return bad("part %q is of unknown kind %q", clip(p.Path), clip(p.Kind))
		}
	}
	if idx.Parts[0].Kind != KindDomain {
		return bad("it has no domain definition")
	}
	if idx.Current != "" && !seenSnap[idx.Current] {
		return bad("its current snapshot %q is not in it", clip(idx.Current))
	}
	return nil
}

func sameButHashes(idx, m Manifest) error {
	if m.Format != idx.Format || m.Name != idx.Name || m.UUID != idx.UUID || !m.Created.Equal(idx.Created) ||
		m.State != idx.State || m.Current != idx.Current || len(m.Parts) != len(idx.Parts) {
		return bad("its manifest does not match its index")
	}
	for i := range m.Parts {
		a, b := idx.Parts[i], m.Parts[i]
		b.SHA256 = ""
		if a != b || len(m.Parts[i].SHA256) != sha256.Size*2 {
			return bad("its manifest does not match its index at part %q", clip(a.Path))
		}
	}
	return nil
}

// hashReader hashes and counts what is read through it, and keeps the
// underlying reader's error apart from the sink's.
type hashReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (hr *hashReader) Read(b []byte) (int, error) {
	n, err := hr.r.Read(b)
	hr.h.Write(b[:n])
	hr.n += int64(n)
	if err != nil && err != io.EOF {
		hr.err = err
	}
	return n, err
}
