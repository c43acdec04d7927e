// A form field: its label, the control, then under it the error (what is
// wrong and what to do) or a note, and a hint. The control gets the id, and
// aria-describedby / aria-invalid pointing at those lines, so a screen
// reader reads them with the control.

import { Children, cloneElement, isValidElement, useId, type ReactElement, type ReactNode } from 'react';
import { cx } from './cx';

export interface FieldProps {
  label: ReactNode;
  /** The control: one input, textarea or select (or a wrapper with `inputId` set). */
  children: ReactElement<Record<string, unknown>>;
  /** What is wrong with the value, and what to do (shown instead of `note`). */
  error?: string | null;
  /** A line about the value as it stands ("This name can be used."), announced politely. */
  note?: ReactNode;
  /** Always shown: the rule or an example. */
  hint?: ReactNode;
  optional?: boolean;
  /** The id of the control when children is a wrapper around it. */
  inputId?: string;
  className?: string;
}

export function Field({ label, children, error, note, hint, optional, inputId, className }: FieldProps) {
  const auto = useId();
  const id = inputId ?? (typeof children.props.id === 'string' ? children.props.id : `${auto}-input`);
  const msgId = `${auto}-msg`;
  const hintId = `${auto}-hint`;
  error = error === '' ? null : error;
  const hasMsg = Boolean(error) || note !== undefined;
  // An empty error string counts as none.
  const describedBy = [hasMsg ? msgId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined;
  const wire = { 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy };
  const control = inputId ? wireInside(children, inputId, wire) : cloneElement(children, { id, ...wire });
  return (
    <div className={cx('field', className)}>
      <label htmlFor={id} className="field-label">
        {label}
        {optional && <span className="muted"> (optional)</span>}
      </label>
      {control}
      {hasMsg && (
        <p id={msgId} className={cx('small', 'field-msg', error ? 'text-bad' : 'field-note')} aria-live="polite">
          {error ?? note}
        </p>
      )}
      {hint && (
        <p id={hintId} className="muted small field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** Puts the aria wiring on the child with id `inputId` inside a wrapper (an input with an icon). */
function wireInside(el: ReactElement<Record<string, unknown>>, inputId: string, wire: Record<string, unknown>): ReactElement {
  if (el.props.id === inputId) return cloneElement(el, wire);
  const kids = el.props.children as ReactNode;
  if (kids === undefined) return el;
  return cloneElement(
    el,
    {},
    Children.map(kids, (k) => (isValidElement<Record<string, unknown>>(k) ? wireInside(k, inputId, wire) : k)),
  );
}
