package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
)

func TestNew(t *testing.T) {
	tests := []struct {
		format  string
		wantErr bool
	}{
		{"table", false},
		{"json", false},
		{"sarif", false},
		{"SARIF", false},
		{" json ", false},
		{"junit", false},
		{"gitlab", false},
		{"gitlab-secrets", false},
		{"gitlab-container", false},
		{"GitLab-Container", false},
		{"markdown", false},
		{"Markdown", false},
		{"", true},
		{"xml", true},
		{"md", true},
		{"gitlab-sast", true},
	}
	for _, tt := range tests {
		o, err := New(tt.format, Options{})
		if tt.wantErr {
			if err == nil {
				t.Errorf("New(%q) = %T, want an error", tt.format, o)
				continue
			}
			for _, f := range Formats {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("New(%q) error %q does not list the valid format %q", tt.format, err, f)
				}
			}
			continue
		}
		if err != nil || o == nil {
			t.Errorf("New(%q) = %v, %v", tt.format, o, err)
		}
	}
}

func TestFormatsAllWork(t *testing.T) {
	for _, f := range Formats {
		if _, err := New(f, Options{}); err != nil {
			t.Errorf("Formats lists %q but New rejects it: %v", f, err)
		}
	}
}

func TestNilDocument(t *testing.T) {
	for _, f := range Formats {
		o, _ := New(f, Options{})
		if err := o.Output(&bytes.Buffer{}, nil); err == nil {
			t.Errorf("%s: Output(nil) succeeded", f)
		}
	}
}

var goldenFiles = map[string]string{
	FormatTable:           "sample.txt",
	FormatJSON:            "sample.json",
	FormatSARIF:           "sample.sarif",
	FormatJUnit:           "sample.junit.xml",
	FormatGitLab:          "sample.gitlab.json",
	FormatGitLabSecrets:   "sample.gitlab-secrets.json",
	FormatGitLabContainer: "sample.gitlab-container.json",
	FormatMarkdown:        "sample.md",
}

// goldenDocument is the document behind format's golden file: the sample,
// and for the container scanning report the sample with an image
// (sampleImageDocument), as the sample has none.
func goldenDocument(format string) *findings.Document {
	if format == FormatGitLabContainer {
		return sampleImageDocument()
	}
	return sampleDocument()
}

func TestGolden(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			checkGolden(t, goldenFiles[format], render(t, format, Options{}, goldenDocument(format)))
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			want := render(t, format, Options{}, goldenDocument(format))
			if got := render(t, format, Options{}, goldenDocument(format)); !bytes.Equal(got, want) {
				t.Fatal("two runs on the same document differ")
			}
			for seed := range uint64(20) {
				if got := render(t, format, Options{}, shuffled(goldenDocument(format), seed)); !bytes.Equal(got, want) {
					t.Fatalf("shuffled input (seed %d) gives different output:\n%s", seed, got)
				}
			}
		})
	}
}

func TestDoesNotModifyDocument(t *testing.T) {
	doc := sampleDocument()
	doc.Findings[0].Vulnerability.References = nil // normalized by the JSON output
	doc = shuffled(doc, 7)
	before, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range Formats {
		render(t, format, Options{}, doc)
		after, _ := json.Marshal(doc)
		if !bytes.Equal(before, after) {
			t.Fatalf("%s output modified the document", format)
		}
	}
}

// TestEmptyDocument: a document with nothing in it (nil lists, no decision)
// gives valid output in every format.
func TestEmptyDocument(t *testing.T) {
	doc := &findings.Document{SchemaVersion: findings.SchemaVersion, Tool: findings.Tool{Name: "secgate", Version: "dev"}}
	for _, format := range Formats {
		if out := render(t, format, Options{}, doc); len(out) == 0 || out[len(out)-1] != '\n' {
			t.Errorf("%s: output %q does not end with a newline", format, out)
		}
	}
}
