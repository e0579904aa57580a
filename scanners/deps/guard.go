package deps

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/list"
	"github.com/google/osv-scalibr/plugin/config"

	"github.com/secgate/secgate/safefile"
)

// The extractors of osv-scanner v2.5.0's "lockfile" and "sbom" presets
// (internal/scalibrplugin/presets.go of osv-scanner), which its DoScan runs
// and which therefore read the scanned tree. The guard asks each which
// files it reads, so that it checks exactly those; TestGuardExtractors
// checks that every name still resolves.
var guardedExtractors = []string{
	"cpp/conanlock", "elixir/mixlock", "dart/pubspec", "go/gomod", "java/gradlelockfile",
	"java/gradleverificationmetadataxml", "java/pomxml", "javascript/packagelockjson", "javascript/pnpmlock",
	"javascript/yarnlock", "javascript/bunlock", "php/composerlock", "python/pipfilelock", "python/pdmlock",
	"python/poetrylock", "python/pylock", "python/requirements", "python/uvlock", "r/renvlock",
	"ruby/gemfilelock", "swift/packageresolved", "rust/cargolock", "dotnet/csproj", "dotnet/depsjson",
	"dotnet/nugetcpm", "dotnet/packagesconfig", "dotnet/packageslockjson", "haskell/cabal",
	"haskell/stacklock", "os/apk", "os/dpkg", "sbom/spdx", "sbom/cdx",
}

// tomlExtractors parse TOML, whose parser's memory grows with the square of
// the nesting depth (20 KB of nested inline tables took 1.2 GB): their
// files are checked for depth first.
var tomlExtractors = []string{"rust/cargolock", "python/poetrylock", "python/pdmlock", "python/pylock", "python/uvlock"}

const requirementsExtractor = "python/requirements"

// Bounds of the guard: far above real lockfiles, far below what exhausts
// the parsers.
const (
	maxTOMLDepth     = 32         // nesting of [ and {, and parts of a dotted key
	maxGuardedRead   = 256 << 20  // bytes of a TOML lockfile or a requirements file read to check it
	maxIncludeChains = 64         // requirements files one requirements file pulls in
	guardKind        = "lockfile" // what safefile errors call them
	includeKind      = "requirements include"
)

// ErrUnreadable is wrapped by the guard's refusals: a file the extractors
// would read that is not a regular file, a link, nested too deep, or an
// include leading out of the scanned directory.
var ErrUnreadable = errors.New("unreadable lockfile")

var extractors = sync.OnceValues(func() ([]filesystem.Extractor, error) {
	cfg := &config.PluginConfig{ProtoConfig: &cpb.PluginConfig{}}
	var out []filesystem.Extractor
	for _, name := range guardedExtractors {
		exs, err := list.ExtractorsFromName(name, cfg)
		if err != nil {
			return nil, fmt.Errorf("extractor %s: %w", name, err)
		}
		out = append(out, exs...)
	}
	return out, nil
})

// guard checks, before osv-scanner's extractors run, the files they will
// read under root (a directory, or one file): osv-scalibr skips a lockfile
// that is a FIFO or a symbolic link without a word (the gate would pass
// on a file it never read), reads a "-r" include wherever it points, and
// parses TOML in memory quadratic in its nesting. It returns warnings (a
// missing "-r" include; an error under strict) and refuses the rest with
// ErrUnreadable, naming the file.
func guard(root string, isDir bool, skip []string, strict bool) ([]string, error) {
	exs, err := extractors()
	if err != nil {
		return nil, err
	}
	g := &guardWalk{root: root, exs: exs, strict: strict, seen: map[string]bool{}}
	if !isDir {
		info, err := os.Lstat(root)
		if err != nil {
			return nil, err
		}
		g.root = filepath.Dir(root)
		return g.warnings, g.file(root, fs.FileInfoToDirEntry(info), true)
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrUnreadable, g.rel(p), err)
		}
		if d.IsDir() {
			if p != root && (d.Name() == ".git" || slices.Contains(skip, p)) {
				return filepath.SkipDir
			}
			return nil
		}
		return g.file(p, d, false)
	})
	return g.warnings, err
}

type guardWalk struct {
	root     string
	exs      []filesystem.Extractor
	strict   bool
	warnings []string
	seen     map[string]bool // requirements files already checked
}

func (g *guardWalk) rel(p string) string {
	if r, err := filepath.Rel(g.root, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

// file checks one entry of the walk when an extractor reads it; given is
// set for the file named as the target, which is checked whatever its name.
func (g *guardWalk) file(p string, d fs.DirEntry, given bool) error {
	wanted := g.wanted(p, d)
	if len(wanted) == 0 && !given {
		return nil
	}
	rel := g.rel(p)
	switch t := d.Type(); {
	case t&fs.ModeSymlink != 0:
		return fmt.Errorf("%w: %s is a symbolic link: the extractors do not follow links, so it would not be read (scan its target, or --exclude its directory)", ErrUnreadable, rel)
	case !t.IsRegular():
		return fmt.Errorf("%w: %s is not a regular file (%s)", ErrUnreadable, rel, safefile.FileType(t))
	}
	for _, name := range wanted {
		switch {
		case slices.Contains(tomlExtractors, name):
			if err := g.toml(p, rel); err != nil {
				return err
			}
		case name == requirementsExtractor:
			if err := g.requirements(p, 0); err != nil {
				return err
			}
		case name == yarnExtractor:
			if err := g.lineLengths(p, rel); err != nil {
				return err
			}
		}
	}
	return nil
}

// wanted are the names of the extractors that read p.
func (g *guardWalk) wanted(p string, d fs.DirEntry) []string {
	api := walkedFile{path: strings.TrimPrefix(filepath.ToSlash(p), "/"), entry: d}
	var out []string
	for _, e := range g.exs {
		if e.FileRequired(api) {
			out = append(out, e.Name())
		}
	}
	return out
}

// yarnExtractor reads yarn.lock line by line with a bufio.Scanner, which
// stops at the first line longer than maxYarnLine, silently: the rest of
// the file, and its packages, would go unread.
const (
	yarnExtractor = "javascript/yarnlock"
	maxYarnLine   = bufio.MaxScanTokenSize
)

// lineLengths refuses a file with a line the yarn.lock readers stop at.
func (g *guardWalk) lineLengths(p, rel string) error {
	f, err := safefile.Open(g.root, p, safefile.Kind{Name: guardKind})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, maxYarnLine)
	for line := 1; ; line++ {
		_, err := r.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			return fmt.Errorf("%w: %s:%d: a line longer than %d KiB, where yarn.lock readers stop reading: the packages after it would go unscanned", ErrUnreadable, rel, line, maxYarnLine>>10)
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("%w: %s: %w", ErrUnreadable, rel, err)
		}
	}
}

func (g *guardWalk) toml(p, rel string) error {
	data, err := safefile.Read(g.root, p, safefile.Kind{Name: guardKind, Max: maxGuardedRead})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	if depth, line := tomlDepth(data); depth > maxTOMLDepth {
		return fmt.Errorf("%w: %s:%d: TOML nested %d deep, over the limit of %d (real lockfiles nest a few levels; deep nesting exhausts the parser's memory)", ErrUnreadable, rel, line, depth, maxTOMLDepth)
	}
	return nil
}

// requirements checks the "-r FILE" includes of a requirements file, as
// osv-scalibr's extractor reads them (relative to the including file's
// directory), recursively: each must lie in the scanned directory and be
// a regular file; a missing one is a warning (osv-scalibr skips it), an
// error when strict.
func (g *guardWalk) requirements(p string, depth int) error {
	if g.seen[p] {
		return nil
	}
	g.seen[p] = true
	if depth > maxIncludeChains {
		return fmt.Errorf("%w: %s: includes nested deeper than %d", ErrUnreadable, g.rel(p), maxIncludeChains)
	}
	data, err := safefile.Read(g.root, p, safefile.Kind{Name: includeKind, Max: maxGuardedRead})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	for _, inc := range includes(data) {
		target := filepath.Join(filepath.Dir(p), inc.path)
		where := fmt.Sprintf("%s:%d: -r %s", g.rel(p), inc.line, inc.path)
		if rel, err := filepath.Rel(g.root, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("%w: %s leads out of the scanned directory", ErrUnreadable, where)
		}
		if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
			if g.strict {
				return fmt.Errorf("%w: %s: no such file (--strict)", ErrUnreadable, where)
			}
			g.warnings = append(g.warnings, where+": no such file, its packages are not scanned")
			continue
		}
		if err := g.requirements(target, depth+1); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return nil
}

type include struct {
	path string
	line int
}

// includes returns the "-r" lines of a requirements file as osv-scalibr
// reads them: continuation lines joined, comments dropped, "-r" then the
// path.
func includes(data []byte) []include {
	var out []include
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxGuardedRead)
	var cur strings.Builder
	start := 0
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if cur.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(l, `\`) {
			cur.WriteString(strings.TrimSuffix(l, `\`))
			continue
		}
		cur.WriteString(l)
		line := cur.String()
		cur.Reset()
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if after, ok := strings.CutPrefix(strings.TrimSpace(line), "-r"); ok {
			if path := strings.TrimSpace(after); path != "" {
				out = append(out, include{path: path, line: start})
			}
		}
	}
	return out
}

// tomlDepth returns the deepest nesting of a TOML document — of arrays and
// inline tables, or of the parts of a dotted key or table header — and the
// line where it is reached. Strings and comments are skipped.
func tomlDepth(data []byte) (int, int) {
	depth, maxDepth, maxLine, line := 0, 0, 1, 1
	dots, valueSeen := 0, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case '\n':
			line++
			dots, valueSeen = 0, false
		case '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			i--
		case '"', '\'':
			quote := string([]byte{c, c, c})
			if bytes.HasPrefix(data[i:], []byte(quote)) {
				end := bytes.Index(data[i+3:], []byte(quote))
				if end < 0 {
					return maxDepth, maxLine
				}
				line += bytes.Count(data[i:i+3+end], []byte{'\n'})
				i += 3 + end + 2
				continue
			}
			for i++; i < len(data) && data[i] != c && data[i] != '\n'; i++ {
				if c == '"' && data[i] == '\\' {
					i++
				}
			}
		case '=':
			if depth == 0 {
				valueSeen = true
			}
		case '.':
			if !valueSeen {
				dots++
			}
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		}
		if d := max(depth, dots+1); d > maxDepth {
			maxDepth, maxLine = d, line
		}
	}
	return maxDepth, maxLine
}

// walkedFile is the little of filesystem.FileAPI that FileRequired needs:
// the path as osv-scanner's walk gives it (relative to "/") and the entry's
// information.
type walkedFile struct {
	path  string
	entry fs.DirEntry
}

func (f walkedFile) Path() string { return f.path }

func (f walkedFile) Stat() (fs.FileInfo, error) { return f.entry.Info() }
