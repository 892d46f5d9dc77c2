// Package adoption holds the lab tests of bringing agents built by hand
// from the Kasm procedures under push: plan shows only adoptions, apply
// --adopt changes nothing that carries traffic while every session keeps
// proving its egress, and the result survives a reboot; a mixed fleet
// fails only the host whose hand-made SNAT rule contradicts the
// inventory.
package adoption
