package osv

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/osv-scalibr/enricher/vulnmatch/osvlocal"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/semantic"
	"github.com/ossf/osv-schema/bindings/go/osvschema"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/secgate/secgate/safefile"
)

// Offline matches packages against a local copy of the OSV export, laid out
// as DIR/<Ecosystem>/all.zip (the layout of
// https://osv-vulnerabilities.storage.googleapis.com). It makes no network
// call.
//
// It reads each needed zip once, decodes just enough of every record to see
// which packages it names, fully decodes only the records naming a scanned
// package, and indexes them by package, so that matching is linear in the
// number of packages. (osv-scalibr's osvlocal decodes every record and then
// compares every package with every loaded record.) The version check itself
// is osv-scalibr's, so results are the same as osv-scanner's.
//
// With MaxAge set, Warnings warns of every ecosystem file the scan uses that
// was fetched longer ago (see DBAge).
type Offline struct {
	Dir string
	// MaxAge, when positive, is the age past which an ecosystem's file is
	// warned of.
	MaxAge time.Duration
	// Now is the time ages are measured at; time.Now when nil.
	Now func() time.Time
	// Warn, when set, is told the warning about each ecosystem once, the
	// first time Warnings gives it (two scans may use the same ecosystem).
	Warn func(msg string)

	mu     sync.Mutex
	warned map[string]bool // the ecosystems Warn was told of
}

// NewOffline returns a matcher over the database in dir.
func NewOffline(dir string) *Offline { return &Offline{Dir: dir} }

// Ecosystems returns the base ecosystems of pkgs that need a database,
// sorted.
func Ecosystems(pkgs []*extractor.Package) []string {
	var ecos []string
	for _, p := range pkgs {
		if Matchable(p) {
			ecos = append(ecos, baseEcosystem(Ecosystem(p)))
		}
	}
	slices.Sort(ecos)
	return slices.Compact(ecos)
}

// Stale returns the age of every ecosystem file of the database that pkgs
// need and that was fetched more than MaxAge ago, in ecosystem order; none
// when MaxAge is not positive.
func (o *Offline) Stale(pkgs []*extractor.Package) ([]DBAge, error) {
	if o.MaxAge <= 0 {
		return nil, nil
	}
	now := time.Now()
	if o.Now != nil {
		now = o.Now()
	}
	rec, recErr := ReadRecord(o.Dir)
	var stale []DBAge
	for _, eco := range Ecosystems(pkgs) {
		age, err := dbAge(o.Dir, eco, rec, recErr)
		if err != nil {
			return nil, err
		}
		if age.Age = now.Sub(age.Fetched); age.Age > o.MaxAge {
			stale = append(stale, age)
		}
	}
	return stale, nil
}

// Warnings implements Warner: one warning for each ecosystem file older
// than MaxAge, naming the ecosystem and its age.
func (o *Offline) Warnings(pkgs []*extractor.Package) []string {
	stale, err := o.Stale(pkgs)
	if err != nil {
		return []string{fmt.Sprintf("cannot tell the age of the offline OSV database: %v", err)}
	}
	var out []string
	for _, a := range stale {
		how := "fetched " + a.Fetched.UTC().Format(time.RFC3339)
		if a.NoRecord != "" {
			how = "by its file's modification time, " + a.Fetched.UTC().Format(time.RFC3339) + ": " + a.NoRecord
		}
		msg := fmt.Sprintf("the offline OSV database of %s is %s old (%s), older than --max-db-age %s: refresh it with secgate db download",
			a.Ecosystem, FormatAge(a.Age), how, FormatAge(o.MaxAge))
		out = append(out, msg)
		if o.firstWarning(a.Ecosystem) {
			o.Warn(msg)
		}
	}
	return out
}

// firstWarning reports whether Warn is set and has not yet been told about
// eco.
func (o *Offline) firstWarning(eco string) bool {
	if o.Warn == nil {
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.warned[eco] {
		return false
	}
	if o.warned == nil {
		o.warned = map[string]bool{}
	}
	o.warned[eco] = true
	return true
}

// Check returns ErrMissingDB, naming every missing ecosystem file, unless the
// database holds the export of each ecosystem of pkgs.
func (o *Offline) Check(pkgs []*extractor.Package) error {
	var missing []string
	for _, eco := range Ecosystems(pkgs) {
		p := zipPath(o.Dir, eco)
		if _, err := os.Lstat(p); err != nil {
			missing = append(missing, fmt.Sprintf("%s (looked for %s)", eco, p))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: no advisories for ecosystem %s", ErrMissingDB, strings.Join(missing, ", "))
	}
	return nil
}

// Match implements Matcher.
func (o *Offline) Match(ctx context.Context, pkgs []*extractor.Package) ([][]*osvschema.Vulnerability, error) {
	if err := o.Check(pkgs); err != nil {
		return nil, err
	}
	for _, p := range pkgs {
		if err := checkVersion(p); err != nil {
			return nil, err
		}
	}
	wanted := map[string]bool{}
	for _, p := range pkgs {
		if Matchable(p) {
			for _, k := range lookupKeys(p) {
				wanted[k] = true
			}
		}
	}
	index := map[string][]*osvschema.Vulnerability{}
	for _, eco := range Ecosystems(pkgs) {
		if err := o.load(ctx, eco, wanted, index); err != nil {
			return nil, err
		}
	}
	out := make([][]*osvschema.Vulnerability, len(pkgs))
	for i, p := range pkgs {
		if !Matchable(p) {
			continue
		}
		var candidates []*osvschema.Vulnerability
		for _, k := range lookupKeys(p) {
			candidates = append(candidates, index[k]...)
		}
		if len(candidates) == 0 {
			continue
		}
		vulns, err := affecting(candidates, p)
		if err != nil {
			return nil, err
		}
		out[i] = vulns
	}
	return out, nil
}

// checkVersion rejects a version that the ecosystem's version scheme cannot
// parse: it could not be compared with any range, and osv-scalibr would
// panic on it.
func checkVersion(p *extractor.Package) error {
	if !Matchable(p) {
		return nil
	}
	if _, err := semantic.Parse(p.Version, Ecosystem(p)); err != nil {
		return fmt.Errorf("%w: %s@%s (%s) in %s: %w", ErrDB, p.Name, p.Version, Ecosystem(p), p.Location.PathOrEmpty(), err)
	}
	return nil
}

// affecting runs osv-scalibr's exact affected-version check. It panics on
// versions in advisories that it cannot parse; that is turned into an error.
func affecting(candidates []*osvschema.Vulnerability, p *extractor.Package) (vulns []*osvschema.Vulnerability, err error) {
	defer func() {
		if r := recover(); r != nil {
			ids := make([]string, len(candidates))
			for i, c := range candidates {
				ids[i] = c.GetId()
			}
			err = fmt.Errorf("%w: compare %s@%s with %s: %v", ErrDB, p.Name, p.Version, strings.Join(ids, ", "), r)
		}
	}()
	return osvlocal.VulnerabilitiesAffectingPackage(candidates, p), nil
}

// recordHead is the part of an OSV record needed to decide whether to decode
// the rest.
type recordHead struct {
	ID       string `json:"id"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

var unmarshalOSV = protojson.UnmarshalOptions{DiscardUnknown: true}

// MaxRecordSize is the largest OSV record an offline database may hold,
// uncompressed: far above real records (the largest are a few MiB), far
// below what a zip bomb's one huge entry would take.
const MaxRecordSize = 32 << 20

// load reads DIR/<eco>/all.zip and adds to index every record that names a
// wanted package. Any unreadable entry is an error, and so is a zip of no
// records: a gate must not decide on a partly read, or empty, database.
func (o *Offline) load(ctx context.Context, eco string, wanted map[string]bool, index map[string][]*osvschema.Vulnerability) error {
	p := zipPath(o.Dir, eco)
	f, err := safefile.Open("", p, safefile.Database)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDB, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrDB, p, err)
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrDB, p, err)
	}
	records := 0
	for _, f := range zr.File {
		if isRecord(f) {
			records++
		}
	}
	if records == 0 {
		return fmt.Errorf("%w: %s holds no OSV records: an empty database cannot clear a package", ErrDB, p)
	}

	type hit struct {
		keys []string
		vuln *osvschema.Vulnerability
	}
	hits := make([]hit, len(zr.File))
	g, ctx := errgroup.WithContext(ctx)
	workers := runtime.GOMAXPROCS(0)
	var next atomic.Int64
	for range workers {
		g.Go(func() error {
			for {
				if err := ctx.Err(); err != nil {
					return err
				}
				n := int(next.Add(1) - 1)
				if n >= len(zr.File) {
					return nil
				}
				f := zr.File[n]
				if !isRecord(f) {
					continue
				}
				keys, v, err := readRecord(f, wanted)
				if err != nil {
					return fmt.Errorf("%w: %s: entry %s: %w", ErrDB, p, f.Name, err)
				}
				hits[n] = hit{keys, v}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// Zip order is the export's order; the index keeps it, so matching
	// output does not depend on goroutine scheduling.
	for _, h := range hits {
		for _, k := range h.keys {
			index[k] = append(index[k], h.vuln)
		}
	}
	return nil
}

// isRecord reports whether a zip entry is an OSV record (the export's
// entries are ID.json).
func isRecord(f *zip.File) bool {
	return !f.FileInfo().IsDir() && strings.HasSuffix(f.Name, ".json")
}

func readRecord(f *zip.File, wanted map[string]bool) ([]string, *osvschema.Vulnerability, error) {
	if f.UncompressedSize64 > MaxRecordSize {
		return nil, nil, fmt.Errorf("%s uncompressed, over the %s limit for a record", safefile.Size(int64(min(f.UncompressedSize64, 1<<62))), safefile.Size(MaxRecordSize))
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	// The header's size can lie: read one byte past the limit at most.
	data, err := io.ReadAll(io.LimitReader(rc, MaxRecordSize+1))
	rc.Close()
	if err != nil {
		return nil, nil, err
	}
	if len(data) > MaxRecordSize {
		return nil, nil, fmt.Errorf("more than the %s limit for a record uncompressed", safefile.Size(MaxRecordSize))
	}
	return parseRecord(data, wanted)
}

// parseRecord decodes an OSV record when it names a wanted package (else
// returns no keys and no record) and checks its ranges.
func parseRecord(data []byte, wanted map[string]bool) ([]string, *osvschema.Vulnerability, error) {
	var head recordHead
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, nil, err
	}
	if head.ID == "" {
		return nil, nil, fmt.Errorf("not an OSV record: no id")
	}
	var keys []string
	for _, a := range head.Affected {
		k := indexKey(baseEcosystem(a.Package.Ecosystem), a.Package.Name)
		if wanted[k] && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, nil, nil
	}
	v := &osvschema.Vulnerability{}
	if err := unmarshalOSV.Unmarshal(data, v); err != nil {
		return nil, nil, err
	}
	normalizePyPINames(v)
	if err := checkRanges(v, keys); err != nil {
		return nil, nil, fmt.Errorf("record %s: %w", v.GetId(), err)
	}
	return keys, v, nil
}

// checkRanges refuses a record whose range events, for a package the scan
// has, hold a version the range's scheme cannot read (see
// checkEventVersion).
func checkRanges(v *osvschema.Vulnerability, keys []string) error {
	for i, a := range v.GetAffected() {
		eco := baseEcosystem(a.GetPackage().GetEcosystem())
		if !slices.Contains(keys, indexKey(eco, a.GetPackage().GetName())) {
			continue
		}
		for j, r := range a.GetRanges() {
			for k, e := range r.GetEvents() {
				for _, fv := range [...][2]string{{"introduced", e.GetIntroduced()}, {"fixed", e.GetFixed()}, {"last_affected", e.GetLastAffected()}, {"limit", e.GetLimit()}} {
					field, version := fv[0], fv[1]
					if version == "" || (field == "introduced" && version == "0") || (field == "limit" && version == "*") {
						continue
					}
					if err := checkEventVersion(r.GetType(), eco, version); err != nil {
						return fmt.Errorf("affected[%d].ranges[%d].events[%d].%s %q: %w", i, j, k, field, version, err)
					}
				}
			}
		}
	}
	return nil
}

// normalizePyPINames rewrites the PyPI package names of a record in their
// normalized form (PEP 503: lower case, runs of -_. as one -), the form
// osv-scalibr gives the scanned package. Many GitHub records spell the
// project's display name ("Jinja2", "Django"); compared byte for byte, as
// osv-scanner's offline matcher does, they never match. The OSV API
// normalizes the same way.
func normalizePyPINames(v *osvschema.Vulnerability) {
	for _, a := range v.GetAffected() {
		if p := a.GetPackage(); p != nil && baseEcosystem(p.GetEcosystem()) == "PyPI" {
			p.Name = strings.ToLower(normalizeSeparators(p.GetName()))
		}
	}
}
