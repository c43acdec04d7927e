package problem

// Codes of hardware edits (hardware).
const (
	CodeInvalidHardware   = "invalid_hardware"
	CodeDiskNotFound      = "disk_not_found"
	CodeNICNotFound       = "nic_not_found"
	CodeFirmwareWhileOn   = "firmware_vm_running"
	CodeTPMUnavailable    = "tpm_unavailable"
	CodeInvalidDomainXML  = "invalid_domain_xml"
	CodeDomainXMLIdentity = "domain_xml_identity"
	CodeHardwareUnchanged = "hardware_unchanged"
	CodeDiskShrinkRefused = "disk_shrink_refused"
	CodeDiskNotResizable  = "disk_not_resizable"
	CodeDomainXMLRejected = "domain_xml_rejected"
)
