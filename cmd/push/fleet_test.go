package main

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/kasmfleet/push/playbooks"
)

// TestConnectTimeoutReachesSSH: --connect-timeout bounds both the TCP
// connect and the handshake; without it the SSH package's defaults hold.
func TestConnectTimeoutReachesSSH(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want time.Duration
	}{{nil, 0}, {[]string{"--connect-timeout", "90s"}, 90 * time.Second}} {
		var f fleetFlags
		fs := flag.NewFlagSet("apply", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f.register(fs, playbooks.ModeApply)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		o := sshOptions(stdio{}, &f)
		if o.DialTimeout != tc.want || o.HandshakeTimeout != tc.want {
			t.Errorf("%v: dial %s, handshake %s, want %s", tc.args, o.DialTimeout, o.HandshakeTimeout, tc.want)
		}
	}
}
