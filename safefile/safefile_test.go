package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Each hostile kind of file is refused at once with an error naming it;
// regular files, and links that stay inside the scanned directory, are read.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	write := func(p, body string) string {
		t.Helper()
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(target, name string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := write(filepath.Join(dir, "ok.yaml"), "fail-on: high\n")
	secret := write(filepath.Join(outside, "secret"), "outside\n")
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	big := write(filepath.Join(dir, "big.yaml"), strings.Repeat("x", 2<<20))
	tests := []struct {
		name, path, want string
	}{
		{"regular", ok, ""},
		{"link inside", link("ok.yaml", "inside.yaml"), ""},
		{"link out of the directory", link(secret, "out.yaml"), "symbolic link leads out of"},
		{"relative link out", link("../"+filepath.Base(outside)+"/secret", "rel.yaml"), "symbolic link leads out of"},
		{"link to /dev/zero", link("/dev/zero", "zero.yaml"), "leads out of"},
		{"FIFO", fifo, "not a regular file (a FIFO)"},
		{"directory", dir, "not a regular file (a directory)"},
		{"over the cap", big, "over the 1 MiB limit for a configuration file"},
		{"missing", filepath.Join(dir, "missing.yaml"), "no such file"},
	}
	for _, tt := range tests {
		start := time.Now()
		data, err := Read(dir, tt.path, Config)
		if time.Since(start) > time.Second {
			t.Errorf("%s: took %v", tt.name, time.Since(start))
		}
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want == "" && string(data) != "fail-on: high\n":
			t.Errorf("%s: read %q", tt.name, data)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		case tt.want != "" && !strings.Contains(err.Error(), "configuration file"):
			t.Errorf("%s: err = %v does not say what the file is", tt.name, err)
		}
	}
	// Outside the scanned directory (a file the pipeline named), links are
	// followed, but only to a regular file.
	if _, err := Read("", link("/dev/zero", "zero2.yaml"), Config); err == nil || !strings.Contains(err.Error(), "character device") {
		t.Errorf("/dev/zero through a link: %v", err)
	}
	if _, err := Read(dir, fifo, Config); !errors.Is(err, ErrUnsafe) {
		t.Errorf("FIFO: %v is not ErrUnsafe", err)
	}
}
