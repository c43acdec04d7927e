package vmcreate

import (
	"bytes"
	"fmt"
	"io"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/iso9660"
	"github.com/kvm-manager/kvm-manager/internal/osinfo"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Detection is what an ISO volume says of its operating system.
type Detection struct {
	// VolumeID is the ISO's volume id (empty: not an ISO 9660 image).
	VolumeID string `json:"volumeId"`
	// Matches are the OSes osinfo-db matches to it, best first; empty
	// when osinfo-db cannot tell.
	Matches []osinfo.OS `json:"matches"`
	// Note says in words what was found, for the UI.
	Note string `json:"note"`
}

type rangeReader interface {
	DownloadVolumeRange(vol virt.StorageVol, offset, length uint64, w io.Writer) error
}

// Detect reads an ISO volume's volume id (its first 34 KiB, over a link
// of its own) and matches it against osinfo-db's installer media.
func (s *Service) Detect(hostName, pool, name string) (Detection, error) {
	db, err := s.OSDB()
	if err != nil {
		return Detection{}, err
	}
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return Detection{}, err
	}
	src, err := readVolume(c, pool, name)
	if err != nil {
		return Detection{}, err
	}
	link, err := s.opts.Hosts.Dial(hostName)
	if err != nil {
		return Detection{}, host.Problem(err, "open a connection to read the volume")
	}
	defer func() { _ = link.Close() }()
	rr, ok := link.(rangeReader)
	if !ok {
		return Detection{}, fmt.Errorf("link %T cannot read part of a volume", link)
	}
	var head bytes.Buffer
	if src.capacity >= iso9660.VolumeIDLength {
		if err := rr.DownloadVolumeRange(src.vol, 0, iso9660.VolumeIDLength, &head); err != nil {
			return Detection{}, host.Problem(err, "read the volume's start")
		}
	}
	id, ok := iso9660.VolumeID(head.Bytes())
	d := Detection{VolumeID: id, Matches: []osinfo.OS{}}
	switch {
	case !ok:
		d.Note = "this volume is not an ISO 9660 image, so its operating system cannot be detected"
	default:
		d.Matches = append(d.Matches, db.Detect(id)...)
		if len(d.Matches) == 0 {
			d.Note = fmt.Sprintf("osinfo-db does not recognise the volume id %q; choose the operating system yourself", id)
		} else {
			d.Note = fmt.Sprintf("the volume id %q matches %s", id, d.Matches[0].Name)
		}
	}
	return d, nil
}
