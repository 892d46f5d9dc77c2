package topology

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteAsideReplacesWholeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vcsim.ready")
	if err := os.WriteFile(path, []byte("https://old.example/sdk, a longer line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteAside(path, []byte("https://127.0.0.1:8989/sdk\n")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "https://127.0.0.1:8989/sdk\n" {
		t.Errorf("file holds %q", got)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the file written aside is still there: %v", err)
	}
}
