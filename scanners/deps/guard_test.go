package deps

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/osv-scalibr/extractor/filesystem/list"
	"github.com/google/osv-scalibr/plugin/config"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
)

// Every extractor the guard asks still exists under its name.
func TestGuardExtractors(t *testing.T) {
	for _, name := range guardedExtractors {
		if _, err := list.ExtractorsFromName(name, &config.PluginConfig{ProtoConfig: &cpb.PluginConfig{}}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestTOMLDepth(t *testing.T) {
	for _, tt := range []struct {
		in    string
		depth int
	}{
		{"[[package]]\nname = \"a\"\nversion = \"1.2.3\"\n", 2},
		{"[package.dependencies]\nx = { version = \">=1.0\", extras = [\"a\"] }\n", 2},
		{"a.b.c.d = 1.5 # a.b.c.d.e.f\n", 4},
		{"s = \"[[[[{{{{\"\nt = '''\n[[[[[\n'''\n", 1},
		{"x = " + strings.Repeat("{a = ", 100) + "1" + strings.Repeat("}", 100) + "\n", 100},
		{"x = " + strings.Repeat("[", 50) + strings.Repeat("]", 50) + "\n", 50},
	} {
		if d, _ := tomlDepth([]byte(tt.in)); d != tt.depth {
			t.Errorf("tomlDepth(%.40q) = %d, want %d", tt.in, d, tt.depth)
		}
	}
}

// The files the extractors would read that they could not, or should not:
// refused naming the file; a missing include is a warning (an error when
// strict); what is not a lockfile is not looked at.
func TestGuard(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "base.txt"), []byte("requests==2.28.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := "[[package]]\nname = \"x\"\nversion = \"1\"\nx = " + strings.Repeat("{a = ", 1000) + "1" + strings.Repeat("}", 1000) + "\n"
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string)
		strict bool
		err    string
		warn   string
	}{
		{"FIFO lockfile", func(t *testing.T, dir string) { mkfifo(t, filepath.Join(dir, "package-lock.json")) }, false, "package-lock.json is not a regular file (a FIFO)", ""},
		{"lockfile linked to /dev/zero", func(t *testing.T, dir string) { symlink(t, "/dev/zero", filepath.Join(dir, "app", "go.mod")) }, false, "app/go.mod is a symbolic link", ""},
		{"deep TOML", func(t *testing.T, dir string) { write(t, filepath.Join(dir, "poetry.lock"), deep) }, false, "poetry.lock:4: TOML nested 1000 deep", ""},
		{"missing include", func(t *testing.T, dir string) { write(t, filepath.Join(dir, "requirements.txt"), "-r missing.txt\n") }, false, "", "requirements.txt:1: -r missing.txt: no such file"},
		{"missing include, strict", func(t *testing.T, dir string) { write(t, filepath.Join(dir, "requirements.txt"), "-r missing.txt\n") }, true, "requirements.txt:1: -r missing.txt: no such file (--strict)", ""},
		{"include linked to /dev/zero", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "requirements.txt"), "flask==2.0\n-r base.txt\n")
			symlink(t, "/dev/zero", filepath.Join(dir, "base.txt"))
		}, false, "requirements.txt:2: -r base.txt", ""},
		{"include a FIFO", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "requirements.txt"), "-r base.txt\n")
			mkfifo(t, filepath.Join(dir, "base.txt"))
		}, false, "not a regular file (a FIFO)", ""},
		{"include out of the directory", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "requirements.txt"), "-r "+filepath.Join("..", filepath.Base(outside), "base.txt")+"\n")
		}, false, "leads out of the scanned directory", ""},
		{"include cycle", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "requirements.txt"), "-r b.txt\n")
			write(t, filepath.Join(dir, "b.txt"), "-r requirements.txt\nflask==2.0\n")
		}, false, "", ""},
		{"FIFO that is no lockfile", func(t *testing.T, dir string) { mkfifo(t, filepath.Join(dir, "notes.fifo")) }, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(filepath.Dir(outside), "scan-"+strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.MkdirAll(filepath.Join(dir, "app"), 0o755); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, dir)
			warnings, err := guard(dir, true, nil, tt.strict)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("err = %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrUnreadable)):
				t.Errorf("err = %v, want ErrUnreadable %q", err, tt.err)
			}
			if got := strings.Join(warnings, "\n"); (tt.warn == "") != (got == "") || !strings.Contains(got, tt.warn) {
				t.Errorf("warnings %q, want %q", got, tt.warn)
			}
		})
	}
}

func write(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}
