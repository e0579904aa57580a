package secrets

import (
	"context"
	"strings"
	"testing"
)

// An error message that quotes a secret, as osv-scalibr's go.mod parser
// does, keeps at most the prefix its rule's format makes public.
func TestRedactorText(t *testing.T) {
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	r := NewRedactor(rules)
	token := "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
	for _, in := range []string{
		"go.mod:6: unknown directive: " + token,
		"config/" + token + ".json: permission denied",
		"two: " + token + " and AKIA" + "ZQ3DN7KXWB4GV2YT",
	} {
		got := r.Text(context.Background(), in)
		if strings.Contains(got, token[4:]) || strings.Contains(got, "ZQ3DN7KXWB4GV2YT") {
			t.Errorf("Text(%q) = %q still holds a secret", in, got)
		}
		if !strings.Contains(got, "ghp_…") {
			t.Errorf("Text(%q) = %q: want the redacted form", in, got)
		}
	}
	if got := r.Text(context.Background(), "go.mod:6: unknown directive: replacee"); got != "go.mod:6: unknown directive: replacee" {
		t.Errorf("text without a secret changed: %q", got)
	}
}
