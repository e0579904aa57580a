package policies

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/keys"

	"github.com/secgate/secgate/safefile"
)

// Limits on what LoadBundle reads, against oversized downloads and
// decompression bombs.
const (
	// MaxBundleBytes bounds a bundle tarball (as downloaded or on disk).
	MaxBundleBytes = 64 << 20
	// MaxBundleUncompressedBytes bounds the decompressed tar stream of a
	// bundle, and each file of a directory bundle.
	MaxBundleUncompressedBytes = 256 << 20
	// DefaultBundleTimeout bounds one download when BundleOptions.HTTPClient
	// is nil.
	DefaultBundleTimeout = 60 * time.Second
)

// BundleOptions says where to read an OPA bundle from and how to verify it.
type BundleOptions struct {
	// Source is a bundle tarball (.tar.gz, as `opa build` writes), a bundle
	// directory, or an https:// URL of a tarball.
	Source string
	// VerificationKey is the file of the key that must have signed the
	// bundle: a PEM public key (or certificate) for RS*, PS* and ES*, the
	// shared secret for HS*. When set, the bundle must carry a
	// .signatures.json that verifies and covers exactly the bundle's files;
	// when empty, nothing is verified and any .signatures.json is ignored.
	VerificationKey string
	// Algorithm of the signature; by default RS256 for an RSA key, ES256,
	// ES384 or ES512 for an EC key of that curve. Never taken from the
	// bundle.
	Algorithm string
	// KeyID names the key in the signature's verification ("default" when
	// empty, as `opa run --verification-key-id`); Scope must equal the
	// signature's scope (empty unless `opa sign --scope`).
	KeyID, Scope string
	// CacheDir keeps the last good download of each URL (and its ETag);
	// os.UserCacheDir()/secgate/bundles when empty. Without a usable cache
	// directory every run downloads and there is no offline reuse.
	CacheDir string
	// HTTPClient fetches URLs; a client with DefaultBundleTimeout when nil.
	// Redirects to anything but https are refused.
	HTTPClient *http.Client
}

// Bundle is a loaded bundle, ready for Options.Modules and Options.Data.
type Bundle struct {
	// Modules maps each module's path in the bundle (e.g.
	// "/secgate/team.rego") to its Rego v1 source.
	Modules map[string]string
	// Data is the bundle's data document (its data.json/data.yaml files
	// merged at their directories' paths), {} when it has none.
	Data map[string]any
	// Revision is the manifest's revision, "" when none.
	Revision string
	// Source is where the bundle was read from: the path, the URL (fresh,
	// or revalidated by a 304), or "cache:<url>" when the server could not
	// be reached and the cached copy was used.
	Source string
	// Warning is set when the cached copy was used because the server could
	// not be reached, or when a download could not be cached.
	Warning string
}

// LoadBundle reads an OPA bundle. Every error wraps ErrPolicy and starts
// "load policy bundle <source>:".
func LoadBundle(ctx context.Context, opts BundleOptions) (*Bundle, error) {
	src := opts.Source
	display := src
	if u, err := url.Parse(src); err == nil && u.Scheme != "" && u.Host != "" {
		display = u.Redacted()
	}
	b, err := loadBundle(ctx, opts)
	if err != nil {
		return nil, policyError("load policy bundle "+display, err)
	}
	return b, nil
}

func loadBundle(ctx context.Context, opts BundleOptions) (*Bundle, error) {
	src := opts.Source
	if src == "" {
		return nil, errors.New("no bundle source")
	}
	vc, err := verificationConfig(opts)
	if err != nil {
		return nil, err
	}
	if scheme, _, ok := strings.Cut(src, "://"); ok && !strings.ContainsAny(scheme, `/\.`) {
		if !strings.EqualFold(scheme, "https") {
			return nil, fmt.Errorf("%s:// is not supported: bundles are fetched over https only", scheme)
		}
		return loadRemote(ctx, opts, vc)
	}

	fi, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		loader := bundle.NewDirectoryLoader(src).WithSizeLimitBytes(MaxBundleUncompressedBytes)
		b, err := readBundle(loader, vc)
		if err != nil {
			return nil, err
		}
		b.Source = src
		return b, nil
	}
	raw, err := safefile.Read("", src, safefile.Kind{Name: "policy bundle", Max: MaxBundleBytes})
	if err != nil {
		return nil, err
	}
	b, err := readTarball(raw, vc)
	if err != nil {
		return nil, err
	}
	b.Source = src
	return b, nil
}

// verificationConfig builds OPA's verification configuration from the key
// file, or returns nil when no key is set.
func verificationConfig(opts BundleOptions) (*bundle.VerificationConfig, error) {
	if opts.VerificationKey == "" {
		if opts.Algorithm != "" || opts.KeyID != "" || opts.Scope != "" {
			return nil, errors.New("a signature algorithm, key id or scope needs a verification key")
		}
		return nil, nil
	}
	key, err := safefile.Read("", opts.VerificationKey, safefile.Key)
	if err != nil {
		return nil, err
	}
	alg := opts.Algorithm
	if alg == "" {
		if alg, err = keyAlgorithm(key); err != nil {
			return nil, fmt.Errorf("verification key %s: %w", opts.VerificationKey, err)
		}
	}
	if !keys.IsSupportedAlgorithm(alg) {
		return nil, fmt.Errorf("unsupported signature algorithm %q", alg)
	}
	if !strings.HasPrefix(alg, "HS") {
		if blk, _ := pem.Decode(key); blk == nil {
			return nil, fmt.Errorf("verification key %s: not a PEM key", opts.VerificationKey)
		}
	}
	id := opts.KeyID
	if id == "" {
		id = "default"
	}
	kc := &keys.Config{Key: string(key), Algorithm: alg, Scope: opts.Scope}
	return bundle.NewVerificationConfig(map[string]*bundle.KeyConfig{id: kc}, id, opts.Scope, nil), nil
}

// keyAlgorithm picks the signature algorithm for a PEM key: RS256 for RSA,
// ES256/384/512 for EC P-256/384/521.
func keyAlgorithm(pemKey []byte) (string, error) {
	blk, _ := pem.Decode(pemKey)
	if blk == nil {
		return "", errors.New("not a PEM key (for an HMAC secret set the algorithm, e.g. HS256)")
	}
	var pub any
	var err error
	switch blk.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(blk.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(blk.Bytes)
	case "CERTIFICATE":
		var c *x509.Certificate
		if c, err = x509.ParseCertificate(blk.Bytes); err == nil {
			pub = c.PublicKey
		}
	default:
		return "", fmt.Errorf("PEM block %q: want a PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE", blk.Type)
	}
	if err != nil {
		return "", err
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RS256", nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return "ES256", nil
		case elliptic.P384():
			return "ES384", nil
		case elliptic.P521():
			return "ES512", nil
		}
		return "", fmt.Errorf("unsupported EC curve %s", k.Curve.Params().Name)
	}
	return "", fmt.Errorf("unsupported key type %T", pub)
}

// readTarball reads a bundle tarball held in memory, after checking that it
// decompresses to at most MaxBundleUncompressedBytes.
func readTarball(raw []byte, vc *bundle.VerificationConfig) (*Bundle, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not a gzipped tarball: %w", err)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(zr, MaxBundleUncompressedBytes+1))
	if err != nil {
		return nil, fmt.Errorf("not a gzipped tarball: %w", err)
	}
	if n > MaxBundleUncompressedBytes {
		return nil, fmt.Errorf("decompresses to more than %d bytes", MaxBundleUncompressedBytes)
	}
	loader := bundle.NewTarballLoaderWithBaseURL(bytes.NewReader(raw), "").WithSizeLimitBytes(MaxBundleUncompressedBytes)
	return readBundle(loader, vc)
}

// readBundle reads and, when vc is set, verifies a bundle with OPA's reader.
func readBundle(loader bundle.DirectoryLoader, vc *bundle.VerificationConfig) (*Bundle, error) {
	r := bundle.NewCustomReader(loader).
		WithRegoVersion(ast.RegoV1).
		WithProcessAnnotations(true).
		WithSizeLimitBytes(MaxBundleUncompressedBytes).
		WithLazyLoadingMode(false)
	if vc != nil {
		// A key makes the signature mandatory: OPA then refuses a bundle
		// without .signatures.json, a signature by another key, and any
		// file whose digest differs from, or is missing from, the signed
		// list.
		r = r.WithBundleVerificationConfig(vc).WithSkipBundleVerification(false)
	} else {
		// Without a key OPA would refuse a signed bundle ("verification key
		// not provided"); skipping ignores the signature instead.
		r = r.WithSkipBundleVerification(true)
	}
	ob, err := r.Read()
	if err != nil {
		return nil, err
	}
	if ob.Type() != bundle.SnapshotBundleType {
		return nil, errors.New("delta bundles are not supported")
	}
	if len(ob.WasmModules) > 0 || len(ob.Wasm) > 0 || len(ob.PlanModules) > 0 {
		return nil, errors.New("wasm and plan modules are not supported: build the bundle from Rego (opa build without -t)")
	}
	out := &Bundle{Modules: make(map[string]string, len(ob.Modules)), Revision: ob.Manifest.Revision}
	for _, m := range ob.Modules {
		name := path.Clean("/" + filepath.ToSlash(m.Path))
		if m.Parsed != nil && m.Parsed.RegoVersion() != ast.RegoV1 {
			return nil, fmt.Errorf("%s: Rego %s: secgate reads Rego v1 only (opa fmt --v0-v1, and drop rego_version from the manifest)", name, m.Parsed.RegoVersion())
		}
		if _, dup := out.Modules[name]; dup {
			return nil, fmt.Errorf("%s appears twice", name)
		}
		out.Modules[name] = string(m.Raw)
	}
	// Plain JSON values (OPA's reader yields json.Number), as LoadData.
	out.Data = map[string]any{}
	if len(ob.Data) > 0 {
		js, err := json.Marshal(ob.Data)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(js, &out.Data); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var errInsecureRedirect = errors.New("refused: bundles are fetched over https only")

// loadRemote fetches an https bundle, revalidating the cached copy with its
// ETag, and falls back to the cached copy when the server cannot be reached
// or fails (5xx). The bundle is verified whichever copy is used.
func loadRemote(ctx context.Context, opts BundleOptions, vc *bundle.VerificationConfig) (*Bundle, error) {
	src := opts.Source
	u, err := url.Parse(src)
	if err != nil {
		return nil, err
	}
	if u.Host == "" {
		return nil, errors.New("URL has no host")
	}
	display := u.Redacted()

	cachePath := bundleCachePath(opts.CacheDir, src)
	cached, cacheErr := readBundleCache(cachePath)

	client := &http.Client{Timeout: DefaultBundleTimeout}
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient
		client = &c
	}
	next := client.CheckRedirect
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), errInsecureRedirect)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}

	fromCache := func(cause error) (*Bundle, error) {
		if cached == nil {
			if cacheErr != nil && !errors.Is(cacheErr, os.ErrNotExist) {
				return nil, fmt.Errorf("%w (cached copy unusable: %v)", cause, cacheErr)
			}
			return nil, fmt.Errorf("%w (no cached copy)", cause)
		}
		b, err := readTarball(cached.body, vc)
		if err != nil {
			return nil, fmt.Errorf("%w; cached copy: %w", cause, err)
		}
		b.Source = "cache:" + display
		b.Warning = fmt.Sprintf("%v: using the copy cached %s", cause, cached.fetched.Format(time.RFC3339))
		return b, nil
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/gzip, application/octet-stream")
	if cached != nil && cached.etag != "" {
		req.Header.Set("If-None-Match", cached.etag)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, errInsecureRedirect) {
			return nil, err
		}
		return fromCache(err)
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusOK:
		body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBundleBytes+1))
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			return fromCache(fmt.Errorf("read response: %w", err))
		}
		if len(body) > MaxBundleBytes {
			return nil, fmt.Errorf("response larger than %d bytes", MaxBundleBytes)
		}
		// Verify before caching: a bad download never replaces a good copy.
		b, err := readTarball(body, vc)
		if err != nil {
			return nil, err
		}
		b.Source = display
		if cachePath != "" {
			err := writeBundleCache(cachePath, &bundleCache{etag: resp.Header.Get("ETag"), fetched: time.Now().UTC(), body: body})
			if err != nil {
				b.Warning = "could not cache the bundle: " + err.Error()
			}
		}
		return b, nil
	case resp.StatusCode == http.StatusNotModified:
		if cached == nil {
			return nil, errors.New("server answered 304 Not Modified but there is no cached copy")
		}
		b, err := readTarball(cached.body, vc)
		if err != nil {
			return nil, fmt.Errorf("cached copy: %w", err)
		}
		b.Source = display
		return b, nil
	case resp.StatusCode >= 500:
		return fromCache(fmt.Errorf("server answered %s", resp.Status))
	default:
		return nil, fmt.Errorf("server answered %s", resp.Status)
	}
}

// bundleCache is one URL's cached download. On disk: a JSON header line
// {"etag":...,"fetched":...} then the tarball's bytes, in one file replaced
// atomically, so an ETag never goes with another download's body.
type bundleCache struct {
	etag    string
	fetched time.Time
	body    []byte
}

type bundleCacheHeader struct {
	Format  string    `json:"format"`
	ETag    string    `json:"etag,omitempty"`
	Fetched time.Time `json:"fetched"`
}

const bundleCacheFormat = "secgate-bundle-cache/1"

// bundleCachePath is the cache file for rawURL: named by the URL's SHA-256,
// so no credential in the URL reaches the file system. "" when there is no
// cache directory.
func bundleCachePath(dir, rawURL string) string {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(base, "secgate", "bundles")
	}
	sum := sha256.Sum256([]byte(rawURL))
	return filepath.Join(dir, hex.EncodeToString(sum[:])+".bundle")
}

func readBundleCache(p string) (*bundleCache, error) {
	if p == "" {
		return nil, os.ErrNotExist
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(io.LimitReader(f, MaxBundleBytes+64<<10))
	line, err := br.ReadSlice('\n')
	if err != nil {
		return nil, fmt.Errorf("%s: no header: %w", p, err)
	}
	var h bundleCacheHeader
	if err := json.Unmarshal(line, &h); err != nil || h.Format != bundleCacheFormat {
		return nil, fmt.Errorf("%s: not a secgate bundle cache file", p)
	}
	body, err := io.ReadAll(br)
	if err != nil {
		return nil, err
	}
	return &bundleCache{etag: h.ETag, fetched: h.Fetched, body: body}, nil
}

func writeBundleCache(p string, c *bundleCache) error {
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	hdr, err := json.Marshal(bundleCacheHeader{Format: bundleCacheFormat, ETag: c.etag, Fetched: c.fetched})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*.bundle")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if _, err := tmp.Write(append(hdr, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(c.body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}
