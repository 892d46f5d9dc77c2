package driftreport

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kasmfleet/push/examples/lab/needs"
)

const shotW, shotH = 1280, 1000

// screenshot renders page in headless chromium and returns the PNG.
func screenshot(t *testing.T, page []byte) []byte {
	t.Helper()
	needs.Command(t, "chromium")
	dir := t.TempDir()
	html := filepath.Join(dir, "report.html")
	if err := os.WriteFile(html, page, 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "shot.png")
	// A bound on a hung browser, not a measure: a loaded machine may take
	// a minute or more to start chromium.
	const bound = 4 * time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	cmd := exec.CommandContext(ctx, "chromium", "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--window-size=1280,1000", "--screenshot="+shot, "file://"+html)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	// chromium forks helpers: give it a process group of its own, and on
	// timeout kill that group, which holds only what this test started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("chromium did not finish in %v:\n%s", bound, out)
	}
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, out)
	}
	return b
}

func TestHTMLRendersInChromium(t *testing.T) {
	tests := []struct {
		fixture string
		banner  color.RGBA // the fleet status's color, across the banner
		keep    string     // with -update, keep the screenshot here
	}{
		{"drift", color.RGBA{0xc6, 0x28, 0x28, 0xff}, ""},                    // #c62828
		{"in-sync", color.RGBA{0x2e, 0x7d, 0x32, 0xff}, ""},                  // #2e7d32
		{"mixed", color.RGBA{0xef, 0x6c, 0x00, 0xff}, "testdata/report.png"}, // #ef6c00
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			var page bytes.Buffer
			if err := WriteHTML(&page, fixture(t, tt.fixture)); err != nil {
				t.Fatal(err)
			}
			b := screenshot(t, page.Bytes())
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("screenshot is not a PNG: %v", err)
			}
			if got := img.Bounds().Size(); got != image.Pt(shotW, shotH) {
				t.Fatalf("screenshot is %v, want %dx%d", got, shotW, shotH)
			}
			counts := colors(img)
			// The banner spans the page's width: its color over less than
			// a 1280x100 band means the page did not render as designed.
			if n := counts[tt.banner]; n < shotW*100 {
				t.Errorf("%d pixels of the banner color %v, want at least %d", n, tt.banner, shotW*100)
			}
			if n := len(counts); n < 50 {
				t.Errorf("the screenshot has only %d colors: the page did not render text and tables", n)
			}
			if *update && tt.keep != "" {
				if err := os.WriteFile(tt.keep, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// colors counts img's pixels by color.
func colors(img image.Image) map[color.RGBA]int {
	counts := map[color.RGBA]int{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			counts[c]++
		}
	}
	return counts
}
