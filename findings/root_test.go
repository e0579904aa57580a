package findings

import (
	"os"
	"path/filepath"
	"testing"
)

// The report root: the git work tree holding the target, else the working
// directory when the target is inside it, else the target (a file's
// directory); Rel names paths outside it by their base name.
func TestRoot(t *testing.T) {
	base := t.TempDir()
	mk := func(p string) string {
		t.Helper()
		p = filepath.Join(base, p)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	repo := mk("repo")
	mk("repo/.git")
	mk("repo/sub/app")
	mk("plain/sub/app")
	if err := os.WriteFile(filepath.Join(base, "plain", "sub", "app", "go.mod"), []byte("module m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	worktree := mk("linked")
	if err := os.WriteFile(filepath.Join(worktree, ".git"), []byte("gitdir: ../repo/.git/worktrees/linked\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		wd, target, want string // relative to base; "" target: images only
		name             string // Rel(target)
	}{
		{"repo", "sub/app", "repo", "sub/app"},
		{"repo/sub/app", "..", "repo", "sub"},
		{".", "repo/sub", "repo", "sub"},
		{"plain", "sub/app", "plain", "sub/app"},
		{"plain/sub/app", ".", "plain/sub/app", "."},
		{"repo", "../plain/sub", "plain/sub", "."},
		{"repo", "../plain/sub/app/go.mod", "plain/sub/app", "go.mod"},
		{"plain", "", "plain", ""},
		{".", "linked", "linked", "."},
	}
	for _, tt := range tests {
		t.Chdir(filepath.Join(base, tt.wd))
		root, err := NewRoot(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(base, tt.want); root.Dir() != want {
			t.Errorf("from %s, %q: root %s, want %s", tt.wd, tt.target, root.Dir(), want)
		}
		if tt.target == "" {
			continue
		}
		if name, ok := root.Rel(tt.target); name != tt.name || !ok {
			t.Errorf("from %s: Rel(%q) = %q, %v; want %q", tt.wd, tt.target, name, ok, tt.name)
		}
	}

	t.Chdir(repo)
	root, err := NewRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(base, "plain", "sub", "app", "go.mod")
	if name, ok := root.Rel(outside); name != "go.mod" || ok {
		t.Errorf("Rel(outside) = %q, %v; want the base name, false", name, ok)
	}
	if name, ok := (Root{}).Rel(outside); name != "go.mod" || ok {
		t.Errorf("zero Root: Rel = %q, %v", name, ok)
	}
}
