package secrets

import (
	"bytes"
	"errors"
	"io"

	"github.com/h2non/filetype"
)

// A file is scanned in pieces of whole lines of at most pieceSize bytes, so
// that memory stays bounded whatever its size; each piece after the first
// starts with the last pieceOverlap bytes (whole lines) of the one before,
// so that a secret across a boundary lies whole in one of them (matches
// are bounded: the longest a rule spans is a private key block, a few KiB).
// Files up to pieceSize, nearly all, are one piece: the whole file.
const (
	pieceSize    = 4 << 20
	pieceOverlap = 64 << 10
)

// sniffLen is how much of a file decides whether it is binary: as much as
// filetype's matchers read.
const sniffLen = 8 << 10

// pieces streams content to emit in pieces, with a buffer a worker reuses
// from one file to the next.
type pieces struct {
	buf  []byte
	emit func(content []byte, startLine int) error
	// size and overlap are pieceSize and pieceOverlap, smaller in tests.
	size, overlap int
	// read counts the bytes read.
	read int64
}

func newPieces(emit func([]byte, int) error) *pieces {
	return &pieces{emit: emit, size: pieceSize, overlap: pieceOverlap}
}

// binaryType reports a file whose first bytes are the signature of a binary
// format (an archive, an executable, a font, a document container...): the
// files gitleaks skips, by the same test (filetype's application types).
// A NUL byte alone does not make a file binary: text with one somewhere
// is still text to scan, images and other media are scanned as gitleaks
// scans them, and the global allowlist already skips media by extension.
func binaryType(head []byte) bool {
	t, err := filetype.Match(head)
	return err == nil && t.MIME.Type == "application"
}

// scan reads r and, unless its first bytes are a binary format's, emits its
// pieces. It reports whether the content was skipped as binary.
func (p *pieces) scan(r io.Reader) (binary bool, err error) {
	if p.buf == nil {
		p.buf = make([]byte, 0, sniffLen)
	}
	buf := p.buf[:0]
	defer func() { p.buf = buf[:0] }()
	fill := func(to int) (eof bool, err error) {
		for len(buf) < to {
			if len(buf) == cap(buf) {
				// Doubling, but never past to: the buffer of a
				// large file is exactly one piece.
				grown := make([]byte, len(buf), min(2*cap(buf), to))
				buf = grown[:copy(grown, buf)]
			}
			n, err := r.Read(buf[len(buf):min(cap(buf), to)])
			buf = buf[:len(buf)+n]
			p.read += int64(n)
			if errors.Is(err, io.EOF) {
				return true, nil
			}
			if err != nil {
				return false, err
			}
		}
		return false, nil
	}
	eof, err := fill(sniffLen)
	if err != nil {
		return false, err
	}
	if binaryType(buf) {
		return true, nil
	}
	line := 1
	fresh := len(buf) // bytes no piece has held yet
	for {
		if !eof {
			before := len(buf)
			if eof, err = fill(p.size); err != nil {
				return false, err
			}
			fresh += len(buf) - before
		}
		if eof {
			if fresh == 0 {
				return false, nil
			}
			return false, p.emit(buf, line)
		}
		cut := bytes.LastIndexByte(buf, '\n') + 1
		if cut == 0 {
			cut = len(buf) // a line longer than a piece is cut inside
		}
		if err := p.emit(buf[:cut], line); err != nil {
			return false, err
		}
		keep := max(0, cut-p.overlap)
		if i := bytes.IndexByte(buf[keep:cut], '\n'); keep > 0 && i >= 0 {
			keep += i + 1 // the overlap starts at a line
		}
		line += bytes.Count(buf[:keep], []byte{'\n'})
		fresh = len(buf) - cut
		buf = buf[:copy(buf, buf[keep:])]
	}
}
