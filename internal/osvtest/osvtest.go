// Package osvtest is a stand-in for the OSV API (api.osv.dev) for tests: it
// answers POST /v1/querybatch and GET /v1/vulns/{id} on a loopback
// httptest server, from records and answers the test gives it.
package osvtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Query is the package a batch query asks about.
type Query struct {
	Ecosystem string
	Name      string
	Version   string
}

// Server is a fake OSV API.
type Server struct {
	URL string
	// Affected maps a query to the ids of the advisories affecting it.
	Affected map[Query][]string
	// Records maps an advisory id to its OSV JSON.
	Records map[string][]byte
	// PageSize, when > 0, splits answers into pages of that many ids, with
	// next_page_token, as the real API does for long answers.
	PageSize int
	// Status, when set, is returned for every request instead of an answer.
	Status int

	mu       sync.Mutex
	requests []string
}

// New starts a server that stops when the test ends.
func New(t testing.TB) *Server {
	s := &Server{Affected: map[Query][]string{}, Records: map[string][]byte{}}
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// Requests returns the requests served so far, as "METHOD path".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

type batchRequest struct {
	Queries []struct {
		Package struct {
			Name      string `json:"name"`
			Ecosystem string `json:"ecosystem"`
		} `json:"package"`
		Version   string `json:"version"`
		PageToken string `json:"page_token"`
	} `json:"queries"`
}

type vulnRef struct {
	ID string `json:"id"`
}

type result struct {
	Vulns         []vulnRef `json:"vulns,omitempty"`
	NextPageToken string    `json:"next_page_token,omitempty"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	s.mu.Unlock()
	if s.Status != 0 {
		http.Error(w, "injected failure", s.Status)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/querybatch":
		var req batchRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		results := make([]result, len(req.Queries))
		for i, q := range req.Queries {
			ids := s.Affected[Query{q.Package.Ecosystem, q.Package.Name, q.Version}]
			start := 0
			if q.PageToken != "" {
				n, err := strconv.Atoi(q.PageToken)
				if err != nil {
					http.Error(w, "bad page token", http.StatusBadRequest)
					return
				}
				start = n
			}
			end := len(ids)
			if s.PageSize > 0 && start+s.PageSize < end {
				end = start + s.PageSize
				results[i].NextPageToken = strconv.Itoa(end)
			}
			for _, id := range ids[min(start, len(ids)):end] {
				results[i].Vulns = append(results[i].Vulns, vulnRef{id})
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"results": results})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/vulns/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/vulns/")
		rec, ok := s.Records[id]
		if !ok {
			http.Error(w, fmt.Sprintf(`{"code":5,"message":"Bug not found."}`), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(rec)
	default:
		http.NotFound(w, r)
	}
}
