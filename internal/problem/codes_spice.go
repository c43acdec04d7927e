package problem

// Codes of the SPICE console (package console/spice).
const (
	CodeSpiceUnreachable     = "spice_unreachable"
	CodeSpiceHandshakeFailed = "spice_handshake_failed"
	CodeSpiceRefused         = "spice_refused"
)

// Codes of the multiple displays (console/vnc heads).
const (
	CodeNoSuchDisplay       = "no_such_display"
	CodeDisplayNotInBrowser = "display_not_in_browser"
)
