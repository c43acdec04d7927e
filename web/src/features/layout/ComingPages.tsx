// The pages the navigation already names but that are still to come
// (Hosts, Networks): each says what it will hold and what works
// today, so that no link in the navigation leads nowhere. Each is replaced
// by the real page in the route table (App.tsx) when it arrives.

import { Network, Server } from 'lucide-react';
import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { useHosts } from '../../api/queries';
import { useTitle } from '../../components/useTitle';
import { HOST_STATE_LABEL } from '../dashboard/HostHeader';

function Coming({ title, icon, children }: { title: string; icon: ReactNode; children: ReactNode }) {
  useTitle(title);
  return (
    <div className="page-scroll">
      <div className="page page-narrow coming-page">
        <h1>
          {icon} {title}
        </h1>
        <p className="coming-tag">Coming in a later version</p>
        {children}
      </div>
    </div>
  );
}

export function HostsPage() {
  const hosts = useHosts().data ?? [];
  return (
    <Coming title="Hosts" icon={<Server size={22} aria-hidden />}>
      <p>This page will add, edit and remove libvirt hosts (over SSH or TLS), approve their host keys, and show each host’s capacity.</p>
      <p>Today hosts come from the server’s configuration (<code>--host name=URI</code>). Connected now:</p>
      <ul className="coming-list">
        {hosts.map((h) => (
          <li key={h.name}>
            <strong>{h.name}</strong> <span className="mono muted">{h.uri}</span> · {HOST_STATE_LABEL[h.state]}
          </li>
        ))}
      </ul>
    </Coming>
  );
}

export function NetworksPage() {
  return (
    <Coming title="Networks" icon={<Network size={22} aria-hidden />}>
      <p>This page will list each host’s virtual networks and their DHCP leases.</p>
      <p>
        Today a VM’s network interfaces and addresses are shown on its Overview tab (open a VM from the <Link href="/">dashboard</Link> or the
        navigation).
      </p>
    </Coming>
  );
}
