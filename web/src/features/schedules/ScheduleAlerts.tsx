// Policies that failed three times in a row: an item in the status bar and
// a banner on the dashboard, both linking to the Schedules page.

import { CalendarX } from 'lucide-react';
import { Link } from 'wouter';
import { useSchedules } from '../../resources/schedule/queries';
import { Banner } from '../../ui';
import { alerting } from './model';

export function ScheduleAlertItem() {
  const bad = alerting(useSchedules().data?.policies);
  if (bad.length === 0) return null;
  return (
    <Link href="/schedules" className="status-item sched-alert-item" aria-label={`${bad.length} snapshot ${bad.length === 1 ? 'policy is' : 'policies are'} failing. Open schedules`}>
      <CalendarX size={14} aria-hidden />
      <span>
        {bad.length === 1 ? `Policy ${bad[0]?.name ?? ''} failing` : `${bad.length} policies failing`}
      </span>
    </Link>
  );
}

export function ScheduleAlertBanner() {
  const bad = alerting(useSchedules().data?.policies);
  if (bad.length === 0) return null;
  return (
    <Banner tone="bad" role="alert" title="Scheduled snapshots are failing" actions={<Link href="/schedules">Open snapshot schedules</Link>}>
      {bad.map((p) => `${p.name}: ${p.status.failures} failed runs in a row (${p.status.last?.message ?? 'no message'})`).join('; ')}
    </Banner>
  );
}
