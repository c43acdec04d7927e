// A button shown as an icon: its accessible name is `label`, shown as a
// tooltip on hover and keyboard focus. With showLabel="wide" the label is
// also written beside the icon where the toolbar has room (ui.css hides it
// on narrow screens), so that the icon need not be guessed.

import { Tooltip } from 'radix-ui';
import { forwardRef, type ButtonHTMLAttributes, type HTMLAttributes, type ReactNode, type Ref } from 'react';
import { cx } from './cx';

export interface IconButtonProps extends Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'aria-label'> {
  label: string;
  /** Tooltip text when it should say more than the label (e.g. a shortcut). */
  tip?: string;
  children: ReactNode;
  tone?: 'default' | 'danger' | 'primary';
  /** "wide": the label is visible beside the icon on wide screens. */
  showLabel?: 'never' | 'wide';
  /** The visible text when shorter than the label (it should be part of the label, so that speech input finds it). */
  text?: string;
  /** Where the tooltip mounts (a pop-out window's document). */
  container?: HTMLElement | null;
}

export const IconButton = forwardRef<HTMLButtonElement, IconButtonProps>(function IconButton(
  { label, tip, children, className, tone = 'default', type = 'button', showLabel = 'never', text, container, ...rest },
  ref,
) {
  const labelled = showLabel === 'wide';
  return (
    <Tooltip.Root>
      <Tooltip.Trigger asChild>
        <button
          ref={ref}
          type={type}
          aria-label={label}
          className={cx('icon-btn', tone !== 'default' && `icon-btn-${tone}`, labelled && 'icon-btn-labelled', className)}
          {...rest}
        >
          {children}
          {labelled && (
            <span className="icon-btn-text" aria-hidden>
              {text ?? label}
            </span>
          )}
        </button>
      </Tooltip.Trigger>
      <Tooltip.Portal container={container}>
        <Tooltip.Content className="tooltip" sideOffset={6}>
          {tip ?? label}
        </Tooltip.Content>
      </Tooltip.Portal>
    </Tooltip.Root>
  );
});

/**
 * A tooltip around any element. Props and ref pass through to the element,
 * so a Tip can itself be the child of a Radix trigger (a menu's button).
 */
export const Tip = forwardRef<HTMLElement, { text: ReactNode; children: ReactNode; container?: HTMLElement | null } & HTMLAttributes<HTMLElement>>(function Tip(
  { text, children, container, ...rest },
  ref,
) {
  return (
    <Tooltip.Root>
      <Tooltip.Trigger asChild ref={ref as Ref<HTMLButtonElement>} {...rest}>
        {children}
      </Tooltip.Trigger>
      <Tooltip.Portal container={container}>
        <Tooltip.Content className="tooltip" sideOffset={6}>
          {text}
        </Tooltip.Content>
      </Tooltip.Portal>
    </Tooltip.Root>
  );
});
