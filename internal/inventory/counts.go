package inventory

// Counts returns how many VMs each host has in each state, from the cache
// (no waiting: a host that is still connecting counts what is known).
// Hosts without VMs are absent.
func (inv *Inventory) Counts() map[string]map[State]int {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	out := make(map[string]map[State]int, len(inv.hosts))
	for name, h := range inv.hosts {
		if len(h.vms) == 0 {
			continue
		}
		c := make(map[State]int, 4)
		for _, e := range h.vms {
			c[e.vm.State]++
		}
		out[name] = c
	}
	return out
}
