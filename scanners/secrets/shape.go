package secrets

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxNewlines is the most newlines a match of the regular expression can
// hold, or -1 when unbounded. A rule whose matches hold at most n newlines
// can only match, around a keyword hit on line L, within lines L-n..L+n:
// that bounds the window the rule needs.
func maxNewlines(expr string) int {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return -1
	}
	return newlines(re)
}

func newlines(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			if r == '\n' {
				n++
			}
		}
		return n
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= '\n' && '\n' <= re.Rune[i+1] {
				return 1
			}
		}
		return 0
	case syntax.OpAnyChar:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return newlines(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		if newlines(re.Sub[0]) != 0 {
			return -1
		}
		return 0
	case syntax.OpRepeat:
		n := newlines(re.Sub[0])
		switch {
		case n == 0:
			return 0
		case n < 0 || re.Max < 0:
			return -1
		}
		return n * re.Max
	case syntax.OpConcat:
		total := 0
		for _, s := range re.Sub {
			n := newlines(s)
			if n < 0 {
				return -1
			}
			total += n
		}
		return total
	case syntax.OpAlternate:
		most := 0
		for _, s := range re.Sub {
			n := newlines(s)
			if n < 0 {
				return -1
			}
			most = max(most, n)
		}
		return most
	}
	return 0 // empty-width operators, OpAnyCharNotNL, OpEmptyMatch, OpNoMatch
}

// keywordSuffix returns, for a rule built on gitleaks' "key = value"
// template, (?i)[\w.-]{0,50}?(?:IDENTIFIERS)..., the expression from the
// identifiers on, anchored: at a keyword hit it decides in a few steps
// whether the rule can match there. That holds only when every identifier
// is one of the rule's keywords, so that each match's identifier is a
// keyword hit: new-relic-user-api-key is built on the identifiers
// new-relic, newrelic and new_relic but found by its keyword NRAK, the
// secret's own prefix. nil when the expression does not have that shape
// or its identifiers are not keywords.
func keywordSuffix(expr string, keywords []string) *regexp.Regexp {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) < 3 {
		return nil
	}
	prefix := re.Sub[0]
	if prefix.Op != syntax.OpRepeat || prefix.Min != 0 || newlines(prefix) != 0 {
		return nil
	}
	identifiers, complete := literalPrefixes(re.Sub[1])
	if !complete || len(identifiers) == 0 {
		return nil
	}
	for _, id := range identifiers {
		if !slices.ContainsFunc(keywords, func(k string) bool { return asciiLower(k) == asciiLower(id) }) {
			return nil
		}
	}
	suffix := &syntax.Regexp{Op: syntax.OpConcat, Flags: re.Flags, Sub: re.Sub[1:]}
	anchored, err := regexp.Compile(`\A(?:` + suffix.String() + `)`)
	if err != nil {
		return nil
	}
	return anchored
}

// holdsKeyword reports whether every match of the expression holds one of
// the keywords (compared in ASCII lower case, as the engine finds them).
// A rule whose matches may not hold one (airtable-personnal-access-token
// matches pat…, its keyword is airtable) fires, in gitleaks, wherever its
// keyword occurs anywhere in the fragment: the engine must then run it over
// the whole blob, not around the keyword hits. The answer errs towards
// false, which only costs time.
func holdsKeyword(expr string, keywords []string) bool {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return false
	}
	lower := make([]string, len(keywords))
	for i, k := range keywords {
		lower[i] = asciiLower(k)
	}
	return mustHold(re, lower)
}

func mustHold(re *syntax.Regexp, keywords []string) bool {
	holds := func(s string) bool {
		s = asciiLower(s)
		return slices.ContainsFunc(keywords, func(k string) bool { return strings.Contains(s, k) })
	}
	switch re.Op {
	case syntax.OpLiteral:
		return holds(string(re.Rune))
	case syntax.OpCapture:
		return mustHold(re.Sub[0], keywords)
	case syntax.OpPlus:
		return mustHold(re.Sub[0], keywords)
	case syntax.OpRepeat:
		return re.Min >= 1 && mustHold(re.Sub[0], keywords)
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !mustHold(sub, keywords) {
				return false
			}
		}
		return true
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if mustHold(sub, keywords) {
				return true
			}
		}
		// A keyword may straddle elements (a literal and an alternation
		// of literals): try the runs of elements whose matches are a
		// small finite set of strings.
		for i := range re.Sub {
			acc := []string{""}
			for _, sub := range re.Sub[i:] {
				if emptyWidth(sub.Op) {
					continue
				}
				p, complete := literalPrefixes(sub)
				if !complete || len(p) == 0 || len(acc)*len(p) > maxPrefixes {
					break
				}
				var next []string
				for _, a := range acc {
					for _, b := range p {
						next = append(next, a+b)
					}
				}
				acc = next
				if !slices.ContainsFunc(acc, func(s string) bool { return !holds(s) }) {
					return true
				}
			}
		}
	}
	return false
}

func emptyWidth(op syntax.Op) bool {
	switch op {
	case syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpBeginText, syntax.OpEndText, syntax.OpBeginLine, syntax.OpEndLine:
		return true
	}
	return false
}

// asciiLower lower-cases ASCII letters only, as the engine's keyword
// search does.
func asciiLower(s string) string {
	return string(toLower(nil, []byte(s)))
}

// literalPrefixes returns strings one of which every match of re starts
// with (lower-cased where re folds case), or nil when there is no small
// finite set of them. complete reports that the strings are the whole
// matches, so that what follows re extends them.
func literalPrefixes(re *syntax.Regexp) (prefixes []string, complete bool) {
	switch re.Op {
	case syntax.OpLiteral:
		lit := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 {
			lit = strings.ToLower(lit)
		}
		return []string{lit}, true
	case syntax.OpCapture:
		return literalPrefixes(re.Sub[0])
	case syntax.OpCharClass:
		// A small class is its characters: the parser turns (?:ghu|ghs)
		// into gh[su], and [Aa]pi is a way of writing api.
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if len(out)+int(re.Rune[i+1]-re.Rune[i]) >= maxClass {
				return nil, false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				out = append(out, string(r))
			}
		}
		return out, true
	case syntax.OpPlus, syntax.OpRepeat:
		if re.Op == syntax.OpRepeat && re.Min < 1 {
			return nil, false
		}
		// Every match starts with one of the first repetition's.
		p, _ := literalPrefixes(re.Sub[0])
		return nonEmpty(p), false
	case syntax.OpQuest:
		p, c := literalPrefixes(re.Sub[0])
		if p == nil {
			return nil, false
		}
		return append(p, ""), c
	case syntax.OpAlternate:
		var out []string
		complete = true
		for _, sub := range re.Sub {
			p, c := literalPrefixes(sub)
			if p == nil {
				return nil, false
			}
			out = append(out, p...)
			complete = complete && c
		}
		return out, complete
	case syntax.OpConcat:
		acc := []string{""}
		for _, sub := range re.Sub {
			if emptyWidth(sub.Op) {
				continue // the match goes on with the next element
			}
			p, c := literalPrefixes(sub)
			if p == nil || len(acc)*len(p) > maxPrefixes {
				return nonEmpty(acc), false
			}
			var next []string
			for _, a := range acc {
				for _, b := range p {
					next = append(next, a+b)
				}
			}
			acc = next
			if !c {
				return nonEmpty(acc), false
			}
		}
		return nonEmpty(acc), true
	}
	return nil, false
}

const maxPrefixes = 64

// maxClass is the most characters a class may hold to be taken as a set
// of literals.
const maxClass = 8

// nonEmpty is acc, or nil when one of its strings is empty: an empty
// prefix says nothing about a match.
func nonEmpty(acc []string) []string {
	if len(acc) == 0 || slices.Contains(acc, "") {
		return nil
	}
	return acc
}

// keywordAnchored returns the rule's expression anchored at its start, when
// every match of the rule begins with one of its keywords (aws-access-token
// matches start with AKIA, ASIA, ...; jwt with ey). At a keyword hit, that
// anchored expression then decides in a few steps whether the rule matches
// there. nil otherwise.
func keywordAnchored(expr string, keywords []string) *regexp.Regexp {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	prefixes, _ := literalPrefixes(re)
	if len(prefixes) == 0 {
		return nil
	}
	for _, p := range prefixes {
		if !slices.ContainsFunc(keywords, func(k string) bool { return strings.HasPrefix(strings.ToLower(p), strings.ToLower(k)) }) {
			return nil
		}
	}
	anchored, err := regexp.Compile(`\A(?:` + expr + `)`)
	if err != nil {
		return nil
	}
	return anchored
}

// maxMatchLen is the most bytes a match of expr can span, or -1 when it
// has no bound (a *, + or open {n,} repetition) or does not parse.
func maxMatchLen(expr string) int {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return -1
	}
	return matchLen(re)
}

func matchLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			n += utf8.RuneLen(r)
		}
		return n
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		return matchLen(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		return -1
	case syntax.OpRepeat:
		n := matchLen(re.Sub[0])
		if n < 0 || re.Max < 0 {
			return -1
		}
		return n * re.Max
	case syntax.OpConcat, syntax.OpAlternate:
		total := 0
		for _, s := range re.Sub {
			n := matchLen(s)
			if n < 0 {
				return -1
			}
			if re.Op == syntax.OpConcat {
				total += n
			} else {
				total = max(total, n)
			}
		}
		return total
	default: // empty matches and assertions
		return 0
	}
}
