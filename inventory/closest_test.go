package inventory

import "testing"

func TestClosest(t *testing.T) {
	names := []string{"site_a", "site_b", "users_a"}
	tests := []struct{ in, want string }{
		{"site-a", "site_a"},  // one substitution
		{"user_a", "users_a"}, // one deletion
		{"sites_a", "site_a"}, // one insertion
		{"usr_a", "users_a"},  // two edits
		{"vlan150", ""},       // nothing near
		{"site_c", "site_a"},  // a tie keeps the first
		{"", ""},              // empty is far from everything
	}
	for _, tc := range tests {
		if got := closest(tc.in, names); got != tc.want {
			t.Errorf("closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
