package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// Every action a workflow or the action uses is pinned to a full commit
// SHA, with the version it is in a comment: a tag can be moved, a SHA
// cannot.
func TestUsesPinnedToCommit(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, ".github", "workflows", "*.yml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("workflows: %v %v", files, err)
	}
	files = append(files, filepath.Join(repoRoot, "action.yml"))
	uses := regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			m := uses.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(m[1], "./") {
				continue
			}
			n++
			if !pinned.MatchString(m[1]) || !regexp.MustCompile(`#\s*v\d`).MatchString(m[2]) {
				t.Errorf("%s:%d: %s is not pinned to a commit SHA with its version in a comment", filepath.Base(f), i+1, strings.TrimSpace(line))
			}
		}
	}
	if n < 5 {
		t.Errorf("only %d uses: found", n)
	}
}

// release is a secgate release laid out as GitHub serves one, on a
// loopback server: /vVERSION/checksums.txt and the archive.
type release struct {
	srv       *httptest.Server
	archive   string
	downloads atomic.Int32 // of the archive
}

func newRelease(t *testing.T, version string, tamper bool) *release {
	return newReleaseOf(t, version, "#!/bin/sh\necho \"secgate "+version+" (release)\"\n", tamper)
}

// newReleaseOf serves a release whose archive holds binary as secgate.
func newReleaseOf(t *testing.T, version, binary string, tamper bool) *release {
	t.Helper()
	r := &release{archive: fmt.Sprintf("secgate_%s_%s_%s.tar.gz", version, runtime.GOOS, runtime.GOARCH)}
	good := tarGz(t, "secgate", binary)
	sum := sha256.Sum256(good)
	served := good
	if tamper {
		served = tarGz(t, "secgate", "#!/bin/sh\necho pwned\n")
	}
	checksums := fmt.Sprintf("%x  %s\n%x  secgate_%s_windows_amd64.zip\n", sum, r.archive, sha256.Sum256([]byte("other")), version)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/v" + version + "/checksums.txt":
			fmt.Fprint(w, checksums)
		case "/v" + version + "/" + r.archive:
			r.downloads.Add(1)
			w.Write(served)
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func tarGz(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct{ name, body string }{{"README.md", "secgate\n"}, {name, content}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o755, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// runInstallStep runs the action's install step as the runner would: its
// script with the step's environment, in an action directory holding
// VERSION and scripts/install.sh.
func runInstallStep(t *testing.T, version, downloadURL, toolCache string) (outputs, path, stderr string, err error) {
	t.Helper()
	a, _ := readActionMetadata(t)
	var script string
	for _, s := range a.Runs.Steps {
		if s.ID == "install" {
			script = s.Run
		}
	}
	if script == "" {
		t.Fatal("no install step in action.yml")
	}
	action := t.TempDir()
	write(t, filepath.Join(action, "VERSION"), version+"\n")
	install, err := os.ReadFile(filepath.Join(repoRoot, "scripts", "install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(action, "scripts", "install.sh"), string(install))
	tmp := t.TempDir()
	out, ghPath := filepath.Join(tmp, "output"), filepath.Join(tmp, "path")
	cmd := exec.Command("bash", "-e", "-c", script)
	cmd.Env = append(os.Environ(),
		"GITHUB_ACTION_PATH="+action, "RUNNER_OS=Linux", "RUNNER_TEMP="+tmp, "RUNNER_TOOL_CACHE="+toolCache,
		"GITHUB_OUTPUT="+out, "GITHUB_PATH="+ghPath, "IN_VERSION=", "SECGATE_DOWNLOAD_URL="+downloadURL)
	var stdout, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &errb
	err = cmd.Run()
	o, _ := os.ReadFile(out)
	p, _ := os.ReadFile(ghPath)
	return string(o), string(p), stdout.String() + errb.String(), err
}

// The action installs a release by downloading it: the archive for this
// machine, verified against checksums.txt of the same release, cached in
// the tool cache (and verified again from there); a tampered archive stops
// the step and installs nothing; a "-dev" VERSION builds from source.
func TestActionInstallsRelease(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" || runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("releases are for linux and darwin, amd64 and arm64")
	}
	for _, tool := range []string{"bash", "curl", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	cache := t.TempDir()
	r := newRelease(t, "9.9.9", false)
	for run := range 2 {
		outputs, path, log, err := runInstallStep(t, "9.9.9", r.srv.URL, cache)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, log)
		}
		if !strings.Contains(log, "secgate 9.9.9 (release)") || !strings.Contains(outputs, "path=") || strings.TrimSpace(path) == "" {
			t.Fatalf("run %d: not installed: outputs %q, path %q\n%s", run, outputs, path, log)
		}
	}
	if n := r.downloads.Load(); n != 1 {
		t.Errorf("the archive was downloaded %d times in two runs, want once (then the verified cache)", n)
	}

	// A cached archive that no longer matches is not used: it is
	// downloaded again, and verified.
	cached, _ := filepath.Glob(filepath.Join(cache, "secgate", "9.9.9", "*.tar.gz"))
	if len(cached) != 1 {
		t.Fatalf("cache: %v", cached)
	}
	write(t, cached[0], "tampered")
	if _, _, log, err := runInstallStep(t, "9.9.9", r.srv.URL, cache); err != nil || r.downloads.Load() != 2 {
		t.Errorf("tampered cache: %v, %d downloads\n%s", err, r.downloads.Load(), log)
	}

	bad := newRelease(t, "9.9.9", true)
	outputs, path, log, err := runInstallStep(t, "9.9.9", bad.srv.URL, t.TempDir())
	if err == nil || !strings.Contains(log, "does not match") || strings.Contains(log, "pwned") || strings.Contains(outputs, "path=") || path != "" {
		t.Errorf("tampered archive: err %v, outputs %q, path %q\n%s", err, outputs, path, log)
	}

	outputs, _, log, err = runInstallStep(t, "9.10.0-dev", "http://127.0.0.1:1", t.TempDir())
	if err != nil || !strings.Contains(outputs, "build=true") || strings.Contains(outputs, "path=") {
		t.Errorf("-dev VERSION: err %v, outputs %q\n%s", err, outputs, log)
	}
}
