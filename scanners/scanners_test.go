package scanners

import (
	"slices"
	"testing"
)

func TestParseExclude(t *testing.T) {
	got, err := ParseExclude([]string{"testdata/", "./vendor//old", "testdata", " docs "})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Exclude{"docs", "testdata", "vendor/old"}); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, bad := range []string{"", ".", "/abs", "..", "../sibling", "a/../../b"} {
		if _, err := ParseExclude([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestExcludeMatch(t *testing.T) {
	e := Exclude{"testdata", "vendor/old"}
	for _, tc := range []struct {
		rel  string
		want bool
	}{
		{"testdata", true},
		{"testdata/a/package-lock.json", true},
		{"testdata2/x", false},
		{"vendor/old/go.mod", true},
		{"vendor/older/go.mod", false},
		{"vendor", false},
		{"src/testdata/x", false},
	} {
		if got := e.Match(tc.rel); got != tc.want {
			t.Errorf("Match(%q) = %v, want %v", tc.rel, got, tc.want)
		}
	}
}
