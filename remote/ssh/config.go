package ssh

import (
	"os"
	"time"
)

// Config is how to reach one host. Empty fields are filled from
// ~/.ssh/config (looked up by Alias, then by Host), then from defaults.
type Config struct {
	// Alias is the host's name in the inventory; ~/.ssh/config "Host"
	// patterns are matched against it first.
	Alias string
	// Host is the address or DNS name to connect to. Empty: the
	// ssh_config HostName for Alias, else Alias.
	Host string
	Port int    // default: ssh_config Port, else 22
	User string // default: ssh_config User, else $USER, else root
	// IdentityFiles are private keys to offer, after the agent's. Empty:
	// ssh_config IdentityFile, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa.
	IdentityFiles []string
	// KnownHosts are known_hosts files; new keys are recorded in the first.
	// Empty: ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts.
	KnownHosts []string
	// Jump is a ProxyJump list, "[user@]host[:port][,...]"; "none" means
	// connect directly even when ssh_config names a ProxyJump.
	Jump string
	// Become runs the helper as root through `sudo -n` when User is not root.
	Become bool
}

// Options are shared by every dial of one run.
type Options struct {
	// AcceptNewHostKeys trusts an unknown host's key on first use and
	// records it in the host's first known_hosts file. A changed key is
	// never accepted.
	AcceptNewHostKeys bool
	// SSHConfigPath is the ssh_config file to honour: "" means
	// ~/.ssh/config, "none" means none.
	SSHConfigPath string
	// AgentSocket is the ssh-agent socket: "" means $SSH_AUTH_SOCK, "none"
	// means no agent.
	AgentSocket string
	// Passphrase is asked for an encrypted key the agent does not hold,
	// once per key file per Dialer. Nil: such keys are skipped.
	Passphrase func(keyFile string) ([]byte, error)

	DialTimeout      time.Duration // TCP connect (or channel open via a jump host); default 10s
	HandshakeTimeout time.Duration // SSH handshake and authentication; default 15s
	OpTimeout        time.Duration // each exec, upload or helper run; default 5m
	// KeepAliveInterval is how often an idle connection is probed with
	// keepalive@openssh.com; default 15s, negative disables. A connection
	// whose peer has not answered for KeepAliveCountMax intervals (default
	// 3) is closed, failing whatever runs on it.
	KeepAliveInterval time.Duration
	KeepAliveCountMax int

	// Getenv reads the environment (HOME, USER, SSH_AUTH_SOCK); nil means
	// os.Getenv.
	Getenv func(string) string
}

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 15 * time.Second
	}
	if o.OpTimeout <= 0 {
		o.OpTimeout = 5 * time.Minute
	}
	if o.KeepAliveInterval == 0 {
		o.KeepAliveInterval = 15 * time.Second
	}
	if o.KeepAliveCountMax <= 0 {
		o.KeepAliveCountMax = 3
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	return o
}
