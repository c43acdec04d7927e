// The explanation behind a short fact: a small (i) button beside it that
// opens a popover with the longer text. It is a real button (Tab reaches
// it, Enter or Space opens it, Escape closes it and focus returns), named
// "About <topic>", so panels can say the fact in a few words.

import { Popover } from 'radix-ui';
import { Info } from 'lucide-react';
import type { ReactNode } from 'react';

export interface InfoTipProps {
  /** What it explains, for the button's name ("About its own share"). */
  topic: string;
  children: ReactNode;
  /** Where it mounts (a pop-out window's document). */
  container?: HTMLElement | null;
}

export function InfoTip({ topic, children, container }: InfoTipProps) {
  return (
    <Popover.Root>
      <Popover.Trigger className="info-tip" aria-label={`About ${topic}`}>
        <Info size={14} aria-hidden />
      </Popover.Trigger>
      <Popover.Portal container={container}>
        <Popover.Content className="popover info-tip-content" sideOffset={6} collisionPadding={8} aria-label={`About ${topic}`}>
          <div className="info-tip-text">{children}</div>
          <Popover.Arrow className="popover-arrow" />
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}
