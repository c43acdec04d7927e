package screen

import (
	"image"
	"image/draw"
	"time"
)

// A text console's cursor blinks, so that two captures of a screen nobody
// touches are rarely the same picture: announcing each would make every
// card fetch its thumbnail again after every capture. Thumbnails are
// therefore compared in blocks, and a change confined to a tiny box (at
// most minorBlocks × minorBlocks blocks: a cursor, a character typed) is
// announced only once the picture clients have is minorEvery old.
const (
	blockSize   = 8 // pixels of the thumbnail per block side
	minorBlocks = 2
	minorEvery  = time.Minute
)

// signature is a hash of each blockSize square of a thumbnail, row by row.
type signature struct {
	cols, rows int
	sums       []uint32
}

// signatureOf hashes img's blocks (FNV-1a over their pixels).
func signatureOf(img image.Image) signature {
	b := img.Bounds()
	rgba, ok := img.(*image.RGBA)
	if !ok || rgba.Rect.Min != (image.Point{}) {
		rgba = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
	}
	w, h := rgba.Rect.Dx(), rgba.Rect.Dy()
	s := signature{cols: (w + blockSize - 1) / blockSize, rows: (h + blockSize - 1) / blockSize}
	s.sums = make([]uint32, s.cols*s.rows)
	for i := range s.sums {
		s.sums[i] = 2166136261
	}
	for y := range h {
		row := rgba.Pix[y*rgba.Stride : y*rgba.Stride+4*w]
		base := (y / blockSize) * s.cols
		for x := range w {
			i := base + x/blockSize
			h := s.sums[i]
			for _, c := range row[4*x : 4*x+3] {
				h = (h ^ uint32(c)) * 16777619
			}
			s.sums[i] = h
		}
	}
	return s
}

// minorChange reports whether b differs from a at most within a box of
// minorBlocks × minorBlocks blocks (identical pictures included). Pictures
// of different sizes, or without signatures, differ in a major way.
func minorChange(a, b signature) bool {
	if a.cols != b.cols || a.rows != b.rows || len(a.sums) == 0 || len(a.sums) != len(b.sums) {
		return false
	}
	minX, minY, maxX, maxY := a.cols, a.rows, -1, -1
	for i := range a.sums {
		if a.sums[i] == b.sums[i] {
			continue
		}
		x, y := i%a.cols, i/a.cols
		minX, maxX = min(minX, x), max(maxX, x)
		minY, maxY = min(minY, y), max(maxY, y)
		if maxX-minX >= minorBlocks || maxY-minY >= minorBlocks {
			return false
		}
	}
	return true
}
