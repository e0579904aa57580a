package secrets

import (
	"encoding/base64"
	"strconv"
)

// encodedSpans returns the lines (as line-index ranges) holding a blob that
// gitleaks' decoder would decode to text in which a rule could fire: a
// percent-encoded run, unicode escapes, 32+ hex digits, or a 16+ character
// base64 run, decoding to printable ASCII that holds a rule keyword (or
// another such blob, up to gitleaks' decoding depth). Only these lines get
// the decoding pass, with every rule.
//
// The test is a superset of gitleaks' own (detect/codec): whatever its
// decoder decodes and a rule then finds lies on a line reported here.
// An encoding never spans lines, but a decoded secret can: base64 wrapped
// at 76 characters (base64 key.pem) decodes line by line into the whole
// PEM block. So each such line's span reaches over the neighbouring lines
// that decode too, as far as a rule without a bound on its newlines looks.
func (e *Engine) encodedSpans(b []byte, starts []int) []span {
	line := func(i int) []byte {
		end := len(b)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		return b[starts[i]:end]
	}
	// decoded[i]: 0 not known yet, 1 line i decodes, 2 it does not.
	var decoded []uint8
	decodes := func(i int) bool {
		if decoded == nil {
			decoded = make([]uint8, len(starts))
		}
		if decoded[i] == 0 {
			decoded[i] = 2
			eachDecoded(line(i), func([]byte) bool { decoded[i] = 1; return false })
		}
		return decoded[i] == 1
	}
	var out []span
	reached := -1 // the last line a span reaches: no line is tested twice going forward
	for i := range starts {
		if !e.needsDecoding(line(i), 1) {
			continue
		}
		lo, hi := i, max(i, reached)
		for lo > 0 && lo > reached+1 && starts[i]-starts[lo-1] <= unboundedBack && decodes(lo-1) {
			lo--
		}
		for hi+1 < len(starts) && starts[hi+1]-starts[i] <= unboundedFwd && decodes(hi+1) {
			hi++
		}
		reached = hi
		out = appendSpan(out, span{lo, hi})
	}
	return out
}

// needsDecoding reports whether text holds a blob whose decoding (at this
// depth of gitleaks' recursive decoding) could produce a finding.
func (e *Engine) needsDecoding(text []byte, depth int) bool {
	found := false
	eachDecoded(text, func(decoded []byte) bool {
		found = e.interesting(decoded, depth)
		return !found
	})
	return found
}

// interesting reports decoded text that holds a rule keyword, or a blob
// that decodes further.
func (e *Engine) interesting(decoded []byte, depth int) bool {
	if len(e.always) > 0 {
		return true
	}
	hit := false
	e.ac.Walk(toLower(nil, decoded), func(int64, int64, int64) bool {
		hit = true
		return false
	})
	return hit || depth < maxDecodeDepth && e.needsDecoding(decoded, depth+1)
}

// eachDecoded calls fn with the printable decoding of every candidate blob
// in text, until fn returns false. Candidates follow gitleaks' patterns:
// percent %XX runs, \uXXXX and U+XXXX escapes, [0-9A-Fa-f]{32,} and
// [\w/+-]{16,}={0,2} runs.
func eachDecoded(text []byte, fn func([]byte) bool) {
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '%' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
			// gitleaks' segment runs from the first %XX of the line to
			// its last, and is decoded once: so is it here. Decoding
			// again from each later % would be quadratic in the line.
			d, ok := decodePercent(text[i:])
			if ok && !fn(d) {
				return
			}
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case (c == '\\' || c == 'U') && unicodeAt(text[i:]):
			d, n := decodeUnicode(text[i:])
			if !fn(d) {
				return
			}
			i += n - 1
		case isBase64Char(c):
			// (A run may start with U: "UkxU..." is base64, not U+XXXX.)
			j := i
			for j < len(text) && isBase64Char(text[j]) {
				j++
			}
			k := j
			for k < len(text) && k-j < 2 && text[k] == '=' {
				k++
			}
			if j-i >= 16 {
				for _, d := range decodeRun(text[i:j], text[i:k]) {
					if !fn(d) {
						return
					}
				}
			}
			i = j - 1
		}
	}
}

// decodeRun decodes a maximal [\w/+-] run: any hex run of 32+ digits in it,
// and the whole run (with its padding) as standard or URL base64, keeping
// the printable results.
func decodeRun(run, padded []byte) [][]byte {
	var out [][]byte
	for i := 0; i < len(run); {
		j := i
		for j < len(run) && isHex(run[j]) {
			j++
		}
		if j-i >= 32 {
			h := run[i:j]
			if len(h)%2 == 1 {
				h = h[:len(h)-1]
			}
			if d, ok := decodeHex(h); ok {
				out = append(out, d)
			}
		}
		i = j + 1
	}
	if hasBase64Marker(run) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
			d := make([]byte, enc.DecodedLen(len(padded)))
			if n, err := enc.Decode(d, padded); err == nil && printable(d[:n]) {
				out = append(out, d[:n])
			}
		}
	}
	return out
}

func decodeHex(h []byte) ([]byte, bool) {
	out := make([]byte, len(h)/2)
	for i := range out {
		v := unhex(h[2*i])<<4 | unhex(h[2*i+1])
		if v <= '\x08' || v >= '\x7f' {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// decodePercent decodes the %XX escapes of a line from its first one on.
func decodePercent(s []byte) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s) && s[i] != '\n'; i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v := unhex(s[i+1])<<4 | unhex(s[i+2])
			if v <= '\x08' || v >= '\x7f' {
				return nil, false
			}
			out = append(out, v)
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out, true
}

// unicodeAt reports whether s starts with an escape decodeUnicode decodes.
func unicodeAt(s []byte) bool {
	_, n := decodeUnicode(s)
	return n > 0
}

// decodeUnicode decodes a run of \uXXXX, \\uXXXX or U+XXXX escapes at the
// start of s; n is the bytes consumed (0 when there is none).
func decodeUnicode(s []byte) (decoded []byte, n int) {
	for {
		rest := s[n:]
		var m int
		switch {
		case len(rest) >= 6 && rest[0] == '\\' && (rest[1] == 'u' || rest[1] == 'U') && allHex(rest[2:6]):
			m = 6
		case len(rest) >= 7 && rest[0] == '\\' && rest[1] == '\\' && (rest[2] == 'u' || rest[2] == 'U') && allHex(rest[3:7]):
			m = 7
		case len(rest) >= 6 && rest[0] == 'U' && rest[1] == '+' && allHex(rest[2:6]):
			m = 6
		default:
			return decoded, n
		}
		v, _ := strconv.ParseUint(string(rest[m-4:m]), 16, 32)
		decoded = append(decoded, string(rune(v))...)
		n += m
		if rest[0] == 'U' && n < len(s) && (s[n] == ' ' || s[n] == '\t' || s[n] == '\n') {
			n++ // U+XXXX sequences are separated by white space
		}
	}
}

func printable(b []byte) bool {
	for _, c := range b {
		if c <= '\x08' || c >= '\x7f' {
			return false
		}
	}
	return true
}

func hasBase64Marker(run []byte) bool {
	for _, c := range run {
		if c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_' {
			return true
		}
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// unhex is the value of a hex digit (isHex).
func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

func allHex(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return true
}

func isBase64Char(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '/' || c == '+' || c == '-'
}
