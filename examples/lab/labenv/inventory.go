package labenv

import "path/filepath"

// BareMetalInventoryPath is examples/lab/bare-metal.hcl: the agent block
// of each bare-metal agent (kasm-agent-4), to give push after
// inventory.hcl (push apply inventory.hcl bare-metal.hcl).
func (l *Lab) BareMetalInventoryPath() string { return filepath.Join(l.root, "bare-metal.hcl") }
