package inventory

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// decoder turns the blocks of every file into the model, reporting
// unknown and missing attributes, bad values and duplicate names.
type decoder struct {
	inv   *Inventory
	ctx   *hcl.EvalContext
	diags hcl.Diagnostics
	seen  map[string]hcl.Range // "type name" → first definition
}

func decode(inv *Inventory, ctx *hcl.EvalContext, bodies []hcl.Body) hcl.Diagnostics {
	d := &decoder{inv: inv, ctx: ctx, seen: map[string]hcl.Range{}}
	for _, body := range bodies {
		content, diags := body.Content(fileSchema)
		d.diags = append(d.diags, diags...)
		for _, blk := range content.Blocks {
			d.block(blk)
		}
	}
	return d.diags
}

func (d *decoder) block(blk *hcl.Block) {
	schema := blockSchemas[blk.Type]
	content, diags := blk.Body.Content(schema)
	d.diags = append(d.diags, diags...)
	b := Block{DefRange: blk.DefRange}
	if len(blk.Labels) > 0 {
		b.Name, b.NameRange = blk.Labels[0], blk.LabelRanges[0]
	} else {
		b.NameRange = blk.TypeRange
	}
	key := blk.Type + " " + b.Name
	if first, dup := d.seen[key]; dup {
		what := fmt.Sprintf("%s %q", blk.Type, b.Name)
		if b.Name == "" {
			what = blk.Type
		}
		d.diags = append(d.diags, errorDiag(b.NameRange, "Duplicate "+blk.Type+" block",
			fmt.Sprintf("%s was already defined at %s.", what, pos(first))))
		return
	}
	d.seen[key] = b.DefRange
	r := newAttrReader(d.ctx, schema, content, &b, d.inv.Dir, &d.diags)
	switch blk.Type {
	case "defaults":
		d.inv.Defaults = Defaults{Block: b, SSH: readSSH(r), Adopt: r.boolean("adopt")}
	case "vsphere":
		d.inv.VSpheres = append(d.inv.VSpheres, &VSphere{Block: b,
			URL: r.str("url"), Username: r.str("username"), Password: r.secret("password"),
			Datacenter: r.str("datacenter"), Insecure: deref(r.boolean("insecure")),
			Thumbprint: r.str("thumbprint"), CAFile: r.path("ca_file")})
	case "trunk":
		t := &Trunk{Block: b, VSphere: r.str("vsphere"), SwitchType: r.str("switch_type"), Switch: r.str("switch"),
			Hosts: r.list("hosts"), PortGroup: r.str("portgroup"), NIC: r.str("nic")}
		vlans := r.list("vlans")
		if r.empty("vlans", vlans) {
			d.diags = append(d.diags, errorDiag(b.Range("vlans"), "Empty VLAN list",
				"vlans = [] lets no VLAN through the trunk; list the VLAN ids or ranges it carries, such as [\"150\", \"160-169\"]."))
		}
		t.Ranges = d.vidRanges(t, vlans)
		d.inv.Trunks = append(d.inv.Trunks, t)
	case "vlan":
		d.inv.VLANs = append(d.inv.VLANs, &VLAN{Block: b, Trunk: r.str("trunk"),
			ID: deref(r.integer("id")), Subnet: r.prefix("subnet"), Gateway: r.addr("gateway"),
			Network: r.str("network"), Driver: r.str("driver"), Mode: r.str("mode"),
			PerAgent: deref(r.integer("per_agent")), VerifyURL: r.str("verify_url"),
			Subnet6: r.prefix6("subnet6"), Gateway6: r.addr6("gateway6"), PerAgent6: deref(r.integer("per_agent6"))})
	case "egress":
		d.inv.Egress = append(d.inv.Egress, &Egress{Block: b, Network: r.str("network"),
			Bridge: r.str("bridge"), Subnet: r.prefix("subnet"), SourceIP: r.str("source_ip"),
			AddAddress: deref(r.boolean("add_address")), VerifyURL: r.str("verify_url")})
	case "bridge":
		d.inv.Bridges = append(d.inv.Bridges, &Bridge{Block: b, Network: r.str("network"),
			Bridge: r.str("bridge"), Subnet: r.prefix("subnet")})
	case "group":
		d.inv.Groups = append(d.inv.Groups, &Group{Block: b, Agents: r.list("agents"), Serves: readServes(r)})
	case "agent":
		d.inv.Agents = append(d.inv.Agents, d.agent(b, r))
	case "rollout":
		d.inv.Rollout = d.rollout(b, r)
	case "kasm":
		d.inv.Kasm = &Kasm{Block: b, URL: r.str("url"), Username: r.str("username"), Password: r.secret("password"),
			APIKey: r.secret("api_key"), APIKeySecret: r.secret("api_key_secret"), CAFile: r.path("ca_file")}
	case "workspace":
		d.inv.Workspaces = append(d.inv.Workspaces, d.workspace(b, r))
	}
}

func (d *decoder) agent(b Block, r *attrReader) *Agent {
	a := &Agent{Block: b, Address: r.str("address"), SSH: readSSH(r), Adopt: r.boolean("adopt"), VM: r.str("vm"),
		BareMetal: deref(r.boolean("bare_metal")), TrunkNIC: r.str("trunk_nic"), Slot: r.integer("slot"), Serves: readServes(r)}
	keys, ranges := r.strMap("ip_ranges")
	for i, k := range keys {
		p, err := parsePrefix(ranges[k])
		if err != nil {
			d.diags = append(d.diags, errorDiag(b.ItemRange("ip_ranges", i), "Invalid ip-range", err.Error()))
			b.invalid["ip_ranges"] = true
			continue
		}
		if a.IPRanges == nil {
			a.IPRanges = map[string]netip.Prefix{}
		}
		a.IPRanges[k] = p
	}
	_, a.SourceIPs = r.strMap("source_ips")
	return a
}

func readSSH(r *attrReader) SSH {
	return SSH{User: r.str("user"), Port: deref(r.integer("port")),
		IdentityFile: r.path("identity_file"), KnownHosts: r.path("known_hosts"),
		Become: r.boolean("become"), Jump: r.str("jump")}
}

func readServes(r *attrReader) Serves {
	return Serves{VLANs: r.list("vlans"), Egress: r.list("egress"), Bridges: r.list("bridges")}
}

func (d *decoder) rollout(b Block, r *attrReader) Rollout {
	ro := Rollout{Block: b}
	batches := r.list("batch")
	if r.empty("batch", batches) {
		d.diags = append(d.diags, errorDiag(b.Range("batch"), "Empty batch list",
			"batch = [] names no batch size. Remove it to roll out to the whole fleet at once, or list sizes such as [\"1\", \"25%\"]."))
	}
	for i, s := range batches {
		bt, err := parseBatch(s, false)
		if err != nil {
			d.diags = append(d.diags, errorDiag(b.ItemRange("batch", i), "Invalid batch size", err.Error()))
			continue
		}
		ro.Batches = append(ro.Batches, bt)
	}
	if b.Has("max_failures") {
		if vals := r.list("max_failures"); len(vals) == 1 {
			mf, err := parseBatch(vals[0], true)
			if err != nil {
				d.diags = append(d.diags, errorDiag(b.Range("max_failures"), "Invalid max_failures", err.Error()))
			}
			ro.MaxFailures = mf
		}
	}
	if s := r.str("pause"); s != "" {
		p, err := time.ParseDuration(s)
		if err != nil || p < 0 {
			d.diags = append(d.diags, errorDiag(b.Range("pause"), "Invalid pause",
				fmt.Sprintf("%q is not a duration such as \"30s\" or \"2m\".", s)))
		}
		ro.Pause = p
	}
	ro.Drain, ro.Before, ro.After = r.str("drain"), r.str("before"), r.str("after")
	if s := r.str("drain_timeout"); s != "" {
		t, err := time.ParseDuration(s)
		if err != nil || t <= 0 {
			d.diags = append(d.diags, errorDiag(b.Range("drain_timeout"), "Invalid drain_timeout",
				fmt.Sprintf("%q is not a positive duration such as \"15m\" or \"1h\".", s)))
		}
		ro.DrainTimeout = t
	}
	return ro
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
