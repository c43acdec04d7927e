// Generated from api/openapi.yaml by `npm run gen:api` (openapi-typescript). Do not edit:
// change the YAML and run it again; `npm run lint` fails when this file is stale.

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness check */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Serving */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @constant */
                            status?: "ok";
                            version?: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics (text exposition format)
         * @description The VMs' libvirt_domain_* series (labels host, uuid, name; target_device for disks and interfaces) from the last stats tick, and the server's kvm_manager_* series. Send the metrics token as `Authorization: Bearer TOKEN`, or log in as a user with the metrics or admin role. See docs/operations.md.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The series */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/plain": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Login page; with ?token= logs the browser in and redirects */
        get: {
            parameters: {
                query?: {
                    token?: string;
                    /** @description path on this site to go to after login (printable ASCII, no backslash, no //); anything else goes to / */
                    next?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The login form */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": unknown;
                    };
                };
                /** @description Logged in; redirect to next */
                303: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Wrong token; the form with the error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": unknown;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Log in with a user name and password (or the API token) for a session cookie and CSRF token
         * @description Failed logins are counted per user name and client address (5 free) and per client
         *     address over all names (20 free); an attempt is reserved before the password is
         *     checked. The failure that uses up the free attempts locks out for 15 s, each further
         *     one for twice as long (up to 15 min); 429 with Retry-After. A success forgives only
         *     its own user name at its address. A login beyond --max-sessions-per-user (default
         *     20) ends that user's oldest session.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        username?: string;
                        password?: string;
                        /** @description instead of username and password */
                        token?: string;
                    };
                };
            };
            responses: {
                /** @description Logged in; Set-Cookie carries the session (HttpOnly, SameSite=Strict, Secure under TLS) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Session"];
                    };
                };
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End the session (server-side) and clear the cookie */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Logged out */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The current session's user, role, permissions and CSRF token */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Session */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Session"];
                    };
                };
                401: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Live sessions of the caller's user (an admin sees everyone's) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Sessions, newest first */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            sessions?: components["schemas"]["SessionInfo"][];
                        };
                    };
                };
                401: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sessions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** End a session at once (its consoles and event streams close); others' sessions need admin */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Ended */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["Error"];
                403: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The audit log, newest first
         * @description Users' actions and failed logins (kept in files of their own, see docs/security.md)
         *     merged by time. Failed logins refused by the throttle are summed up: one entry per
         *     client address and minute with `count` and the `names` tried; the summary of the
         *     current minute is included before it is written.
         */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    /** @description only entries older than this time (paging by time; entries sharing the last time can be missed: prefer cursor) */
                    before?: string;
                    /** @description the next value of the previous page's answer: the page after it */
                    cursor?: string;
                    /** @description a user name; also finds summaries of refused logins that list it */
                    user?: string;
                    /** @description VM name or UUID */
                    vm?: string;
                    /** @description an action, or a prefix such as vm or snapshot */
                    action?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Entries */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            entries?: components["schemas"]["AuditEntry"][];
                            more?: boolean;
                            /** @description cursor of the next (older) page, while more is true */
                            next?: string;
                            file?: string;
                            /** @description why the log cannot be written now (e.g. disk full) */
                            writeError?: string;
                        };
                    };
                };
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                403: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/server": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Server health for admins (version, uptime, goroutines, heap, audit log state) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Server */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            version?: string;
                            uptimeSeconds?: number;
                            goroutines?: number;
                            heapBytes?: number;
                            auditFile?: string;
                            auditError?: string;
                        };
                    };
                };
                401: components["responses"]["Error"];
                403: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Configured hosts and their connection state */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Hosts */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            hosts?: components["schemas"]["Host"][];
                        };
                    };
                };
                401: components["responses"]["Error"];
            };
        };
        put?: never;
        /**
         * Add a host (kept in the data dir's hosts.json) and connect to it
         * @description The name (1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit) must be new; the URI is checked as for --host (qemu:///system, qemu+unix://…?socket=, qemu+ssh://, qemu+tls://; no_verify is refused). For qemu+ssh, ?keyfile=PATH names a private key file on the server, which must exist and be readable by its owner only (mode 600); without it the server's SSH agent (SSH_AUTH_SOCK) is used, and there must be one. A new SSH host is untrusted until its key is approved (POST /api/v1/hosts/{host}/trust). Nothing is saved when a check fails. Bodies are limited to 8 KiB; at most 64 hosts may be added. Audited as host.add.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["HostSpec"];
                };
            };
            responses: {
                /** @description The new host, connecting */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Host"];
                    };
                };
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                403: components["responses"]["Error"];
                409: components["responses"]["Error"];
                413: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Test a connection to a host before adding or changing it
         * @description Connects once with the given URI (checked as for POST /api/v1/hosts; the name may be left out), asks libvirt for its version and closes again; nothing is saved or started. An SSH host whose key is not approved answers ok false with state untrusted (or host_key_changed) and the key's fingerprint, after the key exchange only. At most 15 s. Audited as host.test.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["HostSpec"];
                };
            };
            responses: {
                /** @description What the attempt found */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HostProbe"];
                    };
                };
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                403: components["responses"]["Error"];
                413: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Give a host added through the API a new URI, a new name, or both
         * @description The old link closes (consoles on it too), the host's VMs leave the list and it connects with the new URI. A new name (same rules as for adding; a name in use answers 409 duplicate_host) moves the host: a host-removed event names the old name, its VMs come back under the new one with the same UUIDs, its approved SSH key still applies (keys are kept by address) and its snapshots keep their screenshots. Addresses with the old name stop working. An absent field keeps its value. Hosts from the flags or config file answer 409 host_from_config. Audited as host.edit.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description the new name; absent or the same: not renamed */
                        name?: string;
                        /** @description the new URI; absent: unchanged */
                        uri?: string;
                    };
                };
            };
            responses: {
                /** @description The host, connecting with its new URI */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Host"];
                    };
                };
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                403: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                413: components["responses"]["Error"];
            };
        };
        post?: never;
        /**
         * Remove a host added through the API
         * @description Its links and consoles close, its VMs leave the list (vm-removed events) and a host-removed event follows. Approved SSH keys stay in the known_hosts file. Hosts from the flags or config file answer 409 host_from_config. Audited as host.remove.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Removed */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["Error"];
                403: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/trust": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Approve the SSH host key an untrusted host (or one whose key changed) presents
         * @description Writes the key to the host's known_hosts file (replacing the host's old lines when its key changed) and connects at once. The fingerprint must be exactly the one the host presents now (hostKey.fingerprint in GET /api/v1/hosts); audited as host.trust.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @example SHA256:Y+GcWLsUU0EaVTGYeTdDCuq//F0EVMdaMfhV8k1Kc7g */
                        fingerprint: string;
                    };
                };
            };
            responses: {
                /** @description The approved key */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            host?: string;
                            hostKey?: components["schemas"]["HostKey"];
                        };
                    };
                };
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                403: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/vms": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every VM of every host, from the live cache */
        get: {
            parameters: {
                query?: {
                    host?: string;
                    state?: components["schemas"]["VMState"];
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description VMs sorted by host and name */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            vms?: components["schemas"]["VM"][];
                        };
                    };
                };
                401: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /** One VM */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The VM */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["VM"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        /**
         * Delete (undefine) a VM
         * @description Refused (409) while the VM has snapshots unless `snapshots` is "delete", and while it
         *     runs unless `force` is true. Disk images are removed only when listed in `disks`; an
         *     image that another VM's disk backs onto (a linked clone's base) is refused with 409
         *     `disk_has_dependents`, naming those VMs.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        snapshots?: "delete";
                        /** @description disk targets whose image files are removed, e.g. vda */
                        disks?: string[];
                        force?: boolean;
                        removeNvram?: boolean;
                    };
                };
            };
            responses: {
                202: components["responses"]["Operation"];
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /**
         * Recent stats samples of a VM (oldest first)
         * @description The samples of the last `range`: every tick for the last minutes, averages over longer steps before that (see `history.tiers`). History is kept in memory only, so it starts when the server started or the VM was first seen running.
         */
        get: {
            parameters: {
                query?: {
                    /** @description How far back, as a duration from 1m to 24h (default 5m), e.g. 5m, 1h, 24h. */
                    range?: string;
                };
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Samples */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            samples?: components["schemas"]["Sample"][];
                            history?: components["schemas"]["HistoryInfo"];
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/{action}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
                action: "start" | "shutdown" | "reboot" | "force-off" | "reset" | "pause" | "resume";
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A power action
         * @description shutdown sends an ACPI request and answers 202 with an operation that succeeds when the
         *     VM is really off, or fails after the timeout if the guest ignores ACPI. Other actions
         *     answer 200 with the VM after the change. An action the VM's state does not allow is 409, and so is any action on a template (`vm_is_template`).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    action: "start" | "shutdown" | "reboot" | "force-off" | "reset" | "pause" | "resume";
                };
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        /** @description shutdown only */
                        timeoutSeconds?: number;
                    };
                };
            };
            responses: {
                /** @description The VM after the action */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["VM"];
                    };
                };
                202: components["responses"]["Operation"];
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                502: components["responses"]["Error"];
                503: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/autostart": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        /** Start the VM with the host, or not */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        enabled: boolean;
                    };
                };
            };
            responses: {
                /** @description The VM */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["VM"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/operations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Running and recently finished operations, newest first */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Operations */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            operations?: components["schemas"]["Operation"][];
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/operations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** One operation */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The operation */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Operation"];
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        /** Cancel a running operation (where it may be canceled) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The operation */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Operation"];
                    };
                };
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Server-Sent Events
         * @description Event types: `vm` (a VM changed; data is the VM), `vm-removed` ({host, uuid, name}),
         *     `stats` ({host, time, samples:[{uuid, ...Sample}]}, one per host per tick), `operation`
         *     (an Operation), `host` (a Host, sent for every host on connect and on every change),
         *     `snapshot`, `thumbnail` ({host, uuid, etag, taken}: a watched VM's thumbnail is a new
         *     picture; operators and admins only, see POST /api/v1/thumbnails/watch), `host-removed`
         *     ({name}: a host was removed through the API), `host-key` (a HostKeyAlert: a host presented
         *     an SSH key that is not approved, once per key), `schedule` ({id, removed?, policy?}: a snapshot
         *     policy changed, ran or was removed; `policy.alert` after 3 failed runs in a row), and `resync`
         *     (the client fell behind; reconnect and refetch).
         *     A session (or the API token) may hold 16 streams at once and a client address 64
         *     (`--max-event-streams-per-session`, `--max-event-streams-per-client`); beyond that 429
         *     `too_many_event_streams`, whose hint says to close other tabs.
         */
        get: {
            parameters: {
                query?: {
                    /** @description comma-separated event types to receive */
                    types?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The stream */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/event-stream": unknown;
                    };
                };
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/console": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A ticket for the VM's graphical console (VNC) WebSocket
         * @description Reads the VM's graphics from its live XML and answers a single-use ticket (valid 30 s,
         *     bound to the caller's session and this VM) with the WebSocket URL that carries it.
         *     Refused first, with a code the UI turns into a fix: 409 `vm_not_running` (offer "Start
         *     VM", then ask again); 422 `no_vnc_graphics` (offer POST .../graphics/vnc); 422
         *     `spice_only` (offer GET .../console.vv and POST .../graphics/vnc); 422
         *     `vnc_not_listening` (VNC with listen type none); 429 `too_many_consoles` when the
         *     caller already has as many consoles open (graphical and serial: 8 per session, 32 per
         *     address by default) or 32 unused tickets (4 × the consoles per session).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The ticket */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            ticket?: string;
                            /** @description path and query of the WebSocket, relative to the server */
                            url?: string;
                            expiresInSeconds?: number;
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
                429: components["responses"]["Error"];
                503: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/console/ws": {
        parameters: {
            query: {
                ticket: string;
            };
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /**
         * The graphical console WebSocket (binary RFB, for noVNC)
         * @description Upgrades to a WebSocket (binary messages, no compression; the subprotocol `binary` is
         *     accepted if asked for) when the ticket is valid for this caller and VM; a browser must
         *     also send a same-origin `Origin` (scheme, host and port). Any attempt uses the ticket up.
         *     Refusals are JSON errors before the upgrade: 403 `invalid_ticket` or `origin_mismatch`,
         *     409 `vm_not_running`, 422 `no_vnc_graphics` / `spice_only`, 429 `too_many_consoles`. The server connects only to the VNC server its live XML names (no query
         *     parameter chooses a target), does the VNC security handshake with it itself (the VNC
         *     password never reaches the browser) and offers the browser RFB security type None. The
         *     session is always shared, so several consoles may show one VM. If the VNC server
         *     cannot be reached, the RFB 3.8 SecurityResult fails with the reason, and the
         *     WebSocket closes with it. Idle browsers are pinged every 20 s and dropped after two
         *     missed pongs.
         */
        get: {
            parameters: {
                query: {
                    ticket: string;
                };
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Switching to the WebSocket */
                101: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Error"];
                403: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
                429: components["responses"]["Error"];
                503: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/console.vv": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /**
         * A remote-viewer (virt-viewer) file for the VM's SPICE graphics
         * @description For VMs whose graphics are SPICE only (the browser console cannot show them). The file
         *     names the SPICE port and, when set, the SPICE password; a wildcard listen address is
         *     replaced by the host name the request was sent to.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The .vv file */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/x-virt-viewer": unknown;
                    };
                };
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/graphics/vnc": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add VNC graphics (127.0.0.1, automatic port) to the VM's definition
         * @description Changes the persistent definition only: a running VM gets the display the next time it
         *     is started (shut down and start; a reboot inside the guest keeps the old devices), which
         *     `effectiveAtNextStart` and `message` say. A definition that already has VNC graphics is
         *     left as it is (`added: false`). Transient VMs are refused (422 `vm_transient`).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description What was done, and the VM */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            added?: boolean;
                            effectiveAtNextStart?: boolean;
                            message?: string;
                            vm?: components["schemas"]["VM"];
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                422: components["responses"]["Error"];
                502: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/console/input": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /**
         * The VM's console input settings (VNC keymap, absolute pointer)
         * @description Read from the stored definition and, for a running VM, from the one it runs with
         *     (`live*`). `tablet` says there is an absolute pointer (an input of type tablet): without
         *     one the guest gets relative motion and its pointer drifts from the browser's. `keymaps`
         *     lists what PUT .../graphics/vnc/keymap accepts.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The settings */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            keymap: string;
                            liveKeymap: string;
                            tablet: boolean;
                            liveTablet: boolean;
                            running: boolean;
                            hasVNC: boolean;
                            keymaps: string[];
                        };
                    };
                };
                404: components["responses"]["Error"];
                502: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/graphics/vnc/keymap": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        /**
         * Set the VNC keymap of the VM's definition
         * @description QEMU's VNC server uses the keymap to turn keysyms into scancodes for clients that send no
         *     scancodes (the browser console sends scancodes, QEMU extended key events). An empty keymap
         *     removes the attribute (QEMU's default, en-us). Changes the persistent definition only: a
         *     running VM uses it from its next start (`effectiveAtNextStart`). 400 `invalid_keymap`,
         *     422 `no_vnc_graphics`, 422 `vm_transient`.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        keymap: string;
                    };
                };
            };
            responses: {
                200: components["responses"]["InputChanged"];
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                422: components["responses"]["Error"];
                502: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/input/tablet": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add a USB tablet (an absolute pointer) to the VM's definition
         * @description With a tablet the guest's pointer follows the browser's exactly. Changes the persistent
         *     definition only: a running VM gets it the next time it starts (`effectiveAtNextStart`). A
         *     definition that already has a tablet is left as it is (`changed: false`).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                200: components["responses"]["InputChanged"];
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                422: components["responses"]["Error"];
                502: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/guest-agent/channel": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add the QEMU guest agent's channel (virtio-serial, org.qemu.guest_agent.0) to the VM's definition
         * @description Changes the persistent definition only: a running VM gets the channel the next time it is
         *     started (shut down and start; a reboot inside the guest keeps the old devices), which
         *     `effectiveAtNextStart` and `message` say. The guest still needs qemu-guest-agent installed
         *     and running. A definition that already has the channel is left as it is (`added: false`).
         *     Transient VMs are refused (422 `vm_transient`).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description What was done, and the VM */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            added?: boolean;
                            effectiveAtNextStart?: boolean;
                            message?: string;
                            vm?: components["schemas"]["VM"];
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                422: components["responses"]["Error"];
                502: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/screenshot": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /** A screenshot of the VM's screen, captured by libvirt now (no console needed) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The screen */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "image/png": unknown;
                    };
                };
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                502: components["responses"]["Error"];
            };
        };
        put?: never;
        /**
         * Capture the VM's screen and save it as PNG in the screenshots folder on the server
         * @description The folder is `--screenshots-dir` (default `~/Pictures/KVM Manager`, created when
         *     missing). Files are named `<vm>-<YYYYmmdd-HHMMSS>.png`; an existing file is never
         *     overwritten (`-2`, `-3`, ... is added). 503 `disk_full` or `screenshots_dir_not_writable`
         *     say why a file could not be written. 507 `screenshot_quota`: the folder already holds
         *     as many screenshots of this VM as the server keeps (`--screenshots-per-vm`, default 100;
         *     `--screenshots-mib-per-vm`, default 256 MiB); nothing was captured or written.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Where it was saved */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description absolute path on the server */
                            path?: string;
                            name?: string;
                            bytes?: number;
                            width?: number;
                            height?: number;
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                502: components["responses"]["Error"];
                503: components["responses"]["Error"];
                507: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/thumbnail": {
        parameters: {
            query?: never;
            header?: {
                "If-None-Match"?: string;
            };
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /**
         * A small (320 px wide) screenshot for a VM card, cached for a few seconds
         * @description Captured only when asked, at most once per 5 s per VM however many clients ask (they
         *     share one capture), and at most 10 captures per second for all VMs together; past that
         *     an older thumbnail is answered, or 503 `thumbnail_busy` with Retry-After. The ETag
         *     names the capture: with If-None-Match the answer is 304 until there is a newer one.
         *     409 `vm_not_running` for VMs that do not run.
         */
        get: {
            parameters: {
                query?: never;
                header?: {
                    "If-None-Match"?: string;
                };
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The thumbnail */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "image/png": unknown;
                    };
                };
                /** @description Unchanged since the ETag given */
                304: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                502: components["responses"]["Error"];
                503: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/thumbnails/watch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Keep the thumbnails of the VMs a client shows fresh, announced by events
         * @description Marks the VMs named (the cards on screen, at most 200) as watched for `watchSeconds`
         *     (60): the server captures each of them again every 10 s, within the same limits as
         *     GET .../thumbnail, and publishes a `thumbnail` event {host, uuid, etag, taken} when
         *     the picture changed. A client names its cards again before the watch lapses, and
         *     fetches a thumbnail only when an event (or this answer) gives an ETag other than the
         *     one it holds. VMs that do not run are dropped from the watch.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        vms: {
                            host: string;
                            uuid: string;
                        }[];
                    };
                };
            };
            responses: {
                /** @description The ETags cached now (absent before a VM's first capture) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            watchSeconds?: number;
                            thumbnails?: {
                                host?: string;
                                uuid?: string;
                                etag?: string;
                            }[];
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/serial": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A ticket for the VM's serial console WebSocket
         * @description Answers a single-use ticket (valid 30 s, bound to the caller's session and this VM) and
         *     the WebSocket URL that carries it. Refused first, with a hint, when the VM is not
         *     running (409 `vm_not_running`) or has no serial console (422 `no_serial_console`; the
         *     hint says whether one was added and waits for the next start). `force` takes the console
         *     over from another client that holds it (libvirt allows one), such as `virsh console`.
         *     429 `too_many_consoles` as for the graphical console's ticket.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        /**
                         * @description take the console over from another client
                         * @default false
                         */
                        force?: boolean;
                    };
                };
            };
            responses: {
                /** @description The ticket */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            ticket?: string;
                            /** @description path and query of the WebSocket, relative to the server */
                            url?: string;
                            expiresInSeconds?: number;
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
                429: components["responses"]["Error"];
                503: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/serial/ws": {
        parameters: {
            query: {
                ticket: string;
            };
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /**
         * The serial console WebSocket (shared by every viewer of the VM)
         * @description Upgrades to a WebSocket when the ticket is valid for this caller and VM (a browser must
         *     also send a same-origin `Origin`); refusals are JSON errors before the upgrade (403
         *     `invalid_ticket` or `origin_mismatch`, 429 `too_many_consoles`). All viewers of a VM share one libvirt console:
         *     they see the same output and may all type. The server keeps the last N KiB of output
         *     (`--serial-scrollback`, default 256) and sends it first. The console stays open after
         *     the last viewer leaves (for an hour) and follows the VM: when the VM stops, viewers get
         *     `vm-stopped`; when it starts again, the console reopens by itself (`reopened`), so boot
         *     output is captured.
         *
         *     Binary messages are terminal bytes both ways: from the server, guest output as the
         *     guest wrote it (any bytes; not necessarily UTF-8); from the client, keystrokes, at most
         *     4096 bytes a message (larger: close 1009), paced to 32 KiB/s after a 64 KiB burst.
         *     Cursor-position reports (ESC [ r ; c R, each in a message of its own) are passed on
         *     only as answers to the guest's own queries, once per query, so that several viewers
         *     or a replayed scrollback do not type them into the guest.
         *
         *     Text messages are JSON. Server → client: `{"type":"scrollback-start","bytes":N,"truncated":B}`,
         *     then the kept output, then `{"type":"scrollback-end"}`; `{"type":"status","state":S,"message":M,"hint":H}`
         *     with S one of `connecting`, `connected`, `reopened`, `vm-stopped`, `held-by-other`,
         *     `no-serial-console`, `unavailable`; `{"type":"error","code":C,"message":M}` for a control
         *     message not understood. Client → server: `{"type":"take-over"}` takes the console over
         *     from another client while the state is `held-by-other`.
         *
         *     Close codes: 1001 server shutting down, 1009 input message too large, 4000 the viewer
         *     fell too far behind the output (reconnect; the scrollback fills the gap), 4004 the VM
         *     was deleted.
         */
        get: {
            parameters: {
                query: {
                    ticket: string;
                };
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Switching to the WebSocket protocol */
                101: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Error"];
                401: components["responses"]["Error"];
                403: components["responses"]["Error"];
                404: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/serial/device": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add a serial console to a VM that has none
         * @description Adds a pty serial port 0 and a console on it to the VM's persistent configuration.
         *     A running VM gets it when it next starts (a shut down and start, not a reboot from
         *     inside the guest); `nextStart` says so. Refused when the VM has a console (409
         *     `serial_console_exists`), is transient (409 `vm_transient`), or its first serial port
         *     is another kind of device (422 `serial_port_in_use`). The guest must also use the port
         *     (on Linux, `console=ttyS0` on the kernel command line).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Added */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message?: string;
                            nextStart?: boolean;
                            vm?: components["schemas"]["VM"];
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
                502: components["responses"]["Error"];
                503: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/snapshots": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /**
         * Every snapshot of the VM, flat and as a tree, with the pre-flight for a new one
         * @description `snapshots` lists parents before children, siblings oldest first; `tree` nests names
         *     only (the flat list has the details). `capabilities` says per kind (`memory`,
         *     `disk-only`) whether a snapshot is possible now and, if not, why (`reasons`) and what
         *     would fix it (`fixes`); `quiesce` likewise for the guest agent. `busy` names the snapshot
         *     operation running on the VM (a second one is refused with 409 `snapshot_busy`).
         *     A list that finds the tree changed outside KVM Manager publishes a `snapshot` event
         *     with change `external`.
         */
        get: {
            parameters: {
                query?: {
                    /** @description also read each snapshot's memory state size with qemu-img (local hosts only) */
                    sizes?: boolean;
                };
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The VM's snapshots */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            host?: string;
                            uuid?: string;
                            vm?: string;
                            vmState?: string;
                            count?: number;
                            /** @description absent when there is no current snapshot */
                            current?: string;
                            snapshots?: {
                                name?: string;
                                description?: string;
                                /** Format: date-time */
                                creationTime?: string;
                                /** @description VM state when taken: running, paused, shutoff, disk-snapshot */
                                state?: string;
                                /** @description absent for roots */
                                parent?: string;
                                children?: string[];
                                descendants?: number;
                                current?: boolean;
                                /** @enum {string} */
                                location?: "internal" | "external";
                                /** @description holds the VM's memory state */
                                memory?: boolean;
                                /** @description a console screenshot is stored (GET .../screenshot) */
                                screenshot?: boolean;
                                /** @description only with ?sizes=true */
                                memoryStateBytes?: number;
                            }[];
                            tree?: {
                                name?: string;
                                children?: Record<string, never>[];
                            }[];
                            capabilities?: {
                                vmState?: string;
                                libvirtVersion?: string;
                                /**
                                 * @description the kind a create without "memory" takes
                                 * @enum {string}
                                 */
                                default?: "memory" | "disk-only";
                                /** @description whether it is possible now, and if not why and what would fix it */
                                memory?: {
                                    possible?: boolean;
                                    /**
                                     * @description where a new snapshot of this kind puts its data
                                     * @enum {string}
                                     */
                                    location?: "internal" | "external";
                                    reasons?: string[];
                                    fixes?: string[];
                                    /** @description caveats that hold even when possible */
                                    notes?: string[];
                                };
                                /** @description whether it is possible now, and if not why and what would fix it */
                                "disk-only"?: {
                                    possible?: boolean;
                                    /**
                                     * @description where a new snapshot of this kind puts its data
                                     * @enum {string}
                                     */
                                    location?: "internal" | "external";
                                    reasons?: string[];
                                    fixes?: string[];
                                    /** @description caveats that hold even when possible */
                                    notes?: string[];
                                };
                                /** @description whether it is possible now, and if not why and what would fix it */
                                quiesce?: {
                                    possible?: boolean;
                                    /**
                                     * @description where a new snapshot of this kind puts its data
                                     * @enum {string}
                                     */
                                    location?: "internal" | "external";
                                    reasons?: string[];
                                    fixes?: string[];
                                    /** @description caveats that hold even when possible */
                                    notes?: string[];
                                };
                                /** @description whether it is possible now, and if not why and what would fix it */
                                revertExternal?: {
                                    possible?: boolean;
                                    /**
                                     * @description where a new snapshot of this kind puts its data
                                     * @enum {string}
                                     */
                                    location?: "internal" | "external";
                                    reasons?: string[];
                                    fixes?: string[];
                                    /** @description caveats that hold even when possible */
                                    notes?: string[];
                                };
                                /** @enum {string} */
                                guestAgent?: "connected" | "disconnected" | "none" | "unknown";
                            };
                            busy?: {
                                operation?: string;
                                /** @enum {string} */
                                kind?: "create" | "revert" | "delete" | "edit";
                                snapshot?: string;
                                /** Format: date-time */
                                since?: string;
                            };
                            /** @description whether this server stores screenshots with new snapshots */
                            screenshots?: boolean;
                            sizesError?: string;
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                503: components["responses"]["Error"];
            };
        };
        put?: never;
        /**
         * Take a snapshot
         * @description The name is checked first (1-64 letters, digits, '.', '_', '-', starting with a letter
         *     or digit, no '..', not digits only; unique on the VM): 400 `invalid_snapshot_name`,
         *     409 `snapshot_exists`. `memory` defaults to true for an active VM (internal snapshot
         *     with memory) and false for a stopped one (internal disk-only snapshot); false on an
         *     active VM makes an external disk-only snapshot. `quiesce` absent quiesces when a guest
         *     agent is connected; true without one is 409 `quiesce_unavailable`. A kind the VM cannot
         *     take is 409 `vm_not_running` or 422 `snapshot_not_possible` with the reasons. Another
         *     snapshot operation on the VM is 409 `snapshot_busy`. The operation's result is
         *     {snapshot, quiesced, screenshotPending}: for an active VM a console screenshot is stored
         *     just after the operation ends, announced by a `snapshot` event with change `screenshot`.
         *     Every change publishes a `snapshot` event {host, uuid, vm, change, names, count, current}
         *     with change created, reverted, deleted, edited, screenshot or external (noticed outside
         *     KVM Manager).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        description?: string;
                        memory?: boolean;
                        quiesce?: boolean;
                    };
                };
            };
            responses: {
                202: components["responses"]["Operation"];
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
                503: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/snapshots/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
                name: string;
            };
            cookie?: never;
        };
        /**
         * Everything about one snapshot
         * @description The list fields plus `disks` ({name, location, image, overlay, usage, imageAllocation}),
         *     `memoryState`, `domainXML` (the configuration captured with the snapshot), `revert`
         *     ({possible, reasons, fixes, notes, needsConfirm, impact:{since, message}}) and `delete`
         *     ({one, subtree, children}, each a Capability). Sizes are {bytes, source} as read from
         *     qemu-img or the file system, or {bytes: null, unknown: "why"} when they cannot be known.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The snapshot */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": Record<string, never>;
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        /**
         * Delete the snapshot, or it and its descendants, or only its descendants
         * @description scope=one (default) deletes the snapshot; its children move to its parent.
         *     scope=subtree deletes it and all its descendants; scope=children only its descendants.
         *     What libvirt cannot delete (external snapshot rules) is refused first with 422
         *     `delete_unsupported` and the reason. The operation's result is {deleted, current}.
         */
        delete: {
            parameters: {
                query?: {
                    scope?: "one" | "subtree" | "children";
                };
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                202: components["responses"]["Operation"];
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        /**
         * Change the description
         * @description The snapshot is redefined with its own XML; which snapshot is current does not change.
         */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        description: string;
                    };
                };
            };
            responses: {
                /** @description The snapshot as lists show it */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": Record<string, never>;
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/snapshots/{name}/revert": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
                name: string;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Revert the VM to the snapshot
         * @description `after`: snapshot (default; the state the snapshot recorded), running or paused.
         *     An active VM loses its current state, so without "confirm": true the answer is 409
         *     `confirm_required` whose message says what would be lost. When libvirt calls a revert
         *     risky the operation fails with `revert_risky` and libvirt's warning; send "force": true
         *     only after the user accepted it. Reverting to an external snapshot on libvirt < 9.9 is
         *     422 `revert_unsupported`. The operation's result is {snapshot, vmState, lost, forced}.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        after?: "snapshot" | "running" | "paused";
                        confirm?: boolean;
                        force?: boolean;
                    };
                };
            };
            responses: {
                202: components["responses"]["Operation"];
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/snapshots/{name}/diff": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
                name: string;
            };
            cookie?: never;
        };
        /** The snapshot's configuration against today's */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The difference (persistent configurations on both sides) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            snapshot?: string;
                            identical?: boolean;
                            /** @description e.g. "memory: 192 MiB → 256 MiB" */
                            summary?: string[];
                            /** @description unified diff; --- snapshot, +++ today */
                            unified?: string;
                        };
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/snapshots/{name}/screenshot": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
                name: string;
            };
            cookie?: never;
        };
        /** The console screenshot stored with the snapshot */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description PNG image */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "image/png": unknown;
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/pools": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
            };
            cookie?: never;
        };
        /** The host's storage pools (every type; only directory pools are managed) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Pools, by name */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            pools?: components["schemas"]["Pool"][];
                        };
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        /**
         * Create, build and start a directory pool
         * @description The name is 1 to 64 letters, digits, '.', '_', '+' or '-' (no '/', no '..'); the path is
         *     absolute and clean. libvirt makes the directory when missing. Nothing stays defined when
         *     building or starting fails.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        path: string;
                        /** @description not supported yet: must be false */
                        autostart?: boolean;
                    };
                };
            };
            responses: {
                /** @description The new pool */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Pool"];
                    };
                };
                400: components["responses"]["Error"];
                409: components["responses"]["Error"];
                502: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/pools/{pool}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                pool: components["parameters"]["pool"];
            };
            cookie?: never;
        };
        /** One pool */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    pool: components["parameters"]["pool"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The pool */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Pool"];
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        /**
         * Stop and undefine a pool; its directory and files stay on the host
         * @description Refused with 409 `pool_in_use`, naming the VMs, while a VM has a disk in the pool.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    pool: components["parameters"]["pool"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/pools/{pool}/{action}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                pool: components["parameters"]["pool"];
                action: "start" | "stop" | "refresh";
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start, stop or refresh a pool
         * @description stop is refused with 409 `pool_in_use` while a running VM has a disk in the pool.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    pool: components["parameters"]["pool"];
                    action: "start" | "stop" | "refresh";
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The pool after the action */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Pool"];
                    };
                };
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/pools/{pool}/volumes": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                pool: components["parameters"]["pool"];
            };
            cookie?: never;
        };
        /** A running pool's volumes, with the VMs that use each */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    pool: components["parameters"]["pool"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Volumes, by name */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            volumes?: components["schemas"]["Volume"][];
                        };
                    };
                };
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        put?: never;
        /**
         * Create an empty qcow2 or raw volume in a running directory pool
         * @description size is a whole number of bytes (JSON number or string) or a string with a binary unit:
         *     "512MiB", "12GiB", "1TiB". Decimal or bare units ("12 GB", "12G") are refused as ambiguous
         *     (400 `invalid_size`), as are zero, negative and fractional sizes. A size beyond the pool's
         *     free space is refused with 507 `pool_full`.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    pool: components["parameters"]["pool"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /**
                         * @default qcow2
                         * @enum {string}
                         */
                        format?: "qcow2" | "raw";
                        size: string | number;
                    };
                };
            };
            responses: {
                /** @description The new volume */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Volume"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                507: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/pools/{pool}/volumes/{vol}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                pool: components["parameters"]["pool"];
                vol: components["parameters"]["vol"];
            };
            cookie?: never;
        };
        /** One volume */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    pool: components["parameters"]["pool"];
                    vol: components["parameters"]["vol"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The volume */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Volume"];
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        /**
         * Delete a volume and its file
         * @description Refused with 409 `volume_in_use`, naming the VMs, while a VM uses it, and with 409 `volume_busy` during its upload.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    pool: components["parameters"]["pool"];
                    vol: components["parameters"]["vol"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/pools/{pool}/volumes/{vol}/content": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                pool: components["parameters"]["pool"];
                vol: components["parameters"]["vol"];
            };
            cookie?: never;
        };
        /** Download a volume's content (streamed, application/octet-stream) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    pool: components["parameters"]["pool"];
                    vol: components["parameters"]["vol"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The volume's file as libvirt reads it; Content-Length is its physicalBytes */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/octet-stream": string;
                    };
                };
                404: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        /**
         * Upload a new volume's content (an ISO or disk image) as the raw request body
         * @description The body is streamed to libvirt on a connection of its own, never held in memory, with its
         *     SHA-256 computed on the way. It needs a Content-Length (411-style 400 `length_required`
         *     without), which must fit the pool's free space (507 `pool_full`) and the server's upload
         *     cap (413 `upload_too_large`); the 64 KiB body cap of other routes does not apply. The
         *     upload runs as an operation of kind `volume-upload` (its id in the `X-Operation` answer
         *     header and on the event stream), which `DELETE /api/v1/operations/{id}` cancels. The
         *     answer comes when the upload has ended. A failed, stalled (idle time), or canceled upload
         *     removes the volume it created. Uploads and downloads at once are capped per session and
         *     per address (429 `too_many_transfers`).
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    pool: components["parameters"]["pool"];
                    vol: components["parameters"]["vol"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/octet-stream": string;
                };
            };
            responses: {
                /** @description The volume and the digest of what arrived */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            volume?: components["schemas"]["Volume"];
                            sha256?: string;
                            bytes?: number;
                            seconds?: number;
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                413: components["responses"]["Error"];
                429: components["responses"]["Error"];
                499: components["responses"]["Error"];
                507: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/pools/{pool}/volumes/{vol}/resize": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                pool: components["parameters"]["pool"];
                vol: components["parameters"]["vol"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Grow a volume to a new virtual size
         * @description Volumes only grow: a size below the current one is refused with 400 `volume_shrink_refused`,
         *     the same size with 400 `volume_same_size`. The growth must fit the pool's free space (507
         *     `pool_full`). A volume used by one running VM is grown through that VM (libvirt's
         *     blockresize), so that the guest sees the new size at once (`online` names it); used by two
         *     running VMs it is refused (409 `volume_in_use`). Sizes as for a new volume.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    pool: components["parameters"]["pool"];
                    vol: components["parameters"]["vol"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        size: string | number;
                    };
                };
            };
            responses: {
                /** @description The grown volume */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            volume?: components["schemas"]["Volume"];
                            online?: {
                                uuid?: string;
                                name?: string;
                                disk?: string;
                            };
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                507: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/pools/{pool}/volumes/{vol}/clone": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                pool: components["parameters"]["pool"];
                vol: components["parameters"]["vol"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Copy a volume into a new one of the same pool, format and size
         * @description Runs as an operation of kind `volume-clone` (202; its result is the new volume). Checked
         *     first: the name is free (409 `volume_exists`), the pool has room for the source's
         *     allocation (507 `pool_full`), and no running VM writes the source (409 `volume_in_use`;
         *     an ISO in a CD-ROM drive may be copied). A copy that fails is removed.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    pool: components["parameters"]["pool"];
                    vol: components["parameters"]["vol"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                    };
                };
            };
            responses: {
                202: components["responses"]["Operation"];
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                507: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/cdrom": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add an empty CD-ROM drive to the VM's definition
         * @description On the bus the machine type has for one (SATA on q35, IDE otherwise), with the first free
         *     target, which the answer names for PUT/DELETE .../cdrom/{target}. Changes the persistent
         *     definition only: a running VM gets the drive the next time it is started (a PC cannot
         *     take a CD-ROM drive while running), which `effectiveAtNextStart` and `message` say.
         *     409 `no_free_drive_slot` when the bus is full; 422 `vm_transient` for transient VMs.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The new drive */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            target?: string;
                            bus?: string;
                            effectiveAtNextStart?: boolean;
                            message?: string;
                        };
                    };
                };
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
                502: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/cdrom/{target}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
                /** @description the CD-ROM drive's target, e.g. hdc or sda */
                target: string;
            };
            cookie?: never;
        };
        get?: never;
        /**
         * Insert (or change) the media of a VM's CD-ROM drive
         * @description Puts a volume (an ISO image; qcow2 images are refused with 400 `not_cdrom_media`) into the
         *     drive, in the running VM (`live`) and in its stored definition (`config`), whichever
         *     exist. The drive must exist (404 `cdrom_not_found`, naming the VM's drives): a drive cannot
         *     be added to a running VM.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    /** @description the CD-ROM drive's target, e.g. hdc or sda */
                    target: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        pool: string;
                        volume: string;
                    };
                };
            };
            responses: {
                /** @description The drive after the change */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Media"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        /** Eject the media of a VM's CD-ROM drive (forcing a locked tray) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    /** @description the CD-ROM drive's target, e.g. hdc or sda */
                    target: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The empty drive */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Media"];
                    };
                };
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/networks": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
            };
            cookie?: never;
        };
        /** The host's virtual networks (libvirt networks), with the VMs attached to each */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Networks, by name */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            networks?: components["schemas"]["Network"][];
                        };
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        /**
         * Define (and optionally start) a NAT, routed or isolated network, or one on an existing host bridge
         * @description Mode `bridge` puts guests on an existing bridge of the host (named by `bridge`, which is then
         *     required): no subnet, gateway, DHCP range or static leases (400 `invalid_subnet`), as the
         *     bridge's own network gives the addresses; whether the bridge exists, libvirt checks only
         *     when a guest's NIC attaches to it. For the other modes:
         *     The name is 1 to 64 letters, digits, '.', '_' or '-' (no '/', no '..'). The subnet is an IPv4
         *     network address in CIDR form inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, /8 to /30, and
         *     must not overlap another network of the host (409 `subnet_overlap`). The gateway (the host's
         *     address on the network) defaults to the subnet's first address; the DHCP range (both ends or
         *     neither) must lie inside the subnet and not contain the gateway. Static leases need a DHCP
         *     range and a unicast MAC each. Nothing stays defined when starting fails.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /** @enum {string} */
                        mode: "nat" | "route" | "isolated" | "bridge";
                        /** @example 192.168.150.0/24 */
                        subnet?: string;
                        gateway?: string;
                        dhcpStart?: string;
                        dhcpEnd?: string;
                        hosts?: components["schemas"]["StaticLease"][];
                        /** @description bridge device name, at most 15 characters (default: libvirt picks virbrN); with mode bridge, the host's existing bridge */
                        bridge?: string;
                        autostart?: boolean;
                        /** @description start the network once defined */
                        start?: boolean;
                    };
                };
            };
            responses: {
                /** @description The new network */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Network"];
                    };
                };
                400: components["responses"]["Error"];
                409: components["responses"]["Error"];
                502: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/networks/{net}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                net: components["parameters"]["net"];
            };
            cookie?: never;
        };
        /** One network with its DHCP leases (while it runs) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    net: components["parameters"]["net"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The network */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Network"];
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        /**
         * Stop and undefine a network
         * @description Refused with 409 `network_in_use`, naming the VMs, while running VMs have an interface on it.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    net: components["parameters"]["net"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/networks/{net}/{action}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                net: components["parameters"]["net"];
                action: "start" | "stop";
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start or stop a network
         * @description stop is refused with 409 `network_in_use`, naming the VMs, while running VMs use it.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    net: components["parameters"]["net"];
                    action: "start" | "stop";
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The network after the action */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Network"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/networks/{net}/autostart": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                net: components["parameters"]["net"];
            };
            cookie?: never;
        };
        get?: never;
        /** Start the network with libvirtd, or not */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    net: components["parameters"]["net"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        enabled: boolean;
                    };
                };
            };
            responses: {
                /** @description The network */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Network"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a VM (from an ISO, an existing disk, a cloud image with cloud-init, or PXE)
         * @description Everything is checked first, with nothing made: the name (400 `invalid_vm_name`, 409
         *     `vm_exists`), the OS id (400 `unknown_os`), sizes against the pool's free space (507
         *     `pool_full`), the source volume (404 `volume_not_found`; 409 `volume_in_use` when another VM
         *     uses a disk to be used in place, or a running VM writes one to be copied), the network (404
         *     `network_not_found`), the firmware the host has (422 `firmware_missing`), the cloud-init
         *     user-data and network-config (400 `invalid_user_data` / `invalid_network_config`, naming the
         *     line). Then it runs as an operation of kind `vm-create` (202; its result is `CreateResult`):
         *     volumes are made or copied, the cloud-init seed (an ISO 9660 image labelled `cidata`, built by
         *     the server) is uploaded as a volume `<name>-cidata.iso` and attached as a CD-ROM, the VM is
         *     defined and, with `start`, started. A failure midway removes every volume it made and the
         *     definition. With `dryRun` nothing is made and the answer (200) is the domain XML that would be
         *     defined. The VM gets VNC on 127.0.0.1, a serial console, the guest agent's channel and a USB
         *     tablet. A cloud-init password is hashed (SHA-512 crypt) before it is written anywhere.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["CreateVMRequest"];
                };
            };
            responses: {
                /** @description The dry run's preview */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["CreatePreview"];
                    };
                };
                202: components["responses"]["Operation"];
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
                507: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/osinfo": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Search the operating systems osinfo-db knows
         * @description Every word of `q` must appear in the name, short id, vendor or id; newest release first.
         *     503 `osinfo_unavailable` when the server has no osinfo-db (Debian package `osinfo-db`).
         */
        get: {
            parameters: {
                query?: {
                    q?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The matches */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            os: components["schemas"]["OSInfo"][];
                        };
                    };
                };
                400: components["responses"]["Error"];
                503: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/pools/{pool}/volumes/{vol}/osinfo": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                pool: components["parameters"]["pool"];
                vol: components["parameters"]["vol"];
            };
            cookie?: never;
        };
        /**
         * Detect the operating system of an installer ISO by its volume id
         * @description Reads the volume's first 34 KiB (its ISO 9660 volume descriptor) and matches the volume id
         *     against osinfo-db's installer media. `matches` is empty, and `note` says so, when osinfo-db
         *     cannot tell (or the volume is no ISO image).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    pool: components["parameters"]["pool"];
                    vol: components["parameters"]["vol"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description What was found */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            volumeId: string;
                            matches: components["schemas"]["OSInfo"][];
                            note: string;
                        };
                    };
                };
                404: components["responses"]["Error"];
                503: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/clone": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Clone a shut-off VM or a template
         * @description Runs as an operation of kind `vm-clone` (202; its result is `CreateResult`). Each writable
         *     disk in a storage pool is copied in full into `<name>.qcow2` (`<name>-1.qcow2`, ...) of the same
         *     pool, or with `linked` made a qcow2 overlay on the original (quick and small; the original's
         *     disks must then stay unchanged; the clone's metadata says so). CD-ROMs keep their media. The
         *     clone gets a new UUID, new MAC addresses and a fresh UEFI variable store. Refused while the VM
         *     runs (409 `vm_not_shut_off`), for a taken name (409 `vm_exists`), a disk outside any pool
         *     (422 `disk_not_in_pool`) or without room (507 `pool_full`). A failure removes what it made.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        linked?: boolean;
                        start?: boolean;
                    };
                };
            };
            responses: {
                202: components["responses"]["Operation"];
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
                507: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/template": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        /**
         * Mark a shut-off VM as a template, or not
         * @description A template is only cloned: its power actions are refused (409 `vm_is_template`). The mark is
         *     kept in the VM's definition (KVM Manager's element in `<metadata>`). Marking needs the VM shut
         *     off (409 `vm_not_shut_off`).
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        template: boolean;
                    };
                };
            };
            responses: {
                /** @description The new mark */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            template: boolean;
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every snapshot policy, with its schedule in words, next runs, last result and alert
         * @description `timeZone` is the server's: schedules and retention periods are read in it. Each policy's
         *     `status.last` is its last run (state running, succeeded, failed, skipped or empty; a run made
         *     at start for slots missed while the server was down has `missed` and says so); `alert` is set
         *     after 3 failed runs in a row. Changes arrive as `schedule` events.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The policies */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            policies: components["schemas"]["SchedulePolicy"][];
                            timeZone: string;
                        };
                    };
                };
            };
        };
        put?: never;
        /**
         * Create a snapshot policy
         * @description 400 `invalid_policy`, `invalid_schedule` (5 cron fields or @hourly/@daily/@weekly/@monthly),
         *     `invalid_retention` (each keep option 0 to 1000; all 0 keeps everything) or
         *     `invalid_name_pattern` (the names it makes must follow the snapshot name rules and name
         *     the minute); 409 `policy_exists` (names are unique, case-insensitively) or `policy_limit`
         *     (at most 200 policies, 500 targets each).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["SchedulePolicySpec"];
                };
            };
            responses: {
                /** @description The policy */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SchedulePolicy"];
                    };
                };
                400: components["responses"]["Error"];
                409: components["responses"]["Error"];
                413: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A schedule in words and its next run times (for the policy form) */
        get: {
            parameters: {
                query: {
                    schedule: string;
                    count?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The preview */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            scheduleText: string;
                            next: string[];
                            timeZone: string;
                        };
                    };
                };
                400: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** One snapshot policy */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The policy */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SchedulePolicy"];
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        /**
         * Replace a policy's settings
         * @description A changed schedule starts afresh from now (slots of the old one are not made up).
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["SchedulePolicySpec"];
                };
            };
            responses: {
                /** @description The policy */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SchedulePolicy"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        /**
         * Delete a policy
         * @description Its snapshots stay, and are no longer pruned by anything.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                404: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /** The policies that apply to a VM, the snapshots they took of it, and its pinned snapshots */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The VM's schedules */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            policies: components["schemas"]["SchedulePolicy"][];
                            owned: {
                                host: string;
                                uuid: string;
                                name: string;
                                /** Format: date-time */
                                created: string;
                                /** @description the policy's id */
                                policy: string;
                                /** @enum {string} */
                                consistency?: "memory" | "quiesced" | "crash-consistent" | "shut-off";
                            }[];
                            pins: {
                                host: string;
                                uuid: string;
                                name: string;
                                /** Format: date-time */
                                created: string;
                            }[];
                        };
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/snapshots/{name}/pin": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
                name: string;
            };
            cookie?: never;
        };
        get?: never;
        /** Pin a snapshot (never pruned by a policy) or unpin it */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        pinned: boolean;
                    };
                };
            };
            responses: {
                /** @description The pin */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            pinned: boolean;
                            name: string;
                            /** Format: date-time */
                            created: string;
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/disk-usage": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /**
         * What the VM's images and snapshots hold, and what a merge or compaction would do
         * @description Every disk's chain (qemu-img info --backing-chain on the host), top first, with each image's
         *     allocation (libvirt's volume info when a pool holds it, else qemu-img's actual-size), the
         *     internal snapshots inside it with their saved memory, `required` (qemu-img measure: what the
         *     image's current data needs) and `snapshotsHold` (allocation beyond that, for images with
         *     internal snapshots). Per snapshot what it holds and what removing it frees. `merge` says
         *     whether the external chains can be merged now (with the reasons when not), `mergeFrees` at
         *     most how much that frees; `compact` whether the images can be compacted (shut-off VM,
         *     standalone images).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The VM's disk usage */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            host: string;
                            uuid: string;
                            vm: string;
                            vmState: string;
                            /** @description bytes allocated by every image */
                            total: number;
                            unknown?: string;
                            mergeFrees?: number;
                            disks: {
                                target?: string;
                                allocation?: number;
                                layers?: {
                                    file?: string;
                                    format?: string;
                                    /** @enum {string} */
                                    role?: "active" | "overlay" | "base";
                                    snapshot?: string;
                                    virtualSize?: number;
                                    allocation?: components["schemas"]["SnapshotSize"];
                                    required?: number;
                                    snapshotsHold?: number;
                                    internalSnapshots?: {
                                        name?: string;
                                        vmStateBytes?: number;
                                    }[];
                                }[];
                            }[];
                            snapshots: {
                                name?: string;
                                location?: string;
                                holds?: components["schemas"]["SnapshotSize"];
                                frees?: components["schemas"]["SnapshotSize"];
                                note?: string;
                            }[];
                            /** @description a capability (possible, reasons, fixes, notes) with the chains and the snapshots a merge forgets */
                            merge: {
                                possible?: boolean;
                                reasons?: string[];
                                fixes?: string[];
                                notes?: string[];
                                offline?: boolean;
                                mayCancel?: boolean;
                                forget?: string[];
                                /** @description whether mode pull is possible now beyond the shared checks (a running VM needs QEMU 9.0 or newer), and why not */
                                pull?: {
                                    possible?: boolean;
                                    reason?: string;
                                };
                                disks?: {
                                    target?: string;
                                    base?: string;
                                    overlays?: string[];
                                    snapshots?: string[];
                                }[];
                            };
                            compact: {
                                possible?: boolean;
                                reasons?: string[];
                                fixes?: string[];
                                notes?: string[];
                                images?: string[];
                            };
                        };
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/disk-usage/merge": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Merge the VM's external snapshot chains into their base images
         * @description Checks first, changing nothing when it refuses (409 `merge_refused`, `nothing_to_merge`):
         *     every disk's chain from the live XML and from qemu-img info --backing-chain must agree; no
         *     internal snapshots (in the snapshot list or inside any layer); every overlay must be one an
         *     external snapshot of this VM started, in the base's directory; the base must have no backing
         *     file. A running VM merges with an active block commit and a pivot to the base (cancelable
         *     until the pivot: the disk then stays on its overlay); a shut-off one with qemu-img commit.
         *     Then the merged snapshots are forgotten (metadata only) and the overlay files deleted, and
         *     nothing else. Mode `pull` (same checks) copies the base's and the lower overlays' data up
         *     into the active (newest) overlay instead, with a block pull (a shut-off VM: qemu-img rebase
         *     onto no backing file): the disk stays on that overlay, which then stands alone; the lower
         *     overlays are deleted and the base image is kept untouched (listed in `kept`: the VM no
         *     longer uses it). The result is {mode, disks, forgotten, removed, kept, offline}.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        mode?: "commit" | "pull";
                    };
                };
            };
            responses: {
                202: components["responses"]["Operation"];
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/disk-usage/compact": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Compact a shut-off VM's images, keeping their internal snapshots
         * @description Each image is copied beside itself with zero-filled areas left unallocated, checked (same
         *     SHA-256, qemu-img check, same snapshot list), and renamed over the original only if no
         *     process holds it and it did not change meanwhile. 409 `compact_refused` when the VM is not
         *     shut off, an image is part of a chain, or the space for the copy is missing. Cancelable; the
         *     result is {images: [{file, before, after, snapshots, sha256}], before, after}.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                202: components["responses"]["Operation"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/export": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /**
         * Download the VM with its snapshot tree as one file (application/x-tar)
         * @description The file holds the VM's stored definition, every snapshot's XML (parents first, the current
         *     one named), each disk's image file read through libvirt's volume stream (qcow2 images carry
         *     their internal snapshots) and a manifest with every part's SHA-256. Content-Length is exact.
         *     A shut-off (or paused) VM is exported as it is; a running one is refused (409 `vm_running`)
         *     unless `pause=true`, which pauses it for the export and resumes it afterwards, also after a
         *     failure. Disks outside a storage pool (409 `disk_not_in_pool`), with backing files
         *     (`disk_has_backing`) or external snapshots (`snapshot_external`) are refused. The export is an
         *     operation of kind `vm-export` (its id in `X-Operation`), which `DELETE /api/v1/operations/{id}`
         *     cancels; a failure midway cuts the response short. Counts against the transfer slots.
         */
        get: {
            parameters: {
                query?: {
                    pause?: boolean;
                };
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The export file */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/x-tar": string;
                    };
                };
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        put?: never;
        /**
         * Write the VM's export file as a new volume of a pool on its host
         * @description As the download, but written into a new volume (`pool`, `volume`) through libvirt, after a
         *     check that the file's exact size fits the pool (507 `pool_full`). A failed or canceled export
         *     removes the volume.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        pool: string;
                        volume: string;
                        pause?: boolean;
                    };
                };
            };
            responses: {
                202: components["responses"]["Operation"];
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                507: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/import": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Import an export file (the raw request body) as a new VM with its snapshots
         * @description `pool` receives the disks (a running directory pool); `name` renames the VM, which then gets
         *     a new UUID and new MAC addresses. Without a new name, a VM of the same name (409 `vm_exists`)
         *     or UUID (409 `vm_uuid_exists`) refuses the import. Every part's SHA-256 is checked before
         *     anything is defined: a truncated or changed file is refused (400 `archive_invalid`) and the
         *     volumes written so far are removed. Then the VM is defined and its snapshots redefined in
         *     parent order, the current one marked current. Admins only: the file's definition may name
         *     any host resource. Needs a Content-Length within the import cap (413 `upload_too_large`);
         *     the body may stall at most the transfer idle time. An operation of kind `vm-import` (its id
         *     in `X-Operation`) shows progress and may be canceled; the answer comes when it has ended.
         */
        post: {
            parameters: {
                query: {
                    pool: string;
                    name?: string;
                };
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/x-tar": string;
                };
            };
            responses: {
                /** @description The imported VM (Location names it) */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            name?: string;
                            uuid?: string;
                            host?: string;
                            renamed?: boolean;
                            snapshots?: number;
                            current?: string;
                            disks?: {
                                target?: string;
                                volume?: string;
                                path?: string;
                            }[];
                            bytes?: number;
                            seconds?: number;
                            from?: {
                                name?: string;
                                uuid?: string;
                            };
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                413: components["responses"]["Error"];
                429: components["responses"]["Error"];
                499: components["responses"]["Error"];
                507: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/snapshots/{name}/export-disk": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
                name: string;
            };
            cookie?: never;
        };
        /**
         * Download one disk as it was at the snapshot, as a standalone image
         * @description Makes the image as the POST does, as a temporary volume (in `pool`, default the pool of
         *     the disk's image; its room is checked first with `qemu-img measure`), streams it with its
         *     exact length and removes it. No byte is sent until the image is made. The work is an
         *     operation (kind `snapshot-export-disk`, named by the `X-Operation` header) that
         *     `DELETE /api/v1/operations/{id}` cancels; a failure midway cuts the response.
         */
        get: {
            parameters: {
                query?: {
                    /** @description Disk target, e.g. vda; default the first disk */
                    disk?: string;
                    format?: "qcow2" | "raw";
                    /** @description Pool for the temporary image */
                    pool?: string;
                };
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The image */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/octet-stream": string;
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                429: components["responses"]["Error"];
                499: components["responses"]["Error"];
                507: components["responses"]["Error"];
            };
        };
        put?: never;
        /**
         * Write one disk as it was at the snapshot into a new standalone image
         * @description Runs `qemu-img convert` on the host's computer (local, or over SSH; a host reached over
         *     TLS is refused with 409 `host_no_commands`): for an internal snapshot the snapshot inside
         *     the image (`-l snapshot.name=…`; the VM must be shut off while it writes to that image),
         *     for an external one the image the snapshot froze, read through its backing chain. The
         *     pool's room is checked first with `qemu-img measure` (507 `pool_full`); a taken name is
         *     409 `volume_exists`; a failed or canceled copy leaves no file. The result (a volume without
         *     snapshots or backing file) is the operation's result.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Disk target, e.g. vda; default the first disk */
                        disk?: string;
                        pool: string;
                        volume: string;
                        /** @enum {string} */
                        format?: "qcow2" | "raw";
                    };
                };
            };
            responses: {
                202: components["responses"]["Operation"];
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                507: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/hardware": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /** A VM's hardware, as stored and (while it runs) as running */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The hardware */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HardwareView"];
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/hardware/cpu": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        /**
         * Set the vCPUs (and the most the VM may have)
         * @description A running VM gets the count at once (hot-plug) within the maximum it started with; a new maximum takes effect at its next start.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        vcpus?: number;
                        maxVcpus?: number;
                    };
                };
            };
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HardwareResult"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/hardware/memory": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        /**
         * Set the memory (and the most the VM may have), in MiB
         * @description A running VM gets the new amount at once through its balloon, within the maximum it started with; a new maximum takes effect at its next start.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        memoryMiB?: number;
                        maxMemoryMiB?: number;
                    };
                };
            };
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HardwareResult"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/hardware/disks": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add a disk (an existing volume, or a new qcow2 volume)
         * @description virtio and scsi disks are plugged into a running VM too; sata disks wait for the next start. A volume made for the disk is deleted again when the disk cannot be added.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        pool: string;
                        volume?: string;
                        size?: string;
                        name?: string;
                        /** @enum {string} */
                        bus?: "virtio" | "scsi" | "sata";
                    };
                };
            };
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DiskAdded"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/hardware/disks/{target}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
                target: string;
            };
            cookie?: never;
        };
        get?: never;
        /**
         * Grow a disk
         * @description Through QEMU while the VM runs (the guest sees the new size at once), else its volume. Never shrinks (400 `disk_shrink_refused`).
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    target: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        size: string;
                    };
                };
            };
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HardwareResult"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        /**
         * Remove a disk or CD-ROM drive
         * @description Unplugged from a running VM where its bus allows (virtio, scsi), and removed from the definition. Its volume or file stays.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    target: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HardwareResult"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/hardware/nics": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add a network interface
         * @description On a libvirt network of the host (default `default`) or a host bridge; plugged into a running VM too. Without `mac` a new 52:54:00 address is made.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        network?: string;
                        bridge?: string;
                        /** @enum {string} */
                        model?: "virtio" | "e1000e" | "e1000" | "rtl8139";
                        mac?: string;
                    };
                };
            };
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["NICAdded"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/hardware/nics/{mac}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
                mac: string;
            };
            cookie?: never;
        };
        get?: never;
        /**
         * Change a network interface
         * @description The link state and the network change at once on a running VM; the model and address at its next start.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    mac: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        network?: string;
                        bridge?: string;
                        model?: string;
                        mac?: string;
                        linkUp?: boolean;
                    };
                };
            };
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HardwareResult"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        /**
         * Remove a network interface
         * @description Unplugged from a running VM too.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    mac: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HardwareResult"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/hardware/boot": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        /**
         * Set the boot order (next start)
         * @description Devices tried first to last: hd, cdrom, network, fd. Per-device boot orders are removed.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        order: ("hd" | "cdrom" | "network" | "fd")[];
                    };
                };
            };
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HardwareResult"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/hardware/firmware": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        /**
         * Change a shut-off VM's firmware
         * @description BIOS, or UEFI (OVMF, chosen by libvirt) with or without Secure Boot (q35 only). Refused while the VM runs (409 `firmware_vm_running`) or when the host lacks the firmware.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        firmware: "bios" | "efi";
                        secureBoot?: boolean;
                    };
                };
            };
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HardwareResult"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/hardware/graphics": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        /**
         * Add or remove VNC graphics; set or clear their password
         * @description Graphics are added or removed for the next start. A password (at most 8 characters, empty clears it) applies to a running VM at once when its VNC server was started with a password; setting one on a server started without, or clearing it, takes effect at the next start (QEMU cannot change its VNC authentication live). Like every hardware edit, refused with 409 `snapshot_busy` or `vm_busy` while other work (a snapshot, clone, export or delete) holds the VM.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        vnc?: boolean;
                        password?: string;
                    };
                };
            };
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HardwareResult"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/hardware/tpm": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        /**
         * Add or remove a TPM 2.0 (swtpm)
         * @description For the next start. Needs swtpm on the host (422/400 `tpm_unavailable` otherwise).
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        enabled: boolean;
                    };
                };
            };
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HardwareResult"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/hardware/info": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        /**
         * Set the VM's title and description
         * @description On the running VM and in its definition; an empty value removes it.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        title?: string;
                        description?: string;
                    };
                };
            };
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HardwareResult"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/xml": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /** The VM's domain XML (stored, with secrets; and running) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The definitions */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            stored: string;
                            live?: string;
                        };
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        /**
         * Replace the stored definition with an edited one
         * @description The edit must keep the VM's name and UUID. It is first validated by libvirt on a throw-away copy (new name and UUID, defined with validation and undefined at once). `dryRun` stops there and answers the diff; otherwise it is saved.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        xml: string;
                        dryRun?: boolean;
                    };
                };
            };
            responses: {
                /** @description What was changed, where, and the change to the stored definition */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["XMLResult"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/console/spice": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A ticket for the VM's SPICE console in the browser (spice-html5)
         * @description Reads the VM's SPICE graphics from its live XML and answers a ticket (valid 30 s, bound to
         *     the caller's session and this VM) with the WebSocket URL that carries it. Unlike a VNC
         *     ticket it opens one SPICE session of several WebSockets, one per SPICE channel: the first
         *     (the main channel) redeems it, and up to 8 more channels (display, inputs, cursor,
         *     playback...) of the same login session join with the same URL within 30 s of it. Refused
         *     first: 409 `vm_not_running`; 422 `no_spice_graphics`; 422 `spice_not_reachable` (SPICE
         *     listening on no port, or TLS only: offer GET .../console.vv); 429 `too_many_consoles`
         *     as for the VNC console's ticket.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The ticket */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            ticket?: string;
                            /** @description path and query of the WebSocket, relative to the server */
                            url?: string;
                            expiresInSeconds?: number;
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
                429: components["responses"]["Error"];
                503: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/console/spice/ws": {
        parameters: {
            query: {
                ticket: string;
            };
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /**
         * One SPICE channel's WebSocket (binary SPICE, for spice-html5)
         * @description Upgrades to a WebSocket (binary, subprotocol `binary` accepted) relayed to the VM's SPICE
         *     server. The first WebSocket of a ticket must be the SPICE main channel; it takes one of
         *     the caller's console slots and the whole console ends when it does. Further channels of
         *     the same session join with the same ticket (at most 8, within 30 s of the main channel;
         *     then 429 `too_many_consoles`). The server does each channel's SPICE link handshake with
         *     the VM's SPICE password itself (the browser sends an empty one; the password never
         *     leaves the server). Refusals are JSON errors before the upgrade: 403 `invalid_ticket` or
         *     `origin_mismatch`, 409 `vm_not_running`, 422 `no_spice_graphics`, 429. A SPICE server
         *     has one client at a time: a new console (or remote-viewer) takes over from the last.
         */
        get: {
            parameters: {
                query: {
                    ticket: string;
                };
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Switching to the WebSocket */
                101: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Error"];
                403: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
                429: components["responses"]["Error"];
                503: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/displays": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /**
         * The VM's display heads, and which the browser console can show
         * @description One entry per head of each video device (libvirt aliases video0, video1...), read from
         *     the live XML (the stored one when the VM is off). Index 0 is the primary head, which the
         *     VM's own VNC or SPICE graphics show. Another head can be shown in the browser when
         *     QEMU runs a VNC server for it on a fixed TCP address (`<qemu:commandline>` argument
         *     `-vnc 127.0.0.1:N,id=ID,display=videoK[,head=H]`); otherwise `browser` is false and
         *     `reason` says why (remote-viewer shows every head of a SPICE VM).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The displays */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            displays?: {
                                index?: number;
                                device?: string;
                                model?: string;
                                head?: number;
                                primary?: boolean;
                                browser?: boolean;
                                reason?: string;
                            }[];
                        };
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/console/display/{index}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
                index: number;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A ticket for the VNC console of one display head
         * @description As POST .../console, for display `index` of GET .../displays. Refused with 404
         *     `no_such_display`, 422 `display_not_in_browser` (no VNC server for that head: offer the
         *     .vv file), 409 `vm_not_running`, 429 `too_many_consoles`.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    index: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The ticket */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            ticket?: string;
                            url?: string;
                            expiresInSeconds?: number;
                        };
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/console/display/{index}/ws": {
        parameters: {
            query: {
                ticket: string;
            };
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
                index: number;
            };
            cookie?: never;
        };
        /**
         * The VNC console WebSocket of one display head (binary RFB, for noVNC)
         * @description As GET .../console/ws, relayed to the head's own QEMU VNC server (read from the live XML
         *     again). The ticket opens only the display it was made for.
         */
        get: {
            parameters: {
                query: {
                    ticket: string;
                };
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                    index: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Switching to the WebSocket */
                101: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Error"];
                403: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                422: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hosts/{host}/vms/{uuid}/console/recording": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                host: components["parameters"]["host"];
                uuid: components["parameters"]["uuid"];
            };
            cookie?: never;
        };
        /** Whether the VM's open consoles are being recorded (the "Recording" mark) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The status */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["RecordingStatus"];
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        /**
         * Start recording every open console of the VM (one file per console)
         * @description Records the server-to-browser RFB stream and the user's key and pointer input, with
         *     timestamps, into the recordings folder. While recording, the proxy asks the VNC server for
         *     encodings without decoder state across rectangles and for a full update every 10 s
         *     (keyframes). Consoles of the VM opened while it records are recorded too (one file
         *     each). 409 `no_console_open` when no console of the VM is open; 409 `recording_limit` when as many
         *     recordings run as `recording-max-active` allows. A recording ends at `recording-max-mib`
         *     or `recording-max-duration`, and with its console.
         *     Caps per caller: 429 `too_many_recordings` when the consoles to record would make more
         *     recordings started by the session (`max-recordings-per-session`, default 4) or from the
         *     client address (`max-recordings-per-client`, 16) run at once (nothing starts then); 429
         *     `too_many_recording_starts`, with Retry-After, beyond `max-recording-starts-per-session`
         *     (10) or `max-recording-starts-per-client` (40) starts in any minute. Only starts that
         *     started a recording count. Refusals repeated within a minute are counted in one audit entry.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The new status */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["RecordingStatus"];
                    };
                };
                400: components["responses"]["Error"];
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        /**
         * Stop recording the VM's consoles
         * @description Recordings the configuration requires (`recording-always-roles`, `recording-always-vms`)
         *     stop only for an admin: 403 `recording_required` otherwise.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    host: components["parameters"]["host"];
                    uuid: components["parameters"]["uuid"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The new status */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["RecordingStatus"];
                    };
                };
                400: components["responses"]["Error"];
                403: components["responses"]["Error"];
                404: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/recordings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The console recordings, newest first */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The recordings */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            recordings?: components["schemas"]["Recording"][];
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/recordings/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** One recording with its keyframes (for the player) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The recording */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Recording"] & {
                            /** @description seconds; segment n plays from keyframe n */
                            keyframeTimes?: number[];
                            /**
                             * Format: byte
                             * @description the VNC server's ServerInit, base64
                             */
                            serverInit?: string;
                        };
                    };
                };
                404: components["responses"]["Error"];
                422: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        /** Delete a recording that is not running */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                404: components["responses"]["Error"];
                409: components["responses"]["Error"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/recordings/{id}/segments/{n}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                n: number;
            };
            cookie?: never;
        };
        /**
         * The events from keyframe n to keyframe n+1, for the player
         * @description Binary: a sequence of events, each u8 type (1 server bytes, 2 input message, 3 keyframe:
         *     u16 width, u16 height, 16-byte pixel format, 4 client SetPixelFormat), u32 time in ms since
         *     the recording started, u32 length, then the data (big-endian).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                    n: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The events */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/octet-stream": string;
                    };
                };
                404: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/recordings/{id}/file": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** Download the recording file (.kvmrec, docs/design-notes.md "Console recordings") */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The file */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/octet-stream": string;
                    };
                };
                404: components["responses"]["Error"];
                429: components["responses"]["Error"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description a figure in bytes with where it was read, or null bytes and why it cannot be known */
        SnapshotSize: {
            bytes?: number | null;
            source?: string;
            unknown?: string;
        };
        StaticLease: {
            /** @example 52:54:00:12:34:56 */
            mac: string;
            ip: string;
            name?: string;
        };
        Network: {
            host?: string;
            name?: string;
            uuid?: string;
            active?: boolean;
            autostart?: boolean;
            bridge?: string;
            /** @description nat, route, open, bridge, ... or isolated (no forwarding) */
            forward?: string;
            forwardDev?: string;
            ips?: {
                /** @enum {string} */
                family?: "ipv4" | "ipv6";
                /** @description the host's address on the network */
                address?: string;
                prefix?: number;
                subnet?: string;
                dhcpStart?: string;
                dhcpEnd?: string;
                hosts?: components["schemas"]["StaticLease"][];
            }[];
            vms?: components["schemas"]["NetworkUser"][];
            /** @description only in a single network's answer */
            leases?: {
                mac?: string;
                ip?: string;
                prefix?: number;
                hostname?: string;
                /** @description Unix seconds; 0: never */
                expiry?: number;
                vm?: components["schemas"]["NetworkUser"];
            }[];
        };
        NetworkUser: {
            uuid?: string;
            name?: string;
            state?: components["schemas"]["VMState"];
            mac?: string;
        };
        Address: {
            ip: string;
            prefix: number;
            mac?: string;
            interface?: string;
            /** @enum {string} */
            source: "agent" | "lease" | "arp";
        };
        /** @description the guest agent's state and what it tells (running VMs) */
        Guest: {
            /** @enum {string} */
            agent: "connected" | "disconnected" | "none";
            version?: string;
            osName?: string;
            hostname?: string;
            kernel?: string;
        };
        Pool: {
            host: string;
            name: string;
            uuid: string;
            /** @description libvirt's pool type: dir, fs, logical, netfs, ... */
            type: string;
            path?: string;
            /** @enum {string} */
            state: "running" | "inactive" | "building" | "degraded" | "inaccessible" | "unknown";
            capacityBytes: number;
            allocationBytes: number;
            availableBytes: number;
            autostart: boolean;
            /** @description directory pools; others are listed read-only */
            managed: boolean;
        };
        Volume: {
            host: string;
            pool: string;
            name: string;
            path: string;
            /** @description qcow2, raw, iso, ... as libvirt probed it */
            format?: string;
            /** @description virtual size */
            capacityBytes: number;
            /** @description bytes used on the host */
            allocationBytes: number;
            /** @description size of the volume's file: what a download sends (its Content-Length) */
            physicalBytes?: number;
            usedBy?: {
                uuid?: string;
                name?: string;
                disk?: string;
            }[];
        };
        Media: {
            target?: string;
            /** @description the file in the drive; empty when ejected */
            source?: string;
            /** @description the running VM's drive changed */
            live?: boolean;
            /** @description the stored definition changed */
            config?: boolean;
        };
        Session: {
            /** @description "token" for the API token */
            user: string;
            role?: components["schemas"]["Role"];
            csrfToken: string;
            /** Format: date-time */
            expiresAt?: string;
            permissions?: ("vm.read" | "vm.power" | "vm.console" | "vm.snapshot" | "vm.create" | "vm.delete" | "vm.edit" | "audit.read" | "sessions.manage" | "hosts.manage")[];
        };
        /** @enum {string} */
        Role: "viewer" | "operator" | "admin";
        SessionInfo: {
            /** @description public id (not the cookie) */
            id: string;
            user: string;
            role: components["schemas"]["Role"];
            client: string;
            userAgent: string;
            /** Format: date-time */
            created: string;
            /** Format: date-time */
            lastSeen: string;
            /** Format: date-time */
            expiresAt: string;
            current: boolean;
        };
        AuditEntry: {
            /** Format: date-time */
            time: string;
            user: string;
            role?: string;
            client: string;
            /** @description login, logout, session.revoke, vm.<action>, vm.autostart, vm.delete, vm.graphics.add, vm.graphics.keymap, vm.input.add, vm.serial.add, operation.cancel, console.open, serial.open, screenshot.save, snapshot.create|edit|delete|revert */
            action: string;
            host?: string;
            uuid?: string;
            vm?: string;
            /** @enum {string} */
            result: "ok" | "error" | "denied";
            status?: number;
            error?: {
                code: string;
                message: string;
            };
            /** @description for operations, until the operation ended; for consoles, how long they were open */
            durationMs?: number;
            operation?: string;
            detail?: string;
            /** @description a summary of refused (429) logins: how many attempts it stands for */
            count?: number;
            /** @description a summary of refused logins: the user names tried (at most 5, each clipped to 64 bytes) */
            names?: string[];
        };
        Host: {
            name: string;
            uri: string;
            /** @enum {string} */
            state: "connecting" | "connected" | "reconnecting" | "failed" | "untrusted" | "host_key_changed";
            error?: string;
            /** Format: date-time */
            since: string;
            /** Format: date-time */
            nextRetry?: string;
            hostname?: string;
            libvirtVersion?: string;
            /** @description the computer the host runs on, as its libvirt last said (read when a link comes up; free memory every 30 s); absent before the first connection */
            node?: {
                /** @example 7.2.0 */
                qemuVersion?: string;
                /** @example Intel Skylake-Client-IBRS */
                cpuModel?: string;
                cpus: number;
                memoryBytes: number;
                memoryFreeBytes: number;
                /** Format: date-time */
                readAt: string;
            };
            /** @description the host's VMs counted by state, from the cache (GET /api/v1/hosts only): {"running": 2, "shutoff": 1} */
            vms?: {
                [key: string]: number;
            };
            local: boolean;
            hostKey?: components["schemas"]["HostKey"];
            /** @description the approved SSH key of the live connection (qemu+ssh hosts while connected) */
            sshKey?: components["schemas"]["HostKey"];
            /**
             * @description config (flags or config file; not changeable through the API) or api (added through the API)
             * @enum {string}
             */
            source?: "config" | "api";
        };
        HostSpec: {
            /** @example kvm2 */
            name?: string;
            /** @example qemu+ssh://root@kvm2/system?keyfile=/root/.ssh/id_ed25519 */
            uri: string;
        };
        /** @description What one connection attempt found (POST /api/v1/hosts/test) */
        HostProbe: {
            ok: boolean;
            /** @enum {string} */
            state: "connected" | "untrusted" | "host_key_changed" | "failed";
            error?: string;
            hostKey?: components["schemas"]["HostKey"];
            hostname?: string;
            libvirtVersion?: string;
        };
        /** @description Payload of a host-key event */
        HostKeyAlert: {
            host?: string;
            /** @enum {string} */
            state?: "untrusted" | "host_key_changed";
            hostKey?: components["schemas"]["HostKey"];
            /** Format: date-time */
            time?: string;
        };
        /** @description The SSH host key of an untrusted host or one whose key changed */
        HostKey: {
            /** @example ssh-ed25519 */
            type: string;
            /** @example SHA256:Y+GcWLsUU0EaVTGYeTdDCuq//F0EVMdaMfhV8k1Kc7g */
            fingerprint: string;
            /** @description the keys on file when the key changed */
            known?: string[];
        };
        /** @enum {string} */
        PowerAction: "start" | "shutdown" | "reboot" | "force-off" | "reset" | "pause" | "resume";
        /** @enum {string} */
        VMState: "nostate" | "running" | "blocked" | "paused" | "shutting-down" | "shutoff" | "crashed" | "pmsuspended";
        VM: {
            host: string;
            uuid: string;
            name: string;
            title?: string;
            description?: string;
            state: components["schemas"]["VMState"];
            reason?: string;
            id?: number;
            /** @enum {string} */
            domainType: "kvm" | "qemu";
            arch?: string;
            machine?: string;
            /** @enum {string} */
            firmware: "bios" | "efi" | "direct-kernel";
            vcpus: number;
            memoryMaxKiB: number;
            memoryKiB: number;
            /** @description null when the VM has none (as the server sends an empty list) */
            disks: {
                target: string;
                device: string;
                bus?: string;
                type: string;
                source?: string;
                format?: string;
                capacityBytes?: number;
                allocationBytes?: number;
                readOnly?: boolean;
                shareable?: boolean;
            }[] | null;
            /** @description null when the VM has none (as the server sends an empty list) */
            nics: {
                type: string;
                source?: string;
                mac?: string;
                model?: string;
                target?: string;
            }[] | null;
            /** @description null when the VM has none (as the server sends an empty list) */
            graphics: {
                type: string;
                listen?: string;
                port?: number;
                autoport: boolean;
                socket?: string;
                password: boolean;
            }[] | null;
            serialConsole: boolean;
            autostart: boolean;
            persistent: boolean;
            snapshotCount: number;
            /** @description a template is only cloned: it allows no power actions; left out when false */
            template?: boolean;
            /** @description UUID of the VM this one was cloned from */
            clonedFrom?: string;
            /** @description its disks are qcow2 overlays on the disks of the VM it was cloned from */
            linkedClone?: boolean;
            stats?: components["schemas"]["Sample"];
            /** @description the running VM's IP addresses: from the guest agent first, then DHCP leases, then ARP; left out when none is known */
            addresses?: components["schemas"]["Address"][];
            guest?: components["schemas"]["Guest"];
            /** Format: date-time */
            updated: string;
            /** @description power actions the state allows; `vm` events leave it out */
            actions?: components["schemas"]["PowerAction"][];
        };
        Sample: {
            /** Format: date-time */
            time: string;
            /** @description 100 = all vCPUs busy */
            cpuPercent?: number;
            /** @description What the guest uses of memoryTotalKiB (its memory less free memory and reclaimable caches), from the guest's balloon driver; absent when the guest reports no memory statistics (no virtio_balloon driver). */
            memoryUsedKiB?: number;
            /** @description The memory the guest sees, from its balloon driver; absent as memoryUsedKiB is. */
            memoryTotalKiB?: number;
            /** @description The host's view: the resident size of the VM's QEMU process. It includes QEMU's own memory, so it can exceed the VM's memory. */
            memoryRssKiB?: number;
            diskReadBps?: number;
            diskWriteBps?: number;
            netRxBps?: number;
            netTxBps?: number;
        };
        /** @description How far stats history goes. */
        HistoryInfo: {
            /** @description The resolutions kept, finest first. */
            tiers: {
                /** @description Seconds between points (averages beyond the first tier) */
                stepSeconds: number;
                /** @description How far back this tier reaches */
                spanSeconds: number;
            }[];
            /**
             * Format: date-time
             * @description The oldest sample held for this VM
             */
            oldest?: string;
        };
        Operation: {
            id: string;
            kind: string;
            target: {
                host?: string;
                uuid?: string;
                name?: string;
            };
            /** @enum {string} */
            state: "running" | "succeeded" | "failed" | "canceled";
            progress: {
                stage: string;
                percent?: number;
            };
            result?: unknown;
            error?: {
                code: string;
                message: string;
                hint?: string;
            };
            /** Format: date-time */
            started: string;
            /** Format: date-time */
            finished?: string;
            mayCancel: boolean;
            /** @description who asked for the work; sent to admins, and to that user only */
            user?: string;
        };
        CreateVMRequest: {
            /** @description 1 to 64 letters, digits, '.', '_', '-' */
            name: string;
            title?: string;
            description?: string;
            /** @description osinfo-db id or short id (e.g. debian11); fills what is not given */
            os?: string;
            source: {
                /** @enum {string} */
                kind: "iso" | "disk" | "cloud-image" | "pxe";
                pool?: string;
                volume?: string;
                /** @description disk: copy the volume into a new one instead of using it in place */
                copy?: boolean;
            };
            /** @enum {string} */
            firmware?: "bios" | "efi";
            secureBoot?: boolean;
            cpu?: {
                count?: number;
                /** @enum {string} */
                mode?: "default" | "host-model" | "host-passthrough" | "custom";
                model?: string;
            };
            memoryMiB?: number;
            disk?: {
                /** @description where new volumes go (default: the source's pool, else default) */
                pool?: string;
                /** @description e.g. "20GiB" */
                size?: string;
                /** @enum {string} */
                bus?: "virtio" | "sata" | "scsi";
            };
            network?: {
                none?: boolean;
                /** @description a libvirt network of the host (default: default) */
                network?: string;
                bridge?: string;
                /** @enum {string} */
                model?: "virtio" | "e1000e" | "e1000" | "rtl8139";
                mac?: string;
            };
            noVnc?: boolean;
            /** @description cloud-image source only. The form fields, or raw userData; not both. */
            cloudInit?: {
                hostname?: string;
                user?: string;
                /** @description hashed (SHA-512 crypt) by the server */
                password?: string;
                sshKeys?: string[];
                packages?: string[];
                /** @description #cloud-config YAML or a #! script */
                userData?: string;
                /** @description network-config YAML, version 1 or 2 */
                networkConfig?: string;
            };
            start?: boolean;
            dryRun?: boolean;
        };
        CreatePreview: {
            xml: string;
            volumes: string[];
            os?: string;
        };
        /** @description The result of a vm-create operation. */
        CreateResult: {
            host: string;
            uuid: string;
            name: string;
            started: boolean;
            volumes: string[];
        };
        OSInfo: {
            id: string;
            shortId: string;
            name: string;
            vendor?: string;
            family?: string;
            distro?: string;
            version?: string;
            releaseDate?: string;
            eolDate?: string;
            minimum: components["schemas"]["OSResources"];
            recommended: components["schemas"]["OSResources"];
            /** @enum {string} */
            firmware: "bios" | "efi";
            diskBus: string;
            nicModel: string;
            tpm: boolean;
        };
        OSResources: {
            cpus?: number;
            memoryBytes?: number;
            storageBytes?: number;
        };
        SchedulePolicySpec: {
            /** @description 1 to 32 letters, digits, '-' and '_' */
            name: string;
            description?: string;
            /** @description 5 cron fields, or @hourly, @daily, @weekly, @monthly */
            schedule: string;
            retention?: components["schemas"]["ScheduleRetention"];
            /** @description default auto-{policy}-{yyyyMMdd-HHmm} */
            namePattern?: string;
            /** @description take running VMs' memory too; otherwise disk-only, quiesced when the guest agent is connected, else crash-consistent */
            memory?: boolean;
            /** @description snapshot shut-off VMs too (disk-only) */
            runWhileOff?: boolean;
            enabled?: boolean;
            targets?: {
                host: string;
                uuid?: string;
                allVMs?: boolean;
            }[];
        };
        /** @description As Proxmox Backup Server prunes; all 0 keeps every snapshot. */
        ScheduleRetention: {
            keepLast?: number;
            keepHourly?: number;
            keepDaily?: number;
            keepWeekly?: number;
            keepMonthly?: number;
            keepYearly?: number;
        };
        ScheduleRun: {
            /** Format: date-time */
            slot: string;
            /** Format: date-time */
            started: string;
            /** Format: date-time */
            finished?: string;
            /** @enum {string} */
            state: "running" | "succeeded" | "failed" | "skipped" | "empty";
            missed?: boolean;
            missedSlots?: number;
            message: string;
            vms: {
                host: string;
                uuid: string;
                vm?: string;
                /** @enum {string} */
                state: "succeeded" | "failed" | "skipped";
                operation?: string;
                snapshot?: string;
                consistency?: string;
                pruned: string[];
                reason?: string;
                code?: string;
            }[];
        };
        SchedulePolicy: components["schemas"]["SchedulePolicySpec"] & {
            id: string;
            /** Format: date-time */
            created: string;
            /** Format: date-time */
            updated: string;
            /** @description the schedule in words */
            scheduleText: string;
            /** @description the next 3 runs */
            next: string[];
            status: {
                /** Format: date-time */
                lastSlot?: string;
                /** @description failed runs in a row */
                failures: number;
                last?: components["schemas"]["ScheduleRun"];
            };
            /** @description 3 or more failed runs in a row */
            alert: boolean;
            running: boolean;
        };
        HardwareResult: {
            message: string;
            /** @description the running VM changed now */
            live: boolean;
            /** @description the stored definition changed */
            config: boolean;
            /** @description (part of) the change waits for the next start */
            effectiveAtNextStart: boolean;
            /** @description the change to the stored definition as a line diff */
            changes: string;
            vm: components["schemas"]["VM"];
        };
        DiskAdded: components["schemas"]["HardwareResult"] & {
            target: string;
            volume: string;
            created: boolean;
        };
        NICAdded: components["schemas"]["HardwareResult"] & {
            mac: string;
        };
        XMLResult: components["schemas"]["HardwareResult"] & {
            saved: boolean;
        };
        HardwareView: {
            running: boolean;
            autostart: boolean;
            stored: components["schemas"]["Hardware"];
            live?: components["schemas"]["Hardware"];
        };
        Hardware: {
            vcpus: number;
            maxVcpus: number;
            memoryMiB: number;
            maxMemoryMiB: number;
            disks: {
                target: string;
                bus: string;
                device: string;
                source: string;
                format?: string;
                readOnly: boolean;
            }[];
            nics: {
                mac: string;
                network?: string;
                bridge?: string;
                type: string;
                model: string;
                linkUp: boolean;
            }[];
            boot: string[];
            firmware: string;
            secureBoot: boolean;
            machine: string;
            directKernel: boolean;
            graphics: {
                type: string;
                listen?: string;
                password: boolean;
            }[];
            tpm?: {
                model: string;
                backend: string;
                version?: string;
            };
            title: string;
            description: string;
        };
        RecordingStatus: {
            recording: boolean;
            /** Format: date-time */
            since?: string;
            by?: string;
            ids: string[];
            /** @description consoles of the VM open now */
            consoles: number;
            /** @description keyframes recorded so far */
            keyframes?: number;
            /** @description While nothing records: why the VM's last recording ended by itself (its size or length limit, or the disk not keeping up with the console); absent when a user stopped it or its console closed. */
            ended?: string;
        };
        Recording: {
            id: string;
            host: string;
            uuid: string;
            vmName: string;
            user: string;
            /** @description manual or policy */
            reason?: string;
            /** Format: date-time */
            started: string;
            /** @description seconds */
            duration: number;
            size: number;
            active: boolean;
            keyframes: number;
        };
    };
    responses: {
        /** @description What was done, and the VM */
        InputChanged: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": {
                    changed: boolean;
                    effectiveAtNextStart: boolean;
                    message: string;
                    vm: components["schemas"]["VM"];
                };
            };
        };
        /** @description An error */
        Error: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": {
                    error?: {
                        code: string;
                        message: string;
                        hint?: string;
                    };
                };
            };
        };
        /** @description Accepted; Location names the operation */
        Operation: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Operation"];
            };
        };
    };
    parameters: {
        host: string;
        uuid: string;
        pool: string;
        vol: string;
        net: string;
    };
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
