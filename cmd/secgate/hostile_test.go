package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/secgate/secgate/internal/imagetest"
	"github.com/secgate/secgate/internal/lockgen"
)

// Hostile inputs, each a class (docs/security.md): the gate refuses them
// with exit 2 and a message naming the input, within the time and memory
// bounds of child_test.go, and never passes on them. Every input is made
// by the test.

// zipOf writes a zip of the entries (name → content) to path.
func zipOf(t *testing.T, path string, entries map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range entries {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	write(t, path, buf.String())
}

// bombEntry writes to zw an entry of n zero bytes, deflated, whose header
// says it holds declared bytes.
func bombEntry(t *testing.T, zw *zip.Writer, name string, n, declared uint64) {
	t.Helper()
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	crc := crc32.NewIEEE()
	zeros := make([]byte, 1<<20)
	for left := n; left > 0; {
		k := min(left, uint64(len(zeros)))
		fw.Write(zeros[:k])
		crc.Write(zeros[:k])
		left -= k
	}
	fw.Close()
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
}

// pypiDB is an offline database whose PyPI zip is made by fill; the other
// ecosystems are the test database's.
func pypiDB(t *testing.T, fill func(path string)) string {
	t.Helper()
	db := t.TempDir()
	if err := os.CopyFS(db, os.DirFS(offlineDB)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(db, "PyPI", "all.zip")
	os.Chmod(p, 0o644)
	os.Remove(p)
	fill(p)
	return db
}

// requirements is a tree with a requirements.txt pinning requests 2.28.1,
// which PYSEC-2023-74 affects.
func requirements(t *testing.T) string {
	return writeTree(t, map[string]string{"requirements.txt": "requests==2.28.1\n"})
}

// Item 2: a zip entry that inflates past the record limit, whether its
// header says so (a 10 GB entry) or lies (1 KiB said, 64 MiB there).
func TestHostileDatabaseZipBomb(t *testing.T) {
	for name, sizes := range map[string][2]uint64{
		"honest header": {40 << 20, 10 << 30},
		"lying header":  {64 << 20, 1 << 10},
	} {
		t.Run(name, func(t *testing.T) {
			db := pypiDB(t, func(p string) {
				var buf bytes.Buffer
				zw := zip.NewWriter(&buf)
				bombEntry(t, zw, "PYSEC-0000-0.json", sizes[0], sizes[1])
				zw.Close()
				write(t, p, buf.String())
			})
			r := secgateChild(t, childOptions{}, "scan", "--offline-db", db, "--scanners", "deps", requirements(t))
			// A header that lies is caught by archive/zip, one that tells
			// the truth by the record limit: both without inflating it.
			checkRefused(t, r, filepath.Join("PyPI", "all.zip"), "PYSEC-0000-0.json")
		})
	}
}

// Items 3 and 15: a file the repository names (configuration, waivers,
// secret rules, policy, data, baseline) that is a link to /dev/zero, a
// link out of the repository or a FIFO is refused at once, named.
func TestHostileRepositoryFiles(t *testing.T) {
	outside := writeTree(t, map[string]string{"stolen.yaml": "fail-on: low\n"})
	for _, tt := range []struct {
		name, file string
		args       []string
	}{
		{"configuration", ".secgate.yaml", nil},
		{"waivers", ".secgate-waivers.yaml", nil},
		{"secret rules", ".gitleaks.toml", nil},
		{"policy", "team.rego", []string{"-p", "team.rego"}},
		{"data", "team.json", []string{"-d", "team.json"}},
		{"baseline", "base.json", []string{"--baseline", "base.json"}},
	} {
		for kind, make := range map[string]func(t *testing.T, p string){
			"link to /dev/zero": func(t *testing.T, p string) { must(t, os.Symlink("/dev/zero", p)) },
			"link out":          func(t *testing.T, p string) { must(t, os.Symlink(filepath.Join(outside, "stolen.yaml"), p)) },
			"FIFO":              func(t *testing.T, p string) { must(t, syscall.Mkfifo(p, 0o644)) },
		} {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				dir := copyExample(t)
				make(t, filepath.Join(dir, tt.file))
				r := secgateChild(t, childOptions{dir: dir}, append([]string{"scan", "--offline-db", absOfflineDB(t)}, append(tt.args, ".")...)...)
				checkRefused(t, r, tt.file)
			})
		}
	}
}

// Items 2 and 15: the database file itself a FIFO or a link to /dev/zero.
func TestHostileDatabaseFile(t *testing.T) {
	for kind, make := range map[string]func(p string) error{
		"FIFO":              func(p string) error { return syscall.Mkfifo(p, 0o644) },
		"link to /dev/zero": func(p string) error { return os.Symlink("/dev/zero", p) },
	} {
		t.Run(kind, func(t *testing.T) {
			db := pypiDB(t, func(p string) { must(t, make(p)) })
			r := secgateChild(t, childOptions{}, "scan", "--offline-db", db, "--scanners", "deps", requirements(t))
			checkRefused(t, r, filepath.Join("PyPI", "all.zip"), "not a regular file")
		})
	}
}

// Item 7: an ecosystem zip without records is an error, like a missing one.
func TestHostileEmptyDatabase(t *testing.T) {
	db := pypiDB(t, func(p string) { zipOf(t, p, map[string][]byte{}) })
	r := secgateChild(t, childOptions{}, "scan", "--offline-db", db, "--scanners", "deps", requirements(t))
	checkRefused(t, r, filepath.Join("PyPI", "all.zip"), "no OSV records")
}

// Item 9: an advisory version the ecosystem cannot parse is an error naming
// the record and the field, not a range that silently matches nothing.
func TestHostileAdvisoryVersions(t *testing.T) {
	record, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "osv", "PyPI", "PYSEC-2023-74.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(record, []byte(`"fixed": "2.31.0"`)) {
		t.Fatal("the record changed: fix the test")
	}
	garbled := bytes.Replace(record, []byte(`"fixed": "2.31.0"`), []byte(`"fixed": "GARBAGE!!"`), 1)
	db := pypiDB(t, func(p string) { zipOf(t, p, map[string][]byte{"PYSEC-2023-74.json": garbled}) })
	r := secgateChild(t, childOptions{}, "scan", "--offline-db", db, "--scanners", "deps", requirements(t))
	checkRefused(t, r, "PYSEC-2023-74", `fixed "GARBAGE!!"`)
}

// Item 20: a key twice in one object of a --data JSON file is an error.
func TestHostileDuplicateDataKeys(t *testing.T) {
	dir := writeTree(t, map[string]string{"data.json": `{"secgate": {"config": {"fail_on": "high", "fail_on": "critical"}}}`})
	r := secgateChild(t, childOptions{}, "scan", "--offline-db", absOfflineDB(t), "-d", filepath.Join(dir, "data.json"), copyExample(t))
	checkRefused(t, r, "data.json", `key "fail_on" appears twice`)
}

// Item 5: network built-ins in a policy are refused, offline and online,
// and no request leaves the process; --policy-allow-net lets them run
// online only.
func TestHostilePolicyNetwork(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	defer srv.Close()
	policy := writeTree(t, map[string]string{"net.rego": `package secgate.net

warn contains {"msg": sprintf("status %d", [resp.status_code])} if {
	resp := http.send({"method": "GET", "url": "` + srv.URL + `"})
}
`})
	p := filepath.Join(policy, "net.rego")
	secretsOnly := writeTree(t, map[string]string{"README": "nothing\n"})
	r := secgateChild(t, childOptions{}, "scan", "--offline-db", absOfflineDB(t), "-p", p, copyExample(t))
	checkRefused(t, r, "net.rego", "http.send", "--policy-allow-net")
	r = secgateChild(t, childOptions{}, "scan", "--scanners", "secrets", "-p", p, secretsOnly)
	checkRefused(t, r, "net.rego", "http.send")
	r = secgateChild(t, childOptions{}, "scan", "--offline-db", absOfflineDB(t), "--policy-allow-net", "-p", p, copyExample(t))
	checkRefused(t, r, "--policy-allow-net with --offline-db")
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d requests reached the server", n)
	}
	r = secgateChild(t, childOptions{}, "scan", "--scanners", "secrets", "--policy-allow-net", "-p", p, secretsOnly)
	if r.code != exitPass || hits.Load() != 1 || !strings.Contains(r.stderr, "status 200") {
		t.Errorf("with --policy-allow-net: exit %d, %d requests: %s", r.code, hits.Load(), r.stderr)
	}
}

// Item 6: an image whose configuration lists fewer diff ids than its
// manifest has layers is hostile: the extra layer would go unscanned.
func TestHostileImageDiffIDs(t *testing.T) {
	img := imagetest.Image(t, imagetest.Config{User: "app", History: []string{"ADD a", "COPY b"}},
		imagetest.Layer(t, []imagetest.File{{Name: "etc/hostname", Body: []byte("box\n")}}),
		imagetest.Layer(t, []imagetest.File{{Name: "app/.env", Body: []byte("KEY=" + awsKey + "\n")}}))
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.RootFS.DiffIDs = cf.RootFS.DiffIDs[:1]
	short, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	for name, ref := range map[string]string{
		"docker-archive": "docker-archive:" + imagetest.WriteArchive(t, short, t.TempDir()),
		"oci layout":     "oci:" + imagetest.WriteLayout(t, short, t.TempDir()),
	} {
		t.Run(name, func(t *testing.T) {
			r := secgateChild(t, childOptions{}, "scan", "--offline-db", absOfflineDB(t), "--image", ref)
			checkRefused(t, r, ref, "2 layer", "1 ")
		})
	}
}

// Item 10: more layers than --max-layers is refused at once; below it, an
// image of hundreds of tiny layers is scanned within the bounds; many
// layers of many files (whose work grows with their product) are refused
// at --max-file-views, within the bounds too.
func TestHostileManyLayers(t *testing.T) {
	layers := func(n, files int) string {
		var ls []v1.Layer
		var history []string
		for i := range n {
			var fs []imagetest.File
			for j := range files {
				fs = append(fs, imagetest.File{Name: fmt.Sprintf("l%d/f%d.txt", i, j), Body: []byte("x\n")})
			}
			ls = append(ls, imagetest.Layer(t, fs))
			history = append(history, fmt.Sprintf("RUN step %d", i))
		}
		return imagetest.WriteArchive(t, imagetest.Image(t, imagetest.Config{User: "app", History: history}, ls...), t.TempDir())
	}
	r := secgateChild(t, childOptions{}, "scan", "--offline-db", absOfflineDB(t), "--max-layers", "50", "--image", "docker-archive:"+layers(60, 1))
	checkRefused(t, r, "60 layers", "--max-layers")
	r = secgateChild(t, childOptions{}, "scan", "--offline-db", absOfflineDB(t), "--image", "docker-archive:"+layers(400, 1))
	if r.code == exitError {
		t.Errorf("400 layers: exit 2: %s", r.stderr)
	}
	checkBounded(t, r)
	r = secgateChild(t, childOptions{}, "scan", "--offline-db", absOfflineDB(t), "--image", "docker-archive:"+layers(150, 150)) // 150 × (1+…+150) views
	checkRefused(t, r, "more than 1500000 file views", "--max-file-views")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A GitHub token shape that gitleaks' github-pat rule reports.
const ghToken = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"

// Item 1: an error that quotes the input (osv-scalibr's go.mod parser
// quotes the line it cannot read) never shows a secret whole.
func TestHostileSecretInParseError(t *testing.T) {
	dir := writeTree(t, map[string]string{"go.mod": "module example.com/m\n\ngo 1.22\n\n" + ghToken + "\n"})
	r := secgateChild(t, childOptions{}, "scan", "--offline-db", absOfflineDB(t), "--scanners", "deps", dir)
	checkRefused(t, r, "go.mod", "ghp_…")
	if strings.Contains(r.stdout+r.stderr, ghToken[4:]) {
		t.Errorf("the token is printed:\n%s", r.stderr)
	}
}

// Item 17: a secret in a file name is redacted in every report and the
// summary.
func TestHostileSecretInFileName(t *testing.T) {
	dir := writeTree(t, map[string]string{"keys/" + ghToken + ".env": "AWS_KEY=" + awsKey + "\n"})
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600")
	for _, format := range []string{"table", "json", "sarif", "junit", "gitlab-secrets", "markdown"} {
		r := secgateChild(t, childOptions{env: []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=", "GITHUB_STEP_SUMMARY="}}, "scan", "--scanners", "secrets", "-f", format, dir)
		if r.code != exitDenied {
			t.Fatalf("%s: exit %d: %s", format, r.code, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, ghToken[4:]) {
			t.Errorf("%s: the token in the file name is printed:\n%.1500s\n%.1500s", format, r.stdout, r.stderr)
		}
		if !strings.Contains(strings.ReplaceAll(r.stdout, `\_`, "_"), "ghp_…") { // markdown escapes _
			t.Errorf("%s: the redacted file name is missing:\n%.1500s", format, r.stdout)
		}
	}
}

// Item 8: a file name with line breaks and escape sequences neither starts
// a workflow command in the log nor sends an escape sequence to the
// terminal, in the reports, the summary or the annotations.
func TestHostileControlCharacters(t *testing.T) {
	forged := "::error file=x::forged"
	dir := writeTree(t, map[string]string{
		"evil\n" + forged + ".env":                "AWS_KEY=" + awsKey + "\n",
		"\x1b]8;;https://evil\x07\x1b[31mred.env": "AWS_KEY=" + awsKey + "\n",
		"##[error]old form\u202e.env":             "AWS_KEY=" + awsKey + "\n",
	})
	for _, format := range []string{"table", "markdown", "junit"} {
		r := secgateChild(t, childOptions{env: []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=", "GITHUB_STEP_SUMMARY="}}, "scan", "--scanners", "secrets", "-f", format, dir)
		if r.code != exitDenied {
			t.Fatalf("%s: exit %d: %s", format, r.code, r.stderr)
		}
		checkNoRawControls(t, format, r, forged)
	}
}

// checkNoRawControls fails the test when the child's output holds a raw
// escape, bell or bidi character, or a line that starts a workflow command
// (forged, or the old ##[error] form).
func checkNoRawControls(t *testing.T, format string, r childResult, forged string) {
	t.Helper()
	for name, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
		if strings.ContainsAny(out, "\x1b\x07\u202e") {
			t.Errorf("%s %s: raw control or bidi character:\n%q", format, name, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if l = strings.TrimLeft(l, " \t"); strings.HasPrefix(l, forged) || strings.HasPrefix(l, "##[error]") {
				t.Errorf("%s %s: a line starts a forged workflow command: %q", format, name, l)
			}
		}
	}
}

// Item 4: TOML lockfiles nested deep, whose parse would take memory in the
// square of the depth, are refused before the parser sees them, at every
// size.
func TestHostileDeepTOML(t *testing.T) {
	nested := func(size int) string {
		n := size / 6
		return strings.Repeat("{a = ", n) + "1" + strings.Repeat("}", n)
	}
	for _, size := range []int{20 << 10, 80 << 10, 800 << 10} {
		for name, body := range map[string]string{
			"poetry.lock": "[[package]]\nname = \"x\"\nversion = \"1.0\"\nextras = " + nested(size) + "\n",
			"Cargo.lock":  "version = 3\n\n[[package]]\nname = \"x\"\nversion = \"1.0.0\"\nsource = " + nested(size) + "\n",
		} {
			t.Run(fmt.Sprintf("%s/%dKB", name, size>>10), func(t *testing.T) {
				dir := writeTree(t, map[string]string{name: body})
				r := secgateChild(t, childOptions{}, "scan", "--offline-db", absOfflineDB(t), "--scanners", "deps", dir)
				checkRefused(t, r, name, "TOML nested")
			})
		}
	}
}

// Items 3, 15 and 16: lockfiles and requirements includes that cannot be
// read are errors, never silently skipped; a missing include is a warning
// with its name, an error with --strict.
func TestHostileLockfiles(t *testing.T) {
	db := absOfflineDB(t)
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []string
	}{
		{"package-lock.json a FIFO", func(t *testing.T, dir string) {
			must(t, syscall.Mkfifo(filepath.Join(dir, "package-lock.json"), 0o644))
		}, []string{"package-lock.json", "FIFO"}},
		{"package-lock.json a link to /dev/zero", func(t *testing.T, dir string) {
			must(t, os.Symlink("/dev/zero", filepath.Join(dir, "package-lock.json")))
		}, []string{"package-lock.json", "symbolic link"}},
		{"-r a link to /dev/zero", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "requirements.txt"), "-r base.txt\n")
			must(t, os.Symlink("/dev/zero", filepath.Join(dir, "base.txt")))
		}, []string{"requirements.txt:1: -r base.txt"}},
		{"-r a FIFO", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "requirements.txt"), "-r base.txt\n")
			must(t, syscall.Mkfifo(filepath.Join(dir, "base.txt"), 0o644))
		}, []string{"requirements.txt:1: -r base.txt", "FIFO"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			r := secgateChild(t, childOptions{}, "scan", "--offline-db", db, "--scanners", "deps", dir)
			checkRefused(t, r, tt.want...)
		})
	}

	dir := writeTree(t, map[string]string{"requirements.txt": "-r missing.txt\nrequests==2.28.1\n"})
	r := secgateChild(t, childOptions{}, "scan", "--offline-db", db, "--scanners", "deps", dir)
	if r.code == exitError || !strings.Contains(r.stderr, "requirements.txt:1: -r missing.txt: no such file") {
		t.Errorf("missing include: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	checkBounded(t, r)
	r = secgateChild(t, childOptions{}, "scan", "--offline-db", db, "--scanners", "deps", "--strict", dir)
	checkRefused(t, r, "requirements.txt:1: -r missing.txt", "--strict")
}

// Item 7: a repository's configuration cannot override the database the
// pipeline set (flags > environment > configuration file), an empty
// database is refused, and stderr says what the file supplied.
func TestHostileConfigPrecedence(t *testing.T) {
	dir := copyExample(t)
	for _, eco := range []string{"Go", "npm", "PyPI"} {
		zipOf(t, filepath.Join(dir, ".db", eco, "all.zip"), map[string][]byte{})
	}
	write(t, filepath.Join(dir, ".secgate.yaml"), "offline-db: .db\nfail-on: critical\n")
	r := secgateChild(t, childOptions{env: []string{"SECGATE_OFFLINE_DB=" + absOfflineDB(t)}}, "scan", "--scanners", "deps", dir)
	if r.code != exitDenied || !strings.Contains(r.stdout, "GHSA-xvch-5gv4-984h") {
		t.Errorf("SECGATE_OFFLINE_DB lost to the repository's offline-db: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"supplied: fail-on=critical", "overridden: offline-db (SECGATE_OFFLINE_DB)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	checkBounded(t, r)
	// Without the pipeline's setting, the repository's empty database is
	// an error, not "No findings".
	r = secgateChild(t, childOptions{}, "scan", "--scanners", "deps", dir)
	checkRefused(t, r, "all.zip", "no OSV records")
}

// Item 14: paths in a repository's configuration stay inside it: an output
// outside is refused, and nothing is written there.
func TestHostileConfigOutsideRepository(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "a", "b", "repo")
	if err := os.CopyFS(dir, os.DirFS(example)); err != nil {
		t.Fatal(err)
	}
	for key, value := range map[string]string{
		"output":     "../../../elsewhere/x.json",
		"data":       "/etc/hostname",
		"policy":     "../outside",
		"waivers":    "/etc/passwd",
		"baseline":   "../../b.json",
		"image":      "docker-archive:/tmp/x.tar",
		"dockerfile": "../Dockerfile",
	} {
		t.Run(key, func(t *testing.T) {
			write(t, filepath.Join(dir, ".secgate.yaml"), "format: [json]\n"+key+": "+value+"\n")
			r := secgateChild(t, childOptions{}, "scan", "--offline-db", absOfflineDB(t), dir)
			checkRefused(t, r, ".secgate.yaml", key, "outside the repository")
			if _, err := os.Stat(filepath.Join(base, "elsewhere")); err == nil {
				t.Error("a report was written outside the repository")
			}
		})
	}
}

// hangingRegistry accepts connections and answers nothing (mode "silent"),
// or answers the manifest request's headers and never its body ("stall").
func hangingRegistry(t *testing.T, mode string) string {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		if mode == "stall" {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte("{"))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return strings.TrimPrefix(srv.URL, "http://") + "/app:1.0"
}

// Item 11: a registry that never answers, or stops half-way through a
// body, fails the scan after --registry-timeout with the reference and the
// stage.
func TestHostileRegistryTimeout(t *testing.T) {
	for _, mode := range []string{"silent", "stall"} {
		t.Run(mode, func(t *testing.T) {
			ref := hangingRegistry(t, mode)
			r := secgateChild(t, childOptions{}, "scan", "--offline-db", absOfflineDB(t), "--registry-timeout", "1s", "--image", ref)
			checkRefused(t, r, ref, "fetch manifest 1.0", "registry did not answer")
		})
	}
}

// Item 12: SIGTERM and SIGINT stop the gate within about a second wherever
// it is (waiting on a registry, extracting a large lockfile), exit 2, no
// report.
func TestHostileSignals(t *testing.T) {
	big := t.TempDir()
	write(t, filepath.Join(big, "package-lock.json"), string(lockgen.PackageLock(200_000)))
	for _, tt := range []struct {
		name string
		sig  syscall.Signal
		args []string
	}{
		{"SIGTERM waiting on a registry", syscall.SIGTERM, []string{"--registry-timeout", "10m", "--image", hangingRegistry(t, "silent")}},
		{"SIGINT waiting on a registry body", syscall.SIGINT, []string{"--registry-timeout", "10m", "--image", hangingRegistry(t, "stall")}},
		{"SIGTERM extracting a large lockfile", syscall.SIGTERM, []string{big}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			after := 700 * time.Millisecond
			r := secgateChild(t, childOptions{signal: tt.sig, after: after}, append([]string{"scan", "--offline-db", absOfflineDB(t), "-f", "json"}, tt.args...)...)
			checkRefused(t, r, "interrupted by")
			if took := r.elapsed - after; took > 1500*time.Millisecond {
				t.Errorf("stopped %v after the signal, want about a second at most", took.Round(time.Millisecond))
			}
		})
	}
}

// Item 13: --history on a shallow clone says so, on stderr and in the
// report, with the number of commits it could scan.
func TestHostileShallowHistory(t *testing.T) {
	origin, _, _ := secretsRepo(t)
	clone := filepath.Join(t.TempDir(), "clone")
	runGit(t, filepath.Dir(clone), "clone", "-q", "--depth", "1", "file://"+origin, clone)
	r := secgateChild(t, childOptions{}, "scan", "--history", "-f", "json", clone)
	if r.code == exitError {
		t.Fatalf("exit 2: %s", r.stderr)
	}
	doc := decode(t, r.stdout)
	if s := doc.Scans[0]; s.Stats["shallow"] != 1 || len(s.Warnings) == 0 || !strings.Contains(s.Warnings[len(s.Warnings)-1], "shallow clone: only the 1 commit fetched") {
		t.Errorf("scan %+v: want the shallow clone said", s)
	}
	if !strings.Contains(r.stderr, "shallow clone") || !strings.Contains(r.stderr, "fetch-depth: 0") {
		t.Errorf("stderr does not say it:\n%s", r.stderr)
	}
	checkBounded(t, r)
}

// Item 18: a layer cut at an entry boundary (its diff id made to match)
// and an OCI blob whose bytes are not those its digest names (the same
// tar, compressed again: the diff id still matches) are refused.
func TestHostileLayerIntegrity(t *testing.T) {
	secret := []imagetest.File{{Name: "etc/hostname", Body: []byte("box\n")}, {Name: "app/.env", Body: []byte("KEY=" + awsKey + "\n")}}
	full := imagetest.TarBytes(t, secret)
	// The archive without its last 1024 bytes: two zero blocks.
	cut := full[:len(full)-1024]
	if !bytes.Equal(full[len(full)-1024:], make([]byte, 1024)) {
		t.Fatal("the tar does not end with its end-of-archive marker")
	}
	truncated := imagetest.Image(t, imagetest.Config{User: "app", History: []string{"COPY app /"}}, imagetest.RawLayer(t, cut))
	r := secgateChild(t, childOptions{}, "scan", "--offline-db", absOfflineDB(t), "--image", "docker-archive:"+imagetest.WriteArchive(t, truncated, t.TempDir()))
	checkRefused(t, r, "layer 0", "end-of-archive marker")

	img := imagetest.Image(t, imagetest.Config{User: "app", History: []string{"COPY app /"}}, imagetest.Layer(t, secret))
	dir := imagetest.WriteLayout(t, img, t.TempDir())
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	digest, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	var other bytes.Buffer
	zw, err := gzip.NewWriterLevel(&other, gzip.BestCompression) // go-containerregistry writes BestSpeed
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(full)
	zw.Close()
	blob := filepath.Join(dir, "blobs", digest.Algorithm, digest.Hex)
	must(t, os.Chmod(blob, 0o644))
	must(t, os.WriteFile(blob, other.Bytes(), 0o644))
	r = secgateChild(t, childOptions{}, "scan", "--offline-db", absOfflineDB(t), "--image", "oci:"+dir)
	checkRefused(t, r, "oci:"+dir, "does not match the manifest's "+digest.String())
}

// Item 8, advisory fields: an OSV record whose summary and details hold
// escape sequences, line breaks that start workflow commands and bidi
// controls reaches no terminal or log raw.
func TestHostileAdvisoryText(t *testing.T) {
	record, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "osv", "PyPI", "PYSEC-2023-74.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	must(t, json.Unmarshal(record, &rec))
	rec["summary"] = "leak\x1b]8;;https://evil\x07 \x1b[2J\n::error file=x::forged \u202eexe.txt"
	rec["details"] = "##[error]also forged\r\n\x1b[31mred"
	garbled, err := json.Marshal(rec)
	must(t, err)
	db := pypiDB(t, func(p string) { zipOf(t, p, map[string][]byte{"PYSEC-2023-74.json": garbled}) })
	for _, format := range []string{"table", "markdown", "junit", "sarif"} {
		r := secgateChild(t, childOptions{env: []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=", "GITHUB_STEP_SUMMARY="}},
			"scan", "--offline-db", db, "--scanners", "deps", "--fail-on", "medium", "-f", format, requirements(t))
		if r.code != exitDenied {
			t.Fatalf("%s: exit %d: %s", format, r.code, r.stderr)
		}
		checkNoRawControls(t, format, r, "::error file=x")
	}
}
