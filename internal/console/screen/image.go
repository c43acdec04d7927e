package screen

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
)

// Image formats libvirt hands out for screenshots: QEMU 7.2 with libvirt 9
// sends PNG; older ones (and other display types) send PPM (P6).
var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// Limits for a screen image, so that broken input cannot exhaust memory.
const (
	maxScreenSide   = 16384
	maxScreenPixels = 64 << 20
)

// errNotImage is returned for bytes that are neither PNG nor PPM.
var errNotImage = errors.New("the screenshot is neither PNG nor PPM")

// screenPNG turns a screenshot from libvirt into PNG bytes and reports its
// size. PNG passes through untouched; PPM is converted.
func screenPNG(raw []byte) (pngData []byte, width, height int, err error) {
	switch {
	case bytes.HasPrefix(raw, pngSignature):
		cfg, err := png.DecodeConfig(bytes.NewReader(raw))
		if err != nil {
			return nil, 0, 0, fmt.Errorf("screenshot PNG: %w", err)
		}
		return raw, cfg.Width, cfg.Height, nil
	case bytes.HasPrefix(raw, []byte("P6")):
		img, err := decodePPM(raw)
		if err != nil {
			return nil, 0, 0, err
		}
		b, err := encodePNG(img)
		if err != nil {
			return nil, 0, 0, err
		}
		return b, img.Rect.Dx(), img.Rect.Dy(), nil
	}
	return nil, 0, 0, errNotImage
}

// decodeScreen decodes a screenshot from libvirt (PNG or PPM) to pixels.
func decodeScreen(raw []byte) (image.Image, error) {
	switch {
	case bytes.HasPrefix(raw, pngSignature):
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("screenshot PNG: %w", err)
		}
		return img, nil
	case bytes.HasPrefix(raw, []byte("P6")):
		return decodePPM(raw)
	}
	return nil, errNotImage
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	// Screens compress well even at the fastest level, and a large one
	// at the default level costs tens of milliseconds more.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// decodePPM parses a binary PPM (P6) image: "P6", width, height and maxval
// separated by whitespace (with # comments), one whitespace byte, then the
// RGB samples (one byte each when maxval < 256, else two, big-endian).
func decodePPM(b []byte) (*image.RGBA, error) {
	if len(b) < 2 || b[0] != 'P' || b[1] != '6' {
		return nil, errors.New("PPM: not a P6 image")
	}
	pos := 2
	var vals [3]int
	for i := range vals {
		// Whitespace and comments before each number.
		for {
			if pos >= len(b) {
				return nil, errors.New("PPM: header ends early")
			}
			switch c := b[pos]; {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
				pos++
				continue
			case c == '#':
				for pos < len(b) && b[pos] != '\n' && b[pos] != '\r' {
					pos++
				}
				continue
			}
			break
		}
		start := pos
		n := 0
		for pos < len(b) && b[pos] >= '0' && b[pos] <= '9' {
			if n > 1<<20 {
				return nil, errors.New("PPM: header number too large")
			}
			n = n*10 + int(b[pos]-'0')
			pos++
		}
		if pos == start {
			return nil, fmt.Errorf("PPM: header field %d is not a number", i+1)
		}
		vals[i] = n
	}
	w, h, maxval := vals[0], vals[1], vals[2]
	if pos >= len(b) || !isPPMSpace(b[pos]) {
		return nil, errors.New("PPM: no whitespace after the header")
	}
	pos++
	if w < 1 || h < 1 || w > maxScreenSide || h > maxScreenSide || w*h > maxScreenPixels {
		return nil, fmt.Errorf("PPM: unsupported size %dx%d", w, h)
	}
	if maxval < 1 || maxval > 65535 {
		return nil, fmt.Errorf("PPM: maxval %d out of range", maxval)
	}
	bps := 1
	if maxval > 255 {
		bps = 2
	}
	data := b[pos:]
	if need := w * h * 3 * bps; len(data) < need {
		return nil, fmt.Errorf("PPM: %d bytes of pixels, want %d", len(data), need)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	pix := img.Pix
	if bps == 1 && maxval == 255 {
		for i, j := 0, 0; i < w*h; i, j = i+1, j+3 {
			pix[4*i], pix[4*i+1], pix[4*i+2], pix[4*i+3] = data[j], data[j+1], data[j+2], 0xff
		}
		return img, nil
	}
	scale := func(v int) uint8 { return uint8((min(v, maxval)*255 + maxval/2) / maxval) }
	for i := 0; i < w*h; i++ {
		for c := 0; c < 3; c++ {
			k := (3*i + c) * bps
			v := int(data[k])
			if bps == 2 {
				v = v<<8 | int(data[k+1])
			}
			pix[4*i+c] = scale(v)
		}
		pix[4*i+3] = 0xff
	}
	return img, nil
}

func isPPMSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// scaleToWidth shrinks img to width w (keeping its aspect ratio) by
// averaging the source pixels each target pixel covers: a box filter, which
// keeps text on a small thumbnail legible as texture instead of aliasing.
// Images no wider than w are returned as they are.
func scaleToWidth(img image.Image, w int) image.Image {
	sb := img.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	if sw <= w || w < 1 {
		return img
	}
	h := max(1, (sh*w+sw/2)/sw)
	src, ok := img.(*image.RGBA)
	if !ok || src.Rect.Min != (image.Point{}) {
		src = image.NewRGBA(image.Rect(0, 0, sw, sh))
		draw.Draw(src, src.Rect, img, sb.Min, draw.Src)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	sums := make([]uint32, 4*w)
	counts := make([]uint32, w)
	// Source column of each target column, computed once.
	x0s := make([]int, w+1)
	for dx := 0; dx <= w; dx++ {
		x0s[dx] = dx * sw / w
	}
	for dy := 0; dy < h; dy++ {
		y0, y1 := dy*sh/h, max((dy+1)*sh/h, dy*sh/h+1)
		clear(sums)
		clear(counts)
		for sy := y0; sy < y1; sy++ {
			row := src.Pix[(sy)*src.Stride : (sy)*src.Stride+4*sw]
			for dx := 0; dx < w; dx++ {
				x0, x1 := x0s[dx], max(x0s[dx+1], x0s[dx]+1)
				for sx := x0; sx < x1; sx++ {
					p := row[4*sx : 4*sx+4]
					sums[4*dx] += uint32(p[0])
					sums[4*dx+1] += uint32(p[1])
					sums[4*dx+2] += uint32(p[2])
					sums[4*dx+3] += uint32(p[3])
				}
				counts[dx] += uint32(x1 - x0)
			}
		}
		out := dst.Pix[dy*dst.Stride:]
		for dx := 0; dx < w; dx++ {
			n := counts[dx]
			for c := 0; c < 4; c++ {
				out[4*dx+c] = uint8((sums[4*dx+c] + n/2) / n)
			}
		}
	}
	return dst
}
