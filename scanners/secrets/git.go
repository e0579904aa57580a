package secrets

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/gitleaks/go-gitdiff/gitdiff"
	"github.com/zricethezav/gitleaks/v8/cmd/scm"
	"github.com/zricethezav/gitleaks/v8/sources"
)

// gitSource yields the lines added by commits (history) or in the index
// (staged), one Blob per run of consecutive added lines, with its line
// number in the new file. It runs the git command line, as gitleaks does.
type gitSource struct {
	dir     string
	history bool
	since   string
	allRefs bool

	mu     sync.Mutex
	counts map[string]int
	// shallow is set for the history of a shallow clone: only the commits
	// fetched are scanned.
	shallow bool
}

func (g *gitSource) stats() map[string]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]int{"commits": 0, "files": 0, "skipped_binary": 0}
	if !g.history {
		delete(out, "commits")
	}
	for k, v := range g.counts {
		out[k] = v
	}
	return out
}

func (g *gitSource) count(key string, n int) {
	g.mu.Lock()
	if g.counts == nil {
		g.counts = map[string]int{}
	}
	g.counts[key] += n
	g.mu.Unlock()
}

// git runs git in dir and returns its stdout.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, wrapSource("git %s in %s: %s", args[0], dir, msg)
	}
	return out, nil
}

func (g *gitSource) blobs(ctx context.Context, yield func(Blob) error) error {
	// Paths in diffs are relative to the repository root; findings are
	// relative to the scanned directory.
	prefix, err := git(ctx, g.dir, "rev-parse", "--show-prefix")
	if err != nil {
		return err
	}
	strip := strings.TrimSpace(string(prefix))

	args := []string{"diff", "--cached"}
	if g.history {
		out, err := git(ctx, g.dir, "rev-parse", "--is-shallow-repository")
		if err != nil {
			return err
		}
		g.shallow = strings.TrimSpace(string(out)) == "true"
		revs := []string{"HEAD"}
		if g.allRefs {
			revs = []string{"--all"}
		}
		if g.since != "" {
			if _, err := git(ctx, g.dir, "rev-parse", "--verify", "--quiet", g.since+"^{commit}"); err != nil {
				return wrapSource("--since %s: not a commit in %s", g.since, g.dir)
			}
			revs = append(revs, "^"+g.since)
		}
		args = append([]string{"log", "--full-history", "--date=iso-strict"}, revs...)
	}
	// -M follows renames: a moved file shows no added line, so a secret it
	// holds keeps the finding of the commit that added it, instead of
	// coming back as a new one at the new path.
	args = append(args, "-p", "-U0", "-M", "--no-color", "--no-ext-diff", "--no-textconv", "--", ".")
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", g.dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return wrapSource("git %s: %w", args[0], err)
	}
	if err := cmd.Start(); err != nil {
		return wrapSource("git %s: %w", args[0], err)
	}
	files, err := gitdiff.Parse(stdout)
	if err != nil {
		_ = cmd.Wait()
		return wrapSource("parse git %s output: %w", args[0], err)
	}
	commits := map[string]bool{}
	var yieldErr error
	for f := range files {
		if yieldErr != nil {
			continue // drain, so git and the parser can finish
		}
		yieldErr = g.file(f, strip, commits, yield)
	}
	_, _ = io.Copy(io.Discard, stdout)
	waitErr := cmd.Wait()
	if yieldErr != nil {
		return yieldErr
	}
	if waitErr != nil {
		var exit *exec.ExitError
		if errors.As(waitErr, &exit) {
			return wrapSource("git %s in %s: %s", args[0], g.dir, strings.TrimSpace(stderr.String()))
		}
		return wrapSource("git %s: %w", args[0], waitErr)
	}
	if g.history {
		g.count("commits", len(commits))
	}
	return nil
}

func (g *gitSource) file(f *gitdiff.File, strip string, commits map[string]bool, yield func(Blob) error) error {
	var commit *sources.CommitInfo
	if h := f.PatchHeader; h != nil && h.SHA != "" {
		commits[h.SHA] = true
		// gitleaks dereferences Remote for every finding with a commit
		// (to build a web link): a nil Remote panics.
		commit = &sources.CommitInfo{SHA: h.SHA, Date: h.AuthorDate.UTC().Format(time.RFC3339), Remote: &sources.RemoteInfo{Platform: scm.NoPlatform}}
		if h.Author != nil {
			commit.AuthorEmail = h.Author.Email
			commit.AuthorName = h.Author.Name
		}
	}
	if f.IsDelete {
		return nil
	}
	path := strings.TrimPrefix(f.NewName, strip)
	if f.IsBinary {
		// git shows no lines of a binary file; the rules that match a
		// path alone (pkcs12-file) still see it.
		g.count("skipped_binary", 1)
		return yield(Blob{Path: path, StartLine: 1, Commit: commit})
	}
	g.count("files", 1)
	for _, frag := range f.TextFragments {
		var b strings.Builder
		start := 0
		line := int(frag.NewPosition)
		flush := func() error {
			if b.Len() == 0 {
				return nil
			}
			err := yield(Blob{Path: path, Content: []byte(b.String()), StartLine: start, Commit: commit})
			b.Reset()
			return err
		}
		for _, l := range frag.Lines {
			switch l.Op {
			case gitdiff.OpAdd:
				if b.Len() == 0 {
					start = line
				}
				b.WriteString(l.Line)
				line++
			case gitdiff.OpContext:
				if err := flush(); err != nil {
					return err
				}
				line++
			}
		}
		if err := flush(); err != nil {
			return err
		}
	}
	return nil
}
