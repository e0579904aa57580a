package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/secgate/secgate/internal/osvtest"
)

// TestOnlineMatchesOffline scans the example through a fake OSV API on
// loopback that knows the same advisories as the offline DB, answering one
// advisory per page: the report is byte-identical to the offline one.
func TestOnlineMatchesOffline(t *testing.T) {
	offline := secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", example)
	if offline.code != exitDenied {
		t.Fatalf("offline: exit %d: %s", offline.code, offline.stderr)
	}
	api := osvtest.New(t)
	api.PageSize = 1
	records, err := filepath.Glob(filepath.Join(repoRoot, "testdata", "osv", "*", "*.json"))
	if err != nil || len(records) == 0 {
		t.Fatalf("no OSV records: %v", err)
	}
	for _, p := range records {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		api.Records[filepath.Base(p[:len(p)-len(".json")])] = data
	}
	for _, f := range decode(t, offline.stdout).Findings {
		q := osvtest.Query{Ecosystem: f.Package.Ecosystem, Name: f.Package.Name, Version: f.Package.Version}
		for _, id := range append([]string{f.RuleID}, f.Vulnerability.Aliases...) {
			if _, ok := api.Records[id]; ok {
				api.Affected[q] = append(api.Affected[q], id)
			}
		}
	}

	online := secgate(t, "scan", "--osv-api", api.URL, "-f", "json", example)
	if online.code != exitDenied {
		t.Fatalf("online: exit %d: %s", online.code, online.stderr)
	}
	if online.stdout != offline.stdout {
		t.Errorf("online report differs from offline:\n--- online ---\n%s\n--- offline ---\n%s", online.stdout, offline.stdout)
	}
	reqs := api.Requests()
	if n := count(reqs, "POST /v1/querybatch"); n < 2 {
		t.Errorf("%d batch queries, want pages to be followed: %v", n, reqs)
	}
	if !slices.Contains(reqs, "GET /v1/vulns/GO-2021-0113") {
		t.Errorf("GO-2021-0113 was not fetched: %v", reqs)
	}
}

func count(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}
