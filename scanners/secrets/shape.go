package secrets

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
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
// template, (?i)[\w.-]{0,50}?(?:KEYWORDS)..., the expression from the
// keywords on, anchored: at a keyword hit it decides in a few steps whether
// the rule can match there. A match of the whole rule holds a keyword
// occurrence at which this suffix matches; the engine only looks further
// where it does. nil when the expression does not have that shape.
func keywordSuffix(expr string) *regexp.Regexp {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) < 3 {
		return nil
	}
	prefix := re.Sub[0]
	if prefix.Op != syntax.OpRepeat || prefix.Min != 0 || newlines(prefix) != 0 {
		return nil
	}
	suffix := &syntax.Regexp{Op: syntax.OpConcat, Flags: re.Flags, Sub: re.Sub[1:]}
	anchored, err := regexp.Compile(`\A(?:` + suffix.String() + `)`)
	if err != nil {
		return nil
	}
	return anchored
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
			switch sub.Op {
			case syntax.OpWordBoundary, syntax.OpBeginText, syntax.OpBeginLine:
				continue // empty-width: the match goes on with the next element
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
				return acc, false
			}
		}
		return nonEmpty(acc), true
	}
	return nil, false
}

const maxPrefixes = 64

func nonEmpty(acc []string) []string {
	if len(acc) == 0 || acc[0] == "" {
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
