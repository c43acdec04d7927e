package problem

// Codes of the SPICE console (package console/spice).
const (
	CodeSpiceUnreachable     = "spice_unreachable"
	CodeSpiceHandshakeFailed = "spice_handshake_failed"
	CodeSpiceRefused         = "spice_refused"
)
