package container

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/imagetest"
)

// manyLayers writes a docker archive of n layers of one small file each.
func manyLayers(b *testing.B, n int) string {
	b.Helper()
	var ls []v1.Layer
	var history []string
	for i := range n {
		ls = append(ls, imagetest.Layer(b, []imagetest.File{{Name: fmt.Sprintf("l%d/f.txt", i), Body: []byte("x\n")}}))
		history = append(history, fmt.Sprintf("RUN step %d", i))
	}
	return imagetest.WriteArchive(b, imagetest.Image(b, imagetest.Config{User: "app", History: history}, ls...), b.TempDir())
}

// BenchmarkArchiveLayers reads every layer of docker archives of 125, 250
// and 500 layers, with secgate's reader (one pass over the tar headers)
// and with go-containerregistry's tarball reader (which scans the archive
// from its start for every file it opens). Time per layer that stays flat
// as the layer count doubles is linear; time per layer that doubles is
// quadratic.
//
//	go test -run XXX -bench ArchiveLayers -benchtime 3x ./scanners/container
func BenchmarkArchiveLayers(b *testing.B) {
	readers := []struct {
		name string
		open func(string) (v1.Image, error)
	}{
		{"secgate", fromArchive},
		{"ggcr-tarball", func(p string) (v1.Image, error) { return tarball.ImageFromPath(p, nil) }},
	}
	for _, n := range []int{125, 250, 500} {
		path := manyLayers(b, n)
		for _, r := range readers {
			b.Run(fmt.Sprintf("%s/layers=%d", r.name, n), func(b *testing.B) {
				for b.Loop() {
					img, err := r.open(path)
					if err != nil {
						b.Fatal(err)
					}
					readAllLayers(b, img)
					if c, ok := img.(io.Closer); ok {
						c.Close()
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/layer")
			})
		}
	}
}

func readAllLayers(b *testing.B, img v1.Image) {
	b.Helper()
	layers, err := img.Layers()
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatal(err)
		}
		rc.Close()
	}
}

// BenchmarkScanManyLayers is the whole image scan (packages, secrets,
// configuration) of archives of 125, 250 and 500 one-file layers; the
// ns/layer metric shows how the scan grows with the layer count.
//
//	go test -run XXX -bench ScanManyLayers -benchtime 3x ./scanners/container
func BenchmarkScanManyLayers(b *testing.B) {
	db := filepath.Join("..", "..", "testdata", "osvdb")
	for _, n := range []int{125, 250, 500} {
		ref := "docker-archive:" + manyLayers(b, n)
		b.Run(fmt.Sprintf("layers=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := scanImage(context.Background(), b, ref, db, Options{}, findings.Root{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/layer")
		})
	}
}
