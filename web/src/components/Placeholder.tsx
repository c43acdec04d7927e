import type { ReactNode } from 'react';

/** A calm panel for a section with nothing to show yet, saying why. */
export function Placeholder({ icon, title, children }: { icon: ReactNode; title: string; children: ReactNode }) {
  return (
    <div className="placeholder-panel">
      {icon}
      <h2>{title}</h2>
      {children}
    </div>
  );
}
