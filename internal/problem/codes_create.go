package problem

// Error codes of VM creation (issue 16), in a file of their own so that
// they merge beside the other groups: vmcreate, nocloud, osinfo.
const (
	CodeInvalidUserData      = "invalid_user_data"
	CodeInvalidNetworkConfig = "invalid_network_config"
	CodeInvalidCloudInit     = "invalid_cloud_init"
	CodeInvalidVMName        = "invalid_vm_name"
	CodeVMExists             = "vm_exists"
	CodeInvalidVMSpec        = "invalid_vm_spec"
	CodeUnknownOS            = "unknown_os"
	CodeFirmwareMissing      = "firmware_missing"
	CodeOSInfoUnavailable    = "osinfo_unavailable"
	CodeVMNotShutOff         = "vm_not_shut_off"
	CodeVMIsTemplate         = "vm_is_template"
)
