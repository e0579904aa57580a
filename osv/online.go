package osv

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/google/osv-scalibr/extractor"
	"github.com/ossf/osv-schema/bindings/go/osvschema"
	"golang.org/x/sync/errgroup"
	"osv.dev/bindings/go/api"
	"osv.dev/bindings/go/osvdev"
)

// DefaultAPI is the base URL of the OSV API.
const DefaultAPI = osvdev.DefaultBaseURL

// Online matches packages through the OSV API: one batched query for all
// packages (following next-page tokens), then one fetch per distinct
// advisory for its full record. The API decides which versions are
// affected.
type Online struct {
	client *osvdev.OSVClient
}

// OnlineOptions configure an Online matcher.
type OnlineOptions struct {
	// BaseURL of the API; DefaultAPI when empty.
	BaseURL string
	// HTTPClient; http.DefaultClient when nil.
	HTTPClient *http.Client
	UserAgent  string
	// Attempts per request, with exponential backoff between them; 4 when
	// zero.
	Attempts int
}

// NewOnline returns a matcher using the OSV API.
func NewOnline(opts OnlineOptions) *Online {
	cfg := osvdev.DefaultConfig()
	cfg.UserAgent = opts.UserAgent
	if opts.Attempts > 0 {
		cfg.MaxRetryAttempts = opts.Attempts
	}
	c := &osvdev.OSVClient{HTTPClient: opts.HTTPClient, Config: cfg, BaseHostURL: opts.BaseURL}
	if c.BaseHostURL == "" {
		c.BaseHostURL = DefaultAPI
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	return &Online{client: c}
}

// maxFetches bounds concurrent advisory fetches.
const maxFetches = 8

// Match implements Matcher.
func (o *Online) Match(ctx context.Context, pkgs []*extractor.Package) ([][]*osvschema.Vulnerability, error) {
	ids := make([][]string, len(pkgs))
	var queries []*api.Query
	var owners []int
	for i, p := range pkgs {
		if !Matchable(p) {
			continue
		}
		queries = append(queries, &api.Query{
			Package: &osvschema.Package{Name: osvName(p), Ecosystem: p.Ecosystem().String()},
			Param:   &api.Query_Version{Version: p.Version},
		})
		owners = append(owners, i)
	}
	for len(queries) > 0 {
		resp, err := o.client.QueryBatch(ctx, queries)
		if err != nil {
			return nil, fmt.Errorf("%w: query %s: %w", ErrDB, o.client.BaseHostURL, err)
		}
		results := resp.GetResults()
		if len(results) != len(queries) {
			return nil, fmt.Errorf("%w: query %s: %d results for %d queries", ErrDB, o.client.BaseHostURL, len(results), len(queries))
		}
		var more []*api.Query
		var moreOwners []int
		for j, r := range results {
			for _, v := range r.GetVulns() {
				ids[owners[j]] = append(ids[owners[j]], v.GetId())
			}
			if tok := r.GetNextPageToken(); tok != "" {
				q := queries[j]
				more = append(more, &api.Query{Package: q.GetPackage(), Param: q.GetParam(), PageToken: tok})
				moreOwners = append(moreOwners, owners[j])
			}
		}
		queries, owners = more, moreOwners
	}

	var unique []string
	for _, l := range ids {
		unique = append(unique, l...)
	}
	slices.Sort(unique)
	unique = slices.Compact(unique)

	records := make(map[string]*osvschema.Vulnerability, len(unique))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxFetches)
	for _, id := range unique {
		g.Go(func() error {
			v, err := o.client.GetVulnByID(gctx, id)
			if err != nil {
				return fmt.Errorf("%w: fetch %s from %s: %w", ErrDB, id, o.client.BaseHostURL, err)
			}
			mu.Lock()
			records[id] = v
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([][]*osvschema.Vulnerability, len(pkgs))
	for i, l := range ids {
		slices.Sort(l)
		for _, id := range slices.Compact(l) {
			out[i] = append(out[i], records[id])
		}
	}
	return out, nil
}
