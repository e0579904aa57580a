// Package gitcommit reads the git commit (or other ref) that a lockfile's
// "resolved" or "version" value pins, exactly as osv-scalibr's
// commitextractor.TryExtractCommit does, for the extractors in
// extractors/: the URL forms npm and yarn write for git dependencies, then
// a URL of a git host with a #fragment or ?ref= query. Each expression is
// tried only where it can match and the URL parsed only when it can name a
// git host: most values are registry tarball URLs, which need neither.
package gitcommit

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// osv-scalibr's expressions, each with a test that is false for a value it
// cannot match.
var patterns = []struct {
	re  *regexp.Regexp
	can func(string) bool
}{
	{regexp.MustCompile(`(?:^|.+@)(?:git(?:\+(?:ssh|https))?|ssh)://.+#(\w+)$`), func(s string) bool {
		return strings.Contains(s, "#") && (strings.Contains(s, "git://") || strings.Contains(s, "ssh://") || strings.Contains(s, "git+https://"))
	}},
	{regexp.MustCompile(`(?:^|.+@)https://.+\.git#(\w+)$`), func(s string) bool { return strings.Contains(s, ".git#") }},
	{regexp.MustCompile(`https://codeload\.github\.com(?:/[\w-.]+){2}/tar\.gz/(\w+)$`), func(s string) bool {
		return strings.Contains(s, "https://codeload.github.com/")
	}},
	{regexp.MustCompile(`.+#commit[:=](\w+)$`), func(s string) bool { return strings.Contains(s, "#commit") }},
	{regexp.MustCompile(`^(?:github|gitlab|bitbucket):.+#(\w+)$`), func(s string) bool {
		return strings.HasPrefix(s, "github:") || strings.HasPrefix(s, "gitlab:") || strings.HasPrefix(s, "bitbucket:")
	}},
}

// hosts are the hosts whose URLs name a ref in their fragment or ?ref=
// query (git+https://github.com/org/repo.git#v1.0.0).
var hosts = []string{"bitbucket.org", "github.com", "gitlab.com"}

// Of returns the commit or ref that s pins, or "".
func Of(s string) string {
	for _, p := range patterns {
		if p.can(s) {
			if m := p.re.FindStringSubmatch(s); m != nil {
				return m[1]
			}
		}
	}
	// A host can only be named percent-encoded or as itself.
	if !strings.Contains(s, "%") && !slices.ContainsFunc(hosts, func(h string) bool { return strings.Contains(s, h) }) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || !slices.Contains(hosts, u.Host) {
		return ""
	}
	if u.RawQuery == "" {
		return u.Fragment
	}
	return u.Query().Get("ref")
}
