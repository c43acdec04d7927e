package snapshot

import (
	"cmp"
	"slices"
)

// forest is a VM's snapshots indexed by name, with the links between them.
type forest struct {
	byName map[string]*Snapshot
	// order lists every snapshot, parents before children, siblings oldest
	// first.
	order []*Snapshot
	roots []*TreeNode
}

// bySnapshotAge orders siblings: oldest first, then by name.
func bySnapshotAge(a, b *Snapshot) int {
	if c := a.CreationTime.Compare(b.CreationTime); c != 0 {
		return c
	}
	return cmp.Compare(a.Name, b.Name)
}

// buildForest links snapshots into a tree. A parent that is not in the list
// (libvirt never reports one, but XML can be redefined by hand) makes its
// child a root; so does a cycle, so that every snapshot appears once.
func buildForest(snaps []Snapshot, current string) *forest {
	f := &forest{byName: make(map[string]*Snapshot, len(snaps))}
	ptrs := make([]*Snapshot, len(snaps))
	for i := range snaps {
		s := &snaps[i]
		s.Children = []string{}
		s.Current = s.Name == current
		s.Descendants = 0
		f.byName[s.Name] = s
		ptrs[i] = s
	}
	slices.SortFunc(ptrs, bySnapshotAge)
	kids := make(map[string][]*Snapshot, len(snaps))
	var roots []*Snapshot
	for _, s := range ptrs {
		if _, ok := f.byName[s.Parent]; ok && s.Parent != s.Name {
			kids[s.Parent] = append(kids[s.Parent], s)
		} else {
			roots = append(roots, s)
		}
	}
	seen := make(map[string]bool, len(snaps))
	var walk func(s *Snapshot) *TreeNode
	walk = func(s *Snapshot) *TreeNode {
		seen[s.Name] = true
		f.order = append(f.order, s)
		n := &TreeNode{Name: s.Name, Children: []*TreeNode{}}
		for _, k := range kids[s.Name] {
			if seen[k.Name] {
				continue
			}
			s.Children = append(s.Children, k.Name)
			n.Children = append(n.Children, walk(k))
			s.Descendants += 1 + k.Descendants
		}
		return n
	}
	for _, r := range roots {
		if !seen[r.Name] {
			f.roots = append(f.roots, walk(r))
		}
	}
	// Whatever a cycle kept out of reach becomes a root of its own.
	for _, s := range ptrs {
		if !seen[s.Name] {
			s.Parent = ""
			f.roots = append(f.roots, walk(s))
		}
	}
	if f.roots == nil {
		f.roots = []*TreeNode{}
	}
	return f
}

// flat returns the snapshots in tree order.
func (f *forest) flat() []Snapshot {
	out := make([]Snapshot, len(f.order))
	for i, s := range f.order {
		out[i] = *s
	}
	return out
}

// descendants returns every descendant of name, children before their own
// children (breadth first).
func (f *forest) descendants(name string) []string {
	var out []string
	queue := []string{name}
	for len(queue) > 0 {
		s := f.byName[queue[0]]
		queue = queue[1:]
		if s == nil {
			continue
		}
		out = append(out, s.Children...)
		queue = append(queue, s.Children...)
	}
	return out
}

// isAncestor reports whether a is a (strict) ancestor of b.
func (f *forest) isAncestor(a, b string) bool {
	for s, hops := f.byName[b], 0; s != nil && s.Parent != "" && hops <= len(f.byName); hops++ {
		if s.Parent == a {
			return true
		}
		s = f.byName[s.Parent]
	}
	return false
}
