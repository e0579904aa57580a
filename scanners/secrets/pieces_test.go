package secrets

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/report"
)

// scanPieces runs the engine over content as the scanner does, in pieces
// of size bytes overlapping by overlap.
func scanPieces(t *testing.T, e *Engine, content []byte, size, overlap int) ([]report.Finding, *pieces) {
	t.Helper()
	ctx := context.Background()
	var found []report.Finding
	pc := newPieces(func(b []byte, line int) error {
		found = append(found, e.detectContent(ctx, Blob{Path: "f.txt", Content: b, StartLine: line}, nil)...)
		return nil
	})
	pc.size, pc.overlap = size, overlap
	binary, err := pc.scan(bytes.NewReader(content))
	if err != nil || binary {
		t.Fatalf("scan: binary %v, %v", binary, err)
	}
	return finish(found), pc
}

// A file read in pieces gives exactly the findings of the whole file, with
// the same lines and columns, each once: wherever the boundaries fall,
// also inside a secret.
func TestPiecesMatchWholeFile(t *testing.T) {
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(rules)
	var b strings.Builder
	secrets := []string{
		"const awsKey = \"" + awsKey + "\"\n",
		"GITHUB_TOKEN: " + ghToken + "\n",
		"SLACK = '" + slackURL + "'\n",
		pemKey + "\n",
		"api_key: \"3f9a8c7d6e5b4a392817f6e5d4c3b2a1\"\n",
	}
	for i := range 400 {
		// Lines of varied length, so that boundaries fall everywhere.
		b.WriteString(strings.Repeat("func handle(key string) error { return nil } ", 1+i%5) + "\n")
		if i%7 == 0 {
			b.WriteString(secrets[i%len(secrets)])
		}
	}
	content := []byte(b.String())
	want := describe(e.Detect(context.Background(), Blob{Path: "f.txt", Content: content, StartLine: 1}, nil))
	if len(want) < 50 {
		t.Fatalf("only %d findings in the whole file: fix the test", len(want))
	}
	for _, size := range []int{3000, 4096, 5000, 7777} {
		got, _ := scanPieces(t, e, content, size, 1024)
		if d := describe(got); !slices.Equal(d, want) {
			t.Errorf("pieces of %d bytes:\n got %d %q\nwant %d %q", size, len(d), d, len(want), want)
		}
		if len(got) != len(want) {
			t.Errorf("pieces of %d bytes: %d findings, %d distinct: one reported twice", size, len(got), len(want))
		}
	}
}

// Memory stays bounded by the piece size whatever the file: one of 64 MiB,
// and one line of 16 MiB without a newline.
func TestPiecesBoundedMemory(t *testing.T) {
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(rules)
	for _, tt := range []struct {
		name string
		r    func() io.Reader
		size int64
	}{
		{"many lines", func() io.Reader {
			return io.LimitReader(repeatReader("const s = \"no secret on this line at all\"\n"), 64<<20)
		}, 64 << 20},
		{"one line", func() io.Reader { return io.LimitReader(repeatReader("x"), 16<<20) }, 16 << 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pieceCount := 0
			pc := newPieces(func(b []byte, line int) error {
				pieceCount++
				_ = e.detectContent(context.Background(), Blob{Path: "f.txt", Content: b, StartLine: line}, nil)
				return nil
			})
			if _, err := pc.scan(tt.r()); err != nil {
				t.Fatal(err)
			}
			if pc.read != tt.size {
				t.Errorf("read %d bytes of %d", pc.read, tt.size)
			}
			if cap(pc.buf) > pieceSize {
				t.Errorf("buffer grew to %d bytes, above the piece size %d", cap(pc.buf), pieceSize)
			}
			if min := int(tt.size / pieceSize); pieceCount < min {
				t.Errorf("%d pieces, want at least %d", pieceCount, min)
			}
		})
	}
}

// A file's first bytes decide whether it is binary, as in gitleaks: an
// archive or an executable is, text with NUL bytes is not.
func TestBinaryType(t *testing.T) {
	for _, tt := range []struct {
		name, head string
		binary     bool
	}{
		{"zip", "PK\x03\x04" + strings.Repeat("\x00", 60), true},
		{"elf", "\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 57), true},
		{"gzip", "\x1f\x8b\x08" + strings.Repeat("\x00", 20), true},
		{"text", "key = value\n", false},
		{"text with NUL", "\x00\x01key = value\n", false},
		{"empty", "", false},
	} {
		if got := binaryType([]byte(tt.head)); got != tt.binary {
			t.Errorf("%s: binary %v, want %v", tt.name, got, tt.binary)
		}
	}
}

type repeated struct {
	s string
	i int
}

func repeatReader(s string) io.Reader { return &repeated{s: s} }

func (r *repeated) Read(p []byte) (int, error) {
	for n := range p {
		p[n] = r.s[r.i]
		r.i = (r.i + 1) % len(r.s)
	}
	return len(p), nil
}
