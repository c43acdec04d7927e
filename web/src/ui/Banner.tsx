// A message across the width of a panel: information, a warning, a failure
// or a success, with an optional title and actions.

import { CircleAlert, CircleCheck, Info, TriangleAlert } from 'lucide-react';
import type { ReactNode } from 'react';
import { cx } from './cx';

export type BannerTone = 'info' | 'warn' | 'bad' | 'ok';

const ICONS = { info: Info, warn: TriangleAlert, bad: CircleAlert, ok: CircleCheck };

export interface BannerProps {
  tone?: BannerTone;
  title?: ReactNode;
  children?: ReactNode;
  actions?: ReactNode;
  /** alert: announced at once (a failure); status: announced politely. */
  role?: 'alert' | 'status';
  className?: string;
}

export function Banner({ tone = 'info', title, children, actions, role, className }: BannerProps) {
  const Icon = ICONS[tone];
  return (
    <div className={cx('banner', `banner-${tone}`, className)} role={role}>
      <Icon size={16} aria-hidden />
      <div className="banner-body">
        {title && <strong className="banner-title">{title}</strong>}
        {children}
        {actions && <div className="banner-actions">{actions}</div>}
      </div>
    </div>
  );
}
