package runner

import (
	"slices"
	"testing"
)

func TestBatches(t *testing.T) {
	one, five := Size{N: 1}, Size{N: 5}
	pct := func(n int) Size { return Size{N: n, Percent: true} }
	tests := []struct {
		name  string
		total int
		ramp  []Size
		want  []int
	}{
		{"everyone at once", 7, nil, []int{7}},
		{"no hosts", 0, []Size{one}, nil},
		{"count", 7, []Size{Size{N: 3}}, []int{3, 3, 1}},
		{"canary then quarter", 10, []Size{one, pct(25)}, []int{1, 3, 3, 3}},
		{"ramp", 100, []Size{one, five, pct(25)}, []int{1, 5, 25, 25, 25, 19}},
		{"percent rounds up", 3, []Size{pct(10)}, []int{1, 1, 1}},
		{"percent of the fleet, not the rest", 8, []Size{pct(50)}, []int{4, 4}},
		{"batch larger than fleet", 2, []Size{Size{N: 10}}, []int{2}},
		{"hundred percent", 5, []Size{one, pct(100)}, []int{1, 4}},
		{"2000 hosts", 2000, []Size{one, pct(25)}, []int{1, 500, 500, 500, 499}},
	}
	for _, tc := range tests {
		got := Batches(tc.total, tc.ramp)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: Batches(%d, %v) = %v, want %v", tc.name, tc.total, tc.ramp, got, tc.want)
		}
		sum := 0
		for _, n := range got {
			sum += n
		}
		if sum != tc.total {
			t.Errorf("%s: batches place %d hosts of %d", tc.name, sum, tc.total)
		}
	}
}

func TestBudget(t *testing.T) {
	tests := []struct {
		size  Size
		total int
		want  int
	}{
		{Size{N: 0}, 10, 0},
		{Size{N: 2}, 10, 2},
		{Size{N: 10, Percent: true}, 5, 0},  // rounds down: 0.5 host tolerated is none
		{Size{N: 10, Percent: true}, 10, 1}, // exactly one
		{Size{N: 10, Percent: true}, 19, 1}, // 1.9 → 1
		{Size{N: 50, Percent: true}, 300, 150},
	}
	for _, tc := range tests {
		if got := tc.size.budget(tc.total); got != tc.want {
			t.Errorf("budget %v of %d = %d, want %d", tc.size, tc.total, got, tc.want)
		}
	}
}
