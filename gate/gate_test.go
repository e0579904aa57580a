package gate

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/secgate/secgate/internal/lockgen"
)

// BenchmarkScanPackageLock100k is the whole gate (walk, extraction with
// line numbers, offline matching, policy, no report) on a generated
// 100,000-package package-lock.json. Target: under 10 s.
//
//	go test -run XXX -bench ScanPackageLock100k -benchtime 3x ./gate
func BenchmarkScanPackageLock100k(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), lockgen.PackageLock(100_000), 0o644); err != nil {
		b.Fatal(err)
	}
	opts := Options{Path: dir, OfflineDB: filepath.Join("..", "testdata", "osvdb"), Version: "bench"}
	b.ReportAllocs()
	for b.Loop() {
		doc, err := Run(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
		if got := doc.Scans[0].Stats["packages"]; got != 100_000 {
			b.Fatalf("%d packages, want 100000", got)
		}
	}
}
