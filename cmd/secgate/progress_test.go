package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/creack/pty"
)

// TestProgressOnATerminal runs secgate under a pseudo-terminal 60 columns
// wide and reads the screen: the progress line is one line, rewritten in
// place (carriage return, erase line), never wider than the terminal, and
// erased before the summary; without a terminal there is none.
func TestProgressOnATerminal(t *testing.T) {
	const cols = 60
	// A target whose name makes every progress message longer than the
	// terminal.
	dir := filepath.Join(t.TempDir(), strings.Repeat("a-directory-with-a-long-name-", 3))
	if err := os.CopyFS(dir, os.DirFS(example)); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "scan", "--offline-db", absOfflineDB(t), "--reachability=off", "-f", "json", "-o", filepath.Join(t.TempDir(), "r.json"), dir)
	cmd.Env = append(os.Environ(), childEnv+"=1", "GITHUB_ACTIONS=")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: cols, Rows: 24})
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	var screen bytes.Buffer
	_, err = io.Copy(&screen, tty)
	if err != nil && !errors.Is(err, syscall.EIO) { // EIO: the child closed the terminal
		t.Fatal(err)
	}
	tty.Close()
	_ = cmd.Wait()
	out := screen.String()
	const rewrite = "\r\x1b[K"
	if strings.Count(out, rewrite) < 3 {
		t.Fatalf("the progress line was not rewritten in place:\n%q", out)
	}
	segments := strings.Split(out, rewrite)
	for i, seg := range segments[1 : len(segments)-1] {
		line, rest, _ := strings.Cut(seg, "\n")
		line = strings.TrimSuffix(line, "\r")
		if n := utf8.RuneCountInString(line); n >= cols {
			t.Errorf("progress line %d is %d columns on a %d-column terminal: %q", i, n, cols, line)
		}
		if rest != "" {
			t.Errorf("progress line %d ended a line instead of being rewritten: %q", i, seg)
		}
	}
	// The last rewrite erases the line; the summary follows.
	last := segments[len(segments)-1]
	if !strings.HasPrefix(last, "secgate: ") && !strings.HasPrefix(strings.TrimLeft(last, "\r\n"), "secgate: ") {
		t.Errorf("the summary does not follow an erased progress line: %q", last[:min(len(last), 120)])
	}

	// Not a terminal: no progress line.
	r := secgate(t, "scan", "--offline-db", offlineDB, "--reachability=off", "-f", "json", dir)
	if strings.Contains(r.stderr, rewrite) {
		t.Errorf("progress written to a pipe:\n%q", r.stderr)
	}
}
