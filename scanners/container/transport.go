package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// DefaultRegistryTimeout bounds every wait on a registry: to connect, for
// the response headers, and between two reads of a body.
const DefaultRegistryTimeout = 60 * time.Second

// ErrRegistryTimeout is wrapped by a registry read that made no progress
// within the timeout.
var ErrRegistryTimeout = errors.New("registry did not answer")

// timeoutTransport bounds a registry's every wait. A registry that never
// answers a manifest or blob request would otherwise hang the gate: the
// default transport waits for headers and body bytes forever.
type timeoutTransport struct {
	base    http.RoundTripper
	timeout time.Duration
}

// registryTransport returns the transport for registry requests: base (the
// default transport, with a dial timeout, when nil) under timeout.
func registryTransport(base http.RoundTripper, timeout time.Duration) http.RoundTripper {
	if timeout <= 0 {
		timeout = DefaultRegistryTimeout
	}
	if base == nil {
		t := remote.DefaultTransport.(*http.Transport).Clone()
		t.DialContext = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext
		t.TLSHandshakeTimeout = timeout
		base = t
	}
	return &timeoutTransport{base: base, timeout: timeout}
}

func (t *timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	w := &watchdog{timeout: t.timeout, cancel: cancel}
	w.arm()
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		fired := w.stop()
		cancel()
		if fired {
			return nil, fmt.Errorf("%w: %s: no response within %s", ErrRegistryTimeout, stage(req), t.timeout)
		}
		return nil, err
	}
	// Headers came: from now on the timeout is between two reads of the
	// body.
	w.arm()
	resp.Body = &watchedBody{ReadCloser: resp.Body, w: w, what: stage(req)}
	return resp, nil
}

// watchdog cancels a request when it is not re-armed within the timeout.
type watchdog struct {
	timeout time.Duration
	cancel  context.CancelFunc
	mu      sync.Mutex
	timer   *time.Timer
	fired   bool
}

func (w *watchdog) arm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer == nil {
		w.timer = time.AfterFunc(w.timeout, func() {
			w.mu.Lock()
			w.fired = true
			w.mu.Unlock()
			w.cancel()
		})
		return
	}
	w.timer.Reset(w.timeout)
}

// stop disarms the watchdog and reports whether it had fired.
func (w *watchdog) stop() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
	return w.fired
}

type watchedBody struct {
	io.ReadCloser
	w    *watchdog
	what string
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.w.arm()
	}
	if err != nil && !errors.Is(err, io.EOF) && b.w.stop() {
		return n, fmt.Errorf("%w: %s: no data for %s", ErrRegistryTimeout, b.what, b.w.timeout)
	}
	return n, err
}

func (b *watchedBody) Close() error {
	b.w.stop()
	b.w.cancel()
	return b.ReadCloser.Close()
}

// stage names what a registry request was for, from its path
// (/v2/NAME/manifests/REF, /v2/NAME/blobs/DIGEST, a token endpoint).
func stage(req *http.Request) string {
	p := req.URL.Path
	switch {
	case strings.Contains(p, "/manifests/"):
		return "fetch manifest " + p[strings.LastIndex(p, "/")+1:] + " from " + req.URL.Host
	case strings.Contains(p, "/blobs/"):
		return "fetch blob " + p[strings.LastIndex(p, "/")+1:] + " from " + req.URL.Host
	case p == "/v2/" || p == "/v2":
		return "reach registry " + req.URL.Host
	}
	return "authenticate with " + req.URL.Host
}
