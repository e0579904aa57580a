// Command mkimage writes a container image as a `docker save` archive
// without a Docker engine, for benchmarks: one layer per directory (its
// files as they are on disk: modes, owners, times, symlinks, hard links),
// a history entry per build step (empty-layer steps included) and an image
// configuration, the way a Dockerfile build records them.
//
//	go run ./bench/mkimage -o image.tar -tag secgate.bench/app:1.0 \
//	  -step '/tmp/rootfs=/bin/sh -c #(nop) ADD file:rootfs in / ' \
//	  -step '=/bin/sh -c #(nop)  CMD ["bash"]' \
//	  -env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
//
// A step is DIR=CREATED_BY (a layer holding DIR's content at the image
// root) or =CREATED_BY (a step without a layer: ENV, CMD, WORKDIR, ...).
// Device nodes, fifos and sockets are left out (`docker build` never puts
// /dev's nodes in a layer either); the count is printed.
package main

import (
	"archive/tar"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	var steps, env list
	out := flag.String("o", "image.tar", "archive to write")
	tag := flag.String("tag", "secgate.bench/app:1.0", "repository:tag recorded in the archive")
	cmd := flag.String("cmd", "", "CMD, comma-separated")
	entrypoint := flag.String("entrypoint", "", "ENTRYPOINT, comma-separated")
	workdir := flag.String("workdir", "", "WORKDIR")
	user := flag.String("user", "", "USER")
	flag.Var(&steps, "step", "DIR=CREATED_BY or =CREATED_BY, in build order (repeatable)")
	flag.Var(&env, "env", "KEY=VALUE (repeatable)")
	flag.Parse()
	if err := run(*out, *tag, steps, env, split(*cmd), split(*entrypoint), *workdir, *user); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func run(out, tagName string, steps, env, cmd, entrypoint []string, workdir, user string) error {
	tag, err := name.NewTag(tagName)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "mkimage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	created := time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)
	var adds []mutate.Addendum
	for i, s := range steps {
		dir, createdBy, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("step %q: want DIR=CREATED_BY", s)
		}
		h := v1.History{CreatedBy: createdBy, Created: v1.Time{Time: created.Add(time.Duration(i) * time.Second)}}
		if dir == "" {
			h.EmptyLayer = true
			adds = append(adds, mutate.Addendum{History: h})
			continue
		}
		p := filepath.Join(tmp, fmt.Sprintf("layer%d.tar", i))
		n, skipped, err := writeLayer(dir, p)
		if err != nil {
			return fmt.Errorf("layer %s: %w", dir, err)
		}
		fmt.Printf("step %d: layer of %s, %d entries (%d device nodes/fifos/sockets left out)\n", i, dir, n, skipped)
		l, err := tarball.LayerFromFile(p)
		if err != nil {
			return err
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: h})
	}
	img, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Created = v1.Time{Time: created.Add(time.Duration(len(steps)) * time.Second)}
	cf.Config.Env = env
	cf.Config.Cmd = cmd
	cf.Config.Entrypoint = entrypoint
	cf.Config.WorkingDir = workdir
	cf.Config.User = user
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	return tarball.WriteToFile(out, tag, img)
}

// writeLayer writes dir's tree as an uncompressed layer tar at p, in
// lexical order, with the names `docker build` gives (no leading ./,
// directories ending in /).
func writeLayer(dir, p string) (n, skipped int, err error) {
	f, err := os.Create(p)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	inodes := map[uint64]string{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		mode := info.Mode()
		if !mode.IsRegular() && !mode.IsDir() && mode&fs.ModeSymlink == 0 {
			skipped++
			return nil
		}
		link := ""
		if mode&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		h.Name, h.Uname, h.Gname, h.Format = rel, "", "", tar.FormatPAX
		h.AccessTime, h.ChangeTime = time.Time{}, time.Time{}
		if mode.IsDir() {
			h.Name += "/"
		}
		st, _ := info.Sys().(*syscall.Stat_t)
		if st != nil {
			h.Uid, h.Gid = int(st.Uid), int(st.Gid)
			if mode.IsRegular() && st.Nlink > 1 {
				if first, ok := inodes[st.Ino]; ok {
					h.Typeflag, h.Linkname, h.Size = tar.TypeLink, first, 0
				} else {
					inodes[st.Ino] = rel
				}
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		n++
		if h.Typeflag != tar.TypeReg {
			return nil
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err != nil {
		return n, skipped, err
	}
	if err := tw.Close(); err != nil {
		return n, skipped, err
	}
	return n, skipped, f.Close()
}
