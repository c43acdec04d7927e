package problem

// Error codes: the stable, machine-readable Code of an Error, which clients
// (the web UI, scripts, the tests) match on. Every code is defined once here,
// so that a code built in several places cannot drift and a reader finds all
// of them in one list. The comment above each group names the packages
// that make its codes.
const (
	// api
	CodeAuditReadFailed        = "audit_read_failed"
	CodeAuditUnavailable       = "audit_unavailable"
	CodeBodyRequired           = "body_required"
	CodeBodyTimeout            = "body_timeout"
	CodeBodyTooLarge           = "body_too_large"
	CodeBodyUnreadable         = "body_unreadable"
	CodeCanceled               = "canceled"
	CodeInternal               = "internal"
	CodeInvalidBefore          = "invalid_before"
	CodeInvalidJSON            = "invalid_json"
	CodeInvalidLimit           = "invalid_limit"
	CodeInvalidQuery           = "invalid_query"
	CodeMethodNotAllowed       = "method_not_allowed"
	CodeMissingCredentials     = "missing_credentials"
	CodeNoSuchRoute            = "no_such_route"
	CodeServerStopped          = "server_stopped"
	CodeTooManyConsoles        = "too_many_consoles"
	CodeTooManyEventStreams    = "too_many_event_streams"
	CodeUnknownEventType       = "unknown_event_type"
	CodeUnsupportedContentType = "unsupported_content_type"
	CodeWebSocketRequired      = "websocket_required"

	// auth
	CodeCSRFFailed         = "csrf_failed"
	CodeForbiddenRole      = "forbidden_role"
	CodeInvalidCredentials = "invalid_credentials"
	CodeInvalidToken       = "invalid_token"
	CodeNoSuchSession      = "no_such_session"
	CodeOriginMismatch     = "origin_mismatch"
	CodeSessionLimit       = "session_limit"
	CodeTooManyAttempts    = "too_many_attempts"
	CodeUnauthenticated    = "unauthenticated"
	CodeWeakToken          = "weak_token"

	// console
	CodeInvalidTicket = "invalid_ticket"

	// console/screen
	CodeDiskFull                  = "disk_full"
	CodeScreenshotEmpty           = "screenshot_empty"
	CodeScreenshotFailed          = "screenshot_failed"
	CodeScreenshotNamesTaken      = "screenshot_names_taken"
	CodeScreenshotNotSaved        = "screenshot_not_saved"
	CodeScreenshotQuota           = "screenshot_quota"
	CodeScreenshotTimeout         = "screenshot_timeout"
	CodeScreenshotUnreadable      = "screenshot_unreadable"
	CodeScreenshotsDirNotWritable = "screenshots_dir_not_writable"
	CodeThumbnailBusy             = "thumbnail_busy"
	CodeVirshMissing              = "virsh_missing"

	// console/serial
	CodeNoSerialConsole = "no_serial_console"

	// console/vnc
	CodeNoSpiceGraphics     = "no_spice_graphics"
	CodeNoVNCGraphics       = "no_vnc_graphics"
	CodeSpiceNotReachable   = "spice_not_reachable"
	CodeSpiceOnly           = "spice_only"
	CodeVNCHandshakeFailed  = "vnc_handshake_failed"
	CodeVNCHandshakeRefused = "vnc_handshake_refused"
	CodeVNCNotListening     = "vnc_not_listening"
	CodeVNCPortUnknown      = "vnc_port_unknown"
	CodeVNCUnreachable      = "vnc_unreachable"

	// domainedit
	CodeSerialConsoleExists = "serial_console_exists"
	CodeSerialPortInUse     = "serial_port_in_use"

	// host
	CodeDuplicateHost        = "duplicate_host"
	CodeHostUnavailable      = "host_unavailable"
	CodeInvalidHostName      = "invalid_host_name"
	CodeInvalidRequest       = "invalid_request"
	CodeInvalidURI           = "invalid_uri"
	CodeInvalidUUID          = "invalid_uuid"
	CodeLibvirtError         = "libvirt_error"
	CodeLibvirtTimeout       = "libvirt_timeout"
	CodeTransportUnsupported = "transport_unsupported"
	CodeUnsupported          = "unsupported"
	CodeVMStateConflict      = "vm_state_conflict"

	// hostadmin
	CodeHostFromConfig  = "host_from_config"
	CodeHostsSaveFailed = "hosts_save_failed"
	CodeKeyFileInvalid  = "key_file_invalid"
	CodeKeyFileUnsafe   = "key_file_unsafe"
	CodeNoSSHAuth       = "no_ssh_auth"
	CodeTooManyHosts    = "too_many_hosts"

	// lifecycle
	CodeDiskInUse              = "disk_in_use"
	CodeDiskHasDependents      = "disk_has_dependents"
	CodeDiskNotRemovable       = "disk_not_removable"
	CodeDiskRemovalFailed      = "disk_removal_failed"
	CodeDuplicateDisk          = "duplicate_disk"
	CodeInvalidField           = "invalid_field"
	CodeInvalidSnapshotsChoice = "invalid_snapshots_choice"
	CodeInvalidTimeout         = "invalid_timeout"
	CodeRemoteDiskRemoval      = "remote_disk_removal"
	CodeShutdownTimeout        = "shutdown_timeout"
	CodeUnknownAction          = "unknown_action"
	CodeUnknownDisk            = "unknown_disk"
	CodeVMAlreadyRunning       = "vm_already_running"
	CodeVMNotPaused            = "vm_not_paused"
	CodeVMPaused               = "vm_paused"
	CodeVMHasSnapshots         = "vm_has_snapshots"
	CodeVMRunning              = "vm_running"

	// operation
	CodeSnapshotBusy           = "snapshot_busy"
	CodeVMBusy                 = "vm_busy"
	CodeOperationNotCancelable = "operation_not_cancelable"
	CodeOperationNotFound      = "operation_not_found"

	// snapshot
	CodeConfirmRequired      = "confirm_required"
	CodeDeleteUnsupported    = "delete_unsupported"
	CodeInvalidAfter         = "invalid_after"
	CodeInvalidDescription   = "invalid_description"
	CodeInvalidScope         = "invalid_scope"
	CodeInvalidSnapshotName  = "invalid_snapshot_name"
	CodeInvalidSnapshotRef   = "invalid_snapshot_ref"
	CodeNoChildren           = "no_children"
	CodeNoConfiguration      = "no_configuration"
	CodeNoScreenshot         = "no_screenshot"
	CodeQuiesceFailed        = "quiesce_failed"
	CodeQuiesceNotApplicable = "quiesce_not_applicable"
	CodeQuiesceUnavailable   = "quiesce_unavailable"
	CodeRevertRisky          = "revert_risky"
	CodeRevertUnsupported    = "revert_unsupported"
	CodeSnapshotExists       = "snapshot_exists"
	CodeSnapshotInterrupted  = "snapshot_interrupted"
	CodeSnapshotNotFound     = "snapshot_not_found"
	CodeSnapshotNotPossible  = "snapshot_not_possible"
	CodeVMStopped            = "vm_stopped"

	// api and snapshot
	CodeMissingField = "missing_field"

	// console/vnc and operation
	CodeShuttingDown = "shutting_down"

	// domainedit and lifecycle
	CodeVMTransient = "vm_transient"

	// host and inventory
	CodeHostNotFound = "host_not_found"
	CodeVMNotFound   = "vm_not_found"

	// console/screen and console/serial and console/vnc and snapshot
	CodeVMNotRunning = "vm_not_running"
)

// Codes of snapshot schedules (snapschedule).
const (
	CodeInvalidPolicy       = "invalid_policy"
	CodeInvalidSchedule     = "invalid_schedule"
	CodeInvalidRetention    = "invalid_retention"
	CodeInvalidNamePattern  = "invalid_name_pattern"
	CodePolicyNotFound      = "policy_not_found"
	CodePolicyExists        = "policy_exists"
	CodePolicyLimit         = "policy_limit"
	CodePoolFull            = "pool_full"
	CodeScheduleStoreFailed = "schedule_store_failed"
)

// Codes of external snapshot chains, merges and compaction (snapshot).
const (
	CodeMergeRefused     = "merge_refused"
	CodeNothingToMerge   = "nothing_to_merge"
	CodeMergeFailed      = "merge_failed"
	CodeCompactRefused   = "compact_refused"
	CodeCompactFailed    = "compact_failed"
	CodeInvalidMergeMode = "invalid_merge_mode"
)

// Codes of the caps on console recordings (api).
const (
	CodeTooManyRecordings      = "too_many_recordings"
	CodeTooManyRecordingStarts = "too_many_recording_starts"
)
