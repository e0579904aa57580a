package policies

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/secgate/secgate/findings"
)

// teamPolicy denies findings in a package listed in the bundle's data.
const teamPolicy = `package secgate.team

import data.team

deny contains {"msg": concat("", ["banned package ", f.package.name]), "id": f.id} if {
	some f in input.findings
	f.package.name in team.banned_packages
}
`

var teamData = map[string]any{"team": map[string]any{"banned_packages": []any{"golang.org/x/text"}}}

// testKey is a signing key and the file of its PEM public key.
type testKey struct {
	privPEM string // PKCS#8 private key, for OPA's signer
	alg     string
	pubFile string
}

func newRSAKey(t *testing.T) testKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pemKey(t, k, &k.PublicKey, "RS256")
}

func newECKey(t *testing.T) testKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pemKey(t, k, &k.PublicKey, "ES256")
}

func pemKey(t *testing.T, priv, pub any, alg string) testKey {
	t.Helper()
	pk, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "key.pub.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return testKey{privPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})), alg: alg, pubFile: f}
}

// buildBundle writes a bundle tarball with OPA's writer, as `opa build`
// does, signed by key (with OPA's signer, as `opa build --signing-key`)
// when key is not nil.
func buildBundle(t *testing.T, modules map[string]string, data map[string]any, revision string, key *testKey) []byte {
	t.Helper()
	b := bundle.Bundle{Data: data, Manifest: bundle.Manifest{Revision: revision}}
	if b.Data == nil {
		b.Data = map[string]any{}
	}
	for name, src := range modules {
		m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		b.Modules = append(b.Modules, bundle.ModuleFile{URL: name, Path: name, Raw: []byte(src), Parsed: m})
	}
	if key != nil {
		if err := b.GenerateSignature(bundle.NewSigningConfig(key.privPEM, key.alg, ""), "default", false); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := bundle.NewWriter(&buf).DisableFormat(true).Write(b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// retar rewrites a tarball: edit returns a file's new content, or nil to
// drop it; extra files are appended.
func retar(t *testing.T, raw []byte, edit func(name string, body []byte) []byte, extra map[string]string) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	write := func(name string, body []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			body = edit(h.Name, body)
		}
		if body != nil {
			write(h.Name, body)
		}
	}
	for name, body := range extra {
		write(name, []byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// untar writes a tarball's files under a new directory (a directory bundle).
func untar(t *testing.T, raw []byte) string {
	t.Helper()
	dir := t.TempDir()
	retar(t, raw, func(name string, body []byte) []byte {
		p := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(name, "/")))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		return body
	}, nil)
	return dir
}

func writeTemp(t *testing.T, name string, body []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func checkBundleError(t *testing.T, err error, source string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if !errors.Is(err, ErrPolicy) {
		t.Errorf("error %v does not wrap ErrPolicy", err)
	}
	if prefix := "load policy bundle " + source + ": "; !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("error = %v\nwant the prefix %q", err, prefix)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error = %v\nwant it to contain %q", err, w)
		}
	}
}

var teamModules = map[string]string{"/secgate/team.rego": teamPolicy}

func TestLoadBundleLocal(t *testing.T) {
	ctx := context.Background()
	key, other, ecKey := newRSAKey(t), newRSAKey(t), newECKey(t)
	unsigned := buildBundle(t, teamModules, teamData, "rev-1", nil)
	signed := buildBundle(t, teamModules, teamData, "rev-1", &key)
	ecSigned := buildBundle(t, teamModules, teamData, "rev-1", &ecKey)

	hmacSecret := writeTemp(t, "secret", []byte("s3cret-shared-key"))
	hmacSigned := buildBundle(t, teamModules, teamData, "rev-1", &testKey{privPEM: "s3cret-shared-key", alg: "HS256"})

	tamperedModule := retar(t, signed, func(name string, body []byte) []byte {
		if strings.HasSuffix(name, ".rego") {
			return bytes.Replace(body, []byte("deny contains"), []byte("warn contains"), 1)
		}
		return body
	}, nil)
	tamperedData := retar(t, signed, func(name string, body []byte) []byte {
		if strings.HasSuffix(name, "data.json") {
			return []byte(`{"team":{"banned_packages":[]}}`)
		}
		return body
	}, nil)
	addedFile := retar(t, signed, nil, map[string]string{"/secgate/extra.rego": "package secgate.extra\n\nwarn contains {\"msg\": \"x\"} if { true }\n"})
	duplicated := retar(t, signed, nil, map[string]string{"/secgate/team.rego": "package secgate.team\n"})
	removedFile := retar(t, signed, func(name string, body []byte) []byte {
		if strings.HasSuffix(name, ".rego") {
			return nil
		}
		return body
	}, nil)
	regoV0 := retar(t, buildBundle(t, nil, nil, "", nil), nil, map[string]string{
		"/.manifest":        `{"revision":"rev-1","roots":[""],"rego_version":0}`,
		"/secgate/old.rego": "package secgate.old\n\nwarn[{\"msg\": \"x\"}] { true }\n",
	})

	// A decompression bomb: a small tarball that inflates past the limit.
	var bomb bytes.Buffer
	{
		zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestSpeed)
		tw := tar.NewWriter(zw)
		size := int64(MaxBundleUncompressedBytes + 1)
		if err := tw.WriteHeader(&tar.Header{Name: "/data.json", Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.CopyN(tw, zeroReader{}, size); err != nil {
			t.Fatal(err)
		}
		tw.Close()
		zw.Close()
	}

	signedDir := untar(t, signed)

	tests := []struct {
		name   string
		source string // a file holding this tarball, unless dir is set
		raw    []byte
		dir    string
		opts   BundleOptions
		want   []string // error substrings; nil: loads
	}{
		{name: "unsigned without key", raw: unsigned},
		{name: "signed without key (not verified)", raw: signed},
		{name: "signed, right key", raw: signed, opts: BundleOptions{VerificationKey: key.pubFile}},
		{name: "signed, EC key (ES256 inferred)", raw: ecSigned, opts: BundleOptions{VerificationKey: ecKey.pubFile}},
		{name: "signed, HMAC secret", raw: hmacSigned, opts: BundleOptions{VerificationKey: hmacSecret, Algorithm: "HS256"}},
		{name: "directory, unsigned", dir: untar(t, unsigned)},
		{name: "directory, signed, right key", dir: signedDir, opts: BundleOptions{VerificationKey: key.pubFile}},

		{name: "unsigned with key", raw: unsigned, opts: BundleOptions{VerificationKey: key.pubFile},
			want: []string{"bundle missing .signatures.json file"}},
		{name: "directory, unsigned with key", dir: untar(t, unsigned), opts: BundleOptions{VerificationKey: key.pubFile},
			want: []string{"bundle missing .signatures.json file"}},
		{name: "module changed after signing", raw: tamperedModule, opts: BundleOptions{VerificationKey: key.pubFile},
			want: []string{"secgate/team.rego: digest mismatch"}},
		{name: "data changed after signing", raw: tamperedData, opts: BundleOptions{VerificationKey: key.pubFile},
			want: []string{"data.json: digest mismatch"}},
		{name: "file added after signing", raw: addedFile, opts: BundleOptions{VerificationKey: key.pubFile},
			want: []string{"secgate/extra.rego not included in bundle signature"}},
		{name: "file duplicated after signing", raw: duplicated, opts: BundleOptions{VerificationKey: key.pubFile},
			want: []string{"secgate/team.rego not included in bundle signature"}},
		{name: "file duplicated, no key", raw: duplicated, want: []string{"/secgate/team.rego appears twice"}},
		{name: "file removed after signing", raw: removedFile, opts: BundleOptions{VerificationKey: key.pubFile},
			want: []string{"specified in bundle signatures but not found"}},
		{name: "wrong key", raw: signed, opts: BundleOptions{VerificationKey: other.pubFile},
			want: []string{"failed to verify JWT signature"}},
		{name: "wrong algorithm", raw: signed, opts: BundleOptions{VerificationKey: key.pubFile, Algorithm: "PS256"},
			want: []string{"failed to verify JWT signature"}},
		{name: "HMAC secret as RSA key is refused", raw: hmacSigned, opts: BundleOptions{VerificationKey: key.pubFile},
			want: []string{"failed to verify JWT signature"}},
		{name: "wrong scope", raw: signed, opts: BundleOptions{VerificationKey: key.pubFile, Scope: "prod"},
			want: []string{"scope mismatch"}},
		{name: "key file missing", raw: signed, opts: BundleOptions{VerificationKey: filepath.Join(t.TempDir(), "nope.pem")},
			want: []string{"read verification key"}},
		{name: "key file not PEM", raw: signed, opts: BundleOptions{VerificationKey: hmacSecret},
			want: []string{"not a PEM key"}},
		{name: "scope without key", raw: unsigned, opts: BundleOptions{Scope: "prod"},
			want: []string{"needs a verification key"}},
		{name: "malformed tarball", raw: []byte("this is not a tarball"),
			want: []string{"not a gzipped tarball"}},
		{name: "truncated tarball", raw: unsigned[:len(unsigned)/2],
			want: []string{"not a gzipped tarball"}},
		{name: "decompression bomb", raw: bomb.Bytes(),
			want: []string{"decompresses to more than"}},
		{name: "Rego v0 module", raw: regoV0,
			want: []string{"/secgate/old.rego: Rego v0", "Rego v1 only"}},
		{name: "missing file", source: filepath.Join(t.TempDir(), "nope.tar.gz"),
			want: []string{"no such file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.source
			switch {
			case tc.dir != "":
				src = tc.dir
			case src == "":
				src = writeTemp(t, "bundle.tar.gz", tc.raw)
			}
			opts := tc.opts
			opts.Source = src
			b, err := LoadBundle(ctx, opts)
			if testing.Verbose() && err != nil {
				t.Log(err)
			}
			if tc.want != nil {
				checkBundleError(t, err, src, tc.want...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Source != src || b.Revision != "rev-1" {
				t.Errorf("source %q revision %q, want %q rev-1", b.Source, b.Revision, src)
			}
			if !reflect.DeepEqual(b.Modules, teamModules) {
				t.Errorf("modules = %v\nwant %v", b.Modules, teamModules)
			}
			if !reflect.DeepEqual(b.Data, teamData) {
				t.Errorf("data = %v\nwant %v", b.Data, teamData)
			}
			checkBundleDecides(t, b)
		})
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// checkBundleDecides compiles the bundle with the default policies and
// checks its deny fires: a low vulnerability the defaults only warn about
// is denied by the bundle's policy, reading the bundle's data.
func checkBundleDecides(t *testing.T, b *Bundle) {
	t.Helper()
	ctx := context.Background()
	e, err := New(ctx, Options{Modules: b.Modules, Data: b.Data})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	doc := document(vuln("v1", findings.SeverityLow))
	dec, err := decideAndApply(e, doc)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Result != findings.ResultFail || len(dec.Deny) != 1 || dec.Deny[0].Policy != "secgate.team" ||
		dec.Deny[0].ID != "v1" || dec.Deny[0].Msg != "banned package golang.org/x/text" {
		t.Errorf("decision = %+v, want the bundle's deny of v1", dec)
	}
	if got := decisions(doc)["v1"]; got != "deny" {
		t.Errorf("v1 decision %q, want deny", got)
	}
}

// bundleServer serves a tarball over TLS with an ETag, answering 304 to a
// matching If-None-Match; status, when set, overrides the answer.
type bundleServer struct {
	*httptest.Server
	mu          sync.Mutex
	body        []byte
	etag        string
	status      int
	ifNoneMatch []string // the If-None-Match of each request
}

func newBundleServer(t *testing.T, body []byte, etag string) *bundleServer {
	s := &bundleServer{body: body, etag: etag}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.ifNoneMatch = append(s.ifNoneMatch, r.Header.Get("If-None-Match"))
		switch {
		case s.status != 0:
			w.WriteHeader(s.status)
		case s.etag != "" && r.Header.Get("If-None-Match") == s.etag:
			w.WriteHeader(http.StatusNotModified)
		default:
			if s.etag != "" {
				w.Header().Set("ETag", s.etag)
			}
			w.Header().Set("Content-Type", "application/gzip")
			w.Write(s.body)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *bundleServer) set(body []byte, etag string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.etag, s.status = body, etag, status
}

func (s *bundleServer) lastIfNoneMatch() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ifNoneMatch[len(s.ifNoneMatch)-1]
}

func TestLoadBundleRemote(t *testing.T) {
	ctx := context.Background()
	key := newRSAKey(t)
	signed := buildBundle(t, teamModules, teamData, "rev-1", &key)
	signed2 := buildBundle(t, teamModules, teamData, "rev-2", &key)
	tampered := retar(t, signed2, func(name string, body []byte) []byte {
		return bytes.Replace(body, []byte("deny contains"), []byte("warn contains"), 1)
	}, nil)

	srv := newBundleServer(t, signed, `"v1"`)
	cache := t.TempDir()
	url := srv.URL + "/bundles/team.tar.gz"
	opts := BundleOptions{Source: url, VerificationKey: key.pubFile, CacheDir: cache, HTTPClient: srv.Client()}
	load := func(t *testing.T, wantSource, wantRevision string) *Bundle {
		t.Helper()
		b, err := LoadBundle(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if b.Source != wantSource || b.Revision != wantRevision {
			t.Errorf("source %q revision %q, want %q %q", b.Source, b.Revision, wantSource, wantRevision)
		}
		if !reflect.DeepEqual(b.Modules, teamModules) || !reflect.DeepEqual(b.Data, teamData) {
			t.Errorf("bundle = %+v", b)
		}
		return b
	}

	// The steps share the server and the cache, in order.
	t.Run("first fetch: 200, cached with its ETag", func(t *testing.T) {
		b := load(t, url, "rev-1")
		if b.Warning != "" {
			t.Errorf("warning %q", b.Warning)
		}
		if got := srv.lastIfNoneMatch(); got != "" {
			t.Errorf("If-None-Match %q on the first fetch", got)
		}
		entries, _ := os.ReadDir(cache)
		if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), ".bundle") {
			t.Fatalf("cache dir holds %v, want one .bundle file", entries)
		}
		if strings.Contains(entries[0].Name(), "team") {
			t.Errorf("cache file %s is not named by a hash of the URL", entries[0].Name())
		}
		checkBundleDecides(t, b)
	})
	t.Run("second fetch: 304, the cache is used", func(t *testing.T) {
		b := load(t, url, "rev-1")
		if got := srv.lastIfNoneMatch(); got != `"v1"` {
			t.Errorf("If-None-Match %q, want \"v1\"", got)
		}
		checkBundleDecides(t, b)
	})
	t.Run("new revision: 200 replaces the cache", func(t *testing.T) {
		srv.set(signed2, `"v2"`, 0)
		load(t, url, "rev-2")
		if got := srv.lastIfNoneMatch(); got != `"v1"` {
			t.Errorf("If-None-Match %q, want \"v1\"", got)
		}
		load(t, url, "rev-2") // 304 on "v2"
		if got := srv.lastIfNoneMatch(); got != `"v2"` {
			t.Errorf("If-None-Match %q, want \"v2\"", got)
		}
	})
	t.Run("tampered download: error, the cache is kept", func(t *testing.T) {
		srv.set(tampered, `"v3"`, 0)
		_, err := LoadBundle(ctx, opts)
		checkBundleError(t, err, url, "digest mismatch")
		srv.set(signed2, `"v2"`, 0)
		load(t, url, "rev-2")
		if got := srv.lastIfNoneMatch(); got != `"v2"` {
			t.Errorf("If-None-Match %q, want \"v2\": the tampered download replaced the cache", got)
		}
	})
	t.Run("5xx: the cache is reused", func(t *testing.T) {
		srv.set(nil, "", http.StatusBadGateway)
		b := load(t, "cache:"+url, "rev-2")
		if !strings.Contains(b.Warning, "502 Bad Gateway") || !strings.Contains(b.Warning, "using the copy cached") {
			t.Errorf("warning %q", b.Warning)
		}
	})
	t.Run("404: an error, the cache is not used", func(t *testing.T) {
		srv.set(nil, "", http.StatusNotFound)
		_, err := LoadBundle(ctx, opts)
		checkBundleError(t, err, url, "404 Not Found")
		srv.set(signed2, `"v2"`, 0)
	})
	t.Run("the cached copy is verified", func(t *testing.T) {
		other := newRSAKey(t)
		o := opts
		o.VerificationKey = other.pubFile
		srv.set(nil, "", http.StatusServiceUnavailable)
		_, err := LoadBundle(ctx, o)
		checkBundleError(t, err, url, "503 Service Unavailable", "cached copy", "failed to verify JWT signature")
		srv.set(signed2, `"v2"`, 0)
	})
	t.Run("server down: the cache is reused", func(t *testing.T) {
		srv.Close()
		b := load(t, "cache:"+url, "rev-2")
		if b.Warning == "" {
			t.Error("no warning")
		}
		checkBundleDecides(t, b)
	})
	t.Run("server down, no cache: error", func(t *testing.T) {
		o := opts
		o.CacheDir = t.TempDir()
		_, err := LoadBundle(ctx, o)
		checkBundleError(t, err, url, "no cached copy")
	})
}

func TestLoadBundleRemoteUnsignedAndETagless(t *testing.T) {
	ctx := context.Background()
	unsigned := buildBundle(t, teamModules, teamData, "rev-1", nil)
	srv := newBundleServer(t, unsigned, "")
	url := srv.URL + "/b.tar.gz"
	cache := t.TempDir()
	opts := BundleOptions{Source: url, CacheDir: cache, HTTPClient: srv.Client()}
	for range 2 {
		b, err := LoadBundle(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if b.Source != url {
			t.Errorf("source %q", b.Source)
		}
		if got := srv.lastIfNoneMatch(); got != "" {
			t.Errorf("If-None-Match %q without an ETag", got)
		}
	}
	// A key set later applies to the cached unsigned copy too.
	srv.Close()
	key := newRSAKey(t)
	opts.VerificationKey = key.pubFile
	_, err := LoadBundle(ctx, opts)
	checkBundleError(t, err, url, "cached copy", "bundle missing .signatures.json file")
}

func TestLoadBundleRemoteRefused(t *testing.T) {
	ctx := context.Background()
	unsigned := buildBundle(t, teamModules, teamData, "rev-1", nil)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(unsigned) }))
	defer plain.Close()
	redirect := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/b.tar.gz", http.StatusFound)
	}))
	redirect.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate case's handshake error
	redirect.StartTLS()
	defer redirect.Close()
	big := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.CopyN(w, zeroReader{}, MaxBundleBytes+1)
	}))
	defer big.Close()

	tests := []struct {
		name   string
		source string
		client *http.Client
		want   string
	}{
		{"http URL", plain.URL + "/b.tar.gz", plain.Client(), "http:// is not supported: bundles are fetched over https only"},
		{"other scheme", "s3://bucket/b.tar.gz", nil, "s3:// is not supported"},
		{"redirect to http", redirect.URL + "/b.tar.gz", redirect.Client(), "refused: bundles are fetched over https only"},
		{"oversized response", big.URL + "/b.tar.gz", big.Client(), "response larger than"},
		{"untrusted certificate", redirect.URL + "/b.tar.gz", &http.Client{}, "certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBundle(ctx, BundleOptions{Source: tc.source, CacheDir: t.TempDir(), HTTPClient: tc.client})
			checkBundleError(t, err, tc.source, tc.want)
		})
	}
}

func TestLoadBundleCacheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "x.bundle")
	in := &bundleCache{etag: `W/"abc"`, body: []byte("\x1f\x8b binary\nwith newlines\n")}
	if err := writeBundleCache(p, in); err != nil {
		t.Fatal(err)
	}
	out, err := readBundleCache(p)
	if err != nil {
		t.Fatal(err)
	}
	if out.etag != in.etag || !bytes.Equal(out.body, in.body) {
		t.Errorf("read back %+v, want %+v", out, in)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("cache dir holds %v, want only the cache file (no temporary files)", entries)
	}
	if err := os.WriteFile(p, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readBundleCache(p); err == nil {
		t.Error("garbage cache file read without error")
	}
	if a, b := bundleCachePath("d", "https://x/a"), bundleCachePath("d", "https://x/b"); a == b {
		t.Error("two URLs share a cache file")
	}
}
