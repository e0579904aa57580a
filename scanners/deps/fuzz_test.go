package deps

import "testing"

// FuzzTOMLDepth and FuzzIncludes: the guard's readers of untrusted
// lockfiles never panic and stay linear (the fuzzer's time limit per input
// catches a loop).
func FuzzTOMLDepth(f *testing.F) {
	f.Add([]byte("[[package]]\nname = \"x\"\nversion = \"1.0\"\nsource = { git = \"https://x\" }\n"))
	f.Add([]byte("s = \"\"\"\n[[[\n\"\"\"\nt = '''a'''\n# {{{\nu = [[1, 2], [3]]\n"))
	f.Add([]byte("a = \"unterminated\nb = '''x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if d, line := tomlDepth(data); d < 0 || line < 1 {
			t.Fatalf("depth %d at line %d", d, line)
		}
	})
}

func FuzzIncludes(f *testing.F) {
	f.Add([]byte("-r base.txt\nflask==2.0 # -r not.txt\n-r \\\n  dev.txt\n# -r skipped.txt\n"))
	f.Add([]byte("-rfoo.txt\n-r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, inc := range includes(data) {
			if inc.path == "" || inc.line < 1 {
				t.Fatalf("include %+v", inc)
			}
		}
	})
}
