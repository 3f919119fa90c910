package scenarios

import "github.com/consim/consim/nodes/client"

// checkMix rejects a workload mix whose weights are all zero. A client
// given the zero Mix plays client.DefaultMix, so such a file would run a
// mix it does not show (and `simrun show` would print the zeros): the file
// must say which mix it means.
func (d *decoder) checkMix(s Scenario) {
	m := s.Workload.Mix
	if m != (client.Mix{}) {
		return
	}
	const path = "workload.mix"
	def := client.DefaultMix
	d.add(d.at(path), path, "every weight is 0; give at least one of them a positive value (the default mix is {get: %d, put: %d, append: %d, cas: %d})",
		def.Get, def.Put, def.Append, def.CAS)
}
