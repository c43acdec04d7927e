// The one button: a variant (what it does) and a size (where it sits). With
// asChild it styles its child instead (a link, a Radix trigger or close).

import { Slot } from 'radix-ui';
import { forwardRef, type ButtonHTMLAttributes } from 'react';
import { cx } from './cx';

export type ButtonVariant = 'default' | 'primary' | 'danger' | 'danger-outline' | 'ghost' | 'link';

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  /** primary: the dialog's or page's main action; danger: it destroys something; ghost: quiet, in toolbars; link: reads as a link. */
  variant?: ButtonVariant;
  size?: 'md' | 'sm';
  /** As wide as its container. */
  block?: boolean;
  /** Render the child element (an <a>, a Radix trigger) with the button's look. */
  asChild?: boolean;
  /** Marks a toggle that is on (a chosen range). */
  pressedLook?: boolean;
}

/** The class names of a button, for the few places that cannot use the component. */
export function buttonClass({ variant = 'default', size = 'md', block = false, pressedLook = false }: Pick<ButtonProps, 'variant' | 'size' | 'block' | 'pressedLook'> = {}): string {
  if (variant === 'link') return 'link-btn';
  return cx('btn', variant !== 'default' && `btn-${variant}`, size === 'sm' && 'btn-small', block && 'btn-block', pressedLook && 'is-on');
}

export const Button = forwardRef<HTMLButtonElement, ButtonProps>(function Button(
  { variant, size, block, asChild = false, pressedLook, className, type, ...rest },
  ref,
) {
  const cls = cx(buttonClass({ variant, size, block, pressedLook }), className);
  if (asChild) return <Slot.Root ref={ref} className={cls} {...rest} />;
  return <button ref={ref} type={type ?? 'button'} className={cls} {...rest} />;
});
