package secrets

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strings"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"
	"github.com/zricethezav/gitleaks/v8/sources"
)

// Engine finds secrets in content with a gitleaks rule set.
//
// gitleaks runs, for each file, every rule one of whose keywords occurs
// anywhere in the file over the whole file, after a decoding pass over the
// whole file; its CPU goes to the regexp engine. The Engine reads a file
// once and makes one Aho-Corasick pass over its lower-cased bytes for the
// keywords of all rules. A rule then runs only in windows around its own
// keyword hits (whole lines, a few hundred bytes either side; more for the
// rules that span lines), and the rules built on gitleaks' "key ... = value"
// template only where an assignment follows the keyword. Decoding (base64,
// hex, percent, unicode) runs, with all rules, only on the lines holding a
// blob that decodes to text. Each window is handed to a gitleaks detector
// holding that one rule, so matching, secret groups, entropy, allowlists
// and gitleaks:allow are gitleaks' own.
type Engine struct {
	rules *Rules
	// ac finds the keywords; hitRules[pattern] lists the rules of each.
	ac       *ahocorasick.Trie
	keywords []string
	hitRules [][]int
	// always lists the rules without keywords, which run over everything.
	always []int
}

// NewEngine prepares an engine for the rules.
func NewEngine(r *Rules) *Engine {
	e := &Engine{rules: r}
	index := map[string]int{}
	for i, ru := range r.rules {
		kws := ru.det.Config.Rules[ru.id].Keywords
		if len(kws) == 0 {
			e.always = append(e.always, i)
			continue
		}
		for _, k := range kws {
			k = strings.ToLower(k)
			p, ok := index[k]
			if !ok {
				p = len(e.keywords)
				index[k] = p
				e.keywords = append(e.keywords, k)
				e.hitRules = append(e.hitRules, nil)
			}
			if !slices.Contains(e.hitRules[p], i) {
				e.hitRules[p] = append(e.hitRules[p], i)
			}
		}
	}
	e.ac = ahocorasick.NewTrieBuilder().AddStrings(e.keywords).Build()
	return e
}

// Blob is content to scan: a file, or the lines a commit added to a file.
type Blob struct {
	// Path is slash-separated, relative to the scanned directory.
	Path string
	// Content holds whole lines.
	Content []byte
	// StartLine is the line number of Content's first line (1 for a file).
	StartLine int
	// Commit is set for content from git history.
	Commit *sources.CommitInfo
	// read, when set, streams the content to the worker that scans the
	// blob, so that files are read in parallel and in bounded memory; it
	// emits nothing for content it skips (and counts it).
	read func(*pieces) error
}

// span is a range of a blob: of bytes [start, end), or of line indexes
// [start, end].
type span struct{ start, end int }

// Windows of rules whose matches have no bound on their newlines (a PEM
// private key after its BEGIN line): bytes before and after the hit.
const (
	unboundedBack = 1 << 10
	unboundedFwd  = 16 << 10
)

// A line longer than longLine (minified code, a one-line JSON document, an
// encoded blob) is not handed whole to a rule for each of its keyword hits:
// the rule runs on the bytes around the hit that a match holding it can
// span (windowSlack beyond them, stretched to a separator within
// windowSlack more), as a detector would find it in the whole line. Else a
// line of n bytes with k hits costs k × n.
const (
	longLine    = 8 << 10
	windowSlack = 256
	// anchoredScan bounds the search for the end of a match that starts
	// at its keyword on a long line.
	anchoredScan = 16 << 10
	// maxByteWindows: past this many windows for one rule in a blob, the
	// rule runs on their lines whole instead.
	maxByteWindows = 64
)

// maxSuffixLen bounds the text a keyword suffix is tried on: the template's
// parts after the keyword are bounded (at most 20+3+3+5 characters, a
// secret of at most a few hundred, a terminator).
const maxSuffixLen = 1 << 10

// Detect returns the secrets in b, found by its path (DetectPath) and its
// content, sorted by line, column and rule.
func (e *Engine) Detect(ctx context.Context, b Blob, lower []byte) []report.Finding {
	return finish(append(e.DetectPath(ctx, b), e.detectContent(ctx, b, lower)...))
}

// DetectPath returns what the rules that match a file by its path alone
// (pkcs12-file) find for b: whether or not its content is read.
func (e *Engine) DetectPath(ctx context.Context, b Blob) []report.Finding {
	if len(e.rules.pathOnly.Config.Rules) == 0 || e.rules.pathAllowed(b.Path) {
		return nil
	}
	return e.rules.pathOnly.DetectContext(ctx, e.fragment(b, nil, nil, span{}))
}

// detectContent returns the secrets in b's content, unsorted. lower is
// storage for its lower case, reused from one call to the next.
func (e *Engine) detectContent(ctx context.Context, b Blob, lower []byte) []report.Finding {
	content := b.Content
	if len(content) == 0 || e.rules.pathAllowed(b.Path) {
		return nil
	}
	var out []report.Finding
	lower = toLower(lower, content)

	lines := lineStarts(content)
	last := len(lines) - 1
	lineEnd := func(i int) int {
		if i < last {
			return lines[i+1]
		}
		return len(content)
	}
	// windows[i] holds, per rule, ranges of line indexes [lo, hi];
	// byteWins[i] ranges of bytes [start, end) on long lines.
	windows := make([][]span, len(e.rules.rules))
	byteWins := make([][]span, len(e.rules.rules))
	for _, i := range e.always {
		windows[i] = []span{{0, last}}
	}
	line := 0
	e.ac.Walk(lower, func(end, n, pattern int64) bool {
		start, stop := int(end-n+1), int(end+1)
		for line < last && lines[line+1] <= start {
			line++
		}
		long := lineEnd(line)-lines[line] > longLine
		for _, i := range e.hitRules[pattern] {
			r := e.rules.rules[i]
			w := span{max(0, line-r.linesBefore), min(last, line+r.linesAfter)}
			// from, to: the bytes a match holding the hit can span, for a
			// hit on a long line.
			from, to := -1, -1
			inLine := long && !r.whole && !r.unbounded
			switch {
			case r.whole:
				w = span{0, last}
			case r.suffix != nil:
				// The match starts on the keyword's line (the template's
				// prefix holds no newline) and ends where the suffix does.
				if !assignmentFollows(lower, stop) {
					continue
				}
				m := r.suffix.FindIndex(content[start:min(len(content), start+maxSuffixLen)])
				if m == nil {
					continue
				}
				w = span{line, lineIndex(lines, start+m[1]-1)}
				from, to = start, start+m[1]
			case r.anchored != nil:
				// The match starts at the keyword; the anchored
				// expression gives its end.
				text := content[start:]
				if inLine {
					text = content[start:min(lineEnd(line), start+anchoredScan)]
				}
				m := r.anchored.FindIndex(text)
				switch {
				case m != nil:
					w = span{line, lineIndex(lines, start+max(m[1]-1, 0))}
					from, to = start, start+m[1]
				case len(text) == len(content)-start || start+len(text) == lineEnd(line):
					continue
				default: // a longer match than was searched: the scanned bytes and on
					from, to = start, lineEnd(line)
				}
			case r.unbounded:
				w = span{lineIndex(lines, max(0, start-unboundedBack)), lineIndex(lines, min(len(content)-1, stop+unboundedFwd))}
			default:
				if r.maxLen >= 0 {
					from, to = start-r.maxLen, stop+r.maxLen
				}
			}
			if inLine && from >= 0 {
				// Within the lines the rule's matches can reach.
				lo, hi := lines[max(0, line-r.linesBefore)], lineEnd(min(last, line+r.linesAfter))
				byteWins[i] = appendSpan(byteWins[i], around(content, lo, hi, from, to))
				continue
			}
			windows[i] = appendSpan(windows[i], w)
		}
		return true
	})

	for i, ws := range windows {
		r := e.rules.rules[i]
		var found []report.Finding
		for _, w := range ws {
			found = append(found, detectIn(ctx, r.det, e.fragment(b, content, lines, w))...)
		}
		if len(byteWins[i]) > maxByteWindows {
			// Hits all along the line: one pass over it costs less than
			// a detector per window.
			var ls []span
			for _, w := range byteWins[i] {
				ls = appendSpan(ls, span{lineIndex(lines, w.start), lineIndex(lines, w.end-1)})
			}
			for _, w := range ls {
				found = append(found, detectIn(ctx, r.det, e.fragment(b, content, lines, w))...)
			}
		} else {
			for _, w := range byteWins[i] {
				found = append(found, e.detectBytes(ctx, r.det, b, content, lines, w)...)
			}
		}
		out = append(out, dropAllowed(found, r.lineLists, b, content, lines)...)
	}
	for _, w := range e.encodedSpans(content, lines) {
		var decoded []report.Finding
		for _, f := range detectIn(ctx, e.rules.full, e.fragment(b, content, lines, w)) {
			if slices.ContainsFunc(f.Tags, func(t string) bool { return strings.HasPrefix(t, "decoded:") }) {
				decoded = append(decoded, f)
			}
		}
		out = append(out, dropAllowed(decoded, nil, b, content, lines)...)
	}
	return out
}

// fragment is the gitleaks fragment for lines w (indexes into lines, the
// line starts of content) of b.
// detectIn runs a gitleaks detector on a fragment. gitleaks counts the
// columns of every line but a fragment's first from the preceding newline
// character, one more than the column; they are made 1-based here.
func detectIn(ctx context.Context, d *detect.Detector, f detect.Fragment) []report.Finding {
	fs := d.DetectContext(ctx, f)
	for i := range fs {
		if fs[i].StartLine > f.StartLine {
			fs[i].StartColumn--
		}
		if fs[i].EndLine > f.StartLine {
			fs[i].EndColumn--
		}
	}
	return fs
}

func (e *Engine) fragment(b Blob, content []byte, lines []int, w span) detect.Fragment {
	raw := ""
	if content != nil {
		to := len(content)
		if w.end+1 < len(lines) {
			to = lines[w.end+1]
		}
		raw = string(content[lines[w.start]:to])
	}
	f := detect.Fragment{Raw: raw, FilePath: b.Path, StartLine: b.StartLine + w.start, CommitInfo: b.Commit}
	if b.Commit != nil {
		f.CommitSHA = b.Commit.SHA
	}
	return f
}

// dropAllowed removes the findings whose line holds an allow signature
// (secgate:allow, gitleaks:allow) or that an allowlist of lists (on the
// line and path: lineLists) allows. Each line is tested once, whatever the
// number of findings on it: on one long minified line, a test per finding
// costs findings × line. The line is gitleaks' for the finding: from the
// start of its first line to the end of its last.
func dropAllowed(fs []report.Finding, lists []*config.Allowlist, b Blob, content []byte, lines []int) []report.Finding {
	if len(fs) == 0 {
		return fs
	}
	type key struct{ start, end int }
	memo := map[key]bool{}
	out := fs[:0]
	for _, f := range fs {
		k := key{f.StartLine - b.StartLine, f.EndLine - b.StartLine}
		allowed, ok := memo[k]
		if !ok {
			end := len(content)
			if k.end+1 < len(lines) {
				end = lines[k.end+1]
			}
			text := content[lines[k.start]:end]
			allowed = slices.ContainsFunc(allowSignatures, func(s string) bool { return bytes.Contains(text, []byte(s)) })
			if !allowed && len(lists) > 0 {
				line := strings.TrimSuffix(string(text), "\n")
				allowed = slices.ContainsFunc(lists, func(a *config.Allowlist) bool {
					return lineAllowed(a, b.Path, func() string { return line })
				})
			}
			memo[k] = allowed
		}
		if !allowed {
			out = append(out, f)
		}
	}
	return out
}

// around is the byte range [from, to) of the lines [lo, hi) widened by
// windowSlack on each side and then to a separator within windowSlack
// more, so that the window's edges fall between tokens, as the edges of
// the line do: a rule's \b, quote or assignment context sees what it would
// see in the whole line.
func around(content []byte, lo, hi, from, to int) span {
	from, to = max(lo, from-windowSlack), min(hi, to+windowSlack)
	for i := from; i > max(lo, from-windowSlack); i-- {
		if isSeparator(content[i-1]) {
			from = i - 1
			break
		}
	}
	for i := to; i < min(hi, to+windowSlack); i++ {
		if isSeparator(content[i]) {
			to = i + 1
			break
		}
	}
	return span{from, to}
}

func isSeparator(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', '`', ',', ';', '{', '}', '(', ')', '[', ']', '<', '>':
		return true
	}
	return false
}

// detectBytes runs a detector on the bytes w of b, which may start inside a
// line: the findings' columns are the lines', as if the detector had seen
// them whole.
func (e *Engine) detectBytes(ctx context.Context, d *detect.Detector, b Blob, content []byte, lines []int, w span) []report.Finding {
	line := lineIndex(lines, w.start)
	f := detect.Fragment{Raw: string(content[w.start:w.end]), FilePath: b.Path, StartLine: b.StartLine + line, CommitInfo: b.Commit}
	if b.Commit != nil {
		f.CommitSHA = b.Commit.SHA
	}
	fs := detectIn(ctx, d, f)
	shift := w.start - lines[line]
	for i := range fs {
		if fs[i].StartLine == f.StartLine {
			fs[i].StartColumn += shift
		}
		if fs[i].EndLine == f.StartLine {
			fs[i].EndColumn += shift
		}
	}
	return fs
}

// appendSpan adds s to a list of line ranges in ascending start order,
// merging it into the last one when they overlap or touch.
func appendSpan(ws []span, s span) []span {
	if n := len(ws); n > 0 && s.start <= ws[n-1].end+1 {
		ws[n-1].start = min(ws[n-1].start, s.start)
		ws[n-1].end = max(ws[n-1].end, s.end)
		return ws
	}
	return append(ws, s)
}

// assignmentFollows reports whether, after a keyword ending at i, gitleaks'
// assignment template can match: up to 20 of [ \t\w.-], up to 3 of
// [\s'"], then an operator (= > : | ? ,). Rules built on the template
// cannot match a keyword hit without it.
func assignmentFollows(lower []byte, i int) bool {
	for n := 0; n < 20 && i < len(lower) && isTemplateFill(lower[i]); n++ {
		i++
	}
	for n := 0; n < 3 && i < len(lower) && isSpaceOrQuote(lower[i]); n++ {
		i++
	}
	if i >= len(lower) {
		return false
	}
	switch lower[i] {
	case '=', '>', ':', '|', '?', ',':
		return true
	}
	return false
}

func isTemplateFill(c byte) bool {
	return c == ' ' || c == '\t' || c == '.' || c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

func isSpaceOrQuote(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v', '\'', '"':
		return true
	}
	return false
}

// toLower writes the ASCII lower case of src into dst's storage.
func toLower(dst, src []byte) []byte {
	dst = slices.Grow(dst[:0], len(src))[:len(src)]
	for i, c := range src {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
	return dst
}

// lineStarts returns the offset of each line's first byte.
func lineStarts(b []byte) []int {
	starts := []int{0}
	for i, c := range b {
		if c == '\n' && i+1 < len(b) {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineIndex is the 0-based line holding offset.
func lineIndex(starts []int, offset int) int {
	i, found := slices.BinarySearch(starts, offset)
	if found {
		return i
	}
	return i - 1
}

// finish removes duplicates (a secret seen through two windows, or both
// raw and decoded) and, as gitleaks does, a generic finding whose secret a
// specific rule found on the same line; then sorts.
func finish(fs []report.Finding) []report.Finding {
	slices.SortFunc(fs, func(a, b report.Finding) int {
		return cmp.Or(
			cmp.Compare(a.StartLine, b.StartLine), cmp.Compare(a.StartColumn, b.StartColumn),
			cmp.Compare(a.RuleID, b.RuleID), cmp.Compare(a.Secret, b.Secret), cmp.Compare(a.EndColumn, b.EndColumn),
		)
	})
	fs = slices.CompactFunc(fs, func(a, b report.Finding) bool {
		return a.StartLine == b.StartLine && a.StartColumn == b.StartColumn && a.RuleID == b.RuleID && a.Secret == b.Secret
	})
	generic := func(f report.Finding) bool { return strings.Contains(strings.ToLower(f.RuleID), "generic") }
	out := fs[:0:0]
	for _, f := range fs {
		if generic(f) && slices.ContainsFunc(fs, func(o report.Finding) bool {
			return o.StartLine == f.StartLine && o.RuleID != f.RuleID && strings.Contains(o.Secret, f.Secret) && !generic(o)
		}) {
			continue
		}
		out = append(out, f)
	}
	return out
}
