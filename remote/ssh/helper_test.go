package ssh

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kasmfleet/push/examples/lab/sshfleet"
)

// echoed is what testdata/echohelper answers.
type echoed struct {
	Version string   `json:"version"`
	Args    []string `json:"args"`
	Stdin   string   `json:"stdin"`
	UID     int      `json:"uid"`
	Exe     string   `json:"exe"`
}

func decodeEcho(t *testing.T, run HelperRun) echoed {
	t.Helper()
	var e echoed
	if err := json.Unmarshal(run.Stdout, &e); err != nil {
		t.Fatalf("helper stdout %q (stderr %q): %v", run.Stdout, run.Stderr, err)
	}
	return e
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestHelperDelivery(t *testing.T) {
	f := sshfleet.StartT(t, 3, sshfleet.Options{})
	v1, v2 := buildHelper(t, "v1"), buildHelper(t, "v2")
	if v1.SHA256 == v2.SHA256 {
		t.Fatal("helper versions have the same sha256")
	}
	binDir := func(i int) string { return filepath.Join(f.HelperDir(i), "bin") }

	t.Run("uploads once, then one exec and zero bytes", func(t *testing.T) {
		d := newDialer(t, testOptions(t))
		conn := dial(t, d, rootConfig(f, 0))
		run, err := conn.RunHelper(testCtx(t), helperSet(v1), []string{"facts", "it's"}, []byte(`{"verb":"facts"}`))
		if err != nil {
			t.Fatal(err)
		}
		if !run.Uploaded || run.BytesUploaded != int64(len(v1.Gzip)) || run.Execs != 3 || run.ExitCode != 0 {
			t.Errorf("first run: uploaded=%v bytes=%d execs=%d exit=%d", run.Uploaded, run.BytesUploaded, run.Execs, run.ExitCode)
		}
		e := decodeEcho(t, run)
		wantPath := "/var/lib/push/bin/push-helper-" + v1.SHA256
		if e.Version != "v1" || !slices.Equal(e.Args, []string{"facts", "it's"}) || e.Stdin != `{"verb":"facts"}` || e.UID != 0 || e.Exe != wantPath {
			t.Errorf("helper saw %+v", e)
		}
		if run.Path != wantPath {
			t.Errorf("path %q, want %q", run.Path, wantPath)
		}
		if got := listDir(t, binDir(0)); !slices.Equal(got, []string{"push-helper-" + v1.SHA256}) {
			t.Errorf("helper dir holds %v", got)
		}
		st, err := os.Stat(filepath.Join(binDir(0), "push-helper-"+v1.SHA256))
		if err != nil || st.Mode().Perm() != 0o755 {
			t.Errorf("installed helper: %v, %v", st, err)
		}

		d2 := newDialer(t, testOptions(t))
		run, err = dial(t, d2, rootConfig(f, 0)).RunHelper(testCtx(t), helperSet(v1), []string{"exit=2"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if run.Uploaded || run.BytesUploaded != 0 || run.Execs != 1 || run.ExitCode != 2 {
			t.Errorf("second run: uploaded=%v bytes=%d execs=%d exit=%d", run.Uploaded, run.BytesUploaded, run.Execs, run.ExitCode)
		}
		if s := d2.Stats(); s.Execs != 1 || s.Connections != 1 || s.BytesUploaded != 0 {
			t.Errorf("second run stats %+v", s)
		}
	})

	t.Run("corrupted upload is refused", func(t *testing.T) {
		raw := v1
		raw.Gzip = nil
		for _, tc := range []struct {
			name   string
			helper Helper
			damage func([]byte) []byte
			gzip   string // what gzip says, when it refuses the stream
		}{
			{"uncompressed, a byte flipped", raw, func(b []byte) []byte { c := slices.Clone(b); c[len(c)/2] ^= 0xff; return c }, ""},
			{"gzip, a byte flipped", v1, func(b []byte) []byte { c := slices.Clone(b); c[len(c)/2] ^= 0xff; return c }, "gzip: stdin:"},
			{"gzip, cut short", v1, func(b []byte) []byte { return b[:len(b)/2] }, "unexpected end of file"},
		} {
			d := newDialer(t, testOptions(t))
			d.corruptUpload = tc.damage
			_, err := dial(t, d, rootConfig(f, 1)).RunHelper(testCtx(t), helperSet(tc.helper), nil, nil)
			var corrupt *HelperCorruptError
			var re *RemoteError
			switch {
			case tc.gzip != "" && errors.As(err, &re):
				if !strings.Contains(err.Error(), "the upload failed") || !strings.Contains(err.Error(), tc.gzip) {
					t.Errorf("%s: got %v, want gzip's refusal %q", tc.name, err, tc.gzip)
				}
			case !errors.As(err, &corrupt) || corrupt.Want != v1.SHA256 || corrupt.Got == v1.SHA256 || len(corrupt.Got) != 64:
				t.Fatalf("%s: got %v, want HelperCorruptError", tc.name, err)
			}
			if got := listDir(t, binDir(1)); len(got) != 0 {
				t.Errorf("%s: helper dir holds %v after a corrupted upload", tc.name, got)
			}
		}
	})

	t.Run("old versions pruned", func(t *testing.T) {
		d := newDialer(t, testOptions(t))
		conn := dial(t, d, rootConfig(f, 1))
		for _, h := range []Helper{v1, v2} {
			run, err := conn.RunHelper(testCtx(t), helperSet(h), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !run.Uploaded {
				t.Errorf("%s not uploaded", decodeEcho(t, run).Version)
			}
		}
		if got := listDir(t, binDir(1)); !slices.Equal(got, []string{"push-helper-" + v2.SHA256}) {
			t.Errorf("helper dir holds %v, want only v2", got)
		}
	})

	t.Run("several architectures", func(t *testing.T) {
		// The host has v2; the set also names another architecture's build.
		set := helperSet(v2)
		set.SHAs["arm64x"] = strings.Repeat("0", 64)
		run, err := dial(t, newDialer(t, testOptions(t)), rootConfig(f, 1)).RunHelper(testCtx(t), set, nil, nil)
		if err != nil || run.Execs != 1 {
			t.Fatalf("run: execs=%d, %v", run.Execs, err)
		}
		// A host whose architecture has no build.
		set = HelperSet{SHAs: map[string]string{"arm64": v1.SHA256}, Load: set.Load}
		_, err = dial(t, newDialer(t, testOptions(t)), rootConfig(f, 2)).RunHelper(testCtx(t), set, nil, nil)
		if err == nil || !strings.Contains(err.Error(), "no helper build for linux/") {
			t.Errorf("got %v, want no build for the host's architecture", err)
		}
	})
}

// A host where gzip does not run (here an empty file over /usr/bin/gzip)
// receives the helper uncompressed, and it works.
func TestHelperDeliveryWithoutGzip(t *testing.T) {
	gzipPath, err := exec.LookPath("gzip")
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	if p, err := filepath.EvalSymlinks(gzipPath); err == nil {
		gzipPath = p
	}
	f := sshfleet.StartT(t, 1, sshfleet.Options{PrivateFiles: []string{gzipPath}})
	h := buildHelper(t, "nogzip")
	d := newDialer(t, testOptions(t))
	conn := dial(t, d, rootConfig(f, 0))
	if r, _ := conn.Exec(testCtx(t), "gzip -V", nil); r.ExitCode == 0 {
		t.Fatal("gzip still runs on the host")
	}
	run, err := conn.RunHelper(testCtx(t), helperSet(h), []string{"x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := decodeEcho(t, run); !run.Uploaded || run.BytesUploaded != int64(len(h.Data)) || e.Version != "nogzip" {
		t.Errorf("uploaded=%v bytes=%d (helper %d, gzip %d), helper %q", run.Uploaded, run.BytesUploaded, len(h.Data), len(h.Gzip), e.Version)
	}
}

func TestHelperOnManyHosts(t *testing.T) {
	const n = 50
	f := sshfleet.StartT(t, n, sshfleet.Options{})
	h := buildHelper(t, "many")
	for round, wantExecs := range []int{3, 1} {
		d := newDialer(t, testOptions(t))
		var wg sync.WaitGroup
		runs := make([]HelperRun, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				conn, err := d.Dial(testCtx(t), rootConfig(f, i))
				if err != nil {
					errs[i] = err
					return
				}
				defer conn.Close()
				runs[i], errs[i] = conn.RunHelper(testCtx(t), helperSet(h), []string{f.Host(i).Name}, nil)
			})
		}
		wg.Wait()
		for i, run := range runs {
			if errs[i] != nil {
				t.Errorf("round %d host %d: %v", round, i, errs[i])
				continue
			}
			if e := decodeEcho(t, run); run.Execs != wantExecs || len(e.Args) != 1 || e.Args[0] != f.Host(i).Name {
				t.Errorf("round %d host %d: execs=%d args=%v", round, i, run.Execs, e.Args)
			}
		}
		s := d.Stats()
		wantBytes := int64(0)
		if round == 0 {
			wantBytes = int64(n * len(h.Gzip))
		}
		if s.Connections != n || s.Execs != int64(n*wantExecs) || s.BytesUploaded != wantBytes {
			t.Errorf("round %d: stats %+v", round, s)
		}
	}
}
