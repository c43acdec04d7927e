// The pages the navigation already names but that are still to come
// (Storage): it says what it will hold and what works today, so that no
// link in the navigation leads nowhere. It is replaced by the real page in
// the route table (App.tsx) when it arrives.

import { HardDrive } from 'lucide-react';
import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { useTitle } from '../../components/useTitle';

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

export function StoragePage() {
  return (
    <Coming title="Storage" icon={<HardDrive size={22} aria-hidden />}>
      <p>This page will list each host’s storage pools and volumes, and upload and download disk images.</p>
      <p>
        Today a VM’s disks are listed on its Overview tab (open a VM from the <Link href="/">dashboard</Link> or the navigation).
      </p>
    </Coming>
  );
}
