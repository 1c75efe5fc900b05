package hcert

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sync"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"rsc.io/qr/coding"
)

// ErrQR is wrapped by QR encoding and decoding errors.
var ErrQR = errors.New("qr")

// Limits on QR images accepted for decoding (decompression-bomb guard).
const maxQRDimension = 4096

var qrPalette = color.Palette{color.White, color.Black}

var pngEncoder = &png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngPool{}}

type pngPool struct{ p sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.p.Get().(*png.EncoderBuffer)
	return b
}
func (p *pngPool) Put(b *png.EncoderBuffer) { p.p.Put(b) }

// QRPNG renders hc1 as a QR code PNG with error correction level Q (as the
// DCC technical specification recommends). size is the target width in
// pixels; the module size is the largest integer that fits (at least 1
// pixel per module, so the image may be larger than size), and a 4-module
// quiet zone is included. Text consisting only of QR alphanumeric
// characters, as HC1 Base45 does, is encoded in alphanumeric mode.
//
// rsc.io/qr is used for encoding: it is an order of magnitude faster than
// go-qrcode (byte-wise Reed-Solomon). It always applies data mask 0 rather
// than the lowest-penalty mask, which is valid ISO/IEC 18004 and is read
// fine by ZXing-based scanners (see the round-trip tests).
func QRPNG(hc1 string, size int) ([]byte, error) {
	code, err := qrEncode(hc1)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding: %w", ErrQR, err)
	}
	const quiet = 4
	n := code.Size + 2*quiet
	scale := max(1, size/n)
	w := n * scale
	img := image.NewPaletted(image.Rect(0, 0, w, w), qrPalette)
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if !code.Black(x, y) {
				continue
			}
			px, py := (x+quiet)*scale, (y+quiet)*scale
			for dy := 0; dy < scale; dy++ {
				line := img.Pix[(py+dy)*img.Stride+px:]
				for dx := 0; dx < scale; dx++ {
					line[dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := pngEncoder.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("%w: png: %w", ErrQR, err)
	}
	return buf.Bytes(), nil
}

// qrPlans caches the (immutable) rsc.io/qr encoding plan per version at
// level Q; building a plan costs more than encoding with it.
var qrPlans sync.Map // coding.Version -> *coding.Plan

// qrEncode mirrors qr.Encode (smallest version that fits, mask 0) with
// cached plans.
func qrEncode(text string) (*coding.Code, error) {
	var enc coding.Encoding = coding.Alpha(text)
	if enc.Check() != nil {
		enc = coding.String(text)
	}
	v := coding.Version(coding.MinVersion)
	for ; enc.Bits(v) > v.DataBytes(coding.Q)*8; v++ {
		if v == coding.MaxVersion {
			return nil, fmt.Errorf("%d characters do not fit in a QR code at level Q", len(text))
		}
	}
	p, ok := qrPlans.Load(v)
	if !ok {
		plan, err := coding.NewPlan(v, coding.Q, 0)
		if err != nil {
			return nil, err
		}
		p, _ = qrPlans.LoadOrStore(v, plan)
	}
	return p.(*coding.Plan).Encode(enc)
}

// DecodeQRPNG reads the text of the QR code in a PNG (or GIF/JPEG if the
// caller registered those decoders) using an independent decoder (ZXing
// port). Images larger than 4 MiB or 4096x4096 pixels are rejected.
func DecodeQRPNG(data []byte) (text string, err error) {
	if len(data) > MaxPNGSize {
		return "", fmt.Errorf("%w: image is %d bytes, limit %d", ErrQR, len(data), MaxPNGSize)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%w: not a decodable image: %w", ErrQR, err)
	}
	if cfg.Width > maxQRDimension || cfg.Height > maxQRDimension || cfg.Width <= 0 || cfg.Height <= 0 {
		return "", fmt.Errorf("%w: image is %dx%d pixels, limit %d", ErrQR, cfg.Width, cfg.Height, maxQRDimension)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%w: image: %w", ErrQR, err)
	}
	defer func() { // the decoder is third-party code fed hostile input
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("%w: decoder panic: %v", ErrQR, r)
		}
	}()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("%w: binarising: %w", ErrQR, err)
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		// Retry on the pure-barcode path (computer-generated images).
		hints[gozxing.DecodeHintType_PURE_BARCODE] = true
		res2, err2 := zxqr.NewQRCodeReader().Decode(bmp, hints)
		if err2 != nil {
			return "", fmt.Errorf("%w: no QR code found: %w", ErrQR, err)
		}
		res = res2
	}
	return res.GetText(), nil
}
