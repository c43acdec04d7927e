// What a list or panel shows when it has nothing: an icon, one line saying
// so, maybe a second line and the action that fills it.

import type { ReactNode } from 'react';
import { cx } from './cx';

export interface EmptyStateProps {
  icon?: ReactNode;
  title: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
  /** A smaller version, inside a card or panel. */
  compact?: boolean;
  className?: string;
}

export function EmptyState({ icon, title, children, action, compact = false, className }: EmptyStateProps) {
  return (
    <div className={cx('empty-state', compact && 'empty-state-compact', className)}>
      {icon && (
        <span className="empty-state-icon" aria-hidden>
          {icon}
        </span>
      )}
      <p className="empty-state-title">{title}</p>
      {children && <div className="muted empty-state-body">{children}</div>}
      {action && <div className="empty-state-action">{action}</div>}
    </div>
  );
}
