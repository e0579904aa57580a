package secrets

import (
	"encoding/base64"
)

// encodedSpans returns the lines (merged into spans) that hold a blob
// gitleaks' decoder would decode to text: a percent-encoded run, a unicode
// escape, 32+ hex digits, or a 16+ character base64 run that decodes to
// printable ASCII. Only these lines get the (expensive) decoding pass.
//
// The test is a superset of gitleaks' own (detect/codec): whatever it
// decodes lies on a line reported here, so decoding those lines alone finds
// what decoding whole files finds. Encodings never span lines.
func encodedSpans(b []byte, starts []int) []span {
	var out []span
	for i, s := range starts {
		end := len(b)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		if lineHasEncoded(b[s:end]) {
			out = appendSpan(out, span{s, end})
		}
	}
	return out
}

func lineHasEncoded(line []byte) bool {
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '%' && i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]):
			return true
		case c == '\\' && i+5 < len(line) && (line[i+1] == 'u' || line[i+1] == 'U') && allHex(line[i+2:i+6]):
			return true
		case c == '\\' && i+6 < len(line) && line[i+1] == '\\' && (line[i+2] == 'u' || line[i+2] == 'U') && allHex(line[i+3:i+7]):
			return true
		case c == 'U' && i+5 < len(line) && line[i+1] == '+' && allHex(line[i+2:i+6]):
			return true
		case isBase64Char(c):
			j := i
			for j < len(line) && isBase64Char(line[j]) {
				j++
			}
			k := j
			for k < len(line) && k-j < 2 && line[k] == '=' {
				k++
			}
			if runDecodes(line[i:j], line[i:k]) {
				return true
			}
			i = j - 1
		}
	}
	return false
}

// runDecodes reports whether a maximal run of [\w/+-] (run) or the run with
// its padding (padded) could be decoded by gitleaks: 32+ hex digits
// anywhere in it, or base64 that decodes to printable text.
func runDecodes(run, padded []byte) bool {
	if len(run) < 16 {
		return false
	}
	hex := 0
	for _, c := range run {
		if isHex(c) {
			if hex++; hex >= 32 {
				return true
			}
		} else {
			hex = 0
		}
	}
	if !hasBase64Marker(run) {
		return false
	}
	// gitleaks' base64 pattern is greedy: its match is the whole run and
	// its padding (a shorter alternative taking the run's start is hex,
	// handled above).
	return decodesPrintable(padded)
}

func decodesPrintable(s []byte) bool {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		dst := make([]byte, enc.DecodedLen(len(s)))
		n, err := enc.Decode(dst, s)
		if err == nil && printable(dst[:n]) {
			return true
		}
	}
	return false
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
