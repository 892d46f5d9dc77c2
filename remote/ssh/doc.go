// Package ssh reaches hosts over SSH the way OpenSSH would (known_hosts,
// ssh-agent, key files, ~/.ssh/config, jump hosts), runs commands with a
// timeout on every step, and delivers and runs push-helper with one exec per
// host when the helper is already there.
//
// A Dialer is made once per run and shared by every host: it caches the
// known_hosts database, the keys (so a passphrase is asked once), and one
// connection per jump host, through which many hosts are reached.
package ssh
