// Menus: one look for drop-down menus (a button opens them) and context
// menus (right click, Shift+F10), over Radix. Items take an optional icon,
// a hint line below and a key shortcut at the end.

import { ContextMenu as RContext, DropdownMenu } from 'radix-ui';
import { Check } from 'lucide-react';
import { createContext, useContext, type ComponentProps, type ReactNode } from 'react';
import { cx } from './cx';

type Kind = 'dropdown' | 'context';
const KindContext = createContext<Kind>('dropdown');

type DropContentProps = ComponentProps<typeof DropdownMenu.Content>;

export interface MenuProps {
  /** The element that opens it (a Button, an IconButton); rendered as the Radix trigger. */
  trigger: ReactNode;
  children: ReactNode;
  align?: DropContentProps['align'];
  /** Non-modal: the page behind stays usable (menus in the header, the table). */
  modal?: boolean;
  className?: string;
  'aria-label'?: string;
  /** Where it mounts (a pop-out window's document). */
  container?: HTMLElement | null;
  open?: boolean;
  onOpenChange?: (open: boolean) => void;
}

/** A drop-down menu opened by its trigger. */
export function Menu({ trigger, children, align = 'start', modal, className, container, open, onOpenChange, ...aria }: MenuProps) {
  return (
    <DropdownMenu.Root modal={modal} open={open} onOpenChange={onOpenChange}>
      <DropdownMenu.Trigger asChild>{trigger}</DropdownMenu.Trigger>
      <DropdownMenu.Portal container={container}>
        <DropdownMenu.Content className={cx('menu', className)} align={align} sideOffset={4} collisionPadding={8} {...aria}>
          <KindContext.Provider value="dropdown">{children}</KindContext.Provider>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

/** The content of a context menu (inside a Radix ContextMenu.Root whose trigger is the target). */
export function ContextMenuContent({ children, className, ...rest }: ComponentProps<typeof RContext.Content>) {
  return (
    <RContext.Portal>
      <RContext.Content className={cx('menu', className)} {...rest}>
        <KindContext.Provider value="context">{children}</KindContext.Provider>
      </RContext.Content>
    </RContext.Portal>
  );
}

function useKind() {
  const kind = useContext(KindContext);
  return kind === 'context' ? RContext : DropdownMenu;
}

export interface MenuItemProps {
  children: ReactNode;
  onSelect?: (e: Event) => void;
  disabled?: boolean;
  icon?: ReactNode;
  /** A second line, muted. */
  hint?: ReactNode;
  /** The key that does the same (shown at the end, and announced). */
  shortcut?: string;
  className?: string;
}

export function MenuItem({ children, onSelect, disabled, icon, hint, shortcut, className }: MenuItemProps) {
  const M = useKind();
  return (
    <M.Item className={cx('menu-item', className)} onSelect={onSelect} disabled={disabled} aria-keyshortcuts={shortcut}>
      <span className="menu-icon" aria-hidden>
        {icon}
      </span>
      <span className="menu-text">{children}</span>
      {shortcut && <kbd className="menu-kbd">{shortcut}</kbd>}
      {hint && <span className="menu-hint">{hint}</span>}
    </M.Item>
  );
}

export function MenuCheckboxItem({ children, checked, onCheckedChange, hint }: { children: ReactNode; checked: boolean; onCheckedChange: (v: boolean) => void; hint?: ReactNode }) {
  const M = useKind();
  return (
    <M.CheckboxItem className="menu-item" checked={checked} onCheckedChange={onCheckedChange} onSelect={(e) => e.preventDefault()}>
      <span className="menu-icon" aria-hidden>
        <M.ItemIndicator>
          <Check size={14} />
        </M.ItemIndicator>
      </span>
      <span className="menu-text">{children}</span>
      {hint && <span className="menu-hint">{hint}</span>}
    </M.CheckboxItem>
  );
}

export function MenuRadioGroup({ value, onValueChange, children }: { value: string; onValueChange: (v: string) => void; children: ReactNode }) {
  const M = useKind();
  return (
    <M.RadioGroup value={value} onValueChange={onValueChange}>
      {children}
    </M.RadioGroup>
  );
}

export function MenuRadioItem({ value, children, hint }: { value: string; children: ReactNode; hint?: ReactNode }) {
  const M = useKind();
  return (
    <M.RadioItem value={value} className="menu-item">
      <span className="menu-icon" aria-hidden>
        <M.ItemIndicator>
          <Check size={14} />
        </M.ItemIndicator>
      </span>
      <span className="menu-text">{children}</span>
      {hint && <span className="menu-hint">{hint}</span>}
    </M.RadioItem>
  );
}

export function MenuLabel({ children }: { children: ReactNode }) {
  const M = useKind();
  return <M.Label className="menu-label">{children}</M.Label>;
}

export function MenuSeparator() {
  const M = useKind();
  return <M.Separator className="menu-sep" />;
}

export function MenuGroup({ children }: { children: ReactNode }) {
  const M = useKind();
  return <M.Group>{children}</M.Group>;
}
